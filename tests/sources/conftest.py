"""Fixtures for the source tests: the fake upstream, a fake clock, and sources pointed at them.

Time is fake: `FakeClock.sleep` records the delay and advances the clock instead of waiting, and
the sources' limiters and retries use it, so backoff and rate limits are asserted on the
recorded sleeps without real waiting. HTTP is real (aiohttp over loopback).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.health import InMemoryHealthRecorder
from bot.sources.http import HttpOptions, RetryPolicy, default_user_agent
from bot.sources.limiter import RateLimiter
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.harness.fake_upstream import FakeUpstream

CONTACT = "ops@paperscout.example"
OPENALEX_KEY = "oa-secret-key-123"
S2_KEY = "s2-secret-key-456"


class FakeClock:
    """`bot.clock.Clock` whose time moves only when someone sleeps on it.

    `sleeps` records the rate limiters' waits, `backoffs` the retry waits (both move the clock).
    """

    def __init__(self, start: datetime = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)) -> None:
        self._start = start
        self._elapsed = 0.0
        self.sleeps: list[float] = []
        self.backoffs: list[float] = []

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._elapsed += max(seconds, 0.0)
        await asyncio.sleep(0)  # still yield, like a real sleep

    async def backoff_sleep(self, seconds: float) -> None:
        self.backoffs.append(seconds)
        self._elapsed += max(seconds, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """The fake upstream with every recorded fixture routed."""
    async with FakeUpstream() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def health() -> InMemoryHealthRecorder:
    return InMemoryHealthRecorder()


@pytest.fixture
def options(clock: FakeClock) -> HttpOptions:
    return HttpOptions(
        user_agent=default_user_agent(CONTACT),
        timeout_seconds=2.0,
        retry=RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=8.0, jitter=0.25),
        clock=clock,
        sleep=clock.backoff_sleep,
        rng=random.Random(1),
    )


@pytest.fixture
def arxiv_limiter(clock: FakeClock) -> RateLimiter:
    """arXiv's real 3 s spacing, on the fake clock (costs no real time)."""
    return RateLimiter(3.0, name="arxiv.org", clock=clock, sleep=clock.sleep)


@pytest.fixture
def arxiv_api(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> ArxivApiSource:
    return ArxivApiSource(
        session, upstream.arxiv_api_url, arxiv_limiter, options=options, health=health, page_size=10
    )


@pytest.fixture
def arxiv_rss(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> ArxivRssSource:
    return ArxivRssSource(
        session, upstream.arxiv_rss_url, arxiv_limiter, options=options, health=health
    )


@pytest.fixture
def openalex(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    clock: FakeClock,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> OpenAlexSource:
    limiter = RateLimiter(0.1, name="openalex", clock=clock, sleep=clock.sleep)
    return OpenAlexSource(
        session,
        upstream.openalex_url,
        limiter,
        api_key=OPENALEX_KEY,
        options=options,
        health=health,
    )


@pytest.fixture
def semantic_scholar(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    clock: FakeClock,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> SemanticScholarSource:
    limiter = RateLimiter(1.0, name="semantic_scholar", clock=clock, sleep=clock.sleep)
    return SemanticScholarSource(
        session,
        upstream.semantic_scholar_url,
        limiter,
        api_key=S2_KEY,
        options=options,
        health=health,
    )
