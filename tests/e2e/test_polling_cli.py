"""`paperscout poll --once` as a subprocess against the fake upstream on loopback."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.config import Settings
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import OutboxEntry, SourceHealth
from tests.harness.cli import cli_env, run_cli
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.services.conftest import Dest, follow_author

USUAL = [
    "cond-mat.quant-gas",
    "cond-mat.stat-mech",
    "cond-mat.other",
    "cond-mat.str-el",
    "quant-ph",
]
RSS_PATH = "/rss/cond-mat.other+cond-mat.quant-gas+cond-mat.stat-mech+cond-mat.str-el+quant-ph"


async def run_poll(tmp_path: Path, upstream: FakeUpstream, url: str) -> tuple[int, str, str]:
    # Loopback: no need to wait 3 s between requests.
    env = cli_env(upstream, database_url=url, arxiv_min_interval_seconds="0")
    return await run_cli("poll", "--once", cwd=tmp_path, env=env)


async def seeded_database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'paperscout.db'}"
    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        await follow_author(
            database,
            "Adrian Del Maestro",
            created_at=datetime(2014, 6, 1, tzinfo=UTC),
            categories=USUAL,
            destinations=(Dest("user", 111), Dest("channel", 222)),
        )
    finally:
        await database.dispose()
    return url


def route(upstream: FakeUpstream) -> None:
    query = re.compile(r'au:"Adrian Del Maestro"')
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/legacy2024_query_au-A-Del-Maestro_max10.atom.xml",
        query={"search_query": query, "start": "0"},
    )
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/synthetic_legacy2024_query_au-Del-Maestro_start10.atom.xml",
        query={"search_query": query, "start": "10"},
    )
    upstream.add_route(
        "GET",
        RSS_PATH,
        fixture="arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml",
        content_type="application/rss+xml; charset=utf-8",
        conditional=True,
    )


async def count(url: str, model: type) -> int:
    database = Database(url)
    try:
        async with database.reader() as session:
            return int((await session.execute(select(func.count()).select_from(model))).scalar())
    finally:
        await database.dispose()


async def test_poll_once_prints_the_summary(tmp_path: Path) -> None:
    url = await seeded_database(tmp_path)
    async with FakeUpstream() as upstream:
        route(upstream)
        code, out, err = await run_poll(tmp_path, upstream, url)
    print(out)  # quoted in the report
    assert code == 0, err
    assert out.splitlines() == [
        "poll: 3 requests (arxiv_api 2, arxiv_rss 1) for 1 followed authors",
        "papers: 48 seen, 11 new, 0 updated",
        "matches: 11 kept, 1 rejected as homonyms, 11 new links",
        "alerts: 10 enqueued",
        "errors: none",
    ]
    assert "PaperScout" in (upstream.requests[0].header("User-Agent") or "")
    assert await count(url, OutboxEntry) == 10


async def test_poll_once_during_an_outage_reports_and_exits_0(tmp_path: Path) -> None:
    url = await seeded_database(tmp_path)
    async with FakeUpstream() as upstream:
        route(upstream)
        # Non-retryable answers, so the subprocess does not sit in real backoff sleeps.
        upstream.add_fault("/api/query", Fault.http_status(403))
        upstream.add_fault(RSS_PATH, Fault.http_status(400))
        code, out, err = await run_poll(tmp_path, upstream, url)
    print(out)
    assert code == 0, err
    assert "Traceback" not in err
    lines = out.splitlines()
    assert lines[0] == "poll: 2 requests (arxiv_api 1, arxiv_rss 1) for 1 followed authors"
    assert "errors (2):" in lines
    assert any(line.startswith("  arxiv_api:authors batch 1/1: ") for line in lines)
    assert any(line.startswith("  arxiv_rss:") for line in lines)
    assert await count(url, SourceHealth) == 2


async def test_poll_config_error_exits_2(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "poll",
        "--once",
        cwd=tmp_path,
        env={**clean, "POLL_INTERVAL_MINUTES": "hourly"},
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "POLL_INTERVAL_MINUTES" in lines[0]
    assert not (tmp_path / "data").exists()
