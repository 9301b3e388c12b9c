"""The daily metrics refresh: followed authors' h-index, citations and works, in batches.

OpenAlex takes up to 100 ids per list call (`filter=openalex:A1|A2|...`), so N followed authors
cost ceil(N / 100) requests. Authors without an OpenAlex id but with a Semantic Scholar id go to
S2's batch endpoint, 100 at a time too. Each batch is stored in its own transaction, so one
failing batch (logged, counted) does not lose the others. An author the source no longer knows
keeps their old cached figures (with their old date): a stale number is labelled, a made-up
one never shown.

Authors who are only viewed (profiles, never followed) are refreshed when viewed and their
cache is older than `ProfileService.metrics_max_age`.

The same run reads per-paper citation counts (what `/author papers sort:cited` orders by) for
the tracked papers of followed authors: never-read papers first, then the oldest-read, at most
`PAPER_CAP` a day and none read in the last `PAPER_MAX_AGE`. OpenAlex comes first (the metrics
source, docs/sources.md#openalex; a call filtered by 100 arXiv DOIs costs $0.0001 against a free
$1/day allowance), Semantic Scholar's `/paper/batch` (500 ids per POST, but 1 request/s and a
shared keyless pool) only when OpenAlex is not configured or failed: after one failed batch
the rest of the day's batches go to Semantic Scholar without asking OpenAlex again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from bot.clock import Clock
from bot.services.author_fetch import store_metrics
from bot.services.name_keys_upkeep import refresh_name_keys
from bot.sources.errors import NotFound, SourceError
from bot.sources.models import AuthorRecord
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from db.database import Database
from db.models import Author
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from db.repositories.papers import CitationTarget, PaperRepository

log = logging.getLogger(__name__)

JOB_KEY = "metrics_refresh"  # the daily `PeriodicJob`'s key in feed_state (shown in /status)

T = TypeVar("T")
# How a one-author request is made: `call(source, request)` (the profile's `UpstreamGuard.call`).
Call = Callable[[str, Awaitable[AuthorRecord]], Awaitable[AuthorRecord]]
Fetch = Callable[[], Awaitable[AuthorRecord]]

BATCH_SIZE = 100
# Per-paper citation counts: 2,000 papers a day is 20 OpenAlex list calls ($0.002) or
# 4 S2 POSTs; a count younger than a week is not worth a call (docs/product.md#metrics).
PAPER_CAP = 2000
PAPER_MAX_AGE = timedelta(days=7)
OPENALEX_PAPER_BATCH = 100  # OR values per OpenAlex filter
S2_PAPER_BATCH = 500  # ids per S2 `/paper/batch` POST


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh run did."""

    authors: int  # authors considered
    refreshed: int  # metrics stored
    unknown: int  # ids the source did not return
    failed_batches: int
    requests: int  # batch calls made (one per batch; retries not counted)
    papers: int = 0  # tracked papers whose citation count was due (after the daily cap)
    papers_counted: int = 0  # citation counts stored
    papers_unknown: int = 0  # papers no source returned a count for
    paper_failed_batches: int = 0
    paper_requests: int = 0  # paper batch calls made (OpenAlex and S2)


@dataclass(slots=True)
class OneAuthor:
    """What asking for one author's record produced: the record, or notices and a reason."""

    record: AuthorRecord | None = None
    notices: list[str] = field(default_factory=list)
    reason: str | None = None  # why there is no record, when a source answered without one


@dataclass(frozen=True, slots=True)
class PaperCitationReport:
    """What one per-paper citation pass did."""

    papers: int
    counted: int
    unknown: int
    failed_batches: int
    requests: int


