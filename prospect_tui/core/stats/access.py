"""Who may see whose figures: supervisors see everyone's, a caller only his own.

The `supervisors` list comes from the config; no list at all means everyone is a supervisor.
"""

from __future__ import annotations

from collections.abc import Mapping

from prospect_tui.core import UserError


class AccessDenied(UserError):
    """A caller who is not a supervisor asked for somebody else's figures."""


def supervisors(config: Mapping[str, object]) -> list[str] | None:
    """The configured supervisors, or None when the config has no list (everyone sees all)."""
    found = config.get("supervisors")
    if found is None:
        return None
    if not isinstance(found, list) or not all(isinstance(name, str) for name in found):
        raise UserError("config: 'supervisors' must be a list of names, e.g. [\"anne\"]")
    return [name.strip() for name in found]


def allowed_callers(config: Mapping[str, object], who: str) -> frozenset[str] | None:
    """Callers whose figures `who` may see: None means all of them (a supervisor)."""
    names = supervisors(config)
    if names is None or who in names:
        return None
    return frozenset({who})


def caller_filter(config: Mapping[str, object], who: str, requested: str | None) -> str | None:
    """The caller to compute figures for, or None for everyone; refuses other callers' figures.

    A supervisor gets what he asks; anybody else gets his own figures whatever he asks,
    and asking for another caller's is refused (AccessDenied, a one-line UserError).
    """
    allowed = allowed_callers(config, who)
    if allowed is None:
        return requested
    if requested is not None and requested not in allowed:
        raise AccessDenied(
            f"access refused: only supervisors see other callers' figures ({who!r} is not in"
            " the config's 'supervisors' list)"
        )
    return who
