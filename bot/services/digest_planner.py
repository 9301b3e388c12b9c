"""Planning due digests into the outbox, in bulk (the leader's plan tick).

Per batch of due schedules, in one write transaction and a constant number of queries: the
due schedules, their candidate papers (one query), the papers and author names not loaded yet,
then the outbox rows, digest items and advanced schedules (`record_plans`). A crash before the
commit leaves nothing behind; a second planner (two leaders for a moment) hits the unique
dedupe key and changes nothing (docs/operations.md#the-outbox). The cut-off (`now`) is taken via the
`CutoffFence` shared with the poller, so no paper stamped before it commits after it.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.cutoff_fence import CutoffFence
from bot.services.digest_content import (
    CardBook,
    CitedGroup,
    ComposedDigest,
    DigestEntry,
    Measure,
    group_candidates,
    group_citations,
)
from bot.services.digest_times import date_range, next_occurrence, period_key
from bot.services.suggestions import Suggestion, SuggestionSource
from bot.services.topic_reasons import topic_whys
from db.database import Database
from db.models import DigestSchedule
from db.repositories.authors import AuthorRepository
from db.repositories.citations import CitationRepository
from db.repositories.digests import DigestPlanRow, DigestScheduleRepository
from db.repositories.papers import PaperRepository
from db.repositories.topics import TopicRepository

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
MAX_BATCHES = 1000  # a bound, so a schedule that cannot advance never spins a tick forever


@dataclass(frozen=True)
class PlanReport:
    """What one planning run did."""

    planned: int = 0  # digests written to the outbox
    skipped_empty: int = 0  # empty weeks with posting off: advanced, nothing posted
    batches: int = 0


async def fill_book(session: AsyncSession, book: CardBook, entries: Iterable[DigestEntry]) -> None:
    """Load into `book` the papers, author names and topic reasons of `entries` it does not
    hold yet."""
    entries = list(entries)
    paper_ids = book.missing_papers(e.paper_id for e in entries)
    author_ids = book.missing_authors(a for e in entries for a in e.author_ids)
    papers = await PaperRepository(session).list_by_ids(paper_ids) if paper_ids else []
    authors = await AuthorRepository(session).list_by_ids(author_ids) if author_ids else []
    book.add(papers, {a.id: a.display_name for a in authors})
    pairs = [
        (t, e.paper_id)
        for e in entries
        for t in e.topic_ids
        if (t, e.paper_id) not in book.topic_whys
    ]
    if pairs:
        book.topic_whys.update(await topic_whys(session, pairs))


@dataclass(frozen=True)
class DigestContents:
    """Per schedule: the papers due in its next digest, those of its earlier digests now
    published, and its new citations."""

    papers: dict[int, list[DigestEntry]]
    published: dict[int, list[int]]
    citations: dict[int, list[CitedGroup]]


async def load_contents(
    session: AsyncSession,
    repo: DigestScheduleRepository,
    book: CardBook,
    schedule_ids: Sequence[int],
    until: datetime,
) -> DigestContents:
    """What is due in each schedule's next digest; its papers and authors loaded into `book`."""
    grouped = group_candidates(
        await repo.candidates(schedule_ids, until=until),
        await TopicRepository(session).candidates(schedule_ids, until=until),
    )
    published = await repo.now_published(schedule_ids, until=until)
    citations = group_citations(
        await CitationRepository(session).candidates(schedule_ids, until=until)
    )
    cited_papers = {
        p
        for groups in citations.values()
        for g in groups
        for p in (g.cited_paper_id, *g.citing_paper_ids)
    }
    await fill_book(
        session,
        book,
        [
            *(e for entries in grouped.values() for e in entries),
            *(DigestEntry(p, ()) for ids in published.values() for p in ids),
            *(DigestEntry(p, ()) for p in sorted(cited_papers)),
        ],
    )
    return DigestContents(grouped, published, citations)


def digest_range(
    schedule: DigestSchedule, end: datetime, book: CardBook, entries: Iterable[DigestEntry]
) -> str:
    """The dates a digest covers: since the previous cut-off until `end`.

    The first digest has no previous cut-off: it starts at the set-up, or at its oldest paper
    when that is older (papers since the follow, not since the set-up, are in it).
    """
    start = schedule.last_cutoff_at
    if start is None:
        seen = [book.papers[e.paper_id].first_seen_at for e in book.available(entries)]
        start = min([schedule.created_at, *seen])
    return date_range(start, end, schedule.timezone)


def destination_of(schedule: DigestSchedule) -> tuple[str, int]:
    """Where the outbox sends it: a channel, or the user's DMs."""
    return ("user" if schedule.target_kind == "dm" else "channel", schedule.target_id)


