"""APScheduler wiring: short ticks that read what is due from the database and call services.

The in-memory job store is deliberate (SCALE.md section 2): jobs are registered in code at
start-up, and "due" lives in our tables, so a missed fire is caught up by the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from db.repositories.leader import Leader

log = logging.getLogger(__name__)

DELIVER_EVERY_SECONDS = 10
POLL_TICK_SECONDS = 60
PLAN_TICK_SECONDS = 60
PERIODIC_TICK_MINUTES = 60  # daily jobs: the tick asks the database whether they are due


def _guarded(name: str, tick: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """A tick that logs its failure and never stops the scheduler (the next tick retries)."""

    async def run() -> None:
        try:
            await tick()
        except Exception:
            log.exception("scheduled %s tick failed; the next tick will retry", name)

    run.__name__ = f"{name}_tick"
    return run


def _leader_only(
    leader: Leader | None, tick: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    """A tick that works only in the leader process (SCALE.md section 2); every process asks."""
    if leader is None:
        return tick

    async def run() -> object:
        if not await leader.is_leader():
            return None
        return await tick()

    return run


def register_ticks(
    scheduler: AsyncIOScheduler,
    *,
    deliver: Callable[[], Awaitable[object]],
    poll: Callable[[], Awaitable[object]] | None = None,
    plan: Callable[[], Awaitable[object]] | None = None,
    refresh_metrics: Callable[[], Awaitable[object]] | None = None,
    leader: Leader | None = None,
) -> None:
    """Add the recurring ticks; each runs alone (max_instances=1) and missed fires coalesce.

    `poll` and `plan` run only while `leader` says this process leads (every process ticks,
    one works; another takes over on its next tick when the leader dies); `deliver` runs in
    every process, made safe by the outbox's row claims.
    """
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
            _guarded("poll", _leader_only(leader, poll)),
            "interval",
            seconds=POLL_TICK_SECONDS,
            id="poll",
            **common,
        )
    if plan is not None:
        scheduler.add_job(
            _guarded("plan", _leader_only(leader, plan)),
            "interval",
            seconds=PLAN_TICK_SECONDS,
            id="plan",
            **common,
        )
    if refresh_metrics is not None:
        scheduler.add_job(
            _guarded("refresh_metrics", _leader_only(leader, refresh_metrics)),
            "interval",
            minutes=PERIODIC_TICK_MINUTES,
            id="refresh_metrics",
            **common,
        )
