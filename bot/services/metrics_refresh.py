"""The daily metrics refresh: followed authors' h-index, citations and works, in batches.

OpenAlex takes up to 100 ids per list call (`filter=openalex:A1|A2|...`), so N followed authors
cost ceil(N / 100) requests. Authors without an OpenAlex id but with a Semantic Scholar id go to
S2's batch endpoint, 100 at a time too. Each batch is stored in its own transaction, so one
failing batch (logged, counted) does not lose the others. An author the source no longer knows
keeps their old cached figures (with their old date): a stale number is labelled, a made-up
one never shown.

Authors who are only viewed (profiles, never followed) are refreshed when viewed and their
cache is older than `ProfileService.metrics_max_age`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.services.author_fetch import store_metrics
from bot.sources.errors import SourceError
from bot.sources.models import AuthorRecord
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from db.database import Database
from db.models import Author
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository

log = logging.getLogger(__name__)

BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh run did."""

    authors: int  # authors considered
    refreshed: int  # metrics stored
    unknown: int  # ids the source did not return
    failed_batches: int
    requests: int  # batch calls made (one per batch; retries not counted)


def _batches(items: Sequence[Author], size: int) -> list[Sequence[Author]]:
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

    async def refresh_followed(self, *, batch_size: int = BATCH_SIZE) -> RefreshReport:
        """Refresh every followed author (the scheduler calls this once a day)."""
        async with self._database.reader() as session:
            authors = await FollowRepository(session).followed_authors()
        return await self.refresh(authors, batch_size=batch_size)

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
