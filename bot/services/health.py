"""The database-backed `HealthRecorder`: every source call's outcome lands in `source_health`.

The sources report once per public call (after retries). Each report is written in its own
short transaction, so a poll cycle never holds SQLite's write lock while waiting on HTTP, and a
database hiccup never turns into a failed fetch: it is logged and the source carries on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.sources.errors import SourceError
from db.database import Database
from db.repositories.health import SourceHealthRepository

log = logging.getLogger(__name__)


class DatabaseHealthRecorder:
    """Implements `bot.sources.health.HealthRecorder` on `SourceHealthRepository`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def record_success(self, source: str, at: datetime) -> None:
        """Reset the failure count of `source` and clear its backoff."""
        try:
            async with self._database.transaction() as session:
                await SourceHealthRepository(session).record_success(source, at)
        except Exception:  # bookkeeping must never break the fetch that reported it
            log.exception("could not record the success of %s", source)

    async def record_failure(
        self, source: str, at: datetime, error: SourceError, next_try_at: datetime | None
    ) -> None:
        """Count one more failure of `source`, keep `str(error)` and when to try again."""
        try:
            async with self._database.transaction() as session:
                await SourceHealthRepository(session).record_failure(
                    source, at, str(error), next_try_at
                )
        except Exception:
            log.exception("could not record the failure of %s (%s)", source, error)
