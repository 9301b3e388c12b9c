"""The one place PaperScout is put together: database, HTTP session, sources and services.

`open_runtime(settings)` builds everything once on entry and closes it on exit; the bot
(`bot/app.py`), every terminal command and the benchmarks run inside one, so a service is wired
the same way wherever it runs. `assemble(...)` is the wiring itself, with no I/O: the tests call
it with sources pointed at their fake upstream. Services receive every collaborator from here
and build none themselves.

Shared on purpose (one each per process): the `UpstreamGuard` (a source that just failed is
skipped for a minute by every user-facing caller), the `AuthorResolver` (`/follow` and the
profiles resolve names the same way), the `CutoffFence` (every store of papers and every digest
cut-off are ordered, so a paper stored during a plan is in the next digest) and the
`PaperHistory` (profiles, follows and the poll fetch an author's earlier papers the same way).
A source whose base URL setting is empty is not configured: nothing asks it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.render.digests import card_size
from bot.services.arxiv_feeds import ArxivApiFeed, ArxivListingFeed
from bot.services.author_lookup import AuthorLookup
from bot.services.author_resolver import AuthorResolver, UpstreamGuard
from bot.services.citation_follows import CitationFollowService
from bot.services.citation_watch import CitationWatch
from bot.services.crossref_links import CrossrefLinksFeed
from bot.services.cutoff_fence import CutoffFence
from bot.services.digest_planner import DigestPlanner
from bot.services.digests import DigestService
from bot.services.feed_protocol import Feed
from bot.services.follows import FollowService
from bot.services.health import DatabaseHealthRecorder
from bot.services.metrics_on_view import MetricsOnView
from bot.services.metrics_refresh import MetricsRefresher
from bot.services.notices import OutageNotifier
from bot.services.openalex_works import OpenAlexWorksFeed
from bot.services.outbox_parts import OutboxParts
from bot.services.paper_history import PaperHistory
from bot.services.paper_lookup import PaperLookup
from bot.services.polling import PollingService
from bot.services.privacy import PrivacyService
from bot.services.profile import ProfileService
from bot.services.pubmed_feed import PubMedFeed
from bot.services.status import StatusService
from bot.services.topic_follows import TopicFollowService
from bot.sources.crossref import CrossrefSource
from bot.sources.factory import Sources, build_sources
from bot.sources.openalex import OpenAlexSource
from bot.sources.pubmed import PubMedSource
from db.database import Database


@dataclass(frozen=True)
class Services:
    """Every service a cog, a scheduled job or a terminal command may call."""

    status: StatusService
    digests: DigestService
    digest_planner: DigestPlanner
    follows: FollowService
    profile: ProfileService
    papers: PaperLookup
    metrics: MetricsRefresher
    polling: PollingService
    notices: OutageNotifier
    outbox_parts: OutboxParts
    resolver: AuthorResolver
    citations: CitationWatch
    citation_follows: CitationFollowService
    topics: TopicFollowService
    privacy: PrivacyService


@dataclass(frozen=True)
class Runtime:
    """What `open_runtime` opened: close it by leaving its `async with`."""

    settings: Settings
    database: Database
    clock: Clock
    sources: Sources
    services: Services


def assemble(
    settings: Settings,
    database: Database,
    sources: Sources,
    clock: Clock,
    *,
    started_at: datetime,
) -> Services:
    """Wire every service over these resources (no I/O)."""
    openalex = sources.openalex if settings.openalex_api_url.strip() else None
    semantic_scholar = (
        sources.semantic_scholar if settings.semantic_scholar_api_url.strip() else None
    )
    arxiv = sources.arxiv_api if settings.arxiv_api_url.strip() else None
    pubmed = sources.pubmed if settings.pubmed_api_url.strip() else None
    crossref = sources.crossref if settings.crossref_api_url.strip() else None
    guard = UpstreamGuard(clock)
    resolver = AuthorResolver(
        database, clock, openalex=openalex, semantic_scholar=semantic_scholar, guard=guard
    )
    fence = CutoffFence(clock)
    history = PaperHistory(database, clock, fence, guard, arxiv=arxiv, openalex=openalex)
    metrics = MetricsRefresher(
        database, clock, openalex=openalex, semantic_scholar=semantic_scholar
    )
    lookup = AuthorLookup(database, clock, resolver, history, fence)
    follows = FollowService(database, clock, resolver=resolver, history=history, fence=fence)
    per_author = settings.citation_papers_per_author
    return Services(
        status=StatusService(database, clock, started_at),
        digests=DigestService(database, clock, card_size, fence=fence),
        digest_planner=DigestPlanner(database, clock, card_size, fence=fence),
        follows=follows,
        profile=ProfileService(
            database,
            clock,
            lookup=lookup,
            history=history,
            metrics=MetricsOnView(database, clock, metrics, resolver),
        ),
        papers=PaperLookup(database),
        metrics=metrics,
        polling=PollingService(
            database,
            clock,
            feeds=poll_feeds(
                settings, sources, openalex=openalex, pubmed=pubmed, crossref=crossref
            ),
            arxiv_limiter=sources.arxiv_limiter,
            fence=fence,
            history=history,
        ),
        notices=OutageNotifier(database, clock),
        outbox_parts=OutboxParts(database),
        resolver=resolver,
        citations=CitationWatch(
            database, clock, fence, openalex=openalex, papers_per_author=per_author
        ),
        citation_follows=CitationFollowService(
            database,
            clock,
            follows=follows,
            history=history,
            fence=fence,
            papers_per_author=per_author,
            enabled=openalex is not None,
        ),
        topics=TopicFollowService(database, clock),
        privacy=PrivacyService(database, clock, grace_days=settings.server_data_grace_days),
    )


def poll_feeds(
    settings: Settings,
    sources: Sources,
    *,
    openalex: OpenAlexSource | None,
    pubmed: PubMedSource | None,
    crossref: CrossrefSource | None,
) -> list[Feed]:
    """What each poll cycle reads, in order: the arXiv feeds hourly (the poll interval), then
    the OpenAlex works, PubMed and Crossref links feeds daily (each skipped while its source is
    not configured). Crossref comes last: it links what the others stored."""
    interval = timedelta(minutes=settings.poll_interval_minutes)
    return [
        ArxivApiFeed(sources.arxiv_api, interval=interval),
        ArxivListingFeed(sources.arxiv_rss, sources.arxiv_api, interval=interval),
        OpenAlexWorksFeed(openalex=openalex, arxiv=sources.arxiv_api),
        PubMedFeed(pubmed=pubmed),
        CrossrefLinksFeed(crossref=crossref),
    ]


@asynccontextmanager
async def open_runtime(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """The database, one HTTP session, the sources and every service; closed on exit.

    Rate limiters and retries wait on `clock` (a test clock must move when they sleep).
    """
    clock = clock or SystemClock()
    database = Database(settings.database_url)
    try:
        # Every source sets its own User-Agent naming the operator (bot/sources/http.py).
        timeout = aiohttp.ClientTimeout(total=settings.http_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            sources = build_sources(
                settings,
                session,
                health=DatabaseHealthRecorder(database),
                clock=clock,
                sleep=clock.sleep,
            )
            services = assemble(settings, database, sources, clock, started_at=clock.now())
            yield Runtime(settings, database, clock, sources, services)
    finally:
        await database.dispose()
