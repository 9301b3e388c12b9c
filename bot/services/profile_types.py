"""What a profile, a page of papers and a paper view show, as plain data.

Rendered for Discord (`bot/render/profile.py`, `bot/render/paper.py`) and the terminal
(`bot/cli_author.py`); built by `ProfileService` and `PaperLookup`. Nothing here loads the
database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.arxiv_categories import category_label
from bot.services.cards import PaperCard
from bot.services.metrics import Score
from bot.services.profile_figures import YearPoint, short_field
from bot.services.source_labels import source_label

Sort = Literal["recent", "cited"]
NO_METRICS_SOURCE = "no metrics source"


@dataclass(frozen=True, slots=True)
class Metrics:
    """Lifetime figures from one metrics source, dated when fetched; None = unknown."""

    h_index: int | None = None
    citations: int | None = None
    works_count: int | None = None
    counts_by_year: tuple[Mapping[str, Any], ...] = ()
    source: str | None = None
    as_of: datetime | None = None
    missing_reason: str | None = None  # why there are no figures at all

    @property
    def known(self) -> bool:
        return self.source is not None

    @property
    def source_label(self) -> str:
        return source_label(self.source)


# Below this many arXiv papers, OpenAlex's topics say more about an author's field than the
# categories of those few papers do.
FEW_ARXIV_PAPERS = 3


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything a profile shows, as plain data (rendered for Discord and the terminal)."""

    author_id: int
    name: str
    openalex_id: str | None
    orcid: str | None
    s2_id: str | None
    name_variants: tuple[str, ...]
    affiliations: tuple[str, ...]
    primary_category: str | None
    usual_categories: tuple[str, ...]  # most frequent primary categories first, up to 3
    metrics: Metrics
    papers_tracked: int
    novelty: Score
    ai_score: Score
    citations_year: int | None  # the "last full calendar year" the citations part used
    citations_last_year: int | None
    papers_last_24_months: int | None
    papers: tuple[PaperCard, ...]  # newest first, up to the requested limit
    years: tuple[YearPoint, ...]
    computed_at: datetime
    version: str
    notices: tuple[str, ...] = ()
    # False while the author's earlier arXiv papers could not be fetched (an outage).
    papers_complete: bool = True
    # The subfield of their main OpenAlex topic, when known (`Ecology`).
    topic_field: str | None = None
    arxiv_papers: int = 0  # tracked papers with an arXiv category
    # Works citing their papers found lately, when someone follows their citations.
    new_citations: NewCitations | None = None

    @property
    def field_source(self) -> str | None:
        """Where the primary field comes from: `arxiv` (the categories of their arXiv papers),
        `openalex_topics` (for an author with fewer than `FEW_ARXIV_PAPERS` of those), or
        None (unknown)."""
        if self.primary_category and (
            self.arxiv_papers >= FEW_ARXIV_PAPERS or not self.topic_field
        ):
            return "arxiv"
        return "openalex_topics" if self.topic_field else None

    @property
    def field_label(self) -> str | None:
        """The primary field as shown (plain text): `cs.DL · Digital Libraries`, or
        `Ecology (OpenAlex topics)`; None when unknown."""
        if self.field_source == "arxiv" and self.primary_category:
            return category_label(self.primary_category)
        return f"{self.topic_field} (OpenAlex topics)" if self.field_source else None

    @property
    def primary_field(self) -> str | None:
        """The short name of the primary category (`cs.CV` -> `CV`), or the OpenAlex topics'
        field of an author with few arXiv papers (`field_source`)."""
        source = self.field_source
        if source == "arxiv":
            return short_field(self.primary_category)
        return self.topic_field if source == "openalex_topics" else None

    @property
    def ids(self) -> dict[str, str]:
        """External ids that are known: `openalex`, `orcid`, `semantic_scholar`."""
        found = {"openalex": self.openalex_id, "orcid": self.orcid, "semantic_scholar": self.s2_id}
        return {k: v for k, v in found.items() if v}

    @property
    def chart_key(self) -> str:
        """Identifies the chart's data: same key, same picture."""
        return f"{self.author_id}:{self.version}"


@dataclass(frozen=True, slots=True)
class NewCitations:
    """Works citing the author's tracked papers that the citations job found in the last 7
    and 30 days (not the metrics source's lifetime count): counted since `watched_since` (the
    first follow of their citations), last on `counted_at` (None: the job has not run yet)."""

    week: int
    month: int
    watched_since: datetime
    counted_at: datetime | None


@dataclass(frozen=True, slots=True)
class PaperPage:
    """One page of an author's papers."""

    author_id: int
    author_name: str
    sort: Sort
    page: int  # 0-based
    pages: int
    total: int
    cards: tuple[PaperCard, ...]
    # Sorted by citations: how many of the author's papers have a count (None for `recent`).
    citations_known: int | None = None
    # Sorted by citations, per paper id of `cards`: its lifetime count (the metrics source's)
    # and the works citing it PaperScout found in the last 30 days (`citation_links`).
    lifetime: Mapping[int, int] = field(default_factory=dict)
    new_this_month: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PaperView:
    """One stored paper and the followed authors it is tracked for.

    `followed_here` (on the card, public) names only this server's channel follows;
    `you_follow` names the asker's personal follows among its authors, for the asker alone
    (personal follows are private: docs/product.md#privacy-of-follows).
    """

    card: PaperCard
    followed_here: tuple[str, ...]
    linked_authors: int
    you_follow: tuple[str, ...] = ()
