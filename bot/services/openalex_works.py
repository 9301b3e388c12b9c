"""The OpenAlex works feed: followed authors' works at every venue, by OpenAlex identity.

The poll finds arXiv papers by name; a biologist's journal articles, bioRxiv preprints or
conference papers never appear there. OpenAlex files works of every kind under disambiguated
author ids, so once a day (leader only, a `PeriodicJob` under `JOB_KEY`) this asks for the new
works of every followed author with an OpenAlex id (docs/sources.md#openalex):

- `/works?filter=authorships.author.id:<up to 100 ids>,from_created_date:<since>`: one list
  call per 100 authors, cursor paging. `since` is the job's last success minus `overlap`
  (OpenAlex indexes works days late), or on the first run today minus `first_lookback`.
- Every work becomes a record (`work_paper`: its DOI, PubMed ids, OpenAlex id, venue and the
  other versions' DOIs) linked to the followed authors on it (`matched_by="openalex"`), stored
  by the poller's own `store_fenced`: one alert per destination and work, priming, digests, all
  as for a paper the poll found. A work already stored under any identifier is that work: a
  journal version of an announced preprint adds its venue ("now published"), never a second
  announcement.
- A work that is on arXiv and not yet linked to those authors also gets its arXiv record
  (exact v1 date for priming, categories, affiliations) in one `id_list` call per URL-sized
  chunk through the shared arXiv limiter: both records are one work.
- OpenAlex can merge two people or map a work to the wrong arXiv id: a followed author is
  linked only when the record names someone with their surname.

A run that could not ask a source it needed stores what it got and raises
`WorksFeedIncomplete`, so `PeriodicJob` does not mark it done and the next tick retries.
`JOB_KEY` keeps the name of the arXiv-only job this replaced, so its watermark carries over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.services.cutoff_fence import CutoffFence
from bot.services.paper_store import store_fenced
from bot.services.polling import API_SOURCE
from bot.services.work_records import names_them, surnames_of, work_paper
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_query import chunk_ids_for_url
from bot.sources.errors import ArxivQueryError, SourceError
from bot.sources.models import Paper, Work
from bot.sources.openalex import MAX_IDS_PER_FILTER, MAX_PER_PAGE, OpenAlexSource
from bot.sources.openalex_parsing import short_openalex_id
from db.database import Database
from db.repositories.feeds import FeedStateRepository
from db.repositories.follows import FollowRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

JOB_KEY = "openalex_backstop"  # the `PeriodicJob` key; its last success starts the window
OPENALEX_SOURCE = OpenAlexSource.name
DEFAULT_OVERLAP = timedelta(days=7)
DEFAULT_FIRST_LOOKBACK = timedelta(days=30)
# 100 authors x a week of new works rarely passes one page; 10 pages bound a runaway cursor.
MAX_PAGES_PER_CALL = 10


class WorksFeedIncomplete(RuntimeError):
    """A run could not ask every source it needed; `report` holds what it did anyway."""

    def __init__(self, report: WorksFeedReport) -> None:
        super().__init__("OpenAlex works feed incomplete: " + "; ".join(report.errors))
        self.report = report


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    """`paper` lists followed author `author_id` by OpenAlex identity, not by name."""

    paper: Paper
    author_id: int
    matched_by: str = "openalex"


@dataclass(slots=True)
class WorksFeedReport:
    """What one run did. Requests are logical calls (retries excluded)."""

    since: date
    authors: int = 0  # followed authors with an OpenAlex id
    openalex_requests: int = 0  # works list calls, one per 100 authors
    arxiv_requests: int = 0  # `id_list` calls
    works: int = 0  # works OpenAlex returned
    arxiv_ids_new: int = 0  # arXiv ids of those works not yet linked to a followed author on them
    papers_stored: int = 0  # papers new to the database
    links: int = 0  # author-paper links made
    alerts: int = 0  # outbox rows enqueued
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Requests to both sources together."""
        return self.openalex_requests + self.arxiv_requests


