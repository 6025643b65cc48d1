"""Bounded work: spreadsheets measured before they are read, nothing left after a failure.

The spreadsheet cases run the command in a child process: on a reader that trusts the file,
they abort or exhaust that process, not the test run.
"""

from __future__ import annotations

import csv
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.importing import batch, import_file
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR

MAIN = "urn:oasis:names:tc:opendocument:xmlns"
XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org'
    '/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application'
    '/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
    ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>",
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"'
    "/></Relationships>",
}


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def write_xlsx(path: Path, rows_xml: str) -> Path:
    """A minimal xlsx written by hand, so a test can put a cell anywhere."""
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><sheetData>{rows_xml}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


HEADER_ROWS = (
    f'<row r="1">{cell("A1", "Société")}{cell("B1", "Tél")}</row>'
    f'<row r="2">{cell("A2", "Alpha")}{cell("B2", "01 42 68 53 00")}</row>'
)


def prospect(tmp_path: Path, lead_file: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "prospect_tui", "--db", str(tmp_path / "p.db"), "import"]
    return subprocess.run(
        [*command, str(lead_file)], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_cell_at_the_last_excel_address_is_refused_not_allocated(tmp_path: Path):
    far = f'<row r="1048576">{cell("XFD1048576", "x")}</row>'
    path = write_xlsx(tmp_path / "far.xlsx", HEADER_ROWS + far)
    assert path.stat().st_size < 2000
    done = prospect(tmp_path, path)
    assert done.returncode == 2, done.stderr[-300:]
    assert done.stderr == (
        f"prospect: error: {path}: a sheet spans 1,048,576 rows x 16,384 columns; at most "
        "5,000,000 cells and 1,000 columns are read: split it into smaller files, or save it as "
        "CSV (read as a stream, no size limit)\n"
    )


def _record(kind: int, data: bytes = b"") -> bytes:
    """One BIFF12 record: type and size, 7 bits a byte, then the data."""

    def varint(number: int) -> bytes:
        out = bytearray()
        while True:
            out.append(number & 0x7F | (0x80 if number >= 0x80 else 0))
            number >>= 7
            if not number:
                return bytes(out)

    return varint(kind) + varint(len(data)) + data


def _text(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def write_xlsb(
    path: Path, rows: dict[int, list[tuple[int, str]]], target: str = "worksheets/sheet1.bin"
) -> Path:
    """A minimal xlsb written by hand (no tool writes one): rows of (column, inline text), the
    sheet stored at `xl/` + `target`."""
    workbook = (
        _record(0x83)  # BrtBeginBook
        + _record(0x8F)  # BrtBeginBundleShs
        + _record(0x9C, struct.pack("<II", 0, 1) + _text("rId1") + _text("Feuil1"))
        + _record(0x90)
        + _record(0x84)
    )
    last_row, last_column = max(rows), max(c for cells in rows.values() for c, _ in cells)
    dimension = _record(0x94, struct.pack("<IIII", 0, last_row, 0, last_column))  # BrtWsDim
    sheet = bytearray(_record(0x81) + dimension + _record(0x91))  # ..., BrtBeginSheetData
    for row, cells in rows.items():
        sheet += _record(0x00, struct.pack("<IIHHI", row, 0, 300, 0, 0))  # BrtRowHdr
        for column, text in cells:  # BrtCellSt: column, style, then the text
            sheet += _record(0x06, struct.pack("<II", column, 0) + _text(text))
    sheet += _record(0x92) + _record(0x82)
    binary = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    types = XLSX_PARTS["[Content_Types].xml"].replace(
        "</Types>", f'<Default Extension="bin" ContentType="{binary}"/></Types>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", XLSX_PARTS["_rels/.rels"].replace(".xml", ".bin"))
        archive.writestr("xl/workbook.bin", workbook)
        rels = XLSX_PARTS["xl/_rels/workbook.xml.rels"].replace("worksheets/sheet1.xml", target)
        archive.writestr("xl/_rels/workbook.bin.rels", rels)
        archive.writestr("xl/" + target, bytes(sheet))
    return path


XLSB_HEADER_ROWS = {0: [(0, "Société"), (1, "Tél")], 1: [(0, "Alpha"), (1, "01 42 68 53 00")]}


@pytest.mark.parametrize("target", ["worksheets/sheet1.bin", "worksheets/imported/feuille.bin"])
def test_an_xlsb_is_read_and_its_last_cell_measured_first(tmp_path: Path, target: str):
    small = write_xlsb(tmp_path / "leads.xlsb", XLSB_HEADER_ROWS, target)
    done = prospect(tmp_path, small)
    assert done.returncode == 0, done.stderr[-300:]
    assert "1 imported" in done.stdout, done.stdout

    far_rows = {**XLSB_HEADER_ROWS, 1048575: [(16383, "x")]}
    far = write_xlsb(tmp_path / "far.xlsb", far_rows, target)
    assert far.stat().st_size < 2000
    done = prospect(tmp_path, far)
    assert done.returncode == 2, done.stderr[-300:]  # the reader aborts (-6) without the check
    assert done.stderr == (
        f"prospect: error: {far}: a sheet spans 1,048,576 rows x 16,384 columns; at most "
        "5,000,000 cells and 1,000 columns are read: split it into smaller files, or save it as "
        "CSV (read as a stream, no size limit)\n"
    )


def test_a_zip_bomb_is_refused_from_its_declared_size(tmp_path: Path):
    filler = "<!--" + " " * (300 * 1024 * 1024) + "-->"
    path = write_xlsx(tmp_path / "bomb.xlsx", HEADER_ROWS + filler)
    assert path.stat().st_size < 2 * 1024 * 1024
    done = prospect(tmp_path, path)
    assert done.returncode == 2
    assert "unpacks to 300 MB, more than the 256 MB read: split it" in done.stderr


def test_an_ods_row_repeated_a_million_times_is_measured(tmp_path: Path):
    wide = (
        '<table:table-row><table:table-cell table:number-columns-repeated="16384"'
        ' office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    )
    content = (
        f'<?xml version="1.0"?><office:document-content xmlns:office="{MAIN}:office:1.0" '
        f'xmlns:table="{MAIN}:table:1.0" xmlns:text="{MAIN}:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="S">'
        f"{wide * 400}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "wide.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", f'<manifest:manifest xmlns:manifest="{MAIN}'
                         ':manifest:1.0"/>')  # fmt: skip
        archive.writestr("content.xml", content)
    done = prospect(tmp_path, path)
    assert done.returncode == 2
    assert "a sheet spans 400 rows x 16,384 columns" in done.stderr


def test_a_failed_commit_leaves_no_rejects_file(tmp_path: Path, store: Store, monkeypatch):
    lead_file = tmp_path / "in.csv"
    lead_file.write_text("Société;Tél\r\nAlpha;n.c.\r\nBeta;01 42 68 53 00\r\n", encoding="utf-8")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt  # as a kill would, between the rows and the commit

    monkeypatch.setattr(batch, "_finish_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_file(store, lead_file, campaign="c", actor=A_SUPERVISOR)
    assert sorted(p.name for p in store.path.parent.iterdir() if "rejects" in p.name) == []
    assert store.count_leads() == 0


def test_the_rejects_file_appears_with_the_commit(tmp_path: Path, store: Store, monkeypatch):
    lead_file = tmp_path / "in.csv"
    lead_file.write_text("Société;Tél\r\nAlpha;n.c.\r\nBeta;01 42 68 53 00\r\n", encoding="utf-8")
    target = tmp_path / "rejects.csv"
    seen_at_commit: list[bool] = []
    finish = batch._finish_batch

    def spy(conn: object, report: batch.ImportReport) -> None:
        seen_at_commit.append(target.exists())
        finish(conn, report)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "_finish_batch", spy)
    report = import_file(store, lead_file, campaign="c", rejects_path=target, actor=A_SUPERVISOR)
    assert seen_at_commit == [False]
    assert report.rejects_file == str(target) and target.stat().st_mode & 0o777 == 0o600


def test_a_sheet_name_is_cut_in_the_error(tmp_path: Path, store: Store):
    path = write_xlsx(tmp_path / "s.xlsx", HEADER_ROWS)
    with pytest.raises(UserError) as error:
        import_file(store, path, campaign="c", sheet="x" * 500, actor=A_SUPERVISOR)
    assert len(str(error.value)) < len(str(path)) + 160


@pytest.mark.parametrize("chunk", [1, 5, 17, 1024 * 1024])
def test_xlsb_records_are_measured_across_read_chunks(tmp_path: Path, monkeypatch, chunk: int):
    from prospect_tui.core.importing import sheet_measure

    long_text = "x" * 300  # a record longer than a chunk, and sizes written on two bytes
    rows = {0: [(0, "Société"), (1, long_text)], 41: [(2, "a"), (7, long_text)], 42: [(3, "b")]}
    path = write_xlsb(tmp_path / "chunks.xlsb", rows)
    monkeypatch.setattr(sheet_measure, "_SCAN_CHUNK", chunk)
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.bin") as part:
        extent = sheet_measure.xlsb_extent(part)
    assert (extent.rows, extent.columns) == (43, 8)


def test_a_phone_rounded_by_excel_goes_to_the_rejects_with_its_reason(tmp_path: Path, capsys):
    """`1.4E+08` is how Excel shows 0140123456 in a narrow column: not a number to call."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    rows = [["Société", "Tél"], ["Rounded", "1.4E+08"], ["Rounded FR", "1,4E+08"],
            ["Exact", "1.40123456E+08"], ["Exact FR", "1,40123457E+08"],
            ["Float", 960381322.0]]  # fmt: skip
    for row in rows:
        book.active.append(row)
    path = tmp_path / "sci.xlsx"
    book.save(path)
    rejects = tmp_path / "rejects.csv"
    store_path = tmp_path / "p.db"
    code = main(["--db", str(store_path), "import", str(path), "--rejects", str(rejects)])
    assert code == 0
    out = capsys.readouterr().out
    assert "5 rows read: 3 imported, 0 duplicates, 2 invalid phone numbers" in out
    with open(rejects, encoding="utf-8-sig", newline="") as stream:
        rows_out = csv.DictReader(stream, delimiter=";")
        rejected = [(row["reason"], row["Société"]) for row in rows_out]
    assert rejected == [("rounded_phone", "Rounded"), ("rounded_phone", "Rounded FR")]
    store = Store(store_path)
    phones = store.rows("SELECT company, phone_e164 FROM leads ORDER BY id")
    store.close()
    assert [(p["company"], p["phone_e164"]) for p in phones] == [
        ("Exact", "+33140123456"),
        ("Exact FR", "+33140123457"),
        ("Float", "+33960381322"),
    ]
