"""A daily job is due by what the database remembers, so restarts neither skip nor repeat it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.periodic import PeriodicJob
from db.database import Database
from tests.harness.clock import ManualClock

START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


async def test_runs_once_a_day_across_restarts(db: Database) -> None:
    clock, runs = ManualClock(START), []

    async def job() -> None:
        runs.append(clock.now())

    def fresh_process() -> PeriodicJob:  # nothing in memory survives a restart
        return PeriodicJob(db, clock, key="metrics_refresh", every=timedelta(days=1), job=job)

    assert await fresh_process().run_if_due() is True  # never ran: due at once
    clock.advance(timedelta(hours=1))
    assert await fresh_process().run_if_due() is False  # restarted an hour later: not due
    clock.advance(timedelta(hours=23))
    assert await fresh_process().run_if_due() is True
    assert runs == [START, START + timedelta(days=1)]


async def test_a_failed_run_stays_due(db: Database) -> None:
    clock = ManualClock(START)

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
