"""A daily job is due by what the database remembers, so restarts neither skip nor repeat it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.periodic import PeriodicJob
from db.database import Database

START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.current = START

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()


async def test_runs_once_a_day_across_restarts(db: Database) -> None:
    clock, runs = Clock(), []

    async def job() -> None:
        runs.append(clock.now())

    def fresh_process() -> PeriodicJob:  # nothing in memory survives a restart
        return PeriodicJob(db, clock, key="metrics_refresh", every=timedelta(days=1), job=job)

    assert await fresh_process().run_if_due() is True  # never ran: due at once
    clock.current += timedelta(hours=1)
    assert await fresh_process().run_if_due() is False  # restarted an hour later: not due
    clock.current += timedelta(hours=23)
    assert await fresh_process().run_if_due() is True
    assert runs == [START, START + timedelta(days=1)]


async def test_a_failed_run_stays_due(db: Database) -> None:
    clock = Clock()

    async def failing() -> None:
        raise RuntimeError("upstream down")

    job = PeriodicJob(db, clock, key="metrics_refresh", every=timedelta(days=1), job=failing)
    with pytest.raises(RuntimeError):
        await job.run_if_due()
    calls = []

    async def working() -> None:
        calls.append(1)

    retry = PeriodicJob(db, clock, key="metrics_refresh", every=timedelta(days=1), job=working)
    assert await retry.run_if_due() is True and calls == [1]
