"""Where a lead came from, as stored on it: the lead file's name and the vendor who sold it.

The lead keeps both (GDPR art. 14: name the source); a script read aloud names the vendor,
never a file name.
"""

from __future__ import annotations

import re

LEAD_FILE_SUFFIXES = ("csv", "tsv", "txt", "xls", "xlsx", "xlsm", "xlsb", "ods")
_SUFFIX = "|".join(LEAD_FILE_SUFFIXES)
_WITH_VENDOR = re.compile(rf"^[^()]*\.(?:{_SUFFIX}) \((?P<vendor>.*)\)$", re.IGNORECASE)
_FILE_ONLY = re.compile(rf"^[^()]*\.(?:{_SUFFIX})$", re.IGNORECASE)


def provenance(file_name: str, vendor: str) -> str:
    """What a lead's `source` holds: `leads.csv (Vendor)`, or the file name alone."""
    return f"{file_name} ({vendor})" if vendor else file_name


def vendor_of(source: str) -> str:
    """The vendor in a lead's `source` ('' when the import named none): the inverse of
    `provenance` for imported leads; a source that is no file name is a vendor already."""
    if found := _WITH_VENDOR.match(source):
        return found["vendor"]
    return "" if _FILE_ONLY.match(source) else source
