"""Dates a source sends (published, updated, created, announced): plausible or unknown.

A paper dated 9999-12-31 would sort first in every list and never leave the top; one dated
0001-01-01 predates every follow, so priming silences it for good. arXiv opened in August
1991, so nothing it holds can be older than 1991-01-01, and nothing real lies more than
`FUTURE_SLACK` after now (announcement times are US Eastern and clocks drift; two days covers
both). `plausible` turns anything outside that window into None (unknown) with a warning; the
caller decides what an unknown date means for its record.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

log = logging.getLogger(__name__)

EARLIEST = datetime(1991, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)

D = TypeVar("D", date, datetime)


def plausible(value: D | None, field: str, *, now: datetime, arxiv_era: bool = True) -> D | None:
    """`value` when it lies in 1991-01-01 .. `now` + `FUTURE_SLACK`, else None (logged).

    `value` is an aware datetime or a date (a date is compared by day); `now` is aware UTC,
    from the caller's clock. `arxiv_era=False` for a work that need not be on arXiv (a 1975
    journal article): then only a future date is implausible.
    """
    if value is None:
        return None
    latest = now + FUTURE_SLACK
    if isinstance(value, datetime):
        too_early = value < EARLIEST
        too_late = value > latest
    else:
        too_early = value < EARLIEST.date()
        too_late = value > latest.date()
    if not too_late and not (arxiv_era and too_early):
        return value
    log.warning(
        "%s %s is outside %s .. %s: taken as unknown",
        field,
        value.isoformat(),
        EARLIEST.date().isoformat() if arxiv_era else "any past date",
        latest.date().isoformat(),
    )
    return None
