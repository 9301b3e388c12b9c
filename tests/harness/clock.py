"""The one test clock: a `bot.clock.Clock` whose time moves only when the test (or a sleep) says so.

`now()` moves only by `advance` and `set` (and by sleeping on the clock). `monotonic()` moves
with them, and is either frozen between those moves (`monotonic_tick=0`, the default) or moves
`monotonic_tick` seconds at every reading. Rate limiters wait on `monotonic()`: give them the
clock's `sleep` (their waits then move the clock instead of the test waiting), or, where they
sleep for real, a ticking clock, on which every short gap has always passed.

`sleep` and `backoff_sleep` record what they were asked to wait (`sleeps`, `backoffs`: a rate
limiter's spacing and a retry's backoff, kept apart) and move the clock by it, without waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
MONOTONIC_START = 1000.0


class ManualClock:
    """A clock that moves only when told (see the module docstring)."""

    def __init__(self, start: datetime = DEFAULT_START, *, monotonic_tick: float = 0.0) -> None:
        self._now = start
        self._monotonic = MONOTONIC_START
        self.monotonic_tick = monotonic_tick
        self.sleeps: list[float] = []
        self.backoffs: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        self._monotonic += self.monotonic_tick
        return self._monotonic

    def advance(self, delta: timedelta) -> None:
        """Move `now()` and `monotonic()` forward by `delta` (back, when it is negative)."""
        self._now += delta
        self._monotonic += delta.total_seconds()

    def set(self, moment: datetime) -> None:
        """Move to `moment`; `monotonic()` moves by the same amount."""
        self.advance(moment - self._now)

    async def sleep(self, seconds: float) -> None:
        """Record a wait in `sleeps` and move the clock by it, without waiting (but yielding)."""
        await self._wait(seconds, self.sleeps)

    async def backoff_sleep(self, seconds: float) -> None:
        """Like `sleep`, recorded in `backoffs` (a retry's wait, not a rate limiter's)."""
        await self._wait(seconds, self.backoffs)

    async def _wait(self, seconds: float, record: list[float]) -> None:
        record.append(seconds)
        seconds = max(seconds, 0.0)
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds
        await asyncio.sleep(0)  # still yield, like a real sleep
