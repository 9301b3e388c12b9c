"""Who a typed name may stand for, as plain data: candidates, a resolution, choice labels.

Built by `AuthorResolver`, shown by `/follow`'s candidate menu and autocomplete
(`bot/render/follows.py`). Nothing here loads the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.plain_text import one_line
from bot.sources.models import AuthorRecord

MAX_CHOICES = 25  # Discord's limit for autocomplete choices and select options
CHOICE_TEXT_LIMIT = 100  # Discord's limit for a choice's name and value, a select label


def first(values: Sequence[str]) -> str | None:
    return values[0] if values else None


def works_text(count: int | None) -> str | None:
    if count is None:
        return None
    return f"{count:,} work" + ("" if count == 1 else "s")


def choice_label(name: str, hint: str | None, works_count: int | None, note: str = "") -> str:
    """`Name · hint · 9 works (note)` within Discord's 100 characters; the name is kept first."""
    extras = [p for p in (hint, works_text(works_count)) if p]
    tail = "".join(f" · {p}" for p in extras) + (f" ({note})" if note else "")
    if len(name) + len(tail) <= CHOICE_TEXT_LIMIT:
        return name + tail
    name = one_line(name, 60) if len(name) > 60 else name
    return one_line(name + tail, CHOICE_TEXT_LIMIT)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An author a query may stand for, with everything needed to store them.

    `local_id` is set for a stored author; `record` is the metrics source's record it came
    from (None for a stored author), kept for whoever stores the author with their metrics.
    """

    value: str
    display_name: str
    openalex_id: str | None = None
    local_id: int | None = None
    orcid: str | None = None
    name_variants: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    works_count: int | None = None
    usual_categories: tuple[str, ...] = ()
    s2_id: str | None = None
    research_field: str | None = None  # what they work on: `Digital Libraries`, `Ecology`
    record: AuthorRecord | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """`Joseph Mearman · Bangor University · 9 works`, at most 100 characters."""
        return choice_label(self.display_name, first(self.affiliations), self.works_count)

    @property
    def detail(self) -> str:
        """What tells homonyms apart, without the name: `Bangor University · Digital
        Libraries · 9 works` (every venue's works: the bot tracks them all)."""
        found = (first(self.affiliations), self.research_field, works_text(self.works_count))
        return " · ".join(p for p in found if p)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a query stands for: one `match`, or `candidates` (best first) to pick from.

    `notices` say what was degraded on the way (a source not answering).
    """

    query: str
    match: Candidate | None
    candidates: tuple[Candidate, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def best(self) -> Candidate:
        """The match, else the first (most plausible) candidate."""
        return self.match if self.match is not None else self.candidates[0]
