"""APScheduler wiring: short ticks that read what is due from the database and call services.

The in-memory job store is deliberate (SCALE.md section 2): jobs are registered in code at
start-up, and "due" lives in our tables, so a missed fire is caught up by the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

DELIVER_EVERY_SECONDS = 10
POLL_TICK_SECONDS = 60


def _guarded(name: str, tick: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A tick that logs its failure and never stops the scheduler (the next tick retries)."""

    async def run() -> None:
        try:
            await tick()
        except Exception:
            log.exception("scheduled %s tick failed; the next tick will retry", name)

    run.__name__ = f"{name}_tick"
    return run


def register_ticks(
    scheduler: AsyncIOScheduler,
    *,
    deliver: Callable[[], Awaitable[object]],
    poll: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Add the recurring ticks; each runs alone (max_instances=1) and missed fires coalesce."""
    common = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": 300,
        "replace_existing": True,
    }
    scheduler.add_job(
        _guarded("deliver", deliver),
        "interval",
        seconds=DELIVER_EVERY_SECONDS,
        id="deliver",
        **common,
    )
    if poll is not None:
        scheduler.add_job(
            _guarded("poll", poll), "interval", seconds=POLL_TICK_SECONDS, id="poll", **common
        )
