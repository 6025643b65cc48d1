"""Supervisor figures: periods, who may see what, the figures themselves, and their rendering.

`from prospect_tui.core import stats` gives the whole public surface, as before the split.
"""

from prospect_tui.core.stats.access import caller_filter
from prospect_tui.core.stats.figures import Figures, Row, callers, compute, summary
from prospect_tui.core.stats.periods import (
    PERIODS,
    Period,
    local_midnight,
    parse_day,
    period_from_options,
)
from prospect_tui.core.stats.render import BREAKDOWNS, breakdown, format_table, to_csv

__all__ = [
    "BREAKDOWNS",
    "PERIODS",
    "Figures",
    "Period",
    "Row",
    "breakdown",
    "caller_filter",
    "callers",
    "compute",
    "format_table",
    "local_midnight",
    "parse_day",
    "period_from_options",
    "summary",
    "to_csv",
]
