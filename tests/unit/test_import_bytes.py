"""Lead files as they come: every line ending, stray bytes, cut files, odd names and non-files.

Each goes through the real command line: imported as a person would read it, or one short line
naming the file and the line, exit 2, and nothing written.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core.store import Store

HEADER = "Raison sociale;Téléphone;Ville"
ROWS = ["Alpha;01 42 68 53 00;Orléans", "Beta;06 12 34 56 78;Fréjus", "Gamma;04 78 12 34 56;Lyon"]


def run(tmp_path: Path, lead_file: Path, capsys, *extra: str) -> tuple[int, dict, str]:
    code = main(["--db", str(tmp_path / "p.db"), "import", str(lead_file), "--json", *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else {}), err


def companies(tmp_path: Path) -> list[str]:
    store = Store(tmp_path / "p.db")
    try:
        return [r["company"] for r in store.rows("SELECT company FROM leads ORDER BY id")]
    finally:
        store.close()


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n", "mixed"], ids=["CR", "LF", "CRLF", "mixed"])
def test_every_line_ending(tmp_path: Path, capsys, ending: str):
    lines = [HEADER, *ROWS]
    if ending == "mixed":
        text = lines[0] + "\r" + lines[1] + "\n" + lines[2] + "\r\n" + lines[3] + "\r"
    else:
        text = ending.join(lines) + ending
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode("cp1252"))
    code, report, err = run(tmp_path, path, capsys)
    assert (code, err) == (0, "")
    assert report["imported"] == 3
    assert companies(tmp_path) == ["Alpha", "Beta", "Gamma"]


def test_cr_inside_a_quoted_cell_and_its_line_numbers(tmp_path: Path, capsys):
    text = (
        HEADER + ';Adresse\r"Alpha";01 42 68 53 00;Orléans;"12 rue Haute\rbât. B"\rBeta;n.c.;X;\r'
    )
    path = tmp_path / "quoted.csv"
    path.write_bytes(text.encode("utf-8"))
    code, report, _ = run(tmp_path, path, capsys, "--rejects", str(tmp_path / "r.csv"))
    assert (code, report["imported"], report["invalid_phone"]) == (0, 1, 1)
    store = Store(tmp_path / "p.db")
    assert json.loads(store.rows("SELECT extra FROM leads")[0]["extra"]) == {
        "Adresse": "12 rue Haute\rbât. B"
    }
    store.close()
    # Beta starts on line 4: Alpha's record spans lines 2 and 3.
    assert '"4";"invalid_phone"' in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")


def test_nuls_and_a_byte_order_mark_in_the_middle(tmp_path: Path, capsys):
    # Two exports pasted together (the second one's BOM midway) and stray NULs.
    text = "\ufeff" + HEADER + "\r\n" + ROWS[0] + "\x00\r\n" + "\ufeff" + ROWS[1] + "\r\n"
    path = tmp_path / "pasted.csv"
    path.write_bytes(text.encode("utf-8").replace(b"Beta", b"Be\x00ta"))
    code, report, err = run(tmp_path, path, capsys)
    assert (code, err, report["imported"]) == (0, "", 2)
    assert companies(tmp_path) == ["Alpha", "Beta"]


def test_a_file_cut_inside_a_multibyte_character(tmp_path: Path, capsys):
    raw = ("\r\n".join([HEADER, *ROWS]) + "\r\nDelta;01 42 68 53 01;Orléans").encode("utf-8")
    path = tmp_path / "cut.csv"
    path.write_bytes(raw[:-5])  # "Orl" then the first byte of "é"
    code, report, err = run(tmp_path, path, capsys)
    assert (code, err, report["imported"], report["encoding"]) == (0, "", 4, "utf-8")
    assert companies(tmp_path)[-1] == "Delta"


def test_the_shared_file_saved_with_mac_line_endings(tmp_path: Path, capsys, shared_data: Path):
    expected = json.loads((shared_data / "expected.json").read_text(encoding="utf-8"))
    wanted = expected["leads_fr_excel_2000.csv"]
    mac = tmp_path / "leads_mac.csv"
    mac.write_bytes((shared_data / "leads_fr_excel_2000.csv").read_bytes().replace(b"\r\n", b"\r"))
    assert b"\n" not in mac.read_bytes()
    code, report, _ = run(tmp_path, mac, capsys)
    assert code == 0
    assert {key: report[key] for key in wanted} == wanted


def test_an_error_quotes_at_most_100_characters_of_the_file(tmp_path: Path, capsys):
    # Binary-looking bytes that still decode as Windows-1252, in a 200 KB header line.
    garbage = bytes(range(0x80, 0x100)) * 800
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"Nom;" + garbage + b"\r\nA;B\r\n")
    code, _, err = run(tmp_path, path, capsys)
    assert code == 2
    assert err.count("\n") == 1 and "no phone column" in err
    assert len(err) < 400


def test_a_cell_too_big_is_refused_with_its_line(tmp_path: Path, capsys):
    # A quote never closed swallows the rest of the file into one cell.
    text = HEADER + "\r\n" + ROWS[0] + '\r\n"Beta;06 12 34 56 78\r\n' + ("x" * 100 + "\r\n") * 2000
    path = tmp_path / "quote.csv"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(tmp_path, path, capsys)
    assert code == 2 and err.count("\n") == 1
    assert "line 3: not valid CSV (a cell longer than 131,072 characters" in err
    assert not (tmp_path / "p.db").exists() or companies(tmp_path) == []


def test_a_file_without_line_breaks(tmp_path: Path, capsys):
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"Societe;Tel;" + b"a;" * 600_000)
    code, _, err = run(tmp_path, path, capsys)
    assert code == 2 and "line 1: longer than 1,048,576 characters" in err


def test_a_file_name_that_is_not_utf8(tmp_path: Path, capsys):
    folder = os.fsencode(tmp_path)
    raw_name = folder + b"/achat-\xe9t\xe9.csv"  # Latin-1 bytes in a UTF-8 world
    with open(raw_name, "wb") as out:
        out.write("\r\n".join([HEADER, *ROWS]).encode("cp1252"))
    code, report, err = run(tmp_path, Path(os.fsdecode(raw_name)), capsys)
    assert (code, err, report["imported"]) == (0, "", 3)
    assert report["campaign"] == "achat-\\xe9t\\xe9"
    missing = Path(os.fsdecode(folder + b"/absent-\xe9.csv"))
    code, _, err = run(tmp_path, missing, capsys)
    assert code == 2 and err.count("\n") == 1 and "absent-\\xe9.csv: no such file" in err


def test_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys):
    fifo = tmp_path / "leads.csv"
    os.mkfifo(fifo)
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(run(tmp_path, fifo, capsys)[0]))
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the test run before failing it
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("importing a FIFO blocked")
    assert result == [2]


def test_a_device_is_refused(tmp_path: Path, capsys):
    code, _, err = run(tmp_path, Path("/dev/zero"), capsys)
    assert code == 2 and "/dev/zero: not a regular file" in err


def test_optout_reads_a_mac_file(tmp_path: Path, capsys):
    unsubscribes = tmp_path / "desinscrits.csv"
    unsubscribes.write_bytes(b"Email;Date\rj.dupont@dupont-sa.fr;2026-11-20\r04 78 12 34 56;\r")
    assert main(["--db", str(tmp_path / "p.db"), "optout", str(unsubscribes), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unknown"] == ["j.dupont@dupont-sa.fr", "+33478123456"]
