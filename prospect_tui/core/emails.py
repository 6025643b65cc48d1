"""Email addresses heard on the phone: syntax check and normal form (email-validator).

Deliverability (DNS) is never checked here: this runs on every keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email


@dataclass(frozen=True)
class EmailCheck:
    typed: str
    normalized: str  # "" when the address is not valid
    error: str  # "" when the address is valid

    @property
    def ok(self) -> bool:
        return not self.error


def check_email(typed: str) -> EmailCheck:
    """Validate syntax only (check_deliverability=False); the normalized form is what we store."""
    text = typed.strip()
    if not text:
        return EmailCheck(typed, "", "Type the address.")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        return EmailCheck(typed, "", str(error))
    return EmailCheck(typed, result.normalized, "")
