"""What `/status` reports: version, uptime, the database, and the health of every source."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import __version__
from bot.clock import Clock
from db.database import Database
from db.repositories.health import SourceHealthRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceHealthView:
    source: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_try_at: datetime | None

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


@dataclass(frozen=True)
class StatusReport:
    version: str
    uptime: timedelta
    database_backend: str
    database_ok: bool
    sources: list[SourceHealthView]


class StatusService:
    """Builds the status report; never raises because the database is down."""

    def __init__(self, database: Database, clock: Clock, started_at: datetime) -> None:
        self._database = database
        self._clock = clock
        self._started_at = started_at

    async def report(self) -> StatusReport:
        database_ok = await self._database.ping()
        sources: list[SourceHealthView] = []
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
            except Exception:
                log.exception("reading source health failed")
                database_ok = False
        return StatusReport(
            version=__version__,
            uptime=self._clock.now() - self._started_at,
            database_backend=self._database.backend,
            database_ok=database_ok,
            sources=sources,
        )
