"""Which stored author a typed name stands for; an author the bot never met is fetched first.

`AuthorLookup.resolve(query, viewer)` asks the shared `AuthorResolver` (stored authors the
asker may see by name, then OpenAlex, then Semantic Scholar) and, for an author the bot has
never stored, stores them with the resolved record's metrics and their earlier arXiv papers
(`PaperHistory`: those confirmed by OpenAlex or vouched for by the homonym guard). An ambiguous
name takes its most plausible candidate (a profile shows one author; `/follow` asks instead).
A name no metrics source knows is stored only when arXiv finds papers that are theirs.

Resolved queries are remembered for `cache_seconds` per asker (two askers may see different
stored authors), unless the answer was degraded (a notice): the next ask then tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from bot.clock import Clock
from bot.errors import UpstreamDown
from bot.services.author_fetch import store_author
from bot.services.author_query import AuthorQuery
from bot.services.author_resolver import (
    AuthorNotFound,
    AuthorResolver,
    SearchUnavailable,
    Viewer,
)
from bot.services.cutoff_fence import CutoffFence
from bot.services.paper_history import PaperHistory
from bot.services.single_flight import shared
from bot.sources.models import AuthorRecord
from db.database import Database
from db.repositories.authors import AuthorRepository

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0
CACHE_ENTRIES = 2048


class AuthorLookup:
    """Typed text -> a stored author id (fetched and stored when new)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        resolver: AuthorResolver,
        history: PaperHistory,
        fence: CutoffFence,
        *,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._database = database
        self._clock = clock
        self._resolver = resolver
        self._history = history
        # Papers a lookup stores first are digest candidates: stamped like the poller's.
        self._fence = fence
        self._cache_seconds = cache_seconds
        # Resolved queries (normalised, per asker) -> (author id, when), oldest first.
        self._resolved: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._resolving: dict[str, asyncio.Future[tuple[int, list[str]]]] = {}

    def remembered(self, query: AuthorQuery, viewer: Viewer | None) -> int | None:
        """The author id `query` resolved to lately for this asker (no I/O), else None."""
        found = self._resolved.get(_resolved_key(query, viewer))
        if found is None or self._clock.monotonic() - found[1] > self._cache_seconds:
            return None
        return found[0]

    async def resolve(self, query: AuthorQuery, viewer: Viewer | None) -> tuple[int, list[str]]:
        """The stored author id `query` names, and notices of what was degraded.

        One lookup at a time per normalised query: concurrent asks for the same name share the
        lookup in progress, so a new author is fetched and stored once, not once per asker.
        """
        key = _resolved_key(query, viewer)
        remembered = self._resolved.get(key)
        if remembered is not None:
            if self._clock.monotonic() - remembered[1] < self._cache_seconds:
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
            resolution = await self._resolver.resolve(query, viewer, suggest=False)
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
            raise await self._resolver.not_found(name)
        async with self._fence.storing(self._database) as (session, stamp):
            authors = AuthorRepository(session)
            # Without an OpenAlex id nothing stops a second row for the same person (another
            # spelling asked meanwhile): an author stored by this name since is reused. Any
            # stored row, seen or not: what is shown is what was just fetched for this name.
            known = (
                []
                if record and record.openalex_id
                else await self._resolver.stored_by_name(display, None)
            )
            author = known[0] if known else await store_author(authors, record, name, now)
            await self._history.store(session, author.id, history, stamp=stamp)
            author_id = author.id
        log.info(
            "profile: stored new author %s (%s), %d papers%s",
            author_id,
            display,
            len(history.papers),
            "" if history.complete else f" ({' and '.join(history.down)} failed: incomplete)",
        )
        return author_id, notices


def _resolved_key(query: AuthorQuery, viewer: Viewer | None) -> str:
    """Who asks is part of the key: two viewers may see different stored authors."""
    return query.cache_key if viewer is None else f"{viewer.key}|{query.cache_key}"
