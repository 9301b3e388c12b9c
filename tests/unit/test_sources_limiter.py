"""`RateLimiter` spacing and exclusivity, on an injected clock (no real waiting).

The clock's monotonic time only moves when slept on (or advanced by hand)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest

from bot.sources.limiter import RateLimiter
from tests.harness.clock import ManualClock


async def test_first_request_is_immediate_then_spaced_by_min_interval() -> None:
    clock = ManualClock()
    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    for _ in range(3):
        async with limiter:
            starts.append(clock.monotonic())
            clock.advance(timedelta(seconds=0.5))  # the request itself takes 0.5 s
    assert clock.sleeps == [3.0, 3.0]
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [3.5, 3.5]


async def test_gap_already_elapsed_means_no_wait() -> None:
    clock = ManualClock()
    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep)
    async with limiter:
        pass
    clock.advance(timedelta(seconds=10))
    async with limiter:
        pass
    assert clock.sleeps == []


async def test_concurrent_users_run_one_at_a_time() -> None:
    clock = ManualClock()
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep)
    inside = 0
    most = 0
    order: list[int] = []

    async def use(n: int) -> None:
        nonlocal inside, most
        async with limiter:
            inside += 1
            most = max(most, inside)
            order.append(n)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(use(n) for n in range(6)))
    assert most == 1
    assert sorted(order) == list(range(6))
    assert clock.sleeps == [1.0] * 5


async def test_hold_off_delays_everyone() -> None:
    clock = ManualClock()
    limiter = RateLimiter(0.0, clock=clock, sleep=clock.sleep)
    limiter.hold_off(30.0)
    async with limiter:
        pass
    assert clock.sleeps == [30.0]


async def test_cancelled_waiter_releases_the_lock() -> None:
    clock = ManualClock()

    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    limiter = RateLimiter(5.0, clock=clock, sleep=never)
    async with limiter:
        pass
    waiter = asyncio.create_task(limiter.__aenter__())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not limiter.busy


def test_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(-1)
