"""The outcomes a caller records, their keys, and what each does to the lead.

Codes are a contract (calls CSV, stats JSON): extend, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    code: str
    key: str
    label: str
    final: bool  # the lead is finished, never offered again
    reached: str  # who picked up: "none", "switchboard" or "manager"


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("no_answer", "1", "No answer", False, "none"),
    Outcome("busy", "2", "Busy", False, "none"),
    Outcome("voicemail", "3", "Voicemail", False, "none"),
    Outcome("switchboard", "4", "Switchboard", False, "switchboard"),
    # A callback reached the manager unless the switchboard set it (see reached_for).
    Outcome("callback", "5", "Callback", False, "manager"),
    Outcome("refused", "6", "Refused", True, "manager"),
    Outcome("opt_in", "7", "Opt-in", True, "manager"),
    Outcome("wrong_number", "8", "Wrong number", True, "none"),
    Outcome("do_not_call", "9", "Do not call", True, "switchboard"),
    Outcome("not_qualified", "0", "Not qualified", True, "switchboard"),
)

# An interview finished in the questionnaire panel (Enter): bound to no digit, so OUTCOMES
# stays the ten keyed outcomes and no outcome key changes.
COMPLETED = Outcome("completed", "", "Completed", True, "manager")

BY_CODE: dict[str, Outcome] = {o.code: o for o in (*OUTCOMES, COMPLETED)}
# The keyed outcomes, zero-filled in the stats; `completed` shows there once it was recorded.
CODES: tuple[str, ...] = tuple(o.code for o in OUTCOMES)

# Finished without a caller's outcome: the attempt cap was reached.
MAX_ATTEMPTS = "max_attempts"
