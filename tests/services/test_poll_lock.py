"""One poll at a time per database, and arXiv's spacing across two pollers (two processes).

Each poller here has its own sources and rate limiter, as the bot and `paperscout poll --once`
do in separate processes; they share only the database. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.services.arxiv_feeds import API_FEED_KEY
from bot.services.health import DatabaseHealthRecorder
from bot.sources.factory import Sources, build_sources
from db.database import Database
from db.repositories.feeds import FeedStateRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import poller, settings_on
from tests.services.test_digest_poll_race import Pause, PausingArxivApi
from tests.services.test_polling_cycle import follow_del_maestro, route_del_maestro


@pytest.fixture
async def other_sources(
    db: Database, sources: Sources, upstream: FakeUpstream
) -> AsyncIterator[Sources]:
    """The sources of a second process: its own session and arXiv limiter."""
    async with aiohttp.ClientSession() as session:
        yield build_sources(
            settings_on(upstream),
            session,
            health=DatabaseHealthRecorder(db),
            options=sources.options,
        )


async def test_a_second_poll_while_one_runs_does_nothing_and_says_busy(
    db: Database,
    sources: Sources,
    other_sources: Sources,
    clock: ManualClock,
    upstream: FakeUpstream,
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    pause = Pause()
    first = poller(
        db, dataclasses.replace(sources, arxiv_api=PausingArxivApi(sources.arxiv_api, pause)), clock
    )
    running = asyncio.create_task(first.run_cycle())
    await asyncio.wait_for(pause.reached.wait(), timeout=10)
    requests_so_far = len(upstream.requests)

    second = await poller(db, other_sources, clock).run_cycle()

    assert second.busy and second.total_requests == 0 and second.papers_seen == 0
    assert len(upstream.requests) == requests_so_far
    pause.resume.set()
    done = await asyncio.wait_for(running, timeout=10)
    assert not done.busy and done.errors == [] and done.papers_new == 11
    # The lock is free again: the next poll runs (nothing is due, but it is not busy).
    clock.advance(timedelta(minutes=5))
    assert not (await poller(db, other_sources, clock).run_cycle()).busy


async def test_the_next_pollers_first_arxiv_request_keeps_the_spacing_after_the_last_poll(
    db: Database,
    sources: Sources,
    other_sources: Sources,
    clock: ManualClock,
    upstream: FakeUpstream,
) -> None:
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await poller(db, sources, clock).run_cycle()
    async with db.transaction() as session:  # due again at once (say, a forced re-poll)
        await FeedStateRepository(session).upsert(API_FEED_KEY, now=clock.now(), next_poll_at=None)
    spacing = other_sources.arxiv_limiter.min_interval
    assert spacing > 0
    sleeps_before = len(clock.sleeps)

    summary = await poller(db, other_sources, clock).run_cycle()

    # The other process's limiter never saw the first poll's requests; the marker it left
    # makes the first request wait the whole spacing (the clock did not move meanwhile),
    # and the second waits as usual.
    assert summary.requests == {"arxiv_api": 2}
    assert clock.sleeps[sleeps_before:] == [pytest.approx(spacing)] * 2
