"""Wire every source from `Settings` with one shared session, limiters and health recorder."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

import aiohttp

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.crossref import CrossrefSource
from bot.sources.health import HealthRecorder
from bot.sources.http_policy import HttpOptions, default_user_agent
from bot.sources.limiter import RateLimiter, Sleep
from bot.sources.openalex import OpenAlexSource
from bot.sources.pubmed import PubMedSource
from bot.sources.semantic_scholar import SemanticScholarSource

log = logging.getLogger(__name__)

OPENALEX_MIN_INTERVAL = 0.1  # <= 10 requests/s: far below OpenAlex's 100/s
S2_MIN_INTERVAL = 1.0  # keyed S2 accounts get 1 request/s
S2_MIN_INTERVAL_UNKEYED = 3.0  # the shared anonymous pool is ~100 requests / 5 min for everyone
NCBI_MIN_INTERVAL = 0.1  # E-utilities: 10 requests/s with an API key
NCBI_MIN_INTERVAL_UNKEYED = 0.34  # and 3/s without (the gap runs from one end to the next start)
CROSSREF_MIN_INTERVAL = 0.34  # the polite pool: 3 list requests/s (10 for single works)


@dataclass(frozen=True)
class Sources:
    """Every upstream source, built once at start-up (`setup_hook`) and shared."""

    arxiv_api: ArxivApiSource
    arxiv_rss: ArxivRssSource
    openalex: OpenAlexSource
    semantic_scholar: SemanticScholarSource
    arxiv_limiter: RateLimiter
    options: HttpOptions
    pubmed: PubMedSource
    crossref: CrossrefSource


def http_options_from_settings(
    settings: Settings,
    *,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    max_body_bytes: int | None = None,
) -> HttpOptions:
    """`HttpOptions` with the operator's contact in the User-Agent and the configured timeout."""
    options = HttpOptions(
        user_agent=default_user_agent(settings.contact_email),
        timeout_seconds=settings.http_timeout_seconds,
        clock=clock or SystemClock(),
        sleep=sleep or asyncio.sleep,
    )
    return replace(options, max_body_bytes=max_body_bytes) if max_body_bytes else options


def build_sources(
    settings: Settings,
    session: aiohttp.ClientSession,
    *,
    health: HealthRecorder | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    options: HttpOptions | None = None,
) -> Sources:
    """Build every source. arXiv API and RSS share ONE limiter (arXiv's rule covers both);
    each other host has its own."""
    opts = options or http_options_from_settings(settings, clock=clock, sleep=sleep)
    arxiv_limiter = RateLimiter(
        settings.arxiv_min_interval_seconds, name="arxiv.org", clock=opts.clock, sleep=opts.sleep
    )
    openalex_limiter = RateLimiter(
        OPENALEX_MIN_INTERVAL, name="openalex", clock=opts.clock, sleep=opts.sleep
    )
    s2_interval = S2_MIN_INTERVAL if settings.semantic_scholar_api_key else S2_MIN_INTERVAL_UNKEYED
    s2_limiter = RateLimiter(
        s2_interval, name="semantic_scholar", clock=opts.clock, sleep=opts.sleep
    )
    ncbi_interval = NCBI_MIN_INTERVAL if settings.ncbi_api_key else NCBI_MIN_INTERVAL_UNKEYED
    ncbi_limiter = RateLimiter(ncbi_interval, name="ncbi", clock=opts.clock, sleep=opts.sleep)
    crossref_limiter = RateLimiter(
        CROSSREF_MIN_INTERVAL, name="crossref", clock=opts.clock, sleep=opts.sleep
    )
    return Sources(
        arxiv_api=ArxivApiSource(
            session, settings.arxiv_api_url, arxiv_limiter, options=opts, health=health
        ),
        arxiv_rss=ArxivRssSource(
            session, settings.arxiv_rss_url, arxiv_limiter, options=opts, health=health
        ),
        openalex=OpenAlexSource(
            session,
            settings.openalex_api_url,
            openalex_limiter,
            api_key=settings.openalex_api_key,
            options=opts,
            health=health,
        ),
        semantic_scholar=SemanticScholarSource(
            session,
            settings.semantic_scholar_api_url,
            s2_limiter,
            api_key=settings.semantic_scholar_api_key,
            options=opts,
            health=health,
        ),
        arxiv_limiter=arxiv_limiter,
        options=opts,
        pubmed=PubMedSource(
            session,
            settings.pubmed_api_url,
            ncbi_limiter,
            api_key=settings.ncbi_api_key,
            email=settings.contact_email,
            options=opts,
            health=health,
        ),
        crossref=CrossrefSource(
            session,
            settings.crossref_api_url,
            crossref_limiter,
            email=settings.contact_email,
            options=opts,
            health=health,
        ),
    )
