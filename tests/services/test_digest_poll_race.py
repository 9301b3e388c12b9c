"""A digest plan running in the middle of a poll cycle: the cycle's papers still reach a digest.

The poll cycle starts at 06:00 and is paused at one of two points while the channel's digest,
due at 06:10, is planned: after its fetch (before it stores anything), or with its store
transaction written but not committed. Then the store finishes, a week passes, the next digest
is planned. Every announced paper must be in exactly one of the two digests (docs/product.md: a
digest neither skips nor repeats a paper). Before the fix the papers, stamped with the cycle's
start, committed after the 06:10 cut-off and were in neither.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.cutoff_fence import CutoffFence
from bot.sources.factory import Sources
from db.database import Database
from db.models import OutboxEntry
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import digest_service, planner, poller
from tests.services.test_polling_cycle import (
    ANNOUNCED,
    NOW,
    follow_del_maestro,
    paper_ids,
    route_del_maestro,
)

CHANNEL = 222  # follows Adrian Del Maestro (scope channel) in follow_del_maestro
DIGEST_AT = NOW + timedelta(minutes=10)


class Pause:
    """One pause point: the poll reports `reached`, then waits for `resume` (once `armed`)."""

    def __init__(self, *, armed: bool = True) -> None:
        self.reached = asyncio.Event()
        self.resume = asyncio.Event()
        self.used = False
        self.armed = armed

    async def hold(self) -> None:
        if self.used or not self.armed:
            return
        self.used = True
        self.reached.set()
        await self.resume.wait()


class PausingArxivApi:
    """The real arXiv API source whose first author search pauses once it has its papers
    (`arm_only`: instead arms the pause for what comes after the fetch)."""

    def __init__(self, real: Any, pause: Pause, *, arm_only: bool = False) -> None:
        self._real = real
        self._pause = pause
        self._arm_only = arm_only

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def search_authors(self, *args: Any, **kwargs: Any) -> Any:
        found = await self._real.search_authors(*args, **kwargs)
        if self._arm_only:
            self._pause.armed = True
        else:
            await self._pause.hold()
        return found


class PausingDatabase:
    """The real database whose first write transaction once the pause is armed (the store,
    not the poll lock's) pauses after its writes, uncommitted."""

    def __init__(self, real: Database, pause: Pause) -> None:
        self._real = real
        self._pause = pause

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._real.transaction() as session:
            yield session
            await self._pause.hold()


async def digest_papers(db: Database) -> Counter[int]:
    """How many times each paper was put in a digest of the channel."""
    async with db.reader() as session:
        rows = await session.execute(
            select(OutboxEntry.payload).where(
                OutboxEntry.kind == "digest", OutboxEntry.destination_id == CHANNEL
            )
        )
        payloads = list(rows.scalars())
    assert len(payloads) == 2  # the 06:10 digest and the next week's
    return Counter(
        card["paper"] for payload in payloads for part in payload for card in part["cards"]
    )


@pytest.mark.parametrize(
    ("pause_at", "processes"),
    [("after_fetch", 1), ("before_commit", 1), ("before_commit", 2)],
)
async def test_papers_stored_while_a_digest_is_planned_are_in_exactly_one_digest(
    db: Database,
    sources: Sources,
    clock: ManualClock,
    upstream: FakeUpstream,
    pause_at: str,
    processes: int,
) -> None:
    """`processes=2`: the poller and the planner each have their own fence, as a
    `paperscout poll --once` beside a running bot would: the database's lock orders them."""
    route_del_maestro(upstream)
    await follow_del_maestro(db)
    await digest_service(db, clock).setup_channel(
        guild_id=9,
        channel_id=CHANNEL,
        weekday=DIGEST_AT.weekday(),
        time_text=f"{DIGEST_AT:%H:%M}",
        timezone="UTC",
        user_id=5,
    )
    pause = Pause(armed=pause_at == "after_fetch")
    fence = CutoffFence(clock)  # shared, as bot.runtime does
    planner_fence = fence if processes == 1 else CutoffFence(clock)
    api = PausingArxivApi(sources.arxiv_api, pause, arm_only=pause_at == "before_commit")
    arming = dataclasses.replace(sources, arxiv_api=api)
    if pause_at == "after_fetch":
        polling = poller(db, arming, clock, fence=fence)
    else:
        polling = poller(PausingDatabase(db, pause), arming, clock, fence=fence)  # type: ignore[arg-type]
    planning = planner(db, clock, fence=planner_fence)

    poll = asyncio.create_task(polling.run_cycle())
    await asyncio.wait_for(pause.reached.wait(), timeout=10)
    clock.set(DIGEST_AT)
    plan = asyncio.create_task(planning.plan_due())
    if pause_at == "after_fetch":
        await asyncio.wait_for(plan, timeout=10)  # between fetch and store nothing holds it back
    else:
        # The fenced plan waits for the open store; an unfenced one would finish meanwhile.
        await asyncio.wait({plan}, timeout=1.0)
    pause.resume.set()
    summary = await asyncio.wait_for(poll, timeout=10)
    first = await asyncio.wait_for(plan, timeout=10)
    assert summary.errors == [] and summary.papers_new == 11
    assert first.planned == 1

    clock.advance(timedelta(days=7))
    second = await planning.plan_due()
    assert second.planned == 1

    stored = await paper_ids(db)
    counted = await digest_papers(db)
    assert {stored[arxiv_id]: counted[stored[arxiv_id]] for arxiv_id in ANNOUNCED} == {
        stored[arxiv_id]: 1 for arxiv_id in ANNOUNCED
    }
