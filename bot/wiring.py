"""Builds the services once, from the resources the bot owns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp

from bot.clock import Clock
from bot.config import Settings
from bot.render.digests import card_size
from bot.services.author_resolver import build_author_resolver
from bot.services.cutoff_fence import CutoffFence
from bot.services.digest_planner import DigestPlanner
from bot.services.digests import DigestService
from bot.services.follows import FollowService
from bot.services.health import DatabaseHealthRecorder
from bot.services.notices import OutageNotifier
from bot.services.openalex_backstop import OpenAlexBackstop
from bot.services.paper_history import PaperHistory
from bot.services.polling import PollingService
from bot.services.profile import ProfileService, build_profile_service
from bot.services.status import StatusService
from bot.sources.factory import build_sources
from db.database import Database


@dataclass(frozen=True)
class Services:
    """Every service a cog or a scheduled job may call."""

    status: StatusService
    digests: DigestService
    digest_planner: DigestPlanner
    follows: FollowService
    profile: ProfileService
    polling: PollingService
    openalex_backstop: OpenAlexBackstop
    notices: OutageNotifier


def build_services(
    *,
    settings: Settings,
    database: Database,
    http_session: aiohttp.ClientSession,
    clock: Clock,
    started_at: datetime,
) -> Services:
    """Wire the services; no I/O happens here."""
    # Rate limiters wait on the same clock they measure with (a test clock must move).
    sources = build_sources(
        settings,
        http_session,
        health=DatabaseHealthRecorder(database),
        clock=clock,
        sleep=clock.sleep,
    )
    # One resolver for every "typed name -> author" question (/follow and the profiles).
    resolver = build_author_resolver(settings, database, sources, clock)
    # One fence for everything that stores papers or cuts a digest off: a paper stored during
    # a plan is in the next digest, never in none (`CutoffFence`).
    fence = CutoffFence(clock)
    # One fetcher of authors' earlier papers (profiles, follows, the poll's catch-up).
    history = PaperHistory(
        database,
        clock,
        fence,
        resolver.guard,
        arxiv=sources.arxiv_api if settings.arxiv_api_url.strip() else None,
        openalex=resolver.openalex,
    )
    return Services(
        status=StatusService(database, clock, started_at),
        digests=DigestService(database, clock, card_size, fence=fence),
        digest_planner=DigestPlanner(database, clock, card_size, fence=fence),
        follows=FollowService(
            database, sources, clock, resolver=resolver, fence=fence, history=history
        ),
        profile=build_profile_service(
            settings, database, sources, clock, resolver=resolver, fence=fence, history=history
        ),
        polling=PollingService(
            database,
            sources,
            clock,
            interval=timedelta(minutes=settings.poll_interval_minutes),
            fence=fence,
            history=history,
        ),
        openalex_backstop=OpenAlexBackstop(database, sources, clock, fence=fence),
        notices=OutageNotifier(database, clock),
    )
