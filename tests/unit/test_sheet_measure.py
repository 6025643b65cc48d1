"""Hostile spreadsheets of a few KB, refused before the reader allocates (issue #17, item 7).

Each file is built by hand; each import runs `cli.main` in a child process held to 200 MB of
address space, so a reader that trusts the file aborts or fails there, not in the test run.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.unit.test_import_limits import HEADER_ROWS, XLSX_PARTS, cell

MAIN = "urn:oasis:names:tc:opendocument:xmlns"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LIMIT_MB = 200
CHILD = """
import resource, sys
limit = {limit} * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from prospect_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""
TOO_BIG = (
    "a sheet spans {rows} rows x {columns} columns; at most 5,000,000 cells and 1,000 columns"
    " are read: split it into smaller files, or save it as CSV (read as a stream, no size limit)"
)


def imported(tmp_path: Path, lead_file: Path) -> subprocess.CompletedProcess[str]:
    """`prospect --db ... import FILE` in a child held to LIMIT_MB of address space."""
    command = [sys.executable, "-c", CHILD.format(limit=LIMIT_MB), "--db", str(tmp_path / "p.db")]
    return subprocess.run([*command, "import", str(lead_file)], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def assert_refused(done: subprocess.CompletedProcess[str], lead_file: Path, reason: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-400:])
    assert done.stderr == f"prospect: error: {lead_file}: {reason}\n"


def write_xlsx(path: Path, sheet_xml: str, target: str = "worksheets/sheet1.xml") -> Path:
    """An xlsx whose workbook points at its one sheet through `target`, stored there."""
    stored = target[1:] if target.startswith("/") else "xl/" + target
    rels = XLSX_PARTS["xl/_rels/workbook.xml.rels"].replace("worksheets/sheet1.xml", target)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**XLSX_PARTS, "xl/_rels/workbook.xml.rels": rels}.items():
            archive.writestr(name, text)
        archive.writestr(stored, sheet_xml)
    return path


def worksheet(rows_xml: str) -> str:
    return (f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>{rows_xml}'
            "</sheetData></worksheet>")  # fmt: skip


FAR_ROW = f'<row r="1048576">{cell("XFD1048576", "x")}</row>'
FAR_SHEETS = {
    "in a sub-folder": ("worksheets/imported/feuille.xml", worksheet(HEADER_ROWS + FAR_ROW)),
    "outside worksheets/": ("/data/feuille.xml", worksheet(HEADER_ROWS + FAR_ROW)),
    "single-quoted r": (None, worksheet(HEADER_ROWS + FAR_ROW.replace('"', "'"))),
    "spaces around =": (None, worksheet(HEADER_ROWS + FAR_ROW.replace("r=", "r = "))),
    "a hyphenated prefix": (
        None,
        f'<?xml version="1.0"?><x-s:worksheet xmlns:x-s="{SHEET_NS}"><x-s:sheetData>'
        + (HEADER_ROWS + FAR_ROW).replace("<", "<x-s:").replace("<x-s:/", "</x-s:")
        + "</x-s:sheetData></x-s:worksheet>",
    ),
}


@pytest.mark.parametrize("case", FAR_SHEETS)
def test_an_xlsx_sheet_is_measured_wherever_and_however_it_is_written(tmp_path: Path, case: str):
    target, sheet_xml = FAR_SHEETS[case]
    path = write_xlsx(tmp_path / "far.xlsx", sheet_xml, target or "worksheets/sheet1.xml")
    assert path.stat().st_size < 2500
    done = imported(tmp_path, path)
    assert_refused(done, path, TOO_BIG.format(rows="1,048,576", columns="16,384"))


def test_an_xlsx_in_a_sub_folder_still_imports(tmp_path: Path):
    path = write_xlsx(tmp_path / "ok.xlsx", worksheet(HEADER_ROWS), "/data/feuille.xml")
    done = imported(tmp_path, path)
    assert done.returncode == 0, done.stderr
    assert "1 rows read: 1 imported" in done.stdout


