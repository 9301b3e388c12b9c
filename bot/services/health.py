"""The database-backed `HealthRecorder`: every source call's outcome lands in `source_health`.

The sources report once per public call (after retries). Each report is written in its own
short transaction, so a poll cycle never holds SQLite's write lock while waiting on HTTP, and a
database hiccup never turns into a failed fetch: it is logged and the source carries on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.sources.errors import SourceError
from db.database import Database
from db.repositories.health import SourceHealthRepository

log = logging.getLogger(__name__)

# A healthy source called often (autocomplete: every keystroke) need not rewrite "still fine"
# each time: one write a minute keeps /status fresh without taking SQLite's write lock per call.
SUCCESS_REWRITE_AFTER = timedelta(minutes=1)


class DatabaseHealthRecorder:
    """Implements `bot.sources.health.HealthRecorder` on `SourceHealthRepository`."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._success_written_at: dict[str, datetime] = {}  # only while the last report was OK

    async def record_success(self, source: str, at: datetime) -> None:
        """Reset the failure count of `source` and clear its backoff (at most once a minute
        while it stays healthy)."""
        last = self._success_written_at.get(source)
        if last is not None and timedelta(0) <= at - last < SUCCESS_REWRITE_AFTER:
            return
        try:
            async with self._database.transaction() as session:
                await SourceHealthRepository(session).record_success(source, at)
            self._success_written_at[source] = at
        except Exception:  # bookkeeping must never break the fetch that reported it
            log.exception("could not record the success of %s", source)

    async def record_failure(
        self, source: str, at: datetime, error: SourceError, next_try_at: datetime | None
    ) -> None:
        """Count one more failure of `source`, keep `str(error)` and when to try again."""
        self._success_written_at.pop(source, None)
        try:
            async with self._database.transaction() as session:
                await SourceHealthRepository(session).record_failure(
                    source, at, str(error), next_try_at
                )
        except Exception:
            log.exception("could not record the failure of %s (%s)", source, error)
