"""What `/status` reports: version, uptime, the database, and the health of every source."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import __version__
from bot.clock import Clock
from bot.services.arxiv_feeds import API_FEED_KEY, RSS_FEED_PREFIX
from bot.services.citation_watch import JOB_KEY as CITATIONS_KEY
from bot.services.crossref_links import JOB_KEY as CROSSREF_LINKS_KEY
from bot.services.metrics_refresh import JOB_KEY as METRICS_REFRESH_KEY
from bot.services.openalex_works import JOB_KEY as WORKS_FEED_KEY
from bot.services.pubmed_feed import JOB_KEY as PUBMED_FEED_KEY
from bot.services.status_report import DigestDestinationView, SourceHealthView, StatusReport
from db.database import Database
from db.repositories.digests import DigestScheduleRepository
from db.repositories.feeds import FeedStateRepository
from db.repositories.health import SourceHealthRepository
from db.repositories.outbox import OutboxRepository

log = logging.getLogger(__name__)


# The leader's daily jobs by their `PeriodicJob` key, with the name /status gives them.
DAILY_JOBS = {
    METRICS_REFRESH_KEY: "metrics refresh",
    WORKS_FEED_KEY: "OpenAlex works",
    PUBMED_FEED_KEY: "PubMed",
    CROSSREF_LINKS_KEY: "Crossref links",
    CITATIONS_KEY: "citations",
}


def is_poll_feed(key: str) -> bool:
    """A feed the poller keeps (`feed_state` also holds periodic jobs such as metrics_refresh)."""
    return key == API_FEED_KEY or key.startswith(RSS_FEED_PREFIX)


class StatusService:
    """Builds the status report; never raises because the database is down."""

    def __init__(self, database: Database, clock: Clock, started_at: datetime) -> None:
        self._database = database
        self._clock = clock
        self._started_at = started_at

    async def report(self, guild_id: int | None = None) -> StatusReport:
        """The report; with `guild_id`, also that server's digest destinations."""
        database_ok = await self._database.ping()
        sources: list[SourceHealthView] = []
        digests: list[DigestDestinationView] = []
        queue: dict[str, int] = {}
        last_poll_at: datetime | None = None
        daily_jobs: dict[str, datetime | None] = {}
        if database_ok:
            try:
                async with self._database.reader() as session:
                    rows = await SourceHealthRepository(session).list_all()
                sources = [
                    SourceHealthView(
                        source=row.source,
                        last_success_at=row.last_success_at,
                        last_failure_at=row.last_failure_at,
                        consecutive_failures=row.consecutive_failures,
                        last_error=row.last_error,
                        next_try_at=row.next_try_at,
                    )
                    for row in rows
                ]
                async with self._database.reader() as session:
                    queue = await OutboxRepository(session).counts_by_status()
                    feeds = await FeedStateRepository(session).list_all()
                    schedules = (
                        await DigestScheduleRepository(session).list_for_guild(guild_id)
                        if guild_id is not None
                        else []
                    )
                polled = [
                    f.last_success_at for f in feeds if is_poll_feed(f.key) and f.last_success_at
                ]
                last_poll_at = max(polled, default=None)
                done = {f.key: f.last_success_at for f in feeds}
                daily_jobs = {label: done.get(key) for key, label in DAILY_JOBS.items()}
                digests = [
                    DigestDestinationView(s.target_id, s.next_digest_at, s.paused, s.paused_reason)
                    for s in schedules
                    if s.target_kind == "channel"
                ]
            except Exception:
                log.exception("reading source health failed")
                database_ok = False
        return StatusReport(
            version=__version__,
            uptime=self._clock.now() - self._started_at,
            database_backend=self._database.backend,
            database_ok=database_ok,
            sources=sources,
            digests=digests,
            queue=queue,
            last_poll_at=last_poll_at,
            daily_jobs=daily_jobs,
        )
