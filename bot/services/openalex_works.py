"""The OpenAlex works feed: followed authors' works at every venue, by OpenAlex identity.

The poll finds arXiv papers by name; a biologist's journal articles, bioRxiv preprints or
conference papers never appear there. OpenAlex files works of every kind under disambiguated
author ids, so once a day (a feed of the poll cycle, `bot.services.feed_protocol.Feed`, its
state under `JOB_KEY`) this asks for the new works of every followed author with an OpenAlex id
(docs/sources.md#openalex):

- `/works?filter=authorships.author.id:<up to 100 ids>,from_created_date:<since>`: one list
  call per 100 authors, cursor paging. `since` is the job's last success minus `overlap`
  (OpenAlex indexes works days late), or on the first run today minus `first_lookback`.
  While OpenAlex or arXiv cools down after failures (or failed earlier in the cycle) the feed
  stops there; the API key, the daily budget and `Retry-After` are the source's own.
- Every work becomes a record (`work_paper`: its DOI, PubMed ids, OpenAlex id, venue and the
  other versions' DOIs) linked to the followed authors on it (`matched_by="openalex"`), stored
  through the cycle (`PollCycle.store`): one alert per destination and work, priming, digests, all
  as for a paper the poll found. A work already stored under any identifier is that work: a
  journal version of an announced preprint adds its venue ("now published"), never a second
  announcement.
- A work that is on arXiv and not yet linked to those authors also gets its arXiv record
  (exact v1 date for priming, categories, affiliations) in one `id_list` call per URL-sized
  chunk through the shared arXiv limiter: both records are one work.
- OpenAlex can merge two people or map a work to the wrong arXiv id: a followed author is
  linked only when the record names someone with their surname.

A run that could not ask a source it needed stores what it got and does not succeed, so its
watermark stays and the next cycle asks again. `JOB_KEY` keeps the name of the arXiv-only job
this replaced, so its watermark carries over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.services.arxiv_feeds import API_SOURCE
from bot.services.feed_protocol import FeedOutcome
from bot.services.poll_cycle import PollCycle
from bot.services.work_records import names_them, surnames_of, work_paper
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.errors import ArxivQueryError, SourceError
from bot.sources.models import Paper, Work
from bot.sources.openalex import MAX_IDS_PER_FILTER, MAX_PER_PAGE, OpenAlexSource
from bot.sources.openalex_parsing import short_openalex_id
from db.models import FeedState
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

JOB_KEY = "openalex_backstop"  # its feed_state key; its last success starts the window
OPENALEX_SOURCE = OpenAlexSource.name
DEFAULT_INTERVAL = timedelta(days=1)
DEFAULT_OVERLAP = timedelta(days=7)
DEFAULT_FIRST_LOOKBACK = timedelta(days=30)
# 100 authors x a week of new works rarely passes one page; 10 pages bound a runaway cursor.
MAX_PAGES_PER_CALL = 10


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    """`paper` lists followed author `author_id` by OpenAlex identity, not by name."""

    paper: Paper
    author_id: int
    matched_by: str = "openalex"


@dataclass(slots=True)
class WorksFeedReport:
    """What one run did (logged; the requests and errors also go into the cycle's summary).
    Requests are logical calls (retries excluded)."""

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
    """Followed authors' new works at every venue, by OpenAlex identity (a poll `Feed`)."""

    source = OPENALEX_SOURCE

    def __init__(
        self,
        *,
        openalex: OpenAlexSource | None,
        arxiv: ArxivApiSource,
        interval: timedelta = DEFAULT_INTERVAL,
        overlap: timedelta = DEFAULT_OVERLAP,
        first_lookback: timedelta = DEFAULT_FIRST_LOOKBACK,
    ) -> None:
        """`openalex` None: not configured, so there is nothing to ask (never due)."""
        self._openalex = openalex
        self._arxiv = arxiv
        self.interval = interval
        self.overlap = overlap
        self.first_lookback = first_lookback

    def _followed(self, cycle: PollCycle) -> dict[str, int]:
        """OpenAlex author id (short) -> followed author id, for those that have one."""
        if self._openalex is None:
            return {}
        return {
            short: author.id
            for author in cycle.authors
            if (short := short_openalex_id(author.openalex_id))
        }

    def key(self, cycle: PollCycle) -> str | None:
        return JOB_KEY if self._followed(cycle) else None

    def steps(self, cycle: PollCycle) -> int:
        return -(-len(self._followed(cycle)) // MAX_IDS_PER_FILTER)

    async def poll(self, cycle: PollCycle, state: FeedState | None) -> FeedOutcome:
        """One pass over every followed author with an OpenAlex id; stops at the first source
        that fails or cools down (what was found before is stored)."""
        by_openalex = self._followed(cycle)
        asked = set(by_openalex.values())
        surnames = {
            author.id: surnames_of((author.display_name, *(author.name_variants or ())))
            for author in cycle.authors
            if author.id in asked
        }
        since = cycle.window_start(state, overlap=self.overlap, first_lookback=self.first_lookback)
        report = WorksFeedReport(since=since.date(), authors=len(by_openalex))
        ids = sorted(by_openalex)
        chunks = [ids[i : i + MAX_IDS_PER_FILTER] for i in range(0, len(ids), MAX_IDS_PER_FILTER)]
        for number, chunk in enumerate(chunks, start=1):
            if not await self._run_chunk(cycle, report, chunk, by_openalex, surnames):
                break  # a failed source would fail the next chunk too
            cycle.step(f"OpenAlex works {number}/{len(chunks)}")
        summary = cycle.summary
        summary.count_request(OPENALEX_SOURCE, report.openalex_requests)
        if report.arxiv_requests:
            summary.count_request(API_SOURCE, report.arxiv_requests)
        summary.papers_seen += report.works
        summary.errors += [f"{JOB_KEY}: {error}" for error in report.errors]
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
        return FeedOutcome(succeeded=not report.errors)

    async def _run_chunk(
        self,
        cycle: PollCycle,
        report: WorksFeedReport,
        chunk: Sequence[str],
        by_openalex: Mapping[str, int],
        surnames: Mapping[int, frozenset[str]],
    ) -> bool:
        """Works of up to 100 authors, then their unlinked arXiv papers; False on a failure."""
        assert self._openalex is not None  # no OpenAlex: no author ids to ask about
        if cycle.unavailable(OPENALEX_SOURCE):
            report.errors.append(f"{OPENALEX_SOURCE} is backing off")
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
            cycle.failed.add(OPENALEX_SOURCE)
            report.errors.append(f"works of {len(chunk)} authors: {error}")
            return False
        report.works += len(works)
        in_chunk = set(chunk)
        on_work = [(w, {by_openalex[i] for i in w.author_ids & in_chunk}) for w in works]
        wanted: dict[str, set[int]] = {}  # arXiv id -> followed authors on the work
        for work, author_ids in on_work:
            if work.arxiv_id is not None:
                wanted.setdefault(work.arxiv_id, set()).update(author_ids)
        unlinked = await self._unlinked(cycle, wanted)
        report.arxiv_ids_new += len(unlinked)
        papers = await self._fetch_arxiv(cycle, report, sorted(unlinked)) if unlinked else []
        if papers is None:
            return False
        missing = set(unlinked) - {p.arxiv_id for p in papers}
        if missing:
            log.warning("openalex works: arXiv does not know %s", ", ".join(sorted(missing)))
        matches = self._matches(
            on_work, wanted, unlinked, {p.arxiv_id: p for p in papers}, surnames
        )
        stored = await cycle.store(matches)
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

    @staticmethod
    async def _unlinked(cycle: PollCycle, wanted: Mapping[str, set[int]]) -> dict[str, set[int]]:
        """The (arXiv id -> author ids) pairs of `wanted` with no link yet."""
        if not wanted:
            return {}
        async with cycle.database.reader() as session:
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
        self, cycle: PollCycle, report: WorksFeedReport, arxiv_ids: list[str]
    ) -> list[Paper] | None:
        """Full arXiv records (exact v1 date for priming, affiliations); None on a failure."""
        if cycle.unavailable(API_SOURCE):
            report.errors.append(f"{API_SOURCE} is backing off")
            return None
        report.arxiv_requests += self._arxiv.id_list_requests(arxiv_ids)
        try:
            return await self._arxiv.fetch_by_ids(arxiv_ids)
        except ArxivQueryError as error:
            # arXiv refused the request itself: the same ids tomorrow would be refused again,
            # so these are skipped (loudly) rather than failing every run from now on.
            log.error("openalex works: arXiv refused the ids %s: %s", arxiv_ids, error)
            return []
        except SourceError as error:
            cycle.failed.add(API_SOURCE)
            report.errors.append(f"{API_SOURCE} records of {len(arxiv_ids)} papers: {error}")
            return None


__all__ = [
    "JOB_KEY",
    "IdentityMatch",
    "OpenAlexWorksFeed",
    "WorksFeedReport",
]
