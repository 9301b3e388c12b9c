"""Metrics refreshed when a profile is viewed: an author whose cached figures are older than
`max_age` (the daily job keeps followed authors fresh; one only viewed is refreshed here).

The record comes from `MetricsRefresher.fetch_one` (the same sources in the same order as the
daily batches), each request inside the profile's time budget (`UpstreamGuard`); an author
stored by name alone is searched by name, and only a record that names this very person is
taken (never the first homonym), whose ids are then attached. Concurrent viewers of one stale
author share one refresh.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.names import names_match
from bot.services.author_fetch import store_metrics
from bot.services.author_resolver import AuthorResolver, SearchUnavailable
from bot.services.metrics_refresh import MetricsRefresher, OneAuthor
from bot.services.single_flight import shared
from bot.sources.models import AuthorRecord
from db.database import Database
from db.models import Author
from db.repositories.authors import AuthorRepository

MAX_AGE = timedelta(hours=36)  # the daily job plus slack; older is refreshed on view


class MetricsOnView:
    """Refreshes a viewed author's cached metrics when they are stale."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        refresher: MetricsRefresher,
        resolver: AuthorResolver,
        *,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self._database = database
        self._clock = clock
        self._refresher = refresher
        self._resolver = resolver  # its guard times the requests; its search finds ids
        self.max_age = max_age
        self._refreshing: dict[int, asyncio.Future[OneAuthor]] = {}

    @property
    def configured(self) -> bool:
        """Whether any metrics source is configured."""
        return self._resolver.openalex is not None or self._resolver.semantic_scholar is not None

    def stale(self, author: Author, now: datetime) -> bool:
        return author.metrics_as_of is None or now - author.metrics_as_of > self.max_age

    async def refresh(self, author: Author) -> OneAuthor:
        """Refresh once at a time per author: concurrent viewers share the fetch."""
        outcome = await shared(self._refreshing, author.id, self._refresh_if_stale(author))
        return OneAuthor(outcome.record, list(outcome.notices), outcome.reason)

    async def _refresh_if_stale(self, author: Author) -> OneAuthor:
        """Refresh unless a refresh that just finished already made the metrics fresh."""
        async with self._database.reader() as session:
            current = await AuthorRepository(session).get(author.id)
        if current is not None and not self.stale(current, self._clock.now()):
            return OneAuthor()
        return await self._refresh_one(current or author)

    async def _refresh_one(self, author: Author) -> OneAuthor:
        """Fetch fresh metrics for one stored author and cache them; notices on failure."""
        outcome = await self._refresher.fetch_one(author, self._resolver.guard.call)
        if outcome.record is None and not (author.openalex_id or author.s2_id):
            try:
                records, notices = await self._resolver.search(author.display_name)
            except SearchUnavailable as down:
                records, notices = [], list(down.notices)
            outcome.notices += notices
            outcome.record = next(
                (r for r in records if names_match(author.display_name, _record_names(r))), None
            )
        if outcome.record is not None:
            async with self._database.transaction() as session:
                repo = AuthorRepository(session)
                row = await repo.get(author.id)
                if row is not None:
                    await _attach_ids(repo, row, outcome.record)
                    await store_metrics(repo, author.id, outcome.record, self._clock.now())
        return outcome


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


def _record_names(record: AuthorRecord) -> tuple[str, ...]:
    return (record.display_name, *record.name_variants)
