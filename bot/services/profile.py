"""Author profiles (docs/product.md#the-profile-card): stored papers plus the metrics record.

`ProfileService.profile(text)` resolves what the user typed (a name, an OpenAlex id, an ORCID,
or an autocomplete value) with the shared `AuthorResolver` (the one `/follow author` uses: stored
authors the asker may see by name, then OpenAlex, then Semantic Scholar), fetches an author the
bot has never seen on demand (the resolved record, and the arXiv papers by name that are theirs:
confirmed by OpenAlex or vouched for by the homonym guard, see `author_fetch`), refreshes
metrics older than `metrics_max_age`, and returns a plain `Profile`. Every number carries its
source and date; a number that is not known is None with the reason, never made up.

Metrics come from OpenAlex, else Semantic Scholar; a source whose base URL is empty in the
settings is "not configured". When no source is configured or reachable and nothing is cached,
the metrics say `n/a: no metrics source` (or why). When a source is down, cached metrics are
still shown with their date and the profile carries a notice saying so.

Speed: a profile is cached in memory per author and data version (papers tracked, metrics date,
author row update time) for `cache_seconds`, so a popular profile costs two indexed queries.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from bot.clock import Clock
from bot.config import Settings
from bot.errors import BadInput, NotFoundError, UpstreamDown
from bot.names import NameIndex, names_match
from bot.services.author_fetch import store_author, store_metrics
from bot.services.author_query import AuthorQuery, parse_author_query
from bot.services.author_resolver import (
    DOWN_SECONDS,
    UPSTREAM_BUDGET_SECONDS,
    AuthorNotFound,
    AuthorResolver,
    SearchUnavailable,
    UpstreamGuard,
    Viewer,
    build_author_resolver,
)
from bot.services.cards import PaperCard, paper_card
from bot.services.cutoff_fence import CutoffFence
from bot.services.metrics import Score, ai_score, novelty
from bot.services.metrics_refresh import MetricsRefresher, RefreshReport
from bot.services.name_keys_upkeep import refresh_name_keys
from bot.services.paper_history import ARXIV_DOWN, PaperHistory
from bot.services.profile_figures import (
    YearPoint,
    citations_in_year,
    last_full_year,
    papers_since,
    primary_category,
    short_field,
    year_points,
)
from bot.services.single_flight import shared
from bot.services.source_labels import SOURCE_LABELS, source_label
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_ids import split_version
from bot.sources.errors import NotFound, SourceError
from bot.sources.factory import Sources
from bot.sources.models import AuthorRecord
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from db.database import Database
from db.models import Author, Follow
from db.models import Paper as StoredPaper
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

T = TypeVar("T")
Sort = Literal["recent", "cited"]

RECENT_COUNT = 5
PAGE_SIZE = 5
METRICS_MAX_AGE = timedelta(hours=36)  # the daily job plus slack; older is refreshed on view
CACHE_SECONDS = 600.0
# A hot profile is served from memory without asking the database for this long: a paper or
# metrics change shows up at most this late. This is what keeps 200 concurrent views cheap.
RECHECK_SECONDS = 10.0
CACHE_ENTRIES = 2048
NOVELTY_IN_THREAD = 60  # papers: above this, TF-IDF runs off the event loop

__all__ = ["DOWN_SECONDS", "SOURCE_LABELS", "ProfileService", "source_label"]
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

    @property
    def primary_field(self) -> str | None:
        """The short name of the primary category (`cs.CV` -> `CV`)."""
        return short_field(self.primary_category)

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


@dataclass(frozen=True, slots=True)
class PaperView:
    """One stored paper and the followed authors it is tracked for.

    `followed_here` (on the card, public) names only this server's channel follows;
    `you_follow` names the asker's personal follows among its authors, for the asker alone
    (docs/product.md#privacy-of-follows: personal follows are private).
    """

    card: PaperCard
    followed_here: tuple[str, ...]
    linked_authors: int
    you_follow: tuple[str, ...] = ()


@dataclass(slots=True)
class _Cached:
    version: str
    stamp: float  # when computed
    checked: float  # when the database last confirmed `version`
    profile: Profile


@dataclass(slots=True)
class _Outcome:
    """What a metrics lookup produced: a record, or notices and a reason for its absence."""

    record: AuthorRecord | None = None
    notices: list[str] = field(default_factory=list)
    reason: str | None = None
    definitive: bool = False  # a source answered (found or not): no need to ask another


class ProfileService:
    """Builds author profiles, paper pages and paper views; refreshes cached metrics."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        openalex: OpenAlexSource | None = None,
        semantic_scholar: SemanticScholarSource | None = None,
        arxiv: ArxivApiSource | None = None,
        metrics_max_age: timedelta = METRICS_MAX_AGE,
        cache_seconds: float = CACHE_SECONDS,
        upstream_budget_seconds: float = UPSTREAM_BUDGET_SECONDS,
        resolver: AuthorResolver | None = None,
        fence: CutoffFence | None = None,
        history: PaperHistory | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        # Papers a profile fetch stores first are digest candidates: stamped like the poller's.
        self._fence = fence or CutoffFence(clock)
        self.openalex = openalex
        self.semantic_scholar = semantic_scholar
        self.arxiv = arxiv
        self.metrics_max_age = metrics_max_age
        self.cache_seconds = cache_seconds
        # The one resolver, shared with `/follow` (see `bot.wiring`); its guard also paces the
        # metrics and arXiv calls made here, so a source that just failed is skipped by both.
        self.resolver = resolver or AuthorResolver(
            database,
            clock,
            openalex=openalex,
            semantic_scholar=semantic_scholar,
            guard=UpstreamGuard(clock, budget_seconds=upstream_budget_seconds),
        )
        self._guard = self.resolver.guard
        self._history = history or PaperHistory(
            database, clock, self._fence, self._guard, arxiv=arxiv, openalex=openalex
        )
        self.refresher = MetricsRefresher(
            database, clock, openalex=openalex, semantic_scholar=semantic_scholar
        )
        self._profiles: OrderedDict[tuple[int, int | None], _Cached] = OrderedDict()
        # Resolved queries (normalised) -> (author id, when), bounded like `_profiles`.
        self._resolved: OrderedDict[str, tuple[int, float]] = OrderedDict()
        # Single flight: concurrent askers of one new name, or of one stale author, share the
        # one upstream fetch in progress (as `ChartCache.get` shares a render).
        self._resolving: dict[str, asyncio.Future[tuple[int, list[str]]]] = {}
        self._refreshing: dict[int, asyncio.Future[_Outcome]] = {}

    @property
    def has_metrics_source(self) -> bool:
        return self.openalex is not None or self.semantic_scholar is not None

    # --- public API -----------------------------------------------------------------------

    @staticmethod
    def check_query(text: str | None) -> AuthorQuery:
        """Validate what the user typed before deferring (pure; raises `BadInput`)."""
        return parse_author_query(text)

    @property
    def upstream_budget_seconds(self) -> float:
        """How long one upstream call may take (the resolver's guard, shared)."""
        return self._guard.budget_seconds

    @upstream_budget_seconds.setter
    def upstream_budget_seconds(self, seconds: float) -> None:
        self._guard.budget_seconds = seconds

    def cached(self, query: AuthorQuery, *, viewer: Viewer | None = None) -> Profile | None:
        """The profile `query` (from `check_query`) names when it is hot in memory (no I/O at
        all), else None.

        Only a profile whose data version the database confirmed in the last
        `RECHECK_SECONDS`, and that carries no notices, is returned; the caller then needs no
        defer. Anything else goes through `profile`.
        """
        remembered = self._resolved.get(_resolved_key(query, viewer))
        if remembered is None:
            return None
        entry = self._profiles.get((remembered[0], RECENT_COUNT))
        now = self._clock.monotonic()
        if entry is None or now - entry.checked > RECHECK_SECONDS:
            return None
        if now - entry.stamp > self.cache_seconds or now - remembered[1] > self.cache_seconds:
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
        author_id, notices = await self._resolve(query, viewer)
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
        second_id, notices = await self._resolve(query, viewer)
        if second_id == author_id:
            raise BadInput("Those are the same author twice. Pick two different authors.")
        b = await self._profile_of(second_id, notices, RECENT_COUNT)
        return a, b

    async def resolve_author_id(self, text: str, *, viewer: Viewer | None = None) -> int:
        """The stored id of the author `text` names (fetched on demand when new)."""
        author_id, _notices = await self._resolve(parse_author_query(text), viewer)
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
            name = author.display_name
        cards = tuple(paper_card(p, (name,)) for p in rows)
        return PaperPage(author_id, name, sort, page, pages, total, cards, known)

    async def paper(self, text: str, *, guild_id: int | None, user_id: int) -> PaperView:
        """A stored paper's card and which authors followed here (or by the asker) it is for."""
        raw = " ".join((text or "").split())
        if not raw or len(raw) > 100:
            raise BadInput("Give an arXiv id, like `2411.17700` or `astro-ph/0601001`.")
        try:
            arxiv_id, _version = split_version(raw)
        except ValueError:
            raise BadInput(
                "That is not an arXiv id. Use the form `2411.17700` (optionally `v2`) or "
                "`astro-ph/0601001`."
            ) from None
        async with self._database.reader() as session:
            papers_repo = PaperRepository(session)
            paper = await papers_repo.get_by_arxiv_id(arxiv_id)
            if paper is None:
                raise NotFoundError(
                    f"PaperScout does not track arXiv:{arxiv_id}. Papers appear here once an "
                    "author of theirs is followed or profiled."
                )
            linked = (await papers_repo.linked_authors([paper.id])).get(paper.id, [])
            follows = FollowRepository(session)
            personal = await follows.list_for_user(user_id)
            channel = await follows.list_for_guild(guild_id) if guild_id is not None else []

        def named(found: Sequence[Follow]) -> tuple[str, ...]:
            names = {f.author_id: f.author.display_name for f in found}
            return tuple(dict.fromkeys(names[a] for a in linked if a in names))

        followed = named(channel)
        return PaperView(paper_card(paper, followed), followed, len(linked), named(personal))

    async def refresh_metrics(self, *, batch_size: int = 100) -> RefreshReport:
        """The daily job: refresh the followed authors' metrics in batches of up to 100 ids,
        then bring stored name keys in step with the normaliser (`name_keys_upkeep`)."""
        report = await self.refresher.refresh_followed(batch_size=batch_size)
        self._profiles.clear()  # versions change anyway; drop the memory early
        try:
            await refresh_name_keys(self._database)
        except Exception:  # housekeeping: must not make the whole daily job run again
            log.exception("name key upkeep failed; tomorrow's run tries again")
        return report

    # --- resolving ------------------------------------------------------------------------

    async def _resolve(self, query: AuthorQuery, viewer: Viewer | None) -> tuple[int, list[str]]:
        """The stored author id `query` names; one lookup at a time per normalised query.

        Concurrent asks for the same name share the lookup in progress, so a new author is
        fetched and stored once, not once per asker.
        """
        key = _resolved_key(query, viewer)
        remembered = self._resolved.get(key)
        if remembered is not None:
            if self._clock.monotonic() - remembered[1] < self.cache_seconds:
                self._resolved.move_to_end(key)
                return remembered[0], []
            del self._resolved[key]
        work = self._resolve_once(query, viewer, key)
        author_id, notices = await shared(self._resolving, key, work)
        return author_id, list(notices)

    async def _resolve_once(
        self, query: AuthorQuery, viewer: Viewer | None, key: str
    ) -> tuple[int, list[str]]:
        author_id, notices = await self._find_or_fetch(query, viewer)
        if not notices:  # a degraded answer is not remembered: the next ask tries again
            self._resolved[key] = (author_id, self._clock.monotonic())
            self._resolved.move_to_end(key)
            while len(self._resolved) > CACHE_ENTRIES:
                self._resolved.popitem(last=False)
        return author_id, notices

    async def _find_or_fetch(
        self, query: AuthorQuery, viewer: Viewer | None
    ) -> tuple[int, list[str]]:
        """The shared resolver's answer, stored when new; a name nobody knows: arXiv alone."""
        try:
            resolution = await self.resolver.resolve(query, viewer, suggest=False)
        except (AuthorNotFound, SearchUnavailable) as missing:
            # No metrics source knows the name (or none answered): arXiv papers may still.
            return await self._store_new(None, query.value, list(missing.notices))
        candidate = resolution.best  # an ambiguous name: the most plausible candidate
        notices = list(resolution.notices)
        if candidate.local_id is not None:
            return candidate.local_id, notices
        if candidate.openalex_id:
            async with self._database.reader() as session:
                stored = await AuthorRepository(session).get_by_openalex_id(candidate.openalex_id)
            if stored is not None:  # exact id: the same row whoever stored it
                return stored.id, notices
        return await self._store_new(candidate.record, query.value, notices)

    async def _store_new(
        self,
        record: AuthorRecord | None,
        name: str,
        notices: list[str],
    ) -> tuple[int, list[str]]:
        """Store a newly met author with their own arXiv papers (`PaperHistory`).

        An author no metrics source knows (`record` None) is stored only when arXiv finds
        papers that are theirs: else `NotFoundError`, or `UpstreamDown` when a source failed.
        One that a metrics source knows is stored even when arXiv fails: their history stays
        incomplete and the next view fetches it again.
        """
        display = (record.display_name if record else "") or name
        now = self._clock.now()  # the record's metrics were fetched just before this call
        history = await self._history.fetch(
            display,
            record.name_variants if record else (),
            record.openalex_id if record else None,
        )
        notices = notices + list(history.notices)
        if record is None and not history.papers:
            if notices:
                raise UpstreamDown(
                    "I cannot look that author up right now: "
                    + " ".join(notices)
                    + " Try again in a few minutes."
                )
            raise NotFoundError(await self.resolver.not_found_message(name))
        async with self._fence.storing(self._database) as (session, stamp):
            authors = AuthorRepository(session)
            # Without an OpenAlex id nothing stops a second row for the same person (another
            # spelling asked meanwhile): an author stored by this name since is reused. Any
            # stored row, seen or not: what is shown is what was just fetched for this name.
            known = (
                []
                if record and record.openalex_id
                else await self.resolver.stored_by_name(display, None)
            )
            author = known[0] if known else await store_author(authors, record, name, now)
            await self._history.store(session, author.id, history, stamp=stamp)
            author_id = author.id
        log.info(
            "profile: stored new author %s (%s), %d papers%s",
            author_id,
            display,
            len(history.papers),
            "" if history.complete else " (arXiv failed: incomplete)",
        )
        return author_id, notices

    # --- metrics freshness ------------------------------------------------------------------

    def _stale(self, author: Author, now: datetime) -> bool:
        return author.metrics_as_of is None or now - author.metrics_as_of > self.metrics_max_age

    async def _refresh_shared(self, author: Author) -> _Outcome:
        """`_refresh_one`, once at a time per author: concurrent viewers share the fetch."""
        outcome = await shared(self._refreshing, author.id, self._refresh_if_stale(author))
        return _Outcome(outcome.record, list(outcome.notices), outcome.reason, outcome.definitive)

    async def _refresh_if_stale(self, author: Author) -> _Outcome:
        """Refresh unless a refresh that just finished already made the metrics fresh."""
        async with self._database.reader() as session:
            current = await AuthorRepository(session).get(author.id)
        if current is not None and not self._stale(current, self._clock.now()):
            return _Outcome()
        return await self._refresh_one(current or author)

    async def _refresh_one(self, author: Author) -> _Outcome:
        """Fetch fresh metrics for one stored author and cache them; notices on failure."""
        outcome = _Outcome()
        if self.openalex is not None and author.openalex_id:
            try:
                outcome.record = await self._guard.call(
                    "openalex", self.openalex.get_author(author.openalex_id)
                )
            except NotFound:
                outcome.reason = "not found in OpenAlex"
            except SourceError as error:
                log.warning("OpenAlex metrics for author %s failed: %s", author.id, error)
                outcome.notices.append("OpenAlex is not answering right now.")
        if outcome.record is None and self.semantic_scholar is not None and author.s2_id:
            try:
                outcome.record = await self._guard.call(
                    "semantic_scholar", self.semantic_scholar.get_author(author.s2_id)
                )
            except NotFound:
                outcome.reason = outcome.reason or "not found in Semantic Scholar"
            except SourceError as error:
                log.warning("S2 metrics for author %s failed: %s", author.id, error)
                outcome.notices.append("Semantic Scholar is not answering right now.")
        if outcome.record is None and not (author.openalex_id or author.s2_id):
            try:
                records, notices = await self.resolver.search(author.display_name)
            except SearchUnavailable as down:
                records, notices = [], list(down.notices)
            outcome.notices += notices
            # Only a record that names this very person (never the first homonym).
            outcome.record = next(
                (r for r in records if names_match(author.display_name, _record_names(r))), None
            )
        if outcome.record is not None:
            async with self._database.transaction() as session:
                repo = AuthorRepository(session)
                row = await repo.get(author.id)
                if row is not None:
                    await self._attach_ids(repo, row, outcome.record)
                    await store_metrics(repo, author.id, outcome.record, self._clock.now())
        return outcome

    @staticmethod
    async def _attach_ids(repo: AuthorRepository, row: Author, record: AuthorRecord) -> None:
        """Give an author stored by name alone the ids of the record found for them."""
        if record.openalex_id and not row.openalex_id:
            if await repo.get_by_openalex_id(record.openalex_id) is None:
                row.openalex_id = record.openalex_id
        if record.orcid and not row.orcid:
            row.orcid = record.orcid
        s2 = record.external_ids.get("s2")
        if s2 and not row.s2_id:
            row.s2_id = s2
        if record.affiliations and not row.affiliations:
            row.affiliations = [a for a in record.affiliations if a]

    # --- building ---------------------------------------------------------------------------

    async def _profile_of(
        self, author_id: int, notices: list[str], paper_limit: int | None
    ) -> Profile:
        now = self._clock.now()
        author, count = await self._author_and_count(author_id)
        if author.papers_fetched_at is None and ARXIV_DOWN not in notices:
            # An earlier fetch failed (not this very call's): try again now.
            history = await self._history.complete(author)
            notices = notices + list(history.notices)
            author, count = await self._author_and_count(author_id)
        reason: str | None = None
        metrics_trouble = any(n.startswith(("OpenAlex", "Semantic")) for n in notices)
        if self._stale(author, now):
            if self.has_metrics_source:
                outcome = await self._refresh_shared(author)
                notices = notices + outcome.notices
                metrics_trouble = metrics_trouble or bool(outcome.notices)
                reason = outcome.reason
                author, count = await self._author_and_count(author_id)
            else:
                reason = NO_METRICS_SOURCE
        if author.metrics_as_of is not None and metrics_trouble:
            stamp = author.metrics_as_of.strftime("%d %b %Y")
            notices.append(f"Showing the metrics cached on {stamp}.")
        if author.metrics_as_of is None and reason is None:
            reason = "metrics source unreachable" if notices else NO_METRICS_SOURCE
        version = f"{count}:{author.metrics_as_of}:{author.updated_at}"
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
        profile = await self._compute(author, papers, version, now, notices, reason, paper_limit)
        if not notices:
            stamp = self._clock.monotonic()
            self._profiles[key] = _Cached(version, stamp, stamp, profile)
            while len(self._profiles) > CACHE_ENTRIES:
                self._profiles.popitem(last=False)
        return profile

    async def _author_and_count(self, author_id: int) -> tuple[Author, int]:
        async with self._database.reader() as session:
            author = await AuthorRepository(session).get(author_id)
            if author is None:
                raise NotFoundError("That author is no longer stored. Run the command again.")
            count = await PaperRepository(session).count_for_author(author_id)
        return author, count

    async def _compute(
        self,
        author: Author,
        papers: Sequence[StoredPaper],
        version: str,
        now: datetime,
        notices: list[str],
        reason: str | None,
        paper_limit: int | None,
    ) -> Profile:
        oldest_first = sorted(papers, key=lambda p: (p.published, p.arxiv_id))
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
        )


def _resolved_key(query: AuthorQuery, viewer: Viewer | None) -> str:
    """Who asks is part of the key: two viewers may see different stored authors."""
    return query.cache_key if viewer is None else f"{viewer.key}|{query.cache_key}"


def _record_names(record: AuthorRecord) -> tuple[str, ...]:
    return (record.display_name, *record.name_variants)


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


def build_profile_service(
    settings: Settings,
    database: Database,
    sources: Sources,
    clock: Clock,
    *,
    resolver: AuthorResolver | None = None,
    fence: CutoffFence | None = None,
    history: PaperHistory | None = None,
) -> ProfileService:
    """The service over the shared sources; a source with an empty base URL is not configured.

    `resolver` is the bot's one `AuthorResolver` (shared with `/follow`); built here if None.
    """
    resolver = resolver or build_author_resolver(settings, database, sources, clock)
    return ProfileService(
        database,
        clock,
        openalex=resolver.openalex,
        semantic_scholar=resolver.semantic_scholar,
        arxiv=sources.arxiv_api if settings.arxiv_api_url.strip() else None,
        resolver=resolver,
        fence=fence,
        history=history,
    )
