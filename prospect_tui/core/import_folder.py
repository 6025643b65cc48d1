"""Where a served session takes lead files from: the administrator's import folder and the
session's own uploads; no typed path opens anything outside them.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from prospect_tui.core import UserError, printable

UPLOADS = ".uploads"  # inside the import folder: one private folder per browser session
# Set by `prospect serve` in the environment of each app it starts for a browser.
IMPORTS_VARIABLE = "PROSPECT_SERVED_IMPORTS"
UPLOADS_VARIABLE = "PROSPECT_SERVED_UPLOADS"
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
MAX_LISTED = 500
MAX_NAME = 80
SHOWN_CHARS = 100


def lead_suffixes() -> frozenset[str]:
    # Imported here: the server checks upload names without loading the whole importer.
    from prospect_tui.core.importing.spreadsheets import SPREADSHEET_SUFFIXES

    return TEXT_SUFFIXES | SPREADSHEET_SUFFIXES


def _shown(typed: str) -> str:
    line = "".join(c if c.isprintable() else "?" for c in printable(typed))
    return line if len(line) <= SHOWN_CHARS else line[: SHOWN_CHARS - 1] + "…"


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


def inside(folder: Path, typed: str) -> Path:
    """The file `typed` names (relative to `folder`, or absolute), symlinks resolved; refused
    unless it lies inside `folder` and outside its hidden entries (other sessions' uploads).

    Every refusal is one line naming what was typed, never anything read from a file, and
    the same whether or not the file exists: nothing is learnt about the disk outside.
    """
    text = typed.strip()
    if not text:
        raise UserError("name a lead file")
    name = _shown(text)
    if ".." in PurePath(text).parts:
        raise UserError(f"refused: {name}: '..' is not allowed, name a file of the import folder")
    try:
        root = folder.resolve(strict=True)
        target = (folder / text).resolve()  # an absolute `text` replaces `folder`
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte, no folder
        raise UserError(f"refused: {name}: not a file of the import folder") from None
    if target != root and root not in target.parents:
        raise UserError(f"refused: {name} is outside the import folder")
    if _hidden(target.relative_to(root).parts):
        raise UserError(f"refused: {name}: hidden files are not offered")
    return target


def lead_files(folder: Path) -> list[str]:
    """The lead files of `folder` and its sub-folders as names to type, hidden ones and
    symlinks out of it left out; at most MAX_LISTED, sorted."""
    suffixes = lead_suffixes()
    names: list[str] = []
    for place, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for file_name in sorted(files):
            relative = os.path.relpath(os.path.join(place, file_name), folder)
            if Path(file_name).suffix.lower() not in suffixes or file_name.startswith("."):
                continue
            try:
                inside(folder, relative)
            except UserError:
                continue
            names.append(relative)
            if len(names) >= MAX_LISTED:
                return names
    return names


def session_uploads(imports: Path, session_id: str) -> Path:
    """The folder of one browser session's uploads (named after a hash: the id stays secret)."""
    return imports / UPLOADS / hashlib.sha256(session_id.encode()).hexdigest()[:32]


def upload_name(filename: str) -> str:
    """A browser's file name made safe to save: no folder, no hidden name, no control or
    separator character, a lead file's suffix; refused when the suffix is not a lead file's."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", filename)[-1])
    clean = "".join(c if c.isalnum() or c in "._- " else "_" for c in base)
    path = PurePath(clean)
    suffix = path.suffix.lower()
    if suffix not in lead_suffixes():
        kinds = ", ".join(sorted(s.lstrip(".") for s in lead_suffixes()))
        raise UserError(f"{_shown(base)}: not a lead file (one of {kinds})")
    stem = path.stem.strip(" ._-")[:MAX_NAME] or "leads"
    return stem + suffix


@dataclass(frozen=True)
class SessionFolders:
    """A served session's sources of lead files: the import folder and its own uploads."""

    imports: Path | None
    uploads: Path | None

    @classmethod
    def from_environment(cls) -> SessionFolders:
        """The folders `prospect serve` gave this app (none when it gave none)."""
        imports, uploads = os.environ.get(IMPORTS_VARIABLE), os.environ.get(UPLOADS_VARIABLE)
        return cls(Path(imports) if imports else None, Path(uploads) if uploads else None)

    def environment(self) -> dict[str, str]:
        """The variables that hand these folders to an app process (from_environment)."""
        chosen = {IMPORTS_VARIABLE: self.imports, UPLOADS_VARIABLE: self.uploads}
        return {name: str(path) if path else "" for name, path in chosen.items()}

    def uploaded(self) -> list[str]:
        if self.uploads is None or not self.uploads.is_dir():
            return []
        return lead_files(self.uploads)

    def shared(self) -> list[str]:
        if self.imports is None or not self.imports.is_dir():
            return []
        return lead_files(self.imports)

    def resolve(self, typed: str) -> Path:
        """The file a name typed in the session stands for: an upload of this session by
        its name, else a file of the import folder; anything else is refused."""
        if self.uploads is not None and typed.strip() in self.uploaded():
            return inside(self.uploads, typed)
        if self.imports is None:
            raise UserError("no import folder: upload the file from the session page")
        return inside(self.imports, typed)


def serving_folder(chosen: Path | None, database: Path, secrets: list[Path]) -> Path:
    """The import folder `prospect serve` offers: `chosen`, else imports/ beside the database
    (created owner-only); refused when it holds the database or a secret such as the key."""
    from prospect_tui.core.files import private_folder

    folder = chosen if chosen is not None else database.parent / "imports"
    if chosen is None:
        private_folder(folder)
    if not folder.is_dir():
        raise UserError(f"--import-folder {_shown(str(folder))}: no such folder")
    root = folder.resolve()
    for kept in (database, *secrets):
        if root in kept.resolve().parents:
            raise UserError(
                f"--import-folder {_shown(str(folder))} holds {_shown(str(kept))}:"
                " choose a folder of lead files only"
            )
    return root
