"""An author's papers from before the bot met them: fetched until complete, then kept.

When the bot first meets an author (a profile view, a follow) it fetches, at the same time,
the papers their name finds on arXiv (one API search, newest first, up to `MAX_RESULTS`) and,
for an author with an OpenAlex id, two OpenAlex calls: their arXiv works by identity, and their
newest works at every venue (journals, proceedings, bioRxiv, ...). It keeps the arXiv papers
that are theirs (`author_fetch.author_papers`) and the works that name them
(`work_records.own_work_records`; a work's arXiv version joins the arXiv paper it is), and
stores and links them through the poller's own `paper_store.store_matches`, so priming holds
(nothing published before a follow is announced to it) and a paper published after one is
announced once, whoever stores it.

`authors.papers_fetched_at` records that every call answered. An outage (a 429 or 5xx, a
reset, a timeout, a body that does not parse) leaves it NULL, and the next profile view, follow
or poll tries again (`complete`); meanwhile the profile carries a notice, the follow's
confirmation says so and `paperscout author` exits 1. (A failed identity call alone does not:
the name-only guard decides then.) `authors.arxiv_confirmed` records how
many fetched papers OpenAlex confirmed: 0 tells the homonym guard that the papers under this
name are a namesake's (`bot.services.homonym_guard`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.author_fetch import (
    author_papers,
    match_variants,
    openalex_identity,
    openalex_works,
)
from bot.services.author_resolver import UpstreamGuard
from bot.services.cutoff_fence import CutoffFence
from bot.services.paper_store import StoreResult, store_matches
from bot.services.single_flight import shared
from bot.services.work_records import own_work_records, surnames_of
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_query import author_term
from bot.sources.errors import SourceError
from bot.sources.models import Paper
from bot.sources.openalex import OpenAlexSource
from db.database import Database
from db.models import Author
from db.repositories.authors import AuthorRepository

log = logging.getLogger(__name__)

MAX_RESULTS = 200  # newest first: an author with more has their older papers left out
MATCHED_BY = "history"  # author_papers.matched_by of the links made here
ARXIV_SOURCE = "arxiv_api"
OPENALEX_SOURCE = "openalex"
# What each source's outage leaves out, by the name users know it by.
DOWN_NOTICES = {
    "arXiv": "arXiv is not answering right now, so the paper list may be incomplete.",
    # Not "OpenAlex ..." first: profiles read notices starting so as trouble with the metrics.
    "OpenAlex": "Works outside arXiv may be missing: OpenAlex is not answering right now.",
}


@dataclass(frozen=True, slots=True)
class History:
    """What one fetch found: the author's own papers, and the sources that did not answer
    (`down`, as users name them): then it is incomplete, and tried again later."""

    papers: tuple[Paper, ...]
    usual_categories: tuple[str, ...]
    confirmed: int | None  # how many papers OpenAlex confirmed; None: it did not answer
    down: tuple[str, ...] = ()
    requests: Mapping[str, int] = field(default_factory=dict)  # per source, as polls count

    @property
    def complete(self) -> bool:
        return not self.down

    @property
    def notices(self) -> tuple[str, ...]:
        return tuple(DOWN_NOTICES[source] for source in self.down)


@dataclass(frozen=True, slots=True)
class HistoryLink:
    """One of the author's papers, for `store_matches`."""

    paper: Paper
    author_id: int
    matched_by: str = MATCHED_BY


class PaperHistory:
    """Fetches, stores and completes authors' arXiv paper histories."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        fence: CutoffFence,
        guard: UpstreamGuard,
        *,
        arxiv: ArxivApiSource | None,
        openalex: OpenAlexSource | None,
        max_results: int = MAX_RESULTS,
    ) -> None:
        """`guard` paces and times the calls (shared with the resolver: a source that just
        failed is skipped by every caller for a minute); `arxiv` None: not configured."""
        self._database = database
        self._clock = clock
        self._fence = fence
        self._guard = guard
        self._arxiv = arxiv
        self._openalex = openalex
        self.max_results = max_results
        self._completing: dict[int, asyncio.Future[History]] = {}

    async def fetch(
        self, display_name: str, name_variants: Sequence[str], openalex_id: str | None
    ) -> History:
        """The author's papers (network only, nothing stored); never raises for an outage."""
        term = author_term(display_name) if self._arxiv is not None else ""
        fetched, identity, works = await asyncio.gather(
            self._search(term),
            openalex_identity(self._openalex, self._guard, openalex_id),
            openalex_works(self._openalex, self._guard, openalex_id),
        )
        requests = {ARXIV_SOURCE: 1} if term else {}
        if self._openalex is not None and openalex_id:
            requests[OPENALEX_SOURCE] = 2
        down = (("arXiv",) if fetched is None else ()) + (("OpenAlex",) if works is None else ())
        variants = match_variants(display_name, name_variants) or (display_name,)
        found = author_papers(fetched or [], variants, identity)
        records = own_work_records(
            works or (),
            surnames_of(variants),
            frozenset(p.arxiv_id for p in found.papers if p.arxiv_id),
            who=display_name,
        )
        return History(
            (*found.papers, *records),
            found.usual_categories,
            found.confirmed if identity is not None and term and fetched is not None else None,
            down,
            requests,
        )

    async def store(
        self, session: AsyncSession, author_id: int, history: History, *, stamp: datetime
    ) -> StoreResult:
        """Store and link the papers in the caller's fenced transaction (`CutoffFence.storing`,
        stamped `stamp`); a complete fetch is recorded on the author."""
        links = [HistoryLink(paper, author_id) for paper in history.papers]
        result = await store_matches(session, links, now=stamp) if links else StoreResult()
        if history.complete:
            await AuthorRepository(session).record_history(
                author_id,
                fetched_at=stamp,
                confirmed=history.confirmed,
                usual_categories=history.usual_categories,
            )
        return result

    async def complete(self, author: Author) -> History:
        """Fetch and store the papers of a stored author whose last fetch did not complete.

        Concurrent callers for one author share the fetch in progress. An author completed
        meanwhile (another process, a follow) is not fetched again.
        """
        return await shared(self._completing, author.id, self._complete(author))

    async def _complete(self, author: Author) -> History:
        async with self._database.reader() as session:
            current = await AuthorRepository(session).get(author.id)
        if current is None or current.papers_fetched_at is not None:
            return History((), tuple(author.usual_categories or ()), None)
        history = await self.fetch(
            current.display_name, tuple(current.name_variants or ()), current.openalex_id
        )
        if not history.complete:
            return history
        async with self._fence.storing(self._database) as (session, stamp):
            stored = await self.store(session, current.id, history, stamp=stamp)
        log.info(
            "paper history of author %s: %d papers, %d new links, %d alerts",
            current.id,
            len(history.papers),
            stored.links_made,
            stored.alerts_enqueued,
        )
        return history

    async def _search(self, term: str) -> list[Paper] | None:
        """The papers the name finds on arXiv (homonyms too); None when arXiv failed, or sent
        entries that could not be read (the next attempt may get them whole). No term (no
        arXiv configured, or a name arXiv cannot search): nothing to find."""
        if self._arxiv is None or not term:
            return []
        try:
            result = await self._guard.call(
                ARXIV_SOURCE,
                self._arxiv.search(term, max_results=self.max_results, sort_by="submittedDate"),
            )
        except SourceError as error:
            log.warning("arXiv search %s failed: %s", term, error)
            return None
        if result.unreadable:
            log.warning(
                "arXiv search %s: %d entries unreadable; fetched again later",
                term,
                result.unreadable,
            )
            return None
        return list(result.papers)
