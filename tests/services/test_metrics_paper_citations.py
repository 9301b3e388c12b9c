"""The daily metrics refresh also reads per-paper citation counts: tracked papers of followed
authors, never-read then oldest first, capped per day, 100 per OpenAlex call, S2 as fallback."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.metrics_refresh import MetricsRefresher
from bot.sources.factory import Sources
from db.database import Database
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.services.conftest import follow_author
from tests.sources.citation_upstream import route_openalex_citations, route_s2_paper_batch

IDS = [f"2405.{n:05d}" for n in range(250)]


async def _seed(db: Database, now: datetime, arxiv_ids: list[str]) -> dict[str, int]:
    """A followed author with these papers (built in code), plus one unfollowed paper."""
    author_id = await follow_author(db, "Ada Lovelace", created_at=now - timedelta(days=40))
    records = [
        PaperRecord(
            arxiv_id=a,
            title=f"Paper {a}",
            published=now - timedelta(days=30),
            updated=now - timedelta(days=30),
            primary_category="cs.LG",
        )
        for a in [*arxiv_ids, "2405.99999"]
    ]
    async with db.transaction() as session:
        repo = PaperRepository(session)
        ids = (await repo.upsert_many(records, now=now)).ids
        await repo.link_authors([(author_id, ids[a], "name") for a in arxiv_ids], now=now)
    return ids


async def _counts(db: Database, ids: dict[str, int]) -> dict[str, tuple[int | None, object]]:
    async with db.reader() as session:
        papers = await PaperRepository(session).list_by_ids(ids.values())
    return {p.arxiv_id: (p.citations, p.citations_as_of) for p in papers}


def _refresher(
    db: Database, clock: ManualClock, sources: Sources, *, openalex: bool = True
) -> MetricsRefresher:
    return MetricsRefresher(
        db,
        clock,
        openalex=sources.openalex if openalex else None,
        semantic_scholar=sources.semantic_scholar,
    )


async def test_daily_run_batches_100_per_call_caps_and_rotates(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    now = clock.now()
    ids = await _seed(db, now, IDS)
    known = {a: n for n, a in enumerate(IDS) if n % 10 != 0}  # every tenth unknown to OpenAlex
    route_openalex_citations(upstream, known)
    refresher = _refresher(db, clock, sources)

    report = await refresher.refresh_followed(paper_cap=230)

    assert (report.papers, report.papers_counted, report.papers_unknown) == (230, 207, 23)
    assert (report.paper_requests, report.paper_failed_batches) == (3, 0)  # 100 + 100 + 30
    works = upstream.requests_to("/openalex/works")
    assert [len(r.query["filter"].split("|")) for r in works] == [100, 100, 30]
    assert upstream.requests_to("/graph/v1/paper/batch") == []  # OpenAlex answered
    stored = await _counts(db, ids)
    assert stored["2405.00001"] == (1, now) and stored["2405.00229"] == (229, now)
    assert stored["2405.00000"] == (None, now)  # looked at, unknown: back of the queue
    assert stored["2405.00230"] == (None, None)  # over today's cap
    assert stored["2405.99999"] == (None, None)  # nobody follows its author

    clock.advance(timedelta(days=1))
    tomorrow = await refresher.refresh_paper_citations(cap=230)
    assert (tomorrow.papers, tomorrow.counted, tomorrow.requests) == (20, 18, 1)  # the rest

    clock.advance(timedelta(days=1))
    assert (await refresher.refresh_paper_citations(cap=230)).requests == 0  # all fresh


async def test_known_count_survives_a_paper_the_source_lost(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    now = clock.now()
    ids = await _seed(db, now, IDS[:2])
    old = now - timedelta(days=20)
    async with db.transaction() as session:
        await PaperRepository(session).update_citations({ids[IDS[0]]: 40}, as_of=old)
    route_openalex_citations(upstream, {IDS[1]: 3})

    report = await _refresher(db, clock, sources).refresh_paper_citations()

    assert (report.counted, report.unknown) == (1, 1)
    stored = await _counts(db, ids)
    # Kept, and asked: it goes to the back of the queue instead of heading it every day.
    assert stored[IDS[0]] == (40, now) and stored[IDS[1]] == (3, now)


async def test_semantic_scholar_when_openalex_fails_or_is_not_configured(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    now = clock.now()
    ids = await _seed(db, now, IDS[:120])
    upstream.add_fault("/openalex/works", Fault.http_status(503))
    route_s2_paper_batch(upstream, {a: 5 for a in IDS[:120]})

    report = await _refresher(db, clock, sources).refresh_paper_citations()

    # the first OpenAlex call failed (after its retries): no second one; one S2 POST took all 120
    assert (report.counted, report.failed_batches, report.requests) == (120, 0, 2)
    (post,) = upstream.requests_to("/graph/v1/paper/batch")
    assert len(post.json()["ids"]) == 120
    assert (await _counts(db, ids))[IDS[0]] == (5, now)

    clock.advance(timedelta(days=8))
    upstream.clear_faults()
    alone = await _refresher(db, clock, sources, openalex=False).refresh_paper_citations()
    assert (alone.counted, alone.requests) == (120, 1)
    assert len(upstream.requests_to("/graph/v1/paper/batch")) == 2
