"""The UI-free core: store, phones, emails, import, dialing, consent, export, stats.

Nothing under this package may import textual or rich (tests/unit/test_import_hygiene.py).
"""


class UserError(Exception):
    """A mistake the user can fix (bad file, unknown campaign...): one line, exit 2."""
