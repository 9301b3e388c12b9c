"""Services for tests, wired by the production `bot.runtime.assemble` over a test's resources.

    services = services_for(db, sources, clock)      # one process's services, as the bot has
    other = services_for(db, other_sources, clock)   # a second process: its own fence, guard

`poller`, `planner` and `digest_service` build one service over resources a test changed
(a pausing database, wrapped sources), with the fence it wants to share or a fresh one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from bot.clock import Clock
from bot.config import Settings
from bot.render.digests import card_size
from bot.runtime import Services, assemble
from bot.services.arxiv_feeds import DEFAULT_INTERVAL, ArxivApiFeed, ArxivListingFeed
from bot.services.author_resolver import UpstreamGuard
from bot.services.cutoff_fence import CutoffFence
from bot.services.digest_planner import DigestPlanner
from bot.services.digests import DigestService
from bot.services.feed_protocol import Feed
from bot.services.paper_history import PaperHistory
from bot.services.polling import DEFAULT_HISTORIES_PER_CYCLE, PollingService
from bot.sources.factory import Sources
from db.database import Database
from tests.harness.fake_upstream import FakeUpstream


def settings_on(upstream: FakeUpstream, **overrides: Any) -> Settings:
    """Settings pointing every source at the fake upstream (no `.env`, no environment)."""
    values: dict[str, Any] = {
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "openalex_api_url": upstream.openalex_url,
        "semantic_scholar_api_url": upstream.semantic_scholar_url,
        "pubmed_api_url": upstream.pubmed_url,
        "crossref_api_url": upstream.crossref_url,
        "contact_email": "ops@paperscout.example",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def settings_of(sources: Sources, **overrides: Any) -> Settings:
    """Settings naming the sources' base URLs (an empty one: that source not configured)."""
    values: dict[str, Any] = {
        "arxiv_api_url": sources.arxiv_api.base_url,
        "arxiv_rss_url": sources.arxiv_rss.base_url,
        "openalex_api_url": sources.openalex.base_url,
        "semantic_scholar_api_url": sources.semantic_scholar.base_url,
        "pubmed_api_url": sources.pubmed.base_url,
        "crossref_api_url": sources.crossref.base_url,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def services_for(database: Database, sources: Sources, clock: Clock, **settings: Any) -> Services:
    """Every service as the bot wires them; `settings` override `settings_of(sources)`."""
    return assemble(
        settings_of(sources, **settings), database, sources, clock, started_at=clock.now()
    )


def poller(
    database: Database,
    sources: Sources,
    clock: Clock,
    *,
    fence: CutoffFence | None = None,
    feeds: Sequence[Feed] | None = None,
    histories_per_cycle: int = DEFAULT_HISTORIES_PER_CYCLE,
    **arxiv_options: Any,
) -> PollingService:
    """A poller over these resources (its own fence unless given: another process) reading
    `feeds`, by default only the two arXiv feeds (`arxiv_options`: `ArxivApiFeed`'s, and
    `interval` for both)."""
    fence = fence or CutoffFence(clock)
    if feeds is None:
        interval = arxiv_options.get("interval", DEFAULT_INTERVAL)
        feeds = [
            ArxivApiFeed(sources.arxiv_api, **arxiv_options),
            ArxivListingFeed(sources.arxiv_rss, sources.arxiv_api, interval=interval),
        ]
    history = PaperHistory(
        database,
        clock,
        fence,
        UpstreamGuard(clock),
        arxiv=sources.arxiv_api,
        openalex=sources.openalex,
    )
    return PollingService(
        database,
        clock,
        feeds=feeds,
        arxiv_limiter=sources.arxiv_limiter,
        fence=fence,
        history=history,
        histories_per_cycle=histories_per_cycle,
    )


def planner(database: Database, clock: Clock, *, fence: CutoffFence | None = None) -> DigestPlanner:
    return DigestPlanner(database, clock, card_size, fence=fence or CutoffFence(clock))


def digest_service(
    database: Database, clock: Clock, *, fence: CutoffFence | None = None
) -> DigestService:
    return DigestService(database, clock, card_size, fence=fence or CutoffFence(clock))


FeedT = TypeVar("FeedT")


def feed_of(services: Services, kind: type[FeedT]) -> FeedT:
    """The runtime's feed of this class (as `bot.runtime.poll_feeds` wired it)."""
    (feed,) = [f for f in services.polling.feeds if isinstance(f, kind)]
    return feed


def feed_poller(
    database: Database, sources: Sources, clock: Clock, kind: type[Any], **settings: Any
) -> PollingService:
    """The poll cycle reading only the runtime's feed of class `kind` (as `poll_feeds` wired
    it, with `settings` overriding `settings_of(sources)`)."""
    feed = feed_of(services_for(database, sources, clock, **settings), kind)
    return poller(database, sources, clock, feeds=[feed])