def _batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class MetricsRefresher:
    """Refreshes cached author metrics from OpenAlex (else Semantic Scholar) in batches."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        openalex: OpenAlexSource | None,
        semantic_scholar: SemanticScholarSource | None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._openalex = openalex
        self._semantic_scholar = semantic_scholar

    async def daily(self) -> RefreshReport:
        """The daily job: every followed author's metrics and their papers' citation counts,
        then the stored name keys brought in step with the normaliser (`name_keys_upkeep`)."""
        report = await self.refresh_followed()
        try:
            await refresh_name_keys(self._database)
        except Exception:  # housekeeping: must not make the whole daily job run again
            log.exception("name key upkeep failed; tomorrow's run tries again")
        return report

    async def refresh_followed(
        self, *, batch_size: int = BATCH_SIZE, paper_cap: int = PAPER_CAP
    ) -> RefreshReport:
        """Refresh every followed author, then their papers' counts (once a day, scheduled)."""
        async with self._database.reader() as session:
            authors = await FollowRepository(session).followed_authors()
        report = await self.refresh(authors, batch_size=batch_size)
        papers = await self.refresh_paper_citations(cap=paper_cap)
        return RefreshReport(
            report.authors,
            report.refreshed,
            report.unknown,
            report.failed_batches,
            report.requests,
            papers=papers.papers,
            papers_counted=papers.counted,
            papers_unknown=papers.unknown,
            paper_failed_batches=papers.failed_batches,
            paper_requests=papers.requests,
        )

    async def refresh_paper_citations(
        self, *, cap: int = PAPER_CAP, max_age: timedelta = PAPER_MAX_AGE
    ) -> PaperCitationReport:
        """Read the citation counts of up to `cap` due papers of followed authors, in batches.

        Each batch is stored in its own transaction with one UPDATE. A paper no source knows
        and that never had a count is stored as unknown with today's date, so it moves to the
        back of the queue; one that had a count keeps it, re-dated the same way (the date says
        when it was last asked, and only orders the queue). A failed batch
        changes nothing (those papers stay first in line for tomorrow).
        """
        if self._openalex is None and self._semantic_scholar is None:
            return PaperCitationReport(0, 0, 0, 0, 0)
        now = self._clock.now()
        async with self._database.reader() as session:
            due = await PaperRepository(session).due_for_citations(
                stale_before=now - max_age, limit=cap
            )
        counted = unknown = failed = requests = 0
        fallback: list[CitationTarget] = []
        if self._openalex is not None:
            for batch in _batches(due, OPENALEX_PAPER_BATCH):
                if fallback:  # OpenAlex just failed (with retries): the rest go elsewhere
                    fallback.extend(batch)
                    failed += self._semantic_scholar is None
                    continue
                requests += 1
                try:
                    counts = await self._openalex.citation_counts([p.arxiv_id for p in batch])
                except SourceError as error:
                    log.warning(
                        "paper citations: OpenAlex batch of %d failed: %s", len(batch), error
                    )
                    failed += self._semantic_scholar is None
                    fallback.extend(batch)
                    continue
                stored, missing = await self._store_citations(batch, counts, now)
                counted, unknown = counted + stored, unknown + missing
        else:
            fallback = list(due)
        if self._semantic_scholar is not None:
            for batch in _batches(fallback, S2_PAPER_BATCH):
                requests += 1
                try:
                    counts = await self._semantic_scholar.paper_citation_counts(
                        [p.arxiv_id for p in batch]
                    )
                except SourceError as error:
                    failed += 1
                    log.warning("paper citations: S2 batch of %d failed: %s", len(batch), error)
                    continue
                stored, missing = await self._store_citations(batch, counts, now)
                counted, unknown = counted + stored, unknown + missing
        report = PaperCitationReport(len(due), counted, unknown, failed, requests)
        log.info(
            "paper citations: %d due, %d counted, %d unknown, %d failed batches, %d calls",
            report.papers,
            report.counted,
            report.unknown,
            report.failed_batches,
            report.requests,
        )
        return report

    async def fetch_one(self, author: Author, call: Call) -> OneAuthor:
        """One author's fresh record by their ids, in the batches' order (OpenAlex, then
        Semantic Scholar), each request made through `call` (a profile's time budget);
        nothing stored. A source that fails gives a notice; one that knows no such author,
        the reason."""
        outcome = OneAuthor()
        for source, label, fetch in self._by_id(author):
            try:
                outcome.record = await call(source, fetch())
            except NotFound:
                outcome.reason = outcome.reason or f"not found in {label}"
            except SourceError as error:
                log.warning("%s metrics for author %s failed: %s", label, author.id, error)
                outcome.notices.append(f"{label} is not answering right now.")
            if outcome.record is not None:
                break
        return outcome

    def _by_id(self, author: Author) -> list[tuple[str, str, Fetch]]:
        """(source, label, fetch) for each configured source that has an id for `author`, in
        the order every refresh asks them."""
        found: list[tuple[str, str, Fetch]] = []
        if self._openalex is not None and author.openalex_id:
            found.append(
                ("openalex", "OpenAlex", partial(self._openalex.get_author, author.openalex_id))
            )
        if self._semantic_scholar is not None and author.s2_id:
            get = partial(self._semantic_scholar.get_author, author.s2_id)
            found.append(("semantic_scholar", "Semantic Scholar", get))
        return found

    async def refresh(
        self, authors: Sequence[Author], *, batch_size: int = BATCH_SIZE
    ) -> RefreshReport:
        """Refresh these authors; `batch_size` is capped at 100 (OpenAlex's OR-filter limit)."""
        size = max(1, min(batch_size, BATCH_SIZE))
        by_openalex = [a for a in authors if a.openalex_id] if self._openalex else []
        by_s2 = (
            [a for a in authors if a.s2_id and a not in by_openalex]
            if self._semantic_scholar
            else []
        )
        refreshed = unknown = failed = requests = 0
        for batch in _batches(by_openalex, size):
            requests += 1
            try:
                assert self._openalex is not None
                records = await self._openalex.get_authors([a.openalex_id or "" for a in batch])
            except SourceError as error:
                failed += 1
                log.warning("metrics refresh: OpenAlex batch of %d failed: %s", len(batch), error)
                continue
            found = {r.openalex_id: r for r in records}
            stored, missing = await self._store(
                batch, {a.id: found.get(a.openalex_id) for a in batch}
            )
            refreshed, unknown = refreshed + stored, unknown + missing
        for batch in _batches(by_s2, size):
            requests += 1
            try:
                assert self._semantic_scholar is not None
                results = await self._semantic_scholar.get_authors([a.s2_id or "" for a in batch])
            except SourceError as error:
                failed += 1
                log.warning("metrics refresh: S2 batch of %d failed: %s", len(batch), error)
                continue
            by_id = {a.id: r for a, r in zip(batch, results, strict=False)}
            stored, missing = await self._store(batch, by_id)
            refreshed, unknown = refreshed + stored, unknown + missing
        report = RefreshReport(len(authors), refreshed, unknown, failed, requests)
        log.info(
            "metrics refresh: %d authors, %d refreshed, %d unknown, %d failed batches, %d calls",
            report.authors,
            report.refreshed,
            report.unknown,
            report.failed_batches,
            report.requests,
        )
        return report

    async def _store(
        self, batch: Sequence[Author], records: Mapping[int, AuthorRecord | None]
    ) -> tuple[int, int]:
        now = self._clock.now()
        stored = missing = 0
        async with self._database.transaction() as session:
            repo = AuthorRepository(session)
            for author in batch:
                record = records.get(author.id)
                if record is None:
                    missing += 1
                    continue
                await store_metrics(repo, author.id, record, now)
                stored += 1
        return stored, missing

    async def _store_citations(
        self, batch: Sequence[CitationTarget], counts: Mapping[str, int], now: datetime
    ) -> tuple[int, int]:
        updates: dict[int, int | None] = {}
        missing = 0
        for paper in batch:
            count = counts.get(paper.arxiv_id)
            if count is None:
                missing += 1
                count = paper.citations  # a count the source lost is kept, not erased
            updates[paper.paper_id] = count
        async with self._database.transaction() as session:
            await PaperRepository(session).update_citations(updates, as_of=now)
        return len(batch) - missing, missing
