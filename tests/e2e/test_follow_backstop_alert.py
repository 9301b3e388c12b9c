"""The OpenAlex works feed end to end: follow, poll, then the daily works feed DMs the missed
paper.

The real bot (fake Discord in front, fake upstream behind) on SQLite and PostgreSQL. The member
follows Heather Piwowar (OpenAlex A5048491430) with instant alerts on 1 Sep 2024; the poll's
name search finds her 2 Sep paper (one DM). Her 6 Sep paper lists her as "H. Piwowar" in
physics.soc-ph, which no name search of hers returns; OpenAlex knows it is hers (synthetic
`openalex/synthetic_works_filter-author-A5048491430_created-since.json`), as it knows her
7 Sep journal article, which no arXiv feed has: both are DMed once, when OpenAlex has them (a
week later). The poll is run the way the scheduler fires it (leader check), not through
APScheduler's clock; its works feed is due once a day.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import select

from bot.services.openalex_works import JOB_KEY
from db.models import FeedState, OutboxEntry, Paper
from tests.e2e.test_follow_poll_alert import (
    NEW_PAPER,
    follow_instantly,
    paper_dms,
    poll_and_deliver,
    route_follow_search,
    route_poll_feed,
    settings_for,
    ticking_clock,
)
from tests.harness.bot_harness import BotHarness
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

FEED = "arxiv_api/synthetic_query_au-Heather-Piwowar_max50.atom.xml"
MISSED = "2409.05555"  # published 6 Sep 2024, after the follow
PRIMED = "2408.04444"  # published 5 Aug 2024, before it: stored, never announced
JOURNAL_URL = "https://doi.org/10.5555/synthetic.2024.0907"  # 7 Sep 2024, in no arXiv feed


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """Her follow-time search and feed (manifest URLs), the poll's feed, an empty listing
    day and the `id_list` records of the missed papers (her works: `route_her_works`)."""
    async with FakeUpstream() as server:
        route_poll_feed(server, server.fixture_bytes(FEED))
        route_follow_search(server)
        server.add_route(
            "GET",
            "/rss/cs.CY+cs.DL",
            fixture="arxiv_rss/rss_test_empty-weekend-style.xml",
            content_type="application/rss+xml; charset=utf-8",
        )
        server.add_route(
            "GET",
            "/api/query",
            fixture="arxiv_api/synthetic_idlist_2408.04444_2409.05555.atom.xml",
            query={"id_list": f"{PRIMED},{MISSED}"},
        )
        yield server


def route_her_works(upstream: FakeUpstream) -> None:
    """Her OpenAlex works since any date (until then, the fake's default: none)."""
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture="openalex/synthetic_works_filter-author-A5048491430_created-since.json",
        content_type="application/json",
        query={"filter": re.compile(r"A5048491430,from_created_date:")},
    )


def backstop_calls(upstream: FakeUpstream) -> int:
    """OpenAlex works calls of the works feed (the follow's own identity call is another)."""
    works = upstream.requests_to("/openalex/works")
    return sum("from_created_date:" in r.query.get("filter", "") for r in works)


def backstop_tick(h: BotHarness) -> Callable[[], Awaitable[object]]:
    job = h.bot.scheduler.get_job("poll") if h.bot.scheduler else None
    assert job is not None, "the backstop job is not registered"
    return cast(Callable[[], Awaitable[object]], job.func)


async def arxiv_ids(h: BotHarness) -> set[str]:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return set(await session.scalars(select(Paper.arxiv_id)))


async def backstop_done_at(h: BotHarness) -> object:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        state = await session.get(FeedState, JOB_KEY)
        return state.last_success_at if state is not None else None


async def test_daily_backstop_dms_the_paper_the_poll_missed_once(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await follow_instantly(h)
        await poll_and_deliver(h, clock, hours=48)
        assert [dm["embeds"][0]["url"] for dm in paper_dms(h)] == [
            f"https://arxiv.org/abs/{NEW_PAPER}"
        ]
        assert MISSED not in await arxiv_ids(h)

        clock.advance(timedelta(days=7))
        route_her_works(upstream)
        before = backstop_calls(upstream)  # the feed's daily calls so far found nothing
        tick = backstop_tick(h)
        await tick()
        await h.bot.deliver_tick()

        urls = [dm["embeds"][0]["url"] for dm in paper_dms(h)]
        assert urls[0] == f"https://arxiv.org/abs/{NEW_PAPER}"
        # The missed arXiv paper, and her journal article that only OpenAlex knows.
        assert sorted(urls[1:]) == [f"https://arxiv.org/abs/{MISSED}", JOURNAL_URL]
        assert {MISSED, PRIMED} <= await arxiv_ids(h)
        assert await backstop_done_at(h) is not None
        (records_call,) = [r for r in upstream.requests_to("/api/query") if "id_list" in r.query]
        assert records_call.query["id_list"] == f"{PRIMED},{MISSED}"  # not the polled paper

        await tick()  # within the day: not due, nothing asked
        assert backstop_calls(upstream) == before + 1
        clock.advance(timedelta(days=1))
        await tick()  # due again: the same works, all linked
        await h.bot.deliver_tick()
        assert backstop_calls(upstream) == before + 2
        assert len(paper_dms(h)) == 3
        assert h.bot.database is not None
        async with h.bot.database.reader() as session:
            alerts = list(await session.scalars(select(OutboxEntry.dedupe_key)))
        assert len(alerts) == 3
