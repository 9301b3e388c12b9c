"""APScheduler wiring: short ticks that read what is due from the database and call services.

In-memory jobs on purpose (docs/operations.md#scheduled-ticks-and-daily-jobs): registered in code at
start-up, and "due" lives in our tables, so a missed fire is caught up by the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from db.repositories.leader import Leader

log = logging.getLogger(__name__)

DELIVER_EVERY_SECONDS = 10
POLL_TICK_SECONDS = 60
PLAN_TICK_SECONDS = 60
PERIODIC_TICK_MINUTES = 60  # daily jobs: the tick asks the database whether they are due
STOP_TIMEOUT = 10.0  # a stopping tick unwinds at its next await; this is only a safety net


class RunningTicks:
    """The ticks running now, so a shutdown can cancel them and wait until they have ended.

    `AsyncIOScheduler.shutdown` cancels running jobs but cannot wait for them; without this the
    HTTP session and the database would close under a poll still unwinding.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    @contextlib.contextmanager
    def tracking(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is None:  # not in a task: nothing to wait for
            yield
            return
        self._tasks.add(task)
        try:
            yield
        finally:
            self._tasks.discard(task)

    async def stop(self, scheduler: AsyncIOScheduler) -> None:
        """Stop the scheduler (it cancels the running ticks) and wait for them to end."""
        if scheduler.running:
            scheduler.shutdown(wait=False)
        pending = [t for t in self._tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            _, late = await asyncio.wait(pending, timeout=STOP_TIMEOUT)
            if late:
                log.warning("%d ticks did not stop within %.0f s", len(late), STOP_TIMEOUT)


def _guarded(
    name: str,
    tick: Callable[[], Awaitable[object]],
    running: RunningTicks,
    ticked: Callable[[], None] | None,
) -> Callable[[], Awaitable[None]]:
    """A tick that logs its failure and never stops the scheduler (the next tick retries);
    `ticked` is called when it ends, failed or not (the scheduler is alive either way).

    A tick cancelled by a shutdown ends quietly: it is not a failure, and its work is redone
    by the next run (a poll's feed moves its window only when it completes).
    """

    async def run() -> None:
        with running.tracking():
            try:
                await tick()
            except asyncio.CancelledError:
                # Swallowed on purpose: APScheduler logs any exception of a job, this one
                # included, as an ERROR with a traceback. The task ends here either way.
                log.info("scheduled %s tick stopped by the shutdown", name)
                return
            except Exception:
                log.exception("scheduled %s tick failed; the next tick will retry", name)
            if ticked is not None:
                ticked()

    run.__name__ = f"{name}_tick"
    return run


def _leader_only(
    leader: Leader | None, tick: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    """A tick that works only in the leader (docs/operations.md#the-leader); every process asks."""
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
    citations: Callable[[], Awaitable[object]] | None = None,
    purge_server_data: Callable[[], Awaitable[object]] | None = None,
    leader: Leader | None = None,
    ticked: Callable[[], None] | None = None,
) -> RunningTicks:
    """Add the recurring ticks; each runs alone (max_instances=1) and missed fires coalesce.

    `poll` (every feed: arXiv hourly, the OpenAlex works and PubMed feeds daily, each by its
    own `next_poll_at`), `plan`, the daily `refresh_metrics`, `citations` and
    `purge_server_data` (servers that removed the bot, past the grace period) run only while
    `leader` says this process leads (every process ticks, one works; another takes over on
    its next tick when the leader dies); `deliver` runs in every process, made safe by the
    outbox's row claims. `poll` and `plan` are separate jobs, so a plan can run in the middle of
    a poll cycle: the services' shared `CutoffFence` (`bot.runtime`) keeps the papers that cycle
    stores in a digest. `ticked` is called after every tick (the heartbeat: `deliver` ends
    every 10 s in every process). Returns what a shutdown needs to stop the running ticks.
    """
    running = RunningTicks()
    common = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": 300,
        "replace_existing": True,
    }
    ticks: list[tuple[str, Callable[[], Awaitable[object]] | None, dict[str, int], bool]] = [
        ("deliver", deliver, {"seconds": DELIVER_EVERY_SECONDS}, False),
        ("poll", poll, {"seconds": POLL_TICK_SECONDS}, True),
        ("plan", plan, {"seconds": PLAN_TICK_SECONDS}, True),
        ("refresh_metrics", refresh_metrics, {"minutes": PERIODIC_TICK_MINUTES}, True),
        ("citations", citations, {"minutes": PERIODIC_TICK_MINUTES}, True),
        ("purge_server_data", purge_server_data, {"minutes": PERIODIC_TICK_MINUTES}, True),
    ]
    for name, tick, every, leader_only in ticks:
        if tick is None:
            continue
        work = _leader_only(leader, tick) if leader_only else tick
        job = _guarded(name, work, running, ticked)
        scheduler.add_job(job, "interval", id=name, **every, **common)
    return running