def test_an_xlsx_declaring_the_whole_grid_is_refused(tmp_path: Path):
    declared = worksheet(HEADER_ROWS).replace("<sheetData>", '<dimension ref="A1:XFD1048576"/>'
                                              "<sheetData>")  # fmt: skip
    path = write_xlsx(tmp_path / "declared.xlsx", declared)
    assert_refused(imported(tmp_path, path), path, TOO_BIG.format(rows="1,048,576",
                                                                  columns="16,384"))  # fmt: skip


def test_an_entity_declaration_is_refused_unexpanded(tmp_path: Path):
    laughs = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    ) + "]>"  # fmt: skip
    sheet_xml = worksheet(HEADER_ROWS).replace("?>", "?>" + laughs)
    path = write_xlsx(tmp_path / "laughs.xlsx", sheet_xml)
    done = imported(tmp_path, path)
    assert done.returncode == 2, done.stderr[-300:]
    assert done.stderr.startswith(f"prospect: error: {path}: not a readable .xlsx spreadsheet (")
    assert done.stderr.count("\n") == 1 and "entity declaration" in done.stderr


def write_ods(path: Path, rows_xml: str) -> Path:
    content = (
        f'<?xml version="1.0"?><office:document-content xmlns:office="{MAIN}:office:1.0" '
        f'xmlns:table="{MAIN}:table:1.0" xmlns:text="{MAIN}:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="S">{rows_xml}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", f'<manifest:manifest xmlns:manifest="{MAIN}'
                         ':manifest:1.0"/>')  # fmt: skip
        archive.writestr("content.xml", content)
    return path


def ods_cell(text: str, attributes: str = "") -> str:
    return (f'<table:table-cell office:value-type="string"{attributes}><text:p>{text}</text:p>'
            "</table:table-cell>")  # fmt: skip


ODS_HEADER = (
    f"<table:table-row>{ods_cell('Société')}{ods_cell('Tél')}</table:table-row>"
    f"<table:table-row>{ods_cell('Alpha')}{ods_cell('01 42 68 53 00')}</table:table-row>"
)
# What LibreOffice writes below the data of a sheet whose rows or columns carry a style.
ODS_TRAILER = (
    '<table:table-row table:number-rows-repeated="196"><table:table-cell table:style-name="ce1"'
    ' table:number-columns-repeated="16384"/></table:table-row>'
    '<table:table-row table:number-rows-repeated="1048376"><table:table-cell'
    ' table:number-columns-repeated="10"/></table:table-row>'
)
HOSTILE_ODS = {
    "a row repeated a million times": (
        '<table:table-row table:number-rows-repeated="1048576">'
        + ods_cell("x", ' table:number-columns-repeated="100"')
        + "</table:table-row>",
        TOO_BIG.format(rows="1,048,576", columns="100"),
    ),
    "a row 16,384 cells wide, 400 times": (
        '<table:table-row table:number-rows-repeated="400">'
        + ods_cell("x", ' table:number-columns-repeated="16384"')
        + "</table:table-row>",
        TOO_BIG.format(rows="402", columns="16,384"),
    ),
    "empty rows, then one cell far below": (
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/>'
        "</table:table-row><table:table-row>"
        + ods_cell("x", ' table:number-columns-repeated="10"')
        + "</table:table-row>",
        TOO_BIG.format(rows="1,048,003", columns="10"),
    ),
    "rows repeated 0 times, stored all the same": (
        (
            '<table:table-row table:number-rows-repeated="0">'
            + ods_cell("x", ' table:number-columns-repeated="1000"')
            + "</table:table-row>"
        )
        * 6000,
        TOO_BIG.format(rows="6,002", columns="1,000"),
    ),
    "a space run of a billion": (
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p><text:s text:c="1000000000"/>'
        "</text:p></table:table-cell></table:table-row>",
        "a cell longer than 131,072 characters",
    ),
    "a long text copied to every cell of a wide row": (
        '<table:table-row table:number-rows-repeated="50">'
        + ods_cell("x" * 100_000, ' table:number-columns-repeated="999"')
        + "</table:table-row>",
        "its repeated cells expand to 4,764 MB of text, more than the 256 MB read: split it into"
        " smaller files, or save it as CSV (read as a stream, no size limit)",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_ODS)
def test_an_ods_is_measured_as_the_reader_expands_it(tmp_path: Path, case: str):
    rows_xml, reason = HOSTILE_ODS[case]
    path = write_ods(tmp_path / "hostile.ods", ODS_HEADER + rows_xml)
    assert path.stat().st_size < 6000
    assert_refused(imported(tmp_path, path), path, reason)


def test_an_ods_with_libreoffice_trailing_repeats_imports(tmp_path: Path):
    path = write_ods(tmp_path / "styled.ods", ODS_HEADER + ODS_TRAILER)
    done = imported(tmp_path, path)
    assert done.returncode == 0, done.stderr
    assert "1 rows read: 1 imported" in done.stdout


def biff(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def label(row: int, column: int, text: str) -> bytes:
    return biff(0x0204, struct.pack("<HHHHB", row, column, 15, len(text), 0) + text.encode())


def compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    """An OLE2 compound file (512-byte sectors) holding one stream, read from regular sectors."""
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\0")
    count = len(stream) // 512
    free, end = 0xFFFFFFFF, 0xFFFFFFFE
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)  # fmt: skip
    fat = [0xFFFFFFFD, end, *range(3, count + 2), end]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (entry_name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, free,
                free, child) + bytes(36) + struct.pack("<IIi", start, size, 0))  # fmt: skip

    directory = entry("Root Entry", 5, 1, end, 0) + entry(name, 2, free, 2, len(stream))
    return header + fat_sector + directory.ljust(512, b"\0") + stream


