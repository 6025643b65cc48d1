"""The served session's lead files: confined to the import folder and the session's uploads,
and no error line that quotes a file's content."""

from __future__ import annotations

import os

import pytest

from prospect_tui.core import UserError
from prospect_tui.core.import_folder import (
    SessionFolders,
    inside,
    lead_files,
    serving_folder,
    session_uploads,
    upload_name,
)
from prospect_tui.core.importing import read_lead_file

SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def imports(tmp_path):
    folder = tmp_path / "imports"
    (folder / "vendor").mkdir(parents=True)
    (folder / "achat.csv").write_text("Raison sociale;Tél\r\nACME;01 45 67 89 10\r\n")
    (folder / "vendor" / "mars.xlsx").write_bytes(b"")
    (tmp_path / "consent.key").write_text(SECRET)
    return folder


def test_a_file_of_the_folder_is_found_by_its_name_or_its_absolute_path(imports):
    assert inside(imports, "achat.csv") == (imports / "achat.csv").resolve()
    assert inside(imports, " vendor/mars.xlsx ") == (imports / "vendor" / "mars.xlsx").resolve()
    assert inside(imports, str(imports / "achat.csv")) == (imports / "achat.csv").resolve()


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("/etc/passwd", "outside the import folder"),
        ("../consent.key", "'..' is not allowed"),
        ("vendor/../../consent.key", "'..' is not allowed"),
        ("/", "outside the import folder"),
        ("bad\0name.csv", "not a file of the import folder"),
        ("", "name a lead file"),
    ],
)
def test_a_typed_path_out_of_the_folder_is_refused(imports, typed, why):
    with pytest.raises(UserError, match=why) as refused:
        inside(imports, typed)
    assert SECRET not in str(refused.value) and "\n" not in str(refused.value)


def test_a_symlink_out_of_the_folder_is_refused_even_through_a_folder(imports, tmp_path):
    (imports / "key.csv").symlink_to(tmp_path / "consent.key")
    (imports / "up").symlink_to(tmp_path)
    for typed in ("key.csv", "up/consent.key"):
        with pytest.raises(UserError, match="outside the import folder"):
            inside(imports, typed)


def test_a_symlink_loop_is_refused_in_one_line(imports):
    (imports / "loop.csv").symlink_to(imports / "loop.csv")
    with pytest.raises(UserError, match="refused: loop.csv"):
        inside(imports, "loop.csv")


def test_another_sessions_uploads_are_refused(imports):
    theirs = session_uploads(imports, "their-session")
    theirs.mkdir(parents=True)
    (theirs / "leads.csv").write_text("x")
    typed = str((theirs / "leads.csv").relative_to(imports))
    with pytest.raises(UserError, match="hidden files are not offered"):
        inside(imports, typed)
    mine = SessionFolders(imports, session_uploads(imports, "my-session"))
    with pytest.raises(UserError, match="hidden files are not offered"):
        mine.resolve(typed)


def test_the_list_holds_lead_files_only_without_hidden_ones_or_links_out(imports, tmp_path):
    (imports / "notes.pdf").write_text("x")
    (imports / ".secret.csv").write_text("x")
    (imports / "key.csv").symlink_to(tmp_path / "consent.key")
    session_uploads(imports, "s").mkdir(parents=True)
    (session_uploads(imports, "s") / "up.csv").write_text("x")
    assert lead_files(imports) == ["achat.csv", os.path.join("vendor", "mars.xlsx")]


def test_an_upload_of_the_session_is_found_by_its_name_first(imports):
    uploads = session_uploads(imports, "s")
    uploads.mkdir(parents=True)
    (uploads / "achat.csv").write_text("mine")
    folders = SessionFolders(imports, uploads)
    assert folders.uploaded() == ["achat.csv"]
    assert folders.resolve("achat.csv") == (uploads / "achat.csv").resolve()
    assert folders.resolve("vendor/mars.xlsx") == (imports / "vendor" / "mars.xlsx").resolve()


def test_without_an_import_folder_nothing_is_offered():
    folders = SessionFolders(None, None)
    assert folders.shared() == folders.uploaded() == []
    with pytest.raises(UserError, match="no import folder"):
        folders.resolve("/etc/passwd")


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("liste.csv", "liste.csv"),
        ("../../etc/cron.d/x.csv", "x.csv"),
        ("C:\\Users\\paul\\Liste clients.XLSX", "Liste clients.xlsx"),
        (".bashrc.csv", "bashrc.csv"),
        ("a\x1b]0;title\x07.csv", "a__0_title.csv"),
    ],
)
def test_an_uploaded_file_name_is_made_safe(sent, saved):
    assert upload_name(sent) == saved


def test_an_upload_that_is_no_lead_file_is_refused():
    with pytest.raises(UserError, match="not a lead file"):
        upload_name("id_rsa.pem")


def test_the_import_folder_may_not_hold_the_database_or_the_key(tmp_path):
    database = tmp_path / "prospect.db"
    with pytest.raises(UserError, match="holds"):
        serving_folder(tmp_path, database, [])
    with pytest.raises(UserError, match="no such folder"):
        serving_folder(tmp_path / "missing", database, [])
    default = serving_folder(None, database, [tmp_path / "consent.key"])
    assert default == (tmp_path / "imports").resolve()
    assert default.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("mapping", [None, {"phone": "Tél"}])
def test_a_file_that_is_no_lead_file_is_never_quoted_in_the_error(tmp_path, mapping):
    key = tmp_path / "consent.key"
    key.write_text(SECRET + "\n" + SECRET[::-1] + "\n")
    with pytest.raises(UserError) as refused:
        read_lead_file(key, mapping=mapping)
    message = str(refused.value)
    assert SECRET not in message and SECRET[:16] not in message and SECRET[::-1] not in message


def test_a_missing_column_is_named_by_count_not_by_the_cells(tmp_path):
    lead_file = tmp_path / "sans_tel.csv"
    lead_file.write_text("Raison sociale;Ville\r\nACME;Lyon\r\n")
    with pytest.raises(UserError) as refused:
        read_lead_file(lead_file)
    assert "no phone column found among 2 columns on line 1" in str(refused.value)
    assert "Ville" not in str(refused.value)


def test_the_folders_reach_the_app_through_its_environment(monkeypatch, tmp_path):
    folders = SessionFolders(tmp_path / "imports", tmp_path / "imports" / ".uploads" / "s")
    for name, value in folders.environment().items():
        monkeypatch.setenv(name, value)
    assert SessionFolders.from_environment() == folders
    # None is set too, as empty: an app never inherits the server's own variables.
    for name, value in SessionFolders(None, None).environment().items():
        monkeypatch.setenv(name, value)
    assert SessionFolders.from_environment() == SessionFolders(None, None)
