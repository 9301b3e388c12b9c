"""A poll cycle end to end: fake arXiv on loopback, real databases, rows as the deliverer sees.

Scenario: "Adrian Del Maestro" (usual categories from his condensed-matter papers) is followed
since 1 June 2014, instantly by a user (DM) and a channel, weekly by another user. The arXiv
author query answers with the recorded 2024 legacy page of `au:"A. Del Maestro"` (10 papers,
2003-2024) plus a synthetic page 2: a cs.CL homonym and an accented "Adrián Del Maestro".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.services.arxiv_feeds import API_FEED_KEY
from bot.services.poll_report import PollSummary
from bot.services.polling import PollingService
from db.database import Database
from db.models import AuthorPaper, OutboxEntry, Paper
from db.repositories.feeds import FeedStateRepository
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.services.conftest import Dest, follow_author

NOW = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
FOLLOWED_SINCE = datetime(2014, 6, 1, tzinfo=UTC)
USUAL = [
    "cond-mat.quant-gas",
    "cond-mat.stat-mech",
    "cond-mat.other",
    "cond-mat.str-el",
    "quant-ph",
]
RSS_PATH = "/rss/cond-mat.other+cond-mat.quant-gas+cond-mat.stat-mech+cond-mat.str-el+quant-ph"
PAGE1 = "arxiv_api/legacy2024_query_au-A-Del-Maestro_max10.atom.xml"
PAGE2 = "arxiv_api/synthetic_legacy2024_query_au-Del-Maestro_start10.atom.xml"
DEL_MAESTRO = re.compile(r'au:"Adrian Del Maestro"')
# Published on or after the follow, and kept by the homonym guard.
ANNOUNCED = {"1412.5124", "1412.6529", "1610.08518", "2402.17843", "2404.02222"}


def route_del_maestro(upstream: FakeUpstream, page1: bytes | None = None) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        body=page1 or upstream.fixture_bytes(PAGE1),
        query={"search_query": DEL_MAESTRO, "start": "0"},
    )
    upstream.add_route(
        "GET", "/api/query", fixture=PAGE2, query={"search_query": DEL_MAESTRO, "start": "10"}
    )
    # Today's listing of his categories: the real all-archives day (none of it is his).
    upstream.add_route(
        "GET",
        RSS_PATH,
        fixture="arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml",
        content_type="application/rss+xml; charset=utf-8",
        conditional=True,
    )


async def follow_del_maestro(db: Database, since: datetime = FOLLOWED_SINCE) -> int:
    return await follow_author(
        db,
        "Adrian Del Maestro",
        created_at=since,
        categories=USUAL,
        openalex_id="A5000000001",
        destinations=(
            Dest("user", 111),
            Dest("channel", 222),
            Dest("user", 333, notify="weekly"),
        ),
    )


async def outbox_rows(db: Database) -> list[OutboxEntry]:
    async with db.reader() as session:
        result = await session.execute(select(OutboxEntry).order_by(OutboxEntry.dedupe_key))
        return list(result.scalars())


async def paper_ids(db: Database) -> dict[str, int]:
    async with db.reader() as session:
        rows = await session.execute(select(Paper.arxiv_id, Paper.id))
        return {arxiv_id: pid for arxiv_id, pid in rows}


async def test_first_poll_stores_links_and_alerts_each_destination_once(
    db: Database, service: PollingService, upstream: FakeUpstream
) -> None:
    route_del_maestro(upstream)
    adrian = await follow_del_maestro(db)

    summary = await service.run_cycle()

    assert summary.errors == []
    assert summary.feeds_polled == [API_FEED_KEY, "arxiv_rss:" + RSS_PATH.removeprefix("/rss/")]
    assert summary.requests == {"arxiv_api": 2, "arxiv_rss": 1}
    assert summary.papers_seen == 12 + 36  # two API pages, one listing day
    assert summary.papers_new == 11 and summary.links_made == 11
    assert summary.homonyms_rejected == 1  # the cs.CL "A. Del Maestro"
    stored = await paper_ids(db)
    assert "2403.01111" not in stored and "2404.02222" in stored

    rows = await outbox_rows(db)
    expected = sorted(
        f"alert:{kind}:{target}:{stored[arxiv_id]}"
        for arxiv_id in ANNOUNCED
        for kind, target in (("channel", 222), ("user", 111))
    )
    assert [r.dedupe_key for r in rows] == expected  # the weekly follower gets no alert
    assert summary.alerts_enqueued == len(expected) == 10
    for row in rows:
        assert row.kind == "alert" and row.status == "pending" and row.guild_id == 9
        assert row.destination_id == (222 if row.destination_kind == "channel" else 111)
        assert row.payload["author_ids"] == [adrian]
    assert {r.payload["paper_id"] for r in rows} == {stored[a] for a in ANNOUNCED}


async def test_second_poll_of_the_same_feeds_finds_nothing_new(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await service.run_cycle()
    before = len(await outbox_rows(db))

    clock.advance(timedelta(hours=1))
    again = await service.run_cycle()

    assert again.errors == []
    assert (again.papers_new, again.papers_updated, again.links_made) == (0, 0, 0)
    assert again.alerts_enqueued == 0
    assert len(await outbox_rows(db)) == before
    listing = upstream.requests_to("/rss/")
    assert [r.status for r in listing] == [200, 304]  # conditional GET with the kept ETag
    assert listing[1].header("If-None-Match")


async def test_a_new_version_updates_the_paper_and_announces_nothing(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await service.run_cycle()
    before = [r.dedupe_key for r in await outbox_rows(db)]

    # Derived in code from the recorded page: 1610.08518 comes back as v2 with a new title.
    page = upstream.fixture_bytes(PAGE1)
    page = page.replace(b"abs/1610.08518v1", b"abs/1610.08518v2").replace(
        b"<updated>2016-10-26T20:00:04Z</updated>", b"<updated>2024-05-05T10:00:00Z</updated>"
    )
    assert b"1610.08518v2" in page
    route_del_maestro(upstream, page1=page)
    clock.advance(timedelta(hours=2))
    summary = await service.run_cycle()

    assert (summary.papers_new, summary.papers_updated, summary.alerts_enqueued) == (0, 1, 0)
    assert [r.dedupe_key for r in await outbox_rows(db)] == before
    async with db.reader() as session:
        paper = await PaperRepository(session).get_by_arxiv_id("1610.08518")
    assert paper is not None and paper.version == 2
    assert paper.updated == datetime(2024, 5, 5, 10, 0, tzinfo=UTC)


async def test_priming_a_follow_never_hears_of_papers_older_than_itself(
    db: Database, service: PollingService, upstream: FakeUpstream
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db, since=datetime(2024, 3, 1, tzinfo=UTC))

    summary = await service.run_cycle()

    stored = await paper_ids(db)
    assert summary.links_made == 11  # every paper is tracked for his profile ...
    rows = await outbox_rows(db)  # ... but only the one published after the follow is announced
    assert {r.payload["paper_id"] for r in rows} == {stored["2404.02222"]}
    assert len(rows) == 2  # the DM and the channel


async def test_first_poll_window_starts_before_the_earliest_follow(
    db: Database, service: PollingService, upstream: FakeUpstream
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)

    await service.run_cycle()

    query = upstream.requests_to("/api/query")[0].query["search_query"]
    assert query == ('au:"Adrian Del Maestro" AND lastUpdatedDate:[201405290000 TO 202405040600]')


async def test_catch_up_after_downtime_starts_at_the_last_success(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    clock.set(datetime(2024, 4, 20, 6, 0, tzinfo=UTC))
    await service.run_cycle()
    upstream.requests.clear()

    clock.set(NOW + timedelta(days=3))  # the bot was down for 17 days
    summary = await service.run_cycle()

    assert summary.errors == []
    query = upstream.requests_to("/api/query")[0].query["search_query"]
    # The last success (20 April 06:00) minus the 4-day overlap, up to now.
    assert query.endswith("lastUpdatedDate:[202404160600 TO 202405070600]")
    async with db.reader() as session:
        state = await FeedStateRepository(session).get(API_FEED_KEY)
    assert state is not None and state.last_success_at == NOW + timedelta(days=3)


async def test_feeds_are_not_polled_again_before_they_are_due(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await service.run_cycle()
    upstream.requests.clear()

    clock.advance(timedelta(minutes=20))
    summary = await service.run_cycle()

    assert upstream.requests == []
    assert summary.feeds_polled == [] and len(summary.feeds_skipped) == 2


async def test_nothing_followed_means_no_request(
    db: Database, service: PollingService, upstream: FakeUpstream
) -> None:
    summary = await service.run_cycle()
    assert isinstance(summary, PollSummary) and summary.followed_authors == 0
    assert upstream.requests == []


async def test_links_are_made_once_per_author_and_paper(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await service.run_cycle()
    clock.advance(timedelta(hours=1))
    await service.run_cycle()
    async with db.reader() as session:
        links = (await session.execute(select(func.count()).select_from(AuthorPaper))).scalar()
        papers = (await session.execute(select(func.count()).select_from(Paper))).scalar()
    assert (links, papers) == (11, 11)
