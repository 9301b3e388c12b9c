"""A polite async rate limiter: one request at a time, a minimum gap between requests.

arXiv asks for "no more than one request every three seconds" on "a single connection at a
time", across the API, RSS and OAI (docs/sources.md#the-arxiv-limiter). So one `RateLimiter` is
shared by every source that talks to arxiv.org. The gap is measured from the *end* of the
previous request to the start of the next (stricter than start-to-start, like arxiv.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from bot.clock import Clock, SystemClock

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """`async with limiter:` around each HTTP request.

    `clock` and `sleep` are injectable so tests measure the spacing without real waiting.
    `hold_off(seconds)` pushes the next allowed start further (used on `Retry-After`, so every
    caller of that host waits, not only the one that was told).
    """

    def __init__(
        self,
        min_interval: float,
        *,
        name: str = "",
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        if min_interval < 0:
            raise ValueError("min_interval must be >= 0")
        self.min_interval = min_interval
        self.name = name
        self._clock = clock or SystemClock()
        self._sleep = sleep or asyncio.sleep
        self._lock = asyncio.Lock()
        self._next_allowed = float("-inf")

    def __repr__(self) -> str:
        return f"RateLimiter({self.name!r}, min_interval={self.min_interval})"

    @property
    def busy(self) -> bool:
        """True while a request holds the limiter."""
        return self._lock.locked()

    def hold_off(self, seconds: float) -> None:
        """Let no request start during the next `seconds` (a server asked us to wait)."""
        self._next_allowed = max(self._next_allowed, self._clock.monotonic() + max(seconds, 0.0))

    async def __aenter__(self) -> RateLimiter:
        await self._lock.acquire()
        try:
            # Loop: a `hold_off` may arrive while we sleep.
            while (wait := self._next_allowed - self._clock.monotonic()) > 0:
                log.debug("rate limiter %s: waiting %.2fs", self.name, wait)
                await self._sleep(wait)
        except BaseException:
            self._lock.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._next_allowed = max(self._next_allowed, self._clock.monotonic() + self.min_interval)
        self._lock.release()
