"""The pure arithmetic of an author profile: primary field, yearly counts, the AI Score inputs.

docs/product.md#metrics defines the numbers; the choices behind them are written here too (and in
the docstrings) so `/help metrics`, docs/product.md and the tests agree:

* **Primary field**: the most frequent primary arXiv category of the tracked papers; a tie goes
  to the category of the most recent of the tied papers. Shown by its short name (`cs.CV` ->
  `CV`, `stat.ML` -> `ML`, `hep-th` -> `hep-th`).
* **Citations in the last full calendar year**: the `cited_by_count` of the year before the
  year in which the metrics were fetched (fetched 2026-11-28 -> 2025). When that year is absent
  from `counts_by_year` the value is *unknown*, not 0: OpenAlex omits years without activity but
  also lists only the last ten years, and Semantic Scholar sends no yearly counts at all, so an
  absent year proves nothing. The AI Score then leaves that part out.
* **Papers tracked in the last 24 months**: tracked papers whose first version was published at
  or after the same day 24 months before now (Feb 29 falls back to Feb 28).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

RECENT_MONTHS = 24
CHART_MAX_YEARS = 15  # more bars than this are unreadable in a Discord-sized image


@dataclass(frozen=True, slots=True)
class YearPoint:
    """One year of the chart: citations received (None when unknown) and papers."""

    year: int
    citations: int | None
    works: int | None  # works the metrics source counts that year (None when unknown)
    papers_tracked: int


def short_field(category: str | None) -> str | None:
    """`cs.CV` -> `CV`, `stat.ML` -> `ML`, `hep-th` -> `hep-th`; None stays None."""
    if not category:
        return None
    return category.split(".", 1)[1] if "." in category else category


def primary_category(categories_newest_first: Sequence[str | None]) -> str | None:
    """The most frequent category; a tie goes to the one that appears first (most recent)."""
    present = [c for c in categories_newest_first if c]
    if not present:
        return None
    counts = Counter(present)
    best = max(counts.values())
    return next(c for c in present if counts[c] == best)


def last_full_year(metrics_as_of: datetime) -> int:
    """The last calendar year that had ended when the metrics were fetched."""
    return metrics_as_of.year - 1


def citations_in_year(counts_by_year: Iterable[Mapping[str, Any]], year: int) -> int | None:
    """`cited_by_count` of `year`, or None when the year is not listed (unknown, not zero)."""
    for row in counts_by_year:
        if row.get("year") == year:
            value = row.get("cited_by_count")
            return int(value) if isinstance(value, int) else None
    return None


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (day clamped to the month)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(f"cannot go {months} months back from {moment!r}")  # unreachable


def papers_since(published: Iterable[datetime], now: datetime, months: int = RECENT_MONTHS) -> int:
    """How many of the dates fall in the last `months` months (up to `now`)."""
    start = months_before(now, months)
    return sum(1 for moment in published if start <= moment <= now)


def year_points(
    counts_by_year: Iterable[Mapping[str, Any]],
    published: Iterable[datetime],
    *,
    max_years: int = CHART_MAX_YEARS,
) -> tuple[YearPoint, ...]:
    """Citations, works and tracked papers per year, oldest first, the last `max_years` years.

    A year listed by neither the metrics nor the papers is filled in between the first and the
    last year shown (citations unknown, 0 papers), so the x axis has no gaps.
    """
    citations: dict[int, int] = {}
    works: dict[int, int] = {}
    for row in counts_by_year:
        year = row.get("year")
        if isinstance(year, int):
            if isinstance(row.get("cited_by_count"), int):
                citations[year] = int(row["cited_by_count"])
            if isinstance(row.get("works_count"), int):
                works[year] = int(row["works_count"])
    papers = Counter(moment.year for moment in published)
    years = set(citations) | set(papers)
    if not years:
        return ()
    last = max(years)
    first = max(min(years), last - max_years + 1)
    return tuple(
        YearPoint(
            year=year,
            citations=citations.get(year),
            works=works.get(year),
            papers_tracked=papers.get(year, 0),
        )
        for year in range(first, last + 1)
    )
