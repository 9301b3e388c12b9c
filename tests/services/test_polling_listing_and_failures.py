"""The listing feed (RSS) path, its enrichment by id, and upstream failures during a cycle.

"Andreas Steiner" (cs.CV, cs.LG) is followed instantly since 1 November 2024. The listing of
cs.CV+cs.LG is the synthetic 28 November 2024 feed whose first item is his; the arXiv API
answers the id fetch of that item with its full record (synthetic), and the author query with
the recorded empty feed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services.arxiv_feeds import API_FEED_KEY
from bot.services.polling import PollingService
from db.database import Database
from db.models import OutboxEntry
from db.repositories.feeds import FeedStateRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.services.conftest import Dest, follow_author

NOW = datetime(2024, 11, 28, 6, 0, tzinfo=UTC)
RSS_KEY = "arxiv_rss:cs.CV+cs.LG"


def route(upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        "/rss/cs.CV+cs.LG",
        fixture="arxiv_rss/synthetic_rss_cs-CV_replace-cross.xml",
        content_type="application/rss+xml; charset=utf-8",
        conditional=True,
    )
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/legacy2024_query_empty.atom.xml",
        query={"search_query": re.compile(r"^au:")},
    )
    # id_list=2611.20001 is routed from the manifest (synthetic_idlist_2611.20001.atom.xml).


async def follow_steiner(db: Database) -> int:
    return await follow_author(
        db,
        "Andreas Steiner",
        created_at=datetime(2024, 11, 1, tzinfo=UTC),
        categories=["cs.CV", "cs.LG"],
        destinations=(Dest("user", 111),),
    )


async def alert_count(db: Database) -> int:
    async with db.reader() as session:
        return len(list((await session.execute(select(OutboxEntry))).scalars()))


async def test_listing_item_is_stored_with_its_full_api_record_and_alerted(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    clock.set(NOW)
    route(upstream)
    await follow_steiner(db)

    summary = await service.run_cycle()

    assert summary.errors == []
    assert summary.requests == {"arxiv_api": 2, "arxiv_rss": 1}  # author query + id fetch
    assert summary.papers_new == 1 and summary.alerts_enqueued == 1
    fetched = [r for r in upstream.requests_to("/api/query") if "id_list" in r.query]
    assert [r.query["id_list"] for r in fetched] == ["2611.20001"]
    async with db.reader() as session:
        paper = await PaperRepository(session).get_by_arxiv_id("2611.20001")
    assert paper is not None
    assert paper.published == datetime(2024, 11, 26, 18, 0, tzinfo=UTC)  # not the listing day
    first = paper.authors[0]
    assert (first.name, first.affiliations) == ("Andreas Steiner", ["Google DeepMind"])

    clock.advance(timedelta(hours=1))
    again = await service.run_cycle()
    assert (again.papers_new, again.alerts_enqueued, again.errors) == (0, 0, [])
    assert [r.status for r in upstream.requests_to("/rss/")] == [200, 304]
    assert await alert_count(db) == 1


async def test_api_outage_is_recorded_and_the_listing_still_delivers(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    clock.set(NOW)
    route(upstream)
    await follow_steiner(db)
    upstream.add_fault("/api/query", Fault.http_status(500))

    summary = await service.run_cycle()  # never raises for an upstream failure

    assert len(summary.errors) == 1 and summary.errors[0].startswith(API_FEED_KEY)
    assert "500" in summary.errors[0]
    assert summary.feeds_polled == [API_FEED_KEY, RSS_KEY]
    assert summary.papers_new == 1 and summary.alerts_enqueued == 1  # from the listing
    async with db.reader() as session:
        health = await SourceHealthRepository(session).get("arxiv_api")
        rss_health = await SourceHealthRepository(session).get("arxiv_rss")
        api_state = await FeedStateRepository(session).get(API_FEED_KEY)
        rss_state = await FeedStateRepository(session).get(RSS_KEY)
        paper = await PaperRepository(session).get_by_arxiv_id("2611.20001")
    assert health is not None and health.consecutive_failures == 1
    assert health.last_error is not None and "500" in health.last_error
    assert health.next_try_at is not None and health.next_try_at > NOW
    assert rss_health is not None and rss_health.consecutive_failures == 0
    assert api_state is None  # its window start did not move
    assert rss_state is not None and rss_state.last_success_at == NOW
    # No id fetch while the API is down: the listing's announcement date stands in.
    assert paper is not None and paper.published == datetime(2024, 11, 28, 5, 0, tzinfo=UTC)

    # Straight after: the API is backing off and the listing is not due: no request at all.
    upstream.requests.clear()
    clock.advance(timedelta(seconds=5))
    quiet = await service.run_cycle()
    assert upstream.requests == []
    assert quiet.errors == [
        f"{API_FEED_KEY}: arxiv_api backing off until 2024-11-28 06:01 UTC after "
        "arxiv_api: upstream error (HTTP 500, GET /api/query)"
    ]

    # Recovered: the window still starts from the first-poll start, as nothing succeeded.
    upstream.clear_faults()
    clock.advance(timedelta(hours=2))
    recovered = await service.run_cycle()
    assert recovered.errors == []
    query = upstream.requests_to("/api/query")[0].query["search_query"]
    assert "lastUpdatedDate:[202410290000 TO " in query
    async with db.reader() as session:
        health = await SourceHealthRepository(session).get("arxiv_api")
    assert health is not None and health.consecutive_failures == 0


async def test_listing_outage_leaves_the_api_feed_working(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    clock.set(NOW)
    route(upstream)
    await follow_steiner(db)
    upstream.add_fault("/rss/cs.CV+cs.LG", Fault.http_status(503))

    summary = await service.run_cycle()

    assert [e.split(":")[0] for e in summary.errors] == ["arxiv_rss"]
    async with db.reader() as session:
        api_state = await FeedStateRepository(session).get(API_FEED_KEY)
        rss_state = await FeedStateRepository(session).get(RSS_KEY)
        health = await SourceHealthRepository(session).get("arxiv_rss")
    assert api_state is not None and api_state.last_success_at == NOW
    assert rss_state is None
    assert health is not None and health.consecutive_failures == 1


async def test_a_broken_progress_callback_does_not_stop_the_poll(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    clock.set(NOW)
    route(upstream)
    await follow_steiner(db)
    seen: list[tuple[str, int, int]] = []

    def progress(step: object) -> None:
        seen.append((step.stage, step.done, step.total))  # type: ignore[attr-defined]
        raise RuntimeError("terminal went away")

    summary = await service.run_cycle(progress)

    assert summary.papers_new == 1
    assert seen == [("arXiv API batch 1/1", 1, 2), ("arXiv listing feed", 2, 2)]
