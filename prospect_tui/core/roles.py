"""Who may do what: one table of actions and the roles that may do each, checked by the core
function that does the action (a menu hidden from a caller is a courtesy, not the guard).

The person comes from the served session's user record or, in a terminal, from `--user` (or
the OS user) and the config's `supervisors` list; no list at all means a one-person setup
where everybody is a supervisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prospect_tui.core import UserError

CALLER = "caller"
SUPERVISOR = "supervisor"
ROLES = (CALLER, SUPERVISOR)

# action -> (roles allowed, what the action is, in the refusal's words)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "call": (frozenset({CALLER, SUPERVISOR}), "call leads"),
    "optout": (frozenset({CALLER, SUPERVISOR}), "record an opt-out"),
    "figures.own": (frozenset({CALLER, SUPERVISOR}), "see one's own figures"),
    "figures.others": (frozenset({SUPERVISOR}), "see other callers' figures"),
    "campaign.settings": (frozenset({SUPERVISOR}), "change campaign settings"),
    "campaign.create": (frozenset({SUPERVISOR}), "create a campaign"),
    "import": (frozenset({SUPERVISOR}), "import a lead file"),
    "questionnaire.attach": (frozenset({SUPERVISOR}), "attach a questionnaire"),
    "export.own": (frozenset({CALLER, SUPERVISOR}), "export one's own opt-ins and calls"),
    "export.optins": (frozenset({SUPERVISOR}), "export every caller's opt-ins"),
    "export.calls": (frozenset({SUPERVISOR}), "export every caller's calls"),
    "export.answers": (frozenset({SUPERVISOR}), "export questionnaire answers"),
    "export.sample": (frozenset({SUPERVISOR}), "export a campaign's whole sample"),
    "report": (frozenset({SUPERVISOR}), "write the weekly report of every caller"),
    "users.admin": (frozenset({SUPERVISOR}), "manage users"),
    "purge": (frozenset({SUPERVISOR}), "purge old data"),
    "erase": (frozenset({SUPERVISOR}), "erase a person's data"),
    "consent.seal": (frozenset({SUPERVISOR}), "seal the consent log"),
}


class Refused(UserError):
    """The role of the person asking does not allow the action: one line saying why."""


@dataclass(frozen=True)
class Actor:
    """The person doing an action: a login or OS name and a role."""

    name: str
    role: str

    @property
    def supervisor(self) -> bool:
        return self.role == SUPERVISOR


def actor_from_config(name: str, supervisors: Sequence[str] | None) -> Actor:
    """A terminal user: a supervisor when named in the config's list or when there is none."""
    role = SUPERVISOR if supervisors is None or name in supervisors else CALLER
    return Actor(name, role)


def may(actor: Actor, action: str) -> bool:
    return actor.role in ACTIONS[action][0]


def require(actor: Actor, action: str) -> None:
    """Refuse `action` unless the actor's role allows it (Refused: one line, exit 2)."""
    allowed, what = ACTIONS[action]
    if actor.role not in allowed:
        roles = " or ".join(sorted(allowed))
        raise Refused(f"refused: only a {roles} may {what} ({actor.name!r} is a {actor.role})")


def require_whose(actor: Actor, action: str, caller: str | None, own: str) -> None:
    """Refuse `action` over other callers' work (`caller` None means everyone's); work
    limited to the actor's own calls needs only the `own` action."""
    require(actor, own if caller is not None and caller == actor.name else action)
