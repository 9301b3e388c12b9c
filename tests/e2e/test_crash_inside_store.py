"""A process killed inside the store transaction of a poll: nothing half-written, then the
next poll stores everything once and announces each paper once.

The worker (`store_crash_worker`) polls with the real sources and database and stops dead in
the middle of its store transaction: papers and author links written, the alerts not yet
planned, nothing committed. SIGKILL there. The database must hold no paper, no link and no
alert of that cycle, and the feed's window must not have moved. The next poll (a restart)
stores the 11 papers, links and alerts once; the one after finds nothing new. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update

from bot.config import Settings
from bot.runtime import open_runtime
from bot.services.arxiv_feeds import API_FEED_KEY
from bot.services.poll_report import PollSummary
from db.database import Database
from db.models import AuthorPaper, FeedState, LeaderLease, OutboxEntry, Paper
from tests.e2e.test_journey_poll_beside_bot import seed
from tests.e2e.test_polling_cli import route
from tests.harness.fake_upstream import FakeUpstream

REPO = Path(__file__).resolve().parents[2]
ALERTS = 5  # the papers published after the follow, for its one destination


async def counts(database: Database) -> dict[str, object]:
    async with database.reader() as session:
        total = {
            name: int(await session.scalar(select(func.count()).select_from(model)))
            for name, model in (("papers", Paper), ("links", AuthorPaper), ("alerts", OutboxEntry))
        }
        api_feed = await session.get(FeedState, API_FEED_KEY)
    return {**total, "window moved": api_feed is not None and api_feed.last_success_at is not None}


async def lease_lapses(database: Database) -> None:
    """The dead worker's poll lease runs out (90 s on SQLite; PostgreSQL freed its advisory
    lock with the connection at once): moved to the past instead of waited for."""
    async with database.transaction() as session:
        await session.execute(
            update(LeaderLease).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
        )


async def poll_once(database_url: str, upstream: FakeUpstream) -> PollSummary:
    """The restarted bot's poll (a runtime of its own, as a new process has)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        arxiv_api_url=upstream.arxiv_api_url,
        arxiv_rss_url=upstream.arxiv_rss_url,
        openalex_api_url="",  # the arXiv feeds only, as in the killed worker
        pubmed_api_url="",
        crossref_api_url="",
        arxiv_min_interval_seconds=0,
    )
    async with open_runtime(settings) as runtime:
        return await runtime.services.polling.run_cycle()


async def test_a_kill_inside_the_store_transaction_leaves_nothing_half_written(
    tmp_path: Path, database_url: str
) -> None:
    await seed(database_url)
    marker = tmp_path / "inside"
    async with FakeUpstream() as upstream:
        route(upstream)
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.store_crash_worker",
            database_url,
            upstream.arxiv_api_url,
            upstream.arxiv_rss_url,
            str(marker),
            cwd=REPO,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(30):
                while not marker.exists():
                    assert worker.returncode is None, await worker.stderr.read()  # type: ignore[union-attr]
                    await asyncio.sleep(0.05)
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()

        database = Database(database_url)
        try:
            assert await counts(database) == {
                "papers": 0,
                "links": 0,
                "alerts": 0,
                "window moved": False,
            }
            await lease_lapses(database)
            summary = await poll_once(database_url, upstream)
            assert summary.errors == [] and not summary.busy
            assert await counts(database) == {
                "papers": 11,
                "links": 11,
                "alerts": ALERTS,
                "window moved": True,
            }
            again = await poll_once(database_url, upstream)  # the same feed: nothing new
            assert (again.papers_new, again.links_made, again.alerts_enqueued) == (0, 0, 0)
            assert (await counts(database))["alerts"] == ALERTS
        finally:
            await database.dispose()
