"""`RateLimiter` spacing and exclusivity, on an injected clock (no real waiting)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.sources.limiter import RateLimiter


class StepClock:
    """Monotonic time that only moves when slept on (or advanced by hand)."""

    def __init__(self) -> None:
        self.t = 100.0
        self.sleeps: list[float] = []

    def now(self):  # pragma: no cover - the limiter only uses monotonic()
        raise AssertionError("not used")

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.t += seconds
        await asyncio.sleep(0)


async def test_first_request_is_immediate_then_spaced_by_min_interval() -> None:
    clock = StepClock()
    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    for _ in range(3):
        async with limiter:
            starts.append(clock.t)
            clock.t += 0.5  # the request itself takes 0.5 s
    assert clock.sleeps == [3.0, 3.0]
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [3.5, 3.5]


async def test_gap_already_elapsed_means_no_wait() -> None:
    clock = StepClock()
    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep)
    async with limiter:
        pass
    clock.t += 10
    async with limiter:
        pass
    assert clock.sleeps == []


async def test_concurrent_users_run_one_at_a_time() -> None:
    clock = StepClock()
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
    clock = StepClock()
    limiter = RateLimiter(0.0, clock=clock, sleep=clock.sleep)
    limiter.hold_off(30.0)
    async with limiter:
        pass
    assert clock.sleeps == [30.0]


async def test_cancelled_waiter_releases_the_lock() -> None:
    clock = StepClock()

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
