"""Issue 4 end to end: follow through a real interaction, poll the fake arXiv, get one DM.

The real bot (fake Discord in front, fake upstream behind) on SQLite and PostgreSQL. The member
follows Heather Piwowar with instant alerts on 1 Sep 2024; her 2 Sep 2024 paper is new, her
older ones are primed out. The ticks the scheduler fires are called directly (`run_cycle`,
`deliver_tick`), so nothing waits for APScheduler's clock.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select

from db.models import OutboxEntry, Paper
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID

FOLLOWED_AT = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
FEED = "arxiv_api/synthetic_query_au-Heather-Piwowar_max50.atom.xml"
NEW_PAPER = "2409.01234"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def ticking_clock() -> ManualClock:
    """`now()` moves when told; `monotonic()` a second per reading (limiters never wait)."""
    return ManualClock(FOLLOWED_AT, monotonic_tick=1.0)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """The recorded OpenAlex search and arXiv feed for her (served by their manifest URLs),
    the same feed for the poller's windowed author query, and an empty listing day."""
    async with FakeUpstream() as server:
        route_poll_feed(server, server.fixture_bytes(FEED))
        route_follow_search(server)
        server.add_route(
            "GET",
            "/rss/cs.CY+cs.DL",
            fixture="arxiv_rss/rss_test_empty-weekend-style.xml",
            content_type="application/rss+xml; charset=utf-8",
        )
        yield server


def route_follow_search(server: FakeUpstream) -> None:
    """Her name search as arXiv answers it on the day of the follow: without the paper she
    publishes the day after (the poll finds that one)."""
    server.add_route(
        "GET",
        "/api/query",
        body=without_entry(server.fixture_bytes(FEED), NEW_PAPER),
        query={"search_query": re.compile(r'^au:"Heather Piwowar"$'), "start": "0"},
    )


def without_entry(feed: bytes, arxiv_id: str) -> bytes:
    """An arXiv API feed without the entry of `arxiv_id`."""
    root = etree.fromstring(feed)
    for entry in root.findall(f"{ATOM}entry"):
        if f"/abs/{arxiv_id}" in (entry.findtext(f"{ATOM}id") or ""):
            root.remove(entry)
    total = root.find(f"{OPENSEARCH}totalResults")
    assert total is not None and total.text is not None
    total.text = str(int(total.text) - 1)  # else the source asks for the missing one's page
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def route_poll_feed(server: FakeUpstream, body: bytes) -> None:
    server.add_route(
        "GET",
        "/api/query",
        body=body,
        query={"search_query": re.compile(r'au:"Heather Piwowar".*lastUpdatedDate')},
    )


def settings_for(upstream: FakeUpstream) -> dict[str, object]:
    return {
        "openalex_api_url": upstream.openalex_url,
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "arxiv_min_interval_seconds": 0,
    }


async def follow_instantly(h: BotHarness) -> None:
    ex = await h.slash("follow author", name="Heather Piwowar", notify="instant")
    shown = ex.original_message["content"] if ex.original_message else ""
    assert "You now follow **Heather Piwowar**" in shown, ex


async def poll_and_deliver(h: BotHarness, clock: ManualClock, hours: float) -> None:
    clock.advance(timedelta(hours=hours))
    summary = await h.bot.services.polling.run_cycle()
    assert summary.errors == [], summary.errors
    await h.bot.deliver_tick()


def paper_dms(h: BotHarness) -> list[dict[str, object]]:
    return [m for m in h.fake.dm_messages(MEMBER_ID) if m.get("embeds")]


async def count(h: BotHarness, model: type, *where: object) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_follow_poll_dm_once_then_nothing_new_no_v2_alert_and_unfollow(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        assert {job.id for job in h.bot.scheduler.get_jobs()} >= {"poll", "deliver", "plan"}
        await follow_instantly(h)

        await poll_and_deliver(h, clock, hours=48)
        (dm,) = paper_dms(h)  # only the paper published after the follow
        (embed,) = dm["embeds"]
        assert embed["url"] == f"https://arxiv.org/abs/{NEW_PAPER}"
        assert dm["content"] == "New paper by Heather Piwowar"
        assert await count(h, Paper) == 4  # her four papers stored; the homonym's is not

        await poll_and_deliver(h, clock, hours=2)  # the same feed again: nothing new
        assert len(paper_dms(h)) == 1

        # A v2 of the paper: stored as an update, never a second announcement.
        v2 = (
            upstream.fixture_bytes(FEED)
            .replace(f"{NEW_PAPER}v1".encode(), f"{NEW_PAPER}v2".encode(), 1)
            .replace(
                b"<updated>2024-09-02T17:59:01Z</updated>",
                b"<updated>2024-09-04T10:00:00Z</updated>",
                1,
            )
        )
        route_poll_feed(upstream, v2)
        await poll_and_deliver(h, clock, hours=2)
        assert len(paper_dms(h)) == 1
        assert await count(h, Paper, Paper.arxiv_id == NEW_PAPER, Paper.version == 2) == 1

        # Unfollow, then a brand-new paper of hers: no alert any more.
        ex = await h.slash("unfollow author", name="Heather Piwowar")
        assert "no longer" in (ex.original_message or ex.callback.json["data"])["content"].lower()
        newer = v2.replace(f"{NEW_PAPER}v2".encode(), b"2409.07777v1", 1).replace(
            b"<published>2024-09-02T17:59:01Z</published>",
            b"<published>2024-09-05T17:59:01Z</published>",
            1,
        )
        route_poll_feed(upstream, newer)
        await poll_and_deliver(h, clock, hours=2)
        assert len(paper_dms(h)) == 1
        assert await count(h, OutboxEntry, OutboxEntry.kind == "alert") == 1


async def test_alert_found_before_a_restart_is_sent_once_after_it(
    harness_factory: HarnessFactory, upstream: FakeUpstream, sqlite_url: str
) -> None:
    clock = ticking_clock()
    settings = settings_for(upstream)
    async with harness_factory(database_url=sqlite_url, settings=settings, clock=clock) as h:
        await follow_instantly(h)
        clock.advance(timedelta(hours=48))
        summary = await h.bot.services.polling.run_cycle()
        assert summary.alerts_enqueued == 1
        # The bot stops here: the alert is in the outbox, not yet sent.
    assert paper_dms(h) == []

    async with harness_factory(
        database_url=sqlite_url, settings=settings, clock=clock, migrate=False
    ) as restarted:
        await restarted.bot.deliver_tick()
        await restarted.bot.deliver_tick()
        (dm,) = paper_dms(restarted)
        assert dm["embeds"][0]["url"] == f"https://arxiv.org/abs/{NEW_PAPER}"
        # A poll after the restart finds the same paper again: still one DM.
        await poll_and_deliver(restarted, clock, hours=2)
        assert len(paper_dms(restarted)) == 1
