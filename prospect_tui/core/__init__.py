"""The UI-free core: store, phones, emails, import, dialing, consent, export, stats.

Nothing under this package may import textual or rich (tests/unit/test_import_hygiene.py).
"""


class UserError(Exception):
    """A mistake the user can fix (bad file, unknown campaign...): one line, exit 2."""


def printable(text: str) -> str:
    """`text` with the bytes of a non-UTF-8 file name or argument (which Python keeps as
    surrogate escapes) shown as \\xNN, so that it can be printed and stored."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no decoding made: escape it as it is
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")
