"""Every fault mode (modes.py) against every path (paths.py), on SQLite and PostgreSQL.

Each case: seed, inject the fault on every upstream request, run the path once, then check
- the lines an operator reads: one per failed source call, one line each, with the reason
  (none for a sanitised mode), and no traceback anywhere in the log;
- the rows: unchanged after a failure, or exactly what the mode leaves when sanitised;
- source health: each source called recorded the failure with that reason (or a success);
then heal the upstream, move to the path's next run and check that it recovers completely.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from db.database import Database
from db.models import Paper
from db.models import SourceHealth as SourceHealthRow
from tests.faults.conftest import fault_sources
from tests.faults.modes import MODES, XXE_MARKER, FaultMode
from tests.faults.paths import PATHS, FaultPath
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream

CASES = [
    pytest.param(mode, path, id=f"{mode.name}-{path.name}")
    for mode in MODES
    for path in PATHS
    if path.body_format in mode.formats and (mode.fails or mode.name in path.sanitised)
]


async def health_rows(db: Database) -> dict[str, SourceHealthRow]:
    async with db.reader() as session:
        rows = (await session.execute(select(SourceHealthRow))).scalars()
        return {row.source: row for row in rows}


async def stored_texts(db: Database) -> str:
    async with db.reader() as session:
        rows = (await session.execute(select(Paper.title, Paper.abstract))).all()
    return " ".join(f"{title} {abstract}" for title, abstract in rows)


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info]
    assert logged == []


def assert_failure_lines(lines: list[str], mode: FaultMode, path: FaultPath) -> None:
    assert len(lines) == len(path.sources), lines
    for line in lines:
        assert "\n" not in line and re.search(mode.reason or "", line), line
    for source in path.sources:
        assert sum(f"{source}: " in line for line in lines) == 1, (source, lines)


@pytest.mark.parametrize(("mode", "path"), CASES)
async def test_fault(
    mode: FaultMode,
    path: FaultPath,
    db: Database,
    upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    clock = ManualClock(path.start)
    await path.seed(db, upstream, clock.now())
    upstream.add_fault(path.fault_on, mode.fault())

    async with fault_sources(db, upstream, clock) as sources:
        since = clock.now()
        lines = await path.run(db, sources, clock, caplog)

        assert_no_traceback(caplog)
        health = await health_rows(db)
        if mode.fails:
            assert_failure_lines(lines, mode, path)
            assert await path.snapshot(db, since) == path.before
            assert set(path.sources) <= set(health) <= {*path.sources, *path.healthy_sources}
            for spared in set(health) - set(path.sources):  # a source the fault did not hit
                assert health[spared].consecutive_failures == 0
            for source in path.sources:
                row = health[source]
                assert row.consecutive_failures == 1 and row.last_success_at is None
                assert re.search(mode.reason or "", row.last_error or ""), row.last_error
                assert row.next_try_at is not None and row.next_try_at > clock.now()
        else:
            assert lines == []
            assert await path.snapshot(db, since) == path.sanitised[mode.name]
            assert sorted(health) == sorted(path.healthy_sources)
            assert all(row.consecutive_failures == 0 for row in health.values())
        assert XXE_MARKER not in await stored_texts(db)

        upstream.clear_faults()
        caplog.clear()
        clock.advance(path.recover_after)
        since = clock.now()
        assert await path.run(db, sources, clock, caplog) == []

        assert_no_traceback(caplog)
        assert await path.snapshot(db, since) == path.healthy
        health = await health_rows(db)
        for source in path.healthy_sources:
            assert health[source].consecutive_failures == 0
            assert health[source].last_success_at is not None


def test_every_mode_meets_every_path_it_applies_to() -> None:
    """The table is what the suite promises: a mode no path runs would be a silent gap."""
    ran = {case.values[0].name for case in CASES}  # type: ignore[union-attr]
    assert ran == {mode.name for mode in MODES}
    assert len(CASES) == 91
