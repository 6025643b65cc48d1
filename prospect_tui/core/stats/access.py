"""Who may see whose figures: the roles table's `figures.others` (supervisors), else one's own.

The actor comes from the served session's user or the config's `supervisors` list (roles.py).
"""

from __future__ import annotations

from prospect_tui.core.roles import Actor, may, require


def caller_filter(actor: Actor, requested: str | None) -> str | None:
    """The caller to compute figures for, or None for everyone; refuses other callers' figures.

    A supervisor gets what he asks; anybody else gets his own figures whatever he asks,
    and asking for another caller's is refused (Refused, a one-line UserError).
    """
    if may(actor, "figures.others"):
        return requested
    if requested is not None and requested != actor.name:
        require(actor, "figures.others")
    return actor.name
