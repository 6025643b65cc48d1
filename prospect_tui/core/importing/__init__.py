"""Purchased lead files in: CSV/TXT in any encoding, separator and line ending; xlsx, xls, ods.

Detects the layout and the columns, dedupes on E.164, honours the do-not-call list, commits all
or nothing. Modules: columns (names and content), layout (text files), spreadsheets,
lead_file (header and mapping), phone_pool (helper processes), batch (the writer).
"""

from prospect_tui.core.importing.batch import ImportReport, default_campaign, import_file
from prospect_tui.core.importing.columns import FIELDS, field_for, parse_mapping
from prospect_tui.core.importing.layout import shown, shown_path, text_rows
from prospect_tui.core.importing.lead_file import LeadFile, MissingCompany, read_lead_file
from prospect_tui.core.importing.spreadsheets import SPREADSHEET_SUFFIXES

__all__ = [
    "FIELDS",
    "SPREADSHEET_SUFFIXES",
    "ImportReport",
    "LeadFile",
    "MissingCompany",
    "default_campaign",
    "field_for",
    "import_file",
    "parse_mapping",
    "read_lead_file",
    "shown",
    "shown_path",
    "text_rows",
]