class OpenAlexWorksFeed:
    """Finds followed authors' arXiv papers by OpenAlex identity and stores them like a poll."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        openalex: OpenAlexSource | None,
        arxiv: ArxivApiSource,
        fence: CutoffFence,
        job_key: str = JOB_KEY,
        overlap: timedelta = DEFAULT_OVERLAP,
        first_lookback: timedelta = DEFAULT_FIRST_LOOKBACK,
    ) -> None:
        """`openalex` None: not configured, so there is nothing to ask (every run is empty).
        `fence`: the process's shared one (`bot.runtime`); a separate one is still ordered
        against the others by the database's lock."""
        self._db = database
        self._openalex = openalex
        self._arxiv = arxiv
        self._clock = clock
        self._fence = fence
        self.job_key = job_key
        self.overlap = overlap
        self.first_lookback = first_lookback

    async def run(self) -> WorksFeedReport:
        """One pass over every followed author with an OpenAlex id.

        Raises `WorksFeedIncomplete` when a source failed or is cooling down (what was found
        before is stored); never raises a `SourceError`.
        """
        now = self._clock.now()
        async with self._db.reader() as session:
            followed = await FollowRepository(session).followed_authors()
            state = await FeedStateRepository(session).get(self.job_key)
            health = {h.source: h for h in await SourceHealthRepository(session).list_all()}
        by_openalex: dict[str, int] = {}
        surnames: dict[int, frozenset[str]] = {}  # followed author id -> folded surnames
        for author in followed if self._openalex is not None else ():
            short = short_openalex_id(author.openalex_id)
            if short:
                by_openalex[short] = author.id
                surnames[author.id] = surnames_of(
                    (author.display_name, *(author.name_variants or ()))
                )
        last = state.last_success_at if state is not None else None
        since = (last - self.overlap) if last is not None else (now - self.first_lookback)
        report = WorksFeedReport(since=since.date(), authors=len(by_openalex))
        cooling = {
            source: h.next_try_at
            for source, h in health.items()
            if h.consecutive_failures > 0 and h.next_try_at is not None and h.next_try_at > now
        }
        ids = sorted(by_openalex)
        for start in range(0, len(ids), MAX_IDS_PER_FILTER):
            chunk = ids[start : start + MAX_IDS_PER_FILTER]
            if not await self._run_chunk(report, chunk, by_openalex, surnames, cooling):
                break  # a failed source would fail the next chunk too
        log.info(
            "openalex works since %s: %d authors, %d requests (%d OpenAlex, %d arXiv), "
            "%d works, %d arXiv ids new, %d papers stored, %d links, %d alerts, %d errors",
            report.since.isoformat(),
            report.authors,
            report.requests,
            report.openalex_requests,
            report.arxiv_requests,
            report.works,
            report.arxiv_ids_new,
            report.papers_stored,
            report.links,
            report.alerts,
            len(report.errors),
        )
        if report.errors:
            raise WorksFeedIncomplete(report)
        return report

    async def _run_chunk(
        self,
        report: WorksFeedReport,
        chunk: Sequence[str],
        by_openalex: Mapping[str, int],
        surnames: Mapping[int, frozenset[str]],
        cooling: Mapping[str, datetime | None],
    ) -> bool:
        """Works of up to 100 authors, then their unlinked arXiv papers; False on a failure."""
        assert self._openalex is not None  # no OpenAlex: no author ids to ask about
        if OPENALEX_SOURCE in cooling:
            report.errors.append(f"{OPENALEX_SOURCE} backing off until {cooling[OPENALEX_SOURCE]}")
            return False
        report.openalex_requests += 1
        try:
            works = await self._openalex.works_by_authors(
                chunk,
                since=report.since,
                date_filter="from_created_date",  # publication dates of preprints are coarse
                per_page=MAX_PER_PAGE,
                max_pages_per_chunk=MAX_PAGES_PER_CALL,
            )
        except SourceError as error:
            report.errors.append(f"{OPENALEX_SOURCE} works of {len(chunk)} authors: {error}")
            return False
        report.works += len(works)
        in_chunk = set(chunk)
        on_work = [(w, {by_openalex[i] for i in w.author_ids & in_chunk}) for w in works]
        wanted: dict[str, set[int]] = {}  # arXiv id -> followed authors on the work
        for work, author_ids in on_work:
            if work.arxiv_id is not None:
                wanted.setdefault(work.arxiv_id, set()).update(author_ids)
        unlinked = await self._unlinked(wanted)
        report.arxiv_ids_new += len(unlinked)
        papers = await self._fetch_arxiv(report, sorted(unlinked), cooling) if unlinked else []
        if papers is None:
            return False
        missing = set(unlinked) - {p.arxiv_id for p in papers}
        if missing:
            log.warning("openalex works: arXiv does not know %s", ", ".join(sorted(missing)))
        matches = self._matches(
            on_work, wanted, unlinked, {p.arxiv_id: p for p in papers}, surnames
        )
        stored = await store_fenced(self._db, self._fence, matches)
        report.papers_stored += stored.papers_new
        report.links += stored.links_made
        report.alerts += stored.alerts_enqueued
        return True

    def _matches(
        self,
        on_work: Sequence[tuple[Work, set[int]]],
        wanted: Mapping[str, set[int]],
        unlinked: Mapping[str, set[int]],
        arxiv_records: Mapping[str | None, Paper],
        surnames: Mapping[int, frozenset[str]],
    ) -> list[IdentityMatch]:
        """Who each work is linked to. A work on arXiv is linked to a new author only through
        its arXiv record (OpenAlex can map a work to the wrong arXiv id: the record must name
        them); its OpenAlex record joins it, adding the venue and identifiers (for an author
        already linked it only adds those: "now published"). A work elsewhere is linked
        through its OpenAlex record."""
        matches: list[IdentityMatch] = []
        for work, author_ids in on_work:
            record = work_paper(work)
            if work.arxiv_id is None:
                linked = {a for a in author_ids if self._names(record, a, surnames)}
            else:
                arxiv = arxiv_records.get(work.arxiv_id)
                new = unlinked.get(work.arxiv_id, set())
                confirmed = {a for a in new if arxiv and self._names(arxiv, a, surnames)}
                matches += [IdentityMatch(arxiv, a) for a in sorted(confirmed) if arxiv]
                linked = confirmed | (wanted.get(work.arxiv_id, set()) - new)
            if record is not None:
                matches += [IdentityMatch(record, a) for a in sorted(linked)]
        return matches

    @staticmethod
    def _names(paper: Paper | None, author_id: int, surnames: Mapping[int, frozenset[str]]) -> bool:
        return names_them(paper, surnames.get(author_id, frozenset()), who=f"author {author_id}")

    async def _unlinked(self, wanted: Mapping[str, set[int]]) -> dict[str, set[int]]:
        """The (arXiv id -> author ids) pairs of `wanted` with no link yet."""
        if not wanted:
            return {}
        async with self._db.reader() as session:
            papers = PaperRepository(session)
            stored = await papers.ids_by_arxiv_id(wanted)
            links = await papers.linked_authors(stored.values())
        unlinked: dict[str, set[int]] = {}
        for arxiv_id, author_ids in wanted.items():
            linked = set(links.get(stored[arxiv_id], ())) if arxiv_id in stored else set()
            if author_ids - linked:
                unlinked[arxiv_id] = author_ids - linked
        return unlinked

    async def _fetch_arxiv(
        self, report: WorksFeedReport, arxiv_ids: list[str], cooling: Mapping[str, datetime | None]
    ) -> list[Paper] | None:
        """Full arXiv records (exact v1 date for priming, affiliations); None on a failure."""
        if API_SOURCE in cooling:
            report.errors.append(f"{API_SOURCE} backing off until {cooling[API_SOURCE]}")
            return None
        api = self._arxiv
        chunks = chunk_ids_for_url(
            arxiv_ids, base_url=api.base_url, max_request_line=api.max_request_line
        )
        report.arxiv_requests += len(chunks)
        try:
            return await api.fetch_by_ids(arxiv_ids)
        except ArxivQueryError as error:
            # arXiv refused the request itself: the same ids tomorrow would be refused again,
            # so these are skipped (loudly) rather than failing every run from now on.
            log.error("openalex works: arXiv refused the ids %s: %s", arxiv_ids, error)
            return []
        except SourceError as error:
            report.errors.append(f"{API_SOURCE} records of {len(arxiv_ids)} papers: {error}")
            return None


__all__ = [
    "JOB_KEY",
    "IdentityMatch",
    "OpenAlexWorksFeed",
    "WorksFeedIncomplete",
    "WorksFeedReport",
]
