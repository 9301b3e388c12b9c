"""Author profiles (docs/product.md#the-profile-card): stored papers plus the metrics record.

`ProfileService.profile(text)` finds the author what the user typed stands for (`AuthorLookup`:
a name, an OpenAlex id, an ORCID or an autocomplete value; an author the bot never met is
fetched and stored), fetches their papers again when an earlier fetch failed
(`PaperHistory`), refreshes metrics older than their maximum age (`MetricsOnView`) and returns
a plain `Profile` (`profile_types`). Every number carries its source and date; a number that
is not known is None with the reason, never made up. When no source is configured or
reachable and nothing is cached, the metrics say `n/a: no metrics source` (or why); when a
source is down, cached metrics are shown with their date and a notice saying so.

Speed: a profile is cached in memory per author and data version (papers tracked, metrics date,
author row update time) for `cache_seconds`, so a popular profile costs two indexed queries.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import BadInput, NotFoundError
from bot.names import NameIndex
from bot.services.author_lookup import AuthorLookup
from bot.services.author_query import AuthorQuery, parse_author_query
from bot.services.author_resolver import Viewer
from bot.services.cards import paper_card
from bot.services.citation_watch import JOB_KEY as CITATIONS_JOB_KEY
from bot.services.metrics import ai_score, novelty
from bot.services.metrics_on_view import MetricsOnView
from bot.services.paper_history import DOWN_NOTICES, PaperHistory
from bot.services.profile_figures import (
    citations_in_year,
    last_full_year,
    papers_since,
    primary_category,
    year_points,
)
from bot.services.profile_types import (
    NO_METRICS_SOURCE,
    Metrics,
    NewCitations,
    PaperPage,
    Profile,
    Sort,
)
from db.database import Database
from db.models import Author
from db.models import Paper as StoredPaper
from db.repositories.authors import AuthorRepository
from db.repositories.citation_follows import CitationFollowRepository
from db.repositories.citations import CitationRepository
from db.repositories.feeds import FeedStateRepository
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

RECENT_COUNT = 5
PAGE_SIZE = 5
CACHE_SECONDS = 600.0
# A hot profile is served from memory without asking the database for this long: a paper or
# metrics change shows up at most this late. This is what keeps 200 concurrent views cheap.
RECHECK_SECONDS = 10.0
CACHE_ENTRIES = 2048
NOVELTY_IN_THREAD = 60  # papers: above this, TF-IDF runs off the event loop


@dataclass(slots=True)
class _Cached:
    version: str
    stamp: float  # when computed
    checked: float  # when the database last confirmed `version`
    profile: Profile


class ProfileService:
    """Builds author profiles and pages of their papers."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        lookup: AuthorLookup,
        history: PaperHistory,
        metrics: MetricsOnView,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._database = database
        self._clock = clock
        self._lookup = lookup
        self._history = history
        self._metrics = metrics
        self.cache_seconds = cache_seconds
        self._profiles: OrderedDict[tuple[int, int | None], _Cached] = OrderedDict()

    # --- public API -----------------------------------------------------------------------

    @staticmethod
    def check_query(text: str | None) -> AuthorQuery:
        """Validate what the user typed before deferring (pure; raises `BadInput`)."""
        return parse_author_query(text)

    def cached(self, query: AuthorQuery, *, viewer: Viewer | None = None) -> Profile | None:
        """The profile `query` (from `check_query`) names when it is hot in memory (no I/O at
        all), else None.

        Only a profile whose data version the database confirmed in the last
        `RECHECK_SECONDS`, and that carries no notices, is returned; the caller then needs no
        defer. Anything else goes through `profile`.
        """
        author_id = self._lookup.remembered(query, viewer)
        if author_id is None:
            return None
        entry = self._profiles.get((author_id, RECENT_COUNT))
        now = self._clock.monotonic()
        if entry is None or now - entry.checked > RECHECK_SECONDS:
            return None
        if now - entry.stamp > self.cache_seconds:
            return None
        return entry.profile

    async def profile(
        self,
        text: str,
        *,
        paper_limit: int | None = RECENT_COUNT,
        viewer: Viewer | None = None,
    ) -> Profile:
        """The profile of the author `text` names; `paper_limit` None lists every paper.

        `viewer` is who asks (their server and user id): a name finds the stored authors they
        may see, as `/follow author` does. None (the terminal command) sees every one.
        """
        query = parse_author_query(text)
        author_id, notices = await self._lookup.resolve(query, viewer)
        return await self._profile_of(author_id, notices, paper_limit)

    async def compare(
        self, first: str, second: str, *, viewer: Viewer | None = None
    ) -> tuple[Profile, Profile]:
        """Two profiles side by side (resolved one after the other: arXiv wants 3 s spacing)."""
        a = await self.profile(first, viewer=viewer)
        b = await self.profile(second, viewer=viewer)
        if a.author_id == b.author_id:
            raise BadInput("Those are the same author twice. Pick two different authors.")
        return a, b

    async def compare_with(
        self, author_id: int, second: str, *, viewer: Viewer | None = None
    ) -> tuple[Profile, Profile]:
        """A stored author (already shown publicly) side by side with the author `second` names.

        For the Compare button under a profile. Side one is loaded by its stored id, not
        resolved again: the profile is already public in the channel, so whoever presses the
        button need not be allowed to look that author up. Only `second` is resolved, for
        `viewer`.
        """
        query = parse_author_query(second)
        a = await self._profile_of(author_id, [], RECENT_COUNT)
        second_id, notices = await self._lookup.resolve(query, viewer)
        if second_id == author_id:
            raise BadInput("Those are the same author twice. Pick two different authors.")
        b = await self._profile_of(second_id, notices, RECENT_COUNT)
        return a, b

    async def resolve_author_id(self, text: str, *, viewer: Viewer | None = None) -> int:
        """The stored id of the author `text` names (fetched on demand when new)."""
        author_id, _notices = await self._lookup.resolve(parse_author_query(text), viewer)
        return author_id

    async def papers(
        self, text: str, *, sort: Sort = "recent", viewer: Viewer | None = None
    ) -> PaperPage:
        """The first page of the author's papers."""
        author_id = await self.resolve_author_id(text, viewer=viewer)
        return await self.papers_page(author_id, sort=sort, page=0)

    async def papers_page(self, author_id: int, *, sort: Sort, page: int) -> PaperPage:
        """Page `page` (0-based, clamped) of a stored author's papers, `PAGE_SIZE` per page."""
        async with self._database.reader() as session:
            author = await AuthorRepository(session).get(author_id)
            if author is None:
                raise NotFoundError("That author is no longer stored. Run the command again.")
            papers_repo = PaperRepository(session)
            total = await papers_repo.count_for_author(author_id)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            rows = await papers_repo.papers_for_author(
                author_id, order=sort, limit=PAGE_SIZE, offset=page * PAGE_SIZE
            )
            known = await papers_repo.count_cited_for_author(author_id) if sort == "cited" else None
            month: dict[int, int] = {}
            if sort == "cited":
                month = await CitationRepository(session).gained_per_paper(
                    (p.id for p in rows), since=self._clock.now() - timedelta(days=30)
                )
            name = author.display_name
        cards = tuple(paper_card(p, (name,)) for p in rows)
        lifetime = (
            {p.id: p.citations for p in rows if p.citations is not None} if sort == "cited" else {}
        )
        return PaperPage(author_id, name, sort, page, pages, total, cards, known, lifetime, month)

    # --- building ---------------------------------------------------------------------------

    async def _profile_of(
        self, author_id: int, notices: list[str], paper_limit: int | None
    ) -> Profile:
        now = self._clock.now()
        author, count, gained = await self._stored(author_id, now)
        if author.papers_fetched_at is None and not set(DOWN_NOTICES.values()) & set(notices):
            # An earlier fetch failed (not this very call's): try again now.
            history = await self._history.complete(author)
            notices = notices + list(history.notices)
            author, count, gained = await self._stored(author_id, now)
        reason: str | None = None
        metrics_trouble = any(n.startswith(("OpenAlex", "Semantic")) for n in notices)
        if self._metrics.stale(author, now):
            if self._metrics.configured:
                outcome = await self._metrics.refresh(author)
                notices = notices + outcome.notices
                metrics_trouble = metrics_trouble or bool(outcome.notices)
                reason = outcome.reason
                author, count, gained = await self._stored(author_id, now)
            else:
                reason = NO_METRICS_SOURCE
        if author.metrics_as_of is not None and metrics_trouble:
            stamp = author.metrics_as_of.strftime("%d %b %Y")
            notices.append(f"Showing the metrics cached on {stamp}.")
        if author.metrics_as_of is None and reason is None:
            reason = "metrics source unreachable" if notices else NO_METRICS_SOURCE
        version = f"{count}:{author.metrics_as_of}:{author.updated_at}:{gained}"
        key = (author_id, paper_limit)
        cached = self._profiles.get(key)
        if (
            cached is not None
            and cached.version == version
            and self._clock.monotonic() - cached.stamp < self.cache_seconds
            and not notices
        ):
            self._profiles.move_to_end(key)
            cached.checked = self._clock.monotonic()
            return cached.profile
        async with self._database.reader() as session:
            papers = await PaperRepository(session).papers_for_author(
                author_id, order="recent", limit=max(count, 1)
            )
        profile = await self._compute(
            author, papers, version, now, notices, reason, paper_limit, gained
        )
        if not notices:
            stamp = self._clock.monotonic()
            self._profiles[key] = _Cached(version, stamp, stamp, profile)
            while len(self._profiles) > CACHE_ENTRIES:
                self._profiles.popitem(last=False)
        return profile

    async def _stored(
        self, author_id: int, now: datetime
    ) -> tuple[Author, int, NewCitations | None]:
        """The author as stored, their papers tracked, and the works citing them found in the
        last 7 and 30 days when someone follows their citations (None: nobody watches, so
        nothing is counted): one read."""
        async with self._database.reader() as session:
            author = await AuthorRepository(session).get(author_id)
            if author is None:
                raise NotFoundError("That author is no longer stored. Run the command again.")
            count = await PaperRepository(session).count_for_author(author_id)
            since = await CitationFollowRepository(session).watched_since(author_id)
            if since is None:
                return author, count, None
            citations = CitationRepository(session)
            week = await citations.gained(author_id, since=now - timedelta(days=7))
            month = await citations.gained(author_id, since=now - timedelta(days=30))
            job = await FeedStateRepository(session).get(CITATIONS_JOB_KEY)
        counted = job.last_success_at if job is not None else None
        return author, count, NewCitations(week, month, since, counted)

    async def _compute(
        self,
        author: Author,
        papers: Sequence[StoredPaper],
        version: str,
        now: datetime,
        notices: list[str],
        reason: str | None,
        paper_limit: int | None,
        gained: NewCitations | None,
    ) -> Profile:
        oldest_first = sorted(papers, key=lambda p: (p.published, p.id))
        texts = [f"{p.title} {p.abstract}" for p in oldest_first]
        if len(texts) > NOVELTY_IN_THREAD:
            novelty_score = await asyncio.to_thread(novelty, texts)
        else:
            novelty_score = novelty(texts)
        metrics = _metrics_of(author, reason)
        year = last_full_year(metrics.as_of) if metrics.as_of else None
        cited_last_year = (
            citations_in_year(metrics.counts_by_year, year) if year is not None else None
        )
        recent_24 = papers_since((p.published for p in papers), now)
        shown = papers if paper_limit is None else papers[:paper_limit]
        return Profile(
            author_id=author.id,
            name=author.display_name,
            openalex_id=author.openalex_id,
            orcid=author.orcid,
            s2_id=author.s2_id,
            name_variants=tuple(author.name_variants or ()),
            affiliations=_affiliations(author, papers),
            primary_category=primary_category([p.primary_category for p in papers]),
            usual_categories=tuple(
                c for c, _ in Counter(p.primary_category for p in papers).most_common(3) if c
            ),
            metrics=metrics,
            papers_tracked=len(papers),
            novelty=novelty_score,
            ai_score=ai_score(metrics.h_index, cited_last_year, recent_24),
            citations_year=year,
            citations_last_year=cited_last_year,
            papers_last_24_months=recent_24,
            papers=tuple(paper_card(p, (author.display_name,)) for p in shown),
            years=year_points(metrics.counts_by_year, (p.published for p in papers)),
            computed_at=now,
            version=version,
            notices=tuple(dict.fromkeys(notices)),
            papers_complete=author.papers_fetched_at is not None,
            topic_field=author.topic_field,
            arxiv_papers=sum(1 for p in papers if p.primary_category),
            new_citations=gained,
        )


def _metrics_of(author: Author, reason: str | None) -> Metrics:
    if author.metrics_as_of is None or author.metrics_source is None:
        return Metrics(missing_reason=reason or NO_METRICS_SOURCE)
    return Metrics(
        h_index=author.h_index,
        citations=author.citations,
        works_count=author.works_count,
        counts_by_year=tuple(author.counts_by_year or ()),
        source=author.metrics_source,
        as_of=author.metrics_as_of,
    )


def _affiliations(author: Author, papers: Sequence[StoredPaper]) -> tuple[str, ...]:
    """The source's affiliations, else those on the author's line of their latest paper."""
    if author.affiliations:
        return tuple(author.affiliations)
    index: NameIndex[int] = NameIndex()
    for name in (author.display_name, *(author.name_variants or ())):
        index.add(0, name)
    for paper in papers:
        for line in paper.authors:
            if line.affiliations and index.match(line.name):
                return tuple(line.affiliations)
    return ()