def write_xls(path: Path, sheet_records: bytes) -> Path:
    """An xls (BIFF8) of one sheet: the globals, then the sheet's records between BOF and EOF."""
    bof = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    sheet = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0)) + sheet_records

    def globals_(offset: int) -> bytes:  # the sheet's name, "S", as an 8-bit string
        return bof + biff(0x0085, struct.pack("<IBBBB", offset, 0, 0, 1, 0) + b"S") + biff(0x0A)

    stream = globals_(len(globals_(0))) + sheet + biff(0x000A)
    path.write_bytes(compound_file(stream))
    return path


def dimensions(rows: int, columns: int) -> bytes:
    return biff(0x0200, struct.pack("<IIHHH", 0, rows, 0, columns, 0))


XLS_HEADER = (label(0, 0, "Societe") + label(0, 1, "Tel") + label(1, 0, "Alpha")
              + label(1, 1, "01 42 68 53 00"))  # fmt: skip


def test_a_hand_made_xls_imports(tmp_path: Path):
    path = write_xls(tmp_path / "ok.xls", dimensions(2, 2) + XLS_HEADER)
    done = imported(tmp_path, path)
    assert done.returncode == 0, done.stderr
    assert "1 rows read: 1 imported" in done.stdout


@pytest.mark.parametrize(
    "records",
    [dimensions(65536, 256) + XLS_HEADER, dimensions(2, 2) + XLS_HEADER + label(65535, 255, "x")],
    ids=["declared", "a cell"],
)
def test_an_xls_reaching_iv65536_is_refused(tmp_path: Path, records: bytes):
    path = write_xls(tmp_path / "far.xls", records)
    assert path.stat().st_size < 6000
    assert_refused(imported(tmp_path, path), path, TOO_BIG.format(rows="65,536", columns="256"))


def test_an_xls_whose_stream_chain_loops_is_refused(tmp_path: Path):
    path = write_xls(tmp_path / "loop.xls", dimensions(2, 2) + XLS_HEADER)
    data = bytearray(path.read_bytes())
    data[512 + 4 * 9 : 512 + 4 * 10] = struct.pack("<I", 2)  # the stream's last sector: its first
    data[1024 + 128 + 120 : 1024 + 128 + 124] = struct.pack("<I", 0xFFFFFFF0)  # 4 GB long
    path.write_bytes(bytes(data))
    done = imported(tmp_path, path)
    assert done.returncode == 2, done.stderr[-300:]
    assert done.stderr == (f"prospect: error: {path}: not a readable .xls spreadsheet (a sector "
                           "chain loops or leaves the file)\n")  # fmt: skip
