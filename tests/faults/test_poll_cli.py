"""`paperscout poll --once` as a subprocess through a fault, on SQLite and PostgreSQL: the exit
status, one clear line per failed feed, no traceback, health recorded; then, still backing
off, a summary that says so (never "errors: none"); then full recovery.

Only faults the real retry policy does not retry run here (the subprocess sleeps for real:
a retried fault would cost 14 s of backoff per feed); the in-process table covers the rest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from db.database import Database
from db.models import OutboxEntry, Paper
from db.models import SourceHealth as SourceHealthRow
from tests.e2e.test_polling_cli import run_poll
from tests.faults.modes import MODES, FaultMode
from tests.faults.paths import HIS_PAPERS, POLL, RSS_KEY
from tests.harness.fake_upstream import FakeUpstream

CLI_MODES = [m for m in MODES if m.name == "status-429-retry-after"]  # issue 10, item 8
BACKING_OFF = re.compile(
    r"^  (?:arxiv_api:authors|arxiv_rss:\S+|openalex_backstop): (arxiv_api|arxiv_rss|openalex) "
    r"backing off until "
    r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC after \1: (.+)$"
)


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar())


async def health(db: Database) -> dict[str, SourceHealthRow]:
    async with db.reader() as session:
        rows = (await session.execute(select(SourceHealthRow))).scalars()
        return {row.source: row for row in rows}


def error_lines(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("errors"))
    return lines[start + 1 :]


@pytest.mark.parametrize("mode", CLI_MODES, ids=lambda m: m.name)
async def test_poll_once_through_a_fault_then_backing_off_then_recovered(
    mode: FaultMode, db: Database, database_url: str, upstream: FakeUpstream, tmp_path: Path
) -> None:
    await POLL.seed(db, upstream, datetime.now(UTC))
    upstream.add_fault(None, mode.fault())

    code, out, err = await run_poll(tmp_path, upstream, database_url)

    assert code == 0, err
    assert "Traceback" not in err
    assert "errors (3):" in out.splitlines()
    failed = error_lines(out)
    assert len(failed) == 3 and all(re.search(mode.reason or "", line) for line in failed)
    assert failed[0].startswith("  arxiv_api:authors batch 1/1: arxiv_api: ")
    assert failed[1].startswith(f"  {RSS_KEY}: arxiv_rss: ")
    # His OpenAlex id makes the daily works feed due too.
    assert failed[2].startswith("  openalex_backstop: works of 1 authors: openalex: ")
    rows = await health(db)
    failures = {s: r.consecutive_failures for s, r in rows.items()}
    assert failures == {"arxiv_api": 1, "arxiv_rss": 1, "openalex": 1}
    assert await count(db, Paper) == 0

    # Straight after: nothing is asked, and the summary says why, until when.
    upstream.requests.clear()
    code, out, err = await run_poll(tmp_path, upstream, database_url)

    assert code == 0 and "Traceback" not in err, err
    assert upstream.requests == []
    assert "errors: none" not in out and "errors (3):" in out.splitlines()
    for line in error_lines(out):
        match = BACKING_OFF.match(line)
        assert match is not None, line
        source, until, why = match.groups()
        assert until == f"{rows[source].next_try_at:%Y-%m-%d %H:%M}"
        assert re.search(mode.reason or "", why), why

    # The back-off over (moved into the past, as time would) and arXiv healthy again.
    async with db.transaction() as session:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(SourceHealthRow).values(next_try_at=past))
    upstream.clear_faults()
    code, out, err = await run_poll(tmp_path, upstream, database_url)

    assert code == 0 and "Traceback" not in err, err
    assert out.splitlines()[-1] == "errors: none"
    assert await count(db, Paper) == len(HIS_PAPERS)
    assert await count(db, OutboxEntry) == POLL.healthy["alerts"]
    assert all(r.consecutive_failures == 0 for r in (await health(db)).values())
