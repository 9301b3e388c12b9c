"""Jobs due every so often, with "when it last ran" kept in the database.

An interval trigger alone would restart its count at every process start, so a bot restarted
daily would never run a daily job. Instead a frequent tick asks `run_if_due`, which reads the
last success from `feed_state` (the same table the poller keeps its cursors in).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.clock import Clock
from db.database import Database
from db.repositories.feeds import FeedStateRepository

log = logging.getLogger(__name__)


class PeriodicJob:
    """Runs `job` when its last success, stored under `key`, is at least `every` ago."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        key: str,
        every: timedelta,
        job: Callable[[], Awaitable[object]],
    ) -> None:
        self._database = database
        self._clock = clock
        self.key = key
        self.every = every
        self._job = job

    async def run_if_due(self) -> bool:
        """Run the job if it is due; True when it ran. A failure leaves it due (next tick)."""
        now = self._clock.now()
        async with self._database.reader() as session:
            state = await FeedStateRepository(session).get(self.key)
        last = state.last_success_at if state is not None else None
        if last is not None and now - last < self.every:
            return False
        await self._job()
        async with self._database.transaction() as session:
            await FeedStateRepository(session).upsert(self.key, now=now, last_success_at=now)
        log.info("periodic job %s done", self.key)
        return True
