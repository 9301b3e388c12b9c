"""The citations job: new works citing the papers of authors whose citations someone follows.

Once a day (the leader's `citations` tick, or `paperscout citations --once`):

1. The watched papers: per watched author, their `papers_per_author` most cited tracked papers
   (the request budget: a paper costs 1/100 of a request a day). arXiv papers without an
   OpenAlex id get one first (`work_ids_of_arxiv`, one call per 100, at most
   `resolve_per_run` a run), stored as the paper's identifier; one OpenAlex does not know is
   asked again a month later (`papers.openalex_checked_at`).
2. `/works?filter=cites:<up to 100 ids>,from_created_date:<since>` per 100 watched papers,
   cursor paged (`OpenAlexSource.works_citing`). `since` is the job's last success minus
   `lag` (OpenAlex indexes works days late), or `first_lookback` before now on its first run.
   The API key, the daily budget and `Retry-After` are the OpenAlex source's own, shared with
   the other OpenAlex jobs.
3. Per batch, one fenced transaction (`CutoffFence.storing`, so digests window on the links'
   `found_at` like papers' `first_seen_at`): each citing work is stored as a paper through the
   same identity and merge rules as every other work (`PaperRepository.upsert_many`), linked
   to the watched papers it cites (`citation_links`, one row per watched author of the cited
   paper; a self-citation when the citing work names that author's OpenAlex id), and every new
   link reaches the instant citation follows of its author: one outbox row per (destination,
   citing work), naming the cited papers. A self-citation is left out unless the follow keeps
   them.

A batch that fails (OpenAlex down or refusing) stops the run: what was stored stays, the
watermark does not move, and the job is due again in `retry_after`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.author_fetch import paper_record
from bot.services.cutoff_fence import CutoffFence
from bot.services.work_records import work_paper
from bot.sources.errors import SourceError
from bot.sources.models import Work
from bot.sources.openalex import MAX_IDS_PER_FILTER, OpenAlexSource
from db.database import Database
from db.models import Author
from db.repositories.citation_follows import CitationFollowRepository
from db.repositories.citations import CitationRepository, NewLink, WatchedPaper
from db.repositories.feeds import FeedStateRepository
from db.repositories.leader import exclusively
from db.repositories.outbox import OutboxRepository, OutboxRow
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)

JOB_KEY = "citations"  # its feed_state row: watermark and next run
LOCK_ROLE = "citations"  # one run at a time per database (the tick, the terminal)
DEFAULT_INTERVAL = timedelta(days=1)
DEFAULT_RETRY_AFTER = timedelta(hours=1)
DEFAULT_LAG = timedelta(days=7)
DEFAULT_FIRST_LOOKBACK = timedelta(days=7)
# 1,000 watched authors x 100 papers = 1,000 requests; x 50 papers, 500 (docs/sources.md).
DEFAULT_PAPERS_PER_AUTHOR = 100
# arXiv papers asked for their OpenAlex id per run (50 requests); one OpenAlex did not know is
# asked again after RECHECK_UNKNOWN_AFTER (it indexes arXiv days late, and merges later).
DEFAULT_RESOLVE_PER_RUN = 5_000
RECHECK_UNKNOWN_AFTER = timedelta(days=30)
MAX_PAGES_PER_BATCH = 10  # 1,000 citing works of 100 papers in a week: a runaway cursor

ProgressCallback = Callable[[str, int, int], None]


@dataclass(slots=True)
class CitationReport:
    """What one run did (the terminal prints it; the log keeps it). `busy`: another run held
    the lock; `not_due`: the tick found it not due (nothing asked)."""

    since: date | None = None
    authors: int = 0  # watched authors
    papers_watched: int = 0  # cited ids asked about
    capped_authors: int = 0  # authors with more tracked papers than are watched
    resolved: int = 0  # arXiv papers given their OpenAlex id
    requests: int = 0  # OpenAlex requests (pages), retries excluded
    works: int = 0  # citing works OpenAlex returned
    new_works: int = 0  # of those, with a citation link new to the database
    self_citations: int = 0  # new links that are self-citations
    alerts: int = 0  # outbox rows enqueued
    errors: list[str] = field(default_factory=list)
    busy: bool = False
    not_due: bool = False

    @property
    def succeeded(self) -> bool:
        return not self.errors and not self.busy


@dataclass(frozen=True, slots=True)
class _Batch:
    """What storing one batch wrote."""

    new_works: int
    self_citations: int
    alerts: int


class CitationWatch:
    """Finds and stores new citations of watched authors' papers, and plans their alerts."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        fence: CutoffFence,
        *,
        openalex: OpenAlexSource | None,
        papers_per_author: int = DEFAULT_PAPERS_PER_AUTHOR,
        resolve_per_run: int = DEFAULT_RESOLVE_PER_RUN,
        interval: timedelta = DEFAULT_INTERVAL,
        retry_after: timedelta = DEFAULT_RETRY_AFTER,
        lag: timedelta = DEFAULT_LAG,
        first_lookback: timedelta = DEFAULT_FIRST_LOOKBACK,
    ) -> None:
        """`openalex` None: not configured, so the job reports that and asks nothing."""
        self._database = database
        self._clock = clock
        self._fence = fence
        self._openalex = openalex
        self.papers_per_author = papers_per_author
        self.resolve_per_run = resolve_per_run
        self.interval = interval
        self.retry_after = retry_after
        self.lag = lag
        self.first_lookback = first_lookback

    async def run_if_due(self) -> CitationReport:
        """The tick: run when the job's `next_poll_at` has passed (or it never ran)."""
        async with self._database.reader() as session:
            state = await FeedStateRepository(session).get(JOB_KEY)
        if state is not None and state.next_poll_at and state.next_poll_at > self._clock.now():
            return CitationReport(not_due=True)
        return await self.run()

    async def run(
        self,
        progress: ProgressCallback | None = None,
        *,
        wait_seconds: float = 0.0,
        on_wait: Callable[[], None] | None = None,
    ) -> CitationReport:
        """One run now, whatever its schedule; never raises for an upstream failure.
        `progress(stage, done, total)` is called after each step. While another run holds the
        lock this waits up to `wait_seconds` (`on_wait` called when it starts waiting), then
        gives up with a `busy` report."""
        async with exclusively(
            self._database, LOCK_ROLE, wait_seconds=wait_seconds, on_wait=on_wait
        ) as held:
            if not held:
                log.info("citations: another run is going on this database; not starting one")
                return CitationReport(busy=True)
            return await self._run(progress)

    async def _run(self, progress: ProgressCallback | None) -> CitationReport:
        now = self._clock.now()
        async with self._database.reader() as session:
            state = await FeedStateRepository(session).get(JOB_KEY)
            authors = await CitationFollowRepository(session).watched_authors()
            citations = CitationRepository(session)
            watched = await citations.watched_papers(
                [a.id for a in authors], per_author=self.papers_per_author
            )
            tracked = await citations.tracked_counts([a.id for a in authors])
        last = state.last_success_at if state is not None else None
        since = (last - self.lag) if last is not None else (now - self.first_lookback)
        report = CitationReport(since=since.date(), authors=len(authors))
        report.capped_authors = sum(1 for n in tracked.values() if n > self.papers_per_author)
        if not authors:
            await self._finish(report, now)
            return report
        if self._openalex is None:
            report.errors.append("OpenAlex is not configured (OPENALEX_API_URL is empty)")
            await self._finish(report, now)
            return report
        watched = await self._with_openalex_ids(watched, report)
        cited: dict[str, list[WatchedPaper]] = {}
        for paper in watched:
            if paper.openalex_id is not None:
                cited.setdefault(paper.openalex_id, []).append(paper)
        report.papers_watched = len(cited)
        ids = sorted(cited)
        batches = [ids[i : i + MAX_IDS_PER_FILTER] for i in range(0, len(ids), MAX_IDS_PER_FILTER)]
        by_id = {a.id: a for a in authors}
        for number, batch in enumerate(batches, start=1):
            if report.errors:
                break  # OpenAlex failed: the next batch would fail too
            await self._run_batch(batch, cited, by_id, report)
            if progress is not None:
                progress(f"citing works {number}/{len(batches)}", number, len(batches))
        await self._finish(report, now)
        return report

    async def _with_openalex_ids(
        self, watched: list[WatchedPaper], report: CitationReport
    ) -> list[WatchedPaper]:
        """Give arXiv papers without an OpenAlex id theirs (up to `resolve_per_run`)."""
        assert self._openalex is not None
        recheck = self._clock.now() - RECHECK_UNKNOWN_AFTER
        missing = [
            p
            for p in watched
            if p.openalex_id is None
            and p.arxiv_id
            and (p.openalex_checked_at is None or p.openalex_checked_at < recheck)
        ]
        arxiv_ids = list(dict.fromkeys(p.arxiv_id for p in missing if p.arxiv_id))
        arxiv_ids = arxiv_ids[: self.resolve_per_run]
        if not arxiv_ids:
            return watched
        asked = set(arxiv_ids)
        try:
            found = await self._openalex.work_ids_of_arxiv(arxiv_ids)
        except SourceError as error:
            report.errors.append(f"OpenAlex ids of {len(arxiv_ids)} arXiv papers: {error}")
            return watched
        finally:
            report.requests += -(-len(arxiv_ids) // MAX_IDS_PER_FILTER)
        ids = {p.paper_id: found[p.arxiv_id] for p in missing if p.arxiv_id in found}
        async with self._database.transaction() as session:
            report.resolved = await CitationRepository(session).add_openalex_ids(
                [p.paper_id for p in missing if p.arxiv_id in asked], ids, now=self._clock.now()
            )
        return [
            WatchedPaper(p.author_id, p.paper_id, ids.get(p.paper_id) or p.openalex_id, p.arxiv_id)
            for p in watched
        ]

    async def _run_batch(
        self,
        batch: Sequence[str],
        cited: Mapping[str, Sequence[WatchedPaper]],
        authors: Mapping[int, Author],
        report: CitationReport,
    ) -> None:
        assert self._openalex is not None and report.since is not None
        try:
            works, requests = await self._openalex.works_citing(
                batch, since=report.since, max_pages_per_chunk=MAX_PAGES_PER_BATCH
            )
        except SourceError as error:
            report.requests += 1
            report.errors.append(f"works citing {len(batch)} papers: {error}")
            return
        report.requests += requests
        report.works += len(works)
        in_batch = set(batch)
        citing = [(w, [r for r in w.references if r in in_batch]) for w in works]
        citing = [(w, refs) for w, refs in citing if refs]
        if not citing:
            return
        async with self._fence.storing(self._database) as (session, stamp):
            stored = await _store_batch(session, citing, cited, authors, now=stamp)
        report.new_works += stored.new_works
        report.self_citations += stored.self_citations
        report.alerts += stored.alerts

    async def _finish(self, report: CitationReport, started: datetime) -> None:
        """Move the watermark on success; else be due again in `retry_after`."""
        async with self._database.transaction() as session:
            feeds = FeedStateRepository(session)
            if report.succeeded:
                await feeds.upsert(
                    JOB_KEY,
                    now=started,
                    last_success_at=started,
                    next_poll_at=started + self.interval,
                )
            else:  # not configured: nothing to retry before tomorrow
                retry = self.retry_after if self._openalex is not None else self.interval
                await feeds.upsert(JOB_KEY, now=started, next_poll_at=started + retry)
        log.info(
            "citations since %s: %d authors, %d papers watched, %d requests, %d citing works, "
            "%d new, %d self-citations, %d alerts, %d errors",
            report.since,
            report.authors,
            report.papers_watched,
            report.requests,
            report.works,
            report.new_works,
            report.self_citations,
            report.alerts,
            len(report.errors),
        )


async def _store_batch(
    session: AsyncSession,
    citing: Sequence[tuple[Work, Sequence[str]]],
    cited: Mapping[str, Sequence[WatchedPaper]],
    authors: Mapping[int, Author],
    *,
    now: datetime,
) -> _Batch:
    """Store the citing works, their links to the watched papers and the alerts of new links."""
    records: dict[str, tuple[PaperRecord, Work, Sequence[str]]] = {}
    for work, refs in citing:
        paper = work_paper(work)
        record = paper_record(paper) if paper is not None else None
        if record is None:
            log.warning("citations: OpenAlex work %s has no title or date", work.openalex_id)
            continue
        records[record.key] = (record, work, refs)
    if not records:
        return _Batch(0, 0, 0)
    upserted = await PaperRepository(session).upsert_many(
        [record for record, _, _ in records.values()], now=now
    )
    links: list[NewLink] = []
    for key, (_, work, refs) in records.items():
        citing_id = upserted.ids.get(key)
        if citing_id is None:
            continue
        for ref in refs:
            for paper in cited[ref]:
                if paper.paper_id == citing_id:
                    continue  # OpenAlex's record of the watched paper itself
                author = authors[paper.author_id]
                own = author.openalex_id is not None and author.openalex_id in work.author_ids
                links.append(NewLink(citing_id, paper.paper_id, paper.author_id, own))
    new = await CitationRepository(session).add_links(links, now=now)
    rows = await _plan_alerts(session, new)
    alerts = await OutboxRepository(session).enqueue_many(rows, now=now) if rows else []
    return _Batch(
        new_works=len({link.citing_paper_id for link in new}),
        self_citations=sum(1 for link in new if link.self_citation),
        alerts=len(alerts),
    )


async def _plan_alerts(session: AsyncSession, new: Sequence[NewLink]) -> list[OutboxRow]:
    """One alert per (destination, citing work) over the new links its instant citation
    follows see (self-citations only for a follow that keeps them)."""
    if not new:
        return []
    follows = await CitationFollowRepository(session).instant_of({n.author_id for n in new})
    plans: dict[tuple[str, int, int], tuple[int | None, set[int], set[int]]] = {}
    for follow in follows:
        for link in new:
            if link.author_id != follow.author_id:
                continue
            if link.self_citation and not follow.include_self:
                continue
            kind = "user" if follow.scope == "user" else "channel"
            _, cited_ids, author_ids = plans.setdefault(
                (kind, follow.target_id, link.citing_paper_id), (follow.guild_id, set(), set())
            )
            cited_ids.add(link.cited_paper_id)
            author_ids.add(link.author_id)
    return [
        OutboxRow(
            kind="citation",
            dedupe_key=f"citation:{kind}:{target_id}:{citing_id}",
            destination_kind=kind,  # type: ignore[arg-type]
            destination_id=target_id,
            guild_id=guild,
            payload={
                "citing_paper_id": citing_id,
                "cited_paper_ids": sorted(cited_ids),
                "author_ids": sorted(author_ids),
            },
        )
        for (kind, target_id, citing_id), (guild, cited_ids, author_ids) in sorted(plans.items())
    ]


__all__ = ["JOB_KEY", "CitationReport", "CitationWatch"]
