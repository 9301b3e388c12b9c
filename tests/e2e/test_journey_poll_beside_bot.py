"""`paperscout poll --once` typed while the running bot polls: one poll at a time per database.

The bot's scheduled poll is under way (its first arXiv request held in flight) when an
operator runs `paperscout poll --once` in another process on the same database. The command
says a poll is running and waits (the bot's request is let go only once it has said so);
arXiv never sees two requests at once, nor two closer than the spacing; when the bot's poll
ends the command finds nothing due and says so. Before, the command built its own rate
limiter and polled at once: arXiv saw requests 0.61 s and 2.40 s apart.
SQLite (a lease row) and PostgreSQL (an advisory lock).
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

from db.database import Database
from db.migrate import upgrade_to_head_async
from tests.e2e.test_polling_cli import USUAL, route
from tests.harness.cli import cli_env, start_cli
from tests.harness.fake_upstream import FakeUpstream, Fault, RecordedRequest
from tests.harness.fixtures import HarnessFactory
from tests.services.conftest import Dest, follow_author

SPACING = 1.0  # ARXIV_MIN_INTERVAL_SECONDS for both processes (3 s in production)


async def seed(url: str) -> None:
    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        await follow_author(
            database,
            "Adrian Del Maestro",
            created_at=datetime(2014, 6, 1, tzinfo=UTC),
            categories=USUAL,
            destinations=(Dest("user", 111),),
        )
    finally:
        await database.dispose()


async def read_until(process: asyncio.subprocess.Process, text: str) -> bytes:
    """Its stderr up to the line holding `text` (a minute at most)."""
    assert process.stderr is not None
    said = b""
    async with asyncio.timeout(60):
        while text.encode() not in said:
            line = await process.stderr.readline()
            assert line, f"the command ended without saying {text!r}: {said.decode()}"
            said += line
    return said


def arxiv_requests(upstream: FakeUpstream) -> list[RecordedRequest]:
    found = [r for r in upstream.requests if r.path.startswith(("/api/query", "/rss/"))]
    return sorted(found, key=lambda r: r.started)


async def test_poll_once_waits_for_the_bots_poll_and_keeps_arxivs_spacing(
    harness_factory: HarnessFactory, tmp_path: Path, database_url: str
) -> None:
    await seed(database_url)
    async with FakeUpstream() as upstream:
        route(upstream)
        in_flight = asyncio.Event()  # the bot's first request is answered when this is set
        upstream.add_fault("/api/query", Fault.held(in_flight, times=1))
        settings = {
            "arxiv_api_url": upstream.arxiv_api_url,
            "arxiv_rss_url": upstream.arxiv_rss_url,
            "openalex_api_url": upstream.openalex_url,
            "semantic_scholar_api_url": upstream.semantic_scholar_url,
            "arxiv_min_interval_seconds": SPACING,
        }
        async with harness_factory(
            database_url=database_url, settings=settings, migrate=False
        ) as h:
            bot_poll = asyncio.create_task(h.bot.services.polling.run_cycle())
            async with asyncio.timeout(10):
                while not upstream.requests_to("/api/query"):  # noqa: ASYNC110 (no event to await)
                    await asyncio.sleep(0.05)
            env = cli_env(
                upstream, database_url=database_url, arxiv_min_interval_seconds=str(SPACING)
            )
            command = await start_cli("poll", "--once", cwd=tmp_path, env=env)
            said = await read_until(command, "another poll is running on this database")
            in_flight.set()  # the bot's poll goes on and ends; the command's may start
            out, rest = await asyncio.wait_for(command.communicate(), timeout=60)
            err = said + rest
            summary = await asyncio.wait_for(bot_poll, timeout=30)

    assert summary.errors == [] and not summary.busy and summary.papers_new == 11
    assert command.returncode == 0, err.decode()
    assert "another poll is running on this database" in err.decode()
    assert "Traceback" not in err.decode()
    printed = out.decode()
    assert "poll: 0 requests" in printed and "not due until" in printed, printed
    timeline = arxiv_requests(upstream)
    assert len(timeline) == 3  # the bot's two API pages and its listing; none of the command's
    for earlier, later in itertools.pairwise(timeline):
        assert later.started - earlier.finished >= SPACING * 0.95, (earlier.path, later.path)
