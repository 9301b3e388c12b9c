"""Fixtures for the source tests: a fake clock, and sources pointed at the fake upstream.

Time is fake: `ManualClock.sleep` records the delay and advances the clock instead of waiting, and
the sources' limiters and retries use it, so backoff and rate limits are asserted on the
recorded sleeps without real waiting. HTTP is real (aiohttp over loopback).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.crossref import CrossrefSource
from bot.sources.http_policy import HttpOptions, RetryPolicy, default_user_agent
from bot.sources.limiter import RateLimiter
from bot.sources.openalex import OpenAlexSource
from bot.sources.pubmed import PubMedSource
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.health import InMemoryHealthRecorder

CONTACT = "ops@paperscout.example"
OPENALEX_KEY = "oa-secret-key-123"
S2_KEY = "s2-secret-key-456"
NCBI_KEY = "ncbi-secret-key-789"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def clock() -> ManualClock:
    """Moves only when slept on: `sleeps` are the limiters' waits, `backoffs` the retries'."""
    return ManualClock()


@pytest.fixture
def health() -> InMemoryHealthRecorder:
    return InMemoryHealthRecorder()


@pytest.fixture
def options(clock: ManualClock) -> HttpOptions:
    return HttpOptions(
        user_agent=default_user_agent(CONTACT),
        timeout_seconds=2.0,
        retry=RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=8.0, jitter=0.25),
        clock=clock,
        sleep=clock.backoff_sleep,
        rng=random.Random(1),
    )


@pytest.fixture
def arxiv_limiter(clock: ManualClock) -> RateLimiter:
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
    clock: ManualClock,
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
    clock: ManualClock,
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


@pytest.fixture
def ncbi_limiter(clock: ManualClock) -> RateLimiter:
    """NCBI's keyed spacing (10 requests/s), on the fake clock."""
    return RateLimiter(0.1, name="ncbi", clock=clock, sleep=clock.sleep)


@pytest.fixture
def pubmed(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    ncbi_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> PubMedSource:
    return PubMedSource(
        session,
        upstream.pubmed_url,
        ncbi_limiter,
        api_key=NCBI_KEY,
        email=CONTACT,
        options=options,
        health=health,
    )


@pytest.fixture
def crossref(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    clock: ManualClock,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> CrossrefSource:
    limiter = RateLimiter(0.34, name="crossref", clock=clock, sleep=clock.sleep)
    return CrossrefSource(
        session, upstream.crossref_url, limiter, email=CONTACT, options=options, health=health
    )