def plan_row(
    schedule: DigestSchedule,
    composed: ComposedDigest | None,
    *,
    dedupe_key: str,
    next_digest_at: datetime,
    cutoff: datetime,
) -> DigestPlanRow:
    """The row `record_plans` writes for one schedule."""
    kind, target = destination_of(schedule)
    return DigestPlanRow(
        schedule_id=schedule.id,
        dedupe_key=dedupe_key,
        destination_kind=kind,  # type: ignore[arg-type]
        destination_id=target,
        guild_id=schedule.guild_id,
        payload=composed.payload() if composed is not None else None,
        paper_ids=composed.paper_ids if composed is not None else (),
        citing_paper_ids=composed.citing_paper_ids if composed is not None else (),
        expected_next_digest_at=schedule.next_digest_at,
        next_digest_at=next_digest_at,
        last_cutoff_at=cutoff,
    )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one planning run.

    A run allocates hundreds of thousands of small objects while thousands of loaded papers
    stay alive; the collector's full passes over them took half of the run's time (measured
    with benchmarks/bench_digest.py). Reference counting still frees everything at once, and
    the collector resumes (and catches up) as soon as the run ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class DigestPlanner:
    """Writes every due digest into the outbox and moves its schedule to the next week."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        measure: Measure,
        *,
        batch_size: int = BATCH_SIZE,
        fence: CutoffFence,
    ) -> None:
        """`fence`: the process's shared one (`bot.runtime`); a separate one is still ordered
        against the others by the database's lock."""
        self._database = database
        self._measure = measure
        self._batch_size = batch_size
        self._fence = fence

    async def plan_due(self, now: datetime | None = None) -> PlanReport:
        """Plan every schedule due at `now` (default: the clock), batch by batch."""
        with _cyclic_gc_paused():
            return await self._plan_due(now)

    async def _plan_due(self, at: datetime | None) -> PlanReport:
        book = CardBook(self._measure)  # shared by the batches: each paper is measured once
        planned = skipped = batches = 0
        async with self._database.transaction() as session:
            # One cut-off for every batch, fenced against paper stores: once it commits, every
            # paper stamped at or before it has committed and every later one stamps after.
            now = await self._fence.cut(session, at)
        suggestions = SuggestionSource(now)  # the week's listing, read once a run
        async with self._database.reader() as session:
            suggesting = await suggestions.prepare(session)
        while batches < MAX_BATCHES:
            # Suggestions are seconds of arithmetic per 1,000 destinations: worked out before
            # the batch's write transaction, so they never hold the database's write lock.
            suggested: dict[int, list[Suggestion]] = {}
            if suggesting:
                async with self._database.reader() as session:
                    upcoming = await DigestScheduleRepository(session).due(
                        now, limit=self._batch_size
                    )
                    suggested = await suggestions.for_schedules(session, upcoming)
            async with self._database.transaction() as session:
                repo = DigestScheduleRepository(session)
                schedules = await repo.due(now, limit=self._batch_size)
                if not schedules:
                    break
                contents = await load_contents(session, repo, book, [s.id for s in schedules], now)
                rows = []
                for schedule in schedules:
                    row = await self._plan_one(
                        repo, schedule, contents, book, now, suggested.get(schedule.id, [])
                    )
                    if row is not None:
                        rows.append(row)
                created = await repo.record_plans(rows, now=now)
            batches += 1
            planned += len(created)
            skipped += sum(1 for r in rows if r.payload is None)
            if len(schedules) < self._batch_size:
                break
            if not created and not any(r.payload is None for r in rows):
                log.warning("digest planning made no progress at %s; stopping this tick", now)
                break
        if planned or skipped:
            log.info("planned %d digests (%d empty weeks not posted)", planned, skipped)
        return PlanReport(planned=planned, skipped_empty=skipped, batches=batches)

    async def _plan_one(
        self,
        repo: DigestScheduleRepository,
        schedule: DigestSchedule,
        contents: DigestContents,
        book: CardBook,
        now: datetime,
        suggestions: Sequence[Suggestion],
    ) -> DigestPlanRow | None:
        entries = contents.papers.get(schedule.id, [])
        try:
            composed = book.compose(
                entries,
                digest_range(schedule, schedule.next_digest_at, book, entries),
                post_when_empty=schedule.post_when_empty,
                published=contents.published.get(schedule.id, []),
                style=schedule.style,
                citations=contents.citations.get(schedule.id, []),
                suggestions=suggestions,
                schedule_id=schedule.id,
            )
            following = next_occurrence(
                schedule.weekday, schedule.local_time, schedule.timezone, now
            )
        except Exception as error:  # a broken schedule (e.g. a zone gone from tzdata)
            log.exception("digest schedule %s cannot be planned; pausing it", schedule.id)
            await repo.pause(schedule.id, f"cannot be planned: {error}"[:500], now=now)
            return None
        return plan_row(
            schedule,
            composed,
            dedupe_key=f"digest:{schedule.id}:{period_key(schedule.next_digest_at)}",
            next_digest_at=following,
            cutoff=now,
        )
