"""The bot is stopped in the middle of a poll, then started again.

The scheduler fires the poll; its first arXiv page arrives, and the poll waits on arXiv's rate
limiter before the second page. The bot is stopped right then (what SIGTERM does: `close()`).
The stop is quiet: no ERROR (APScheduler used to log `Job ... raised an exception` with a
CancelledError traceback), the running tick ends before the HTTP session and the database
close. After a restart the next poll redoes the feed (its window had not moved): every paper
is stored once and every alert planned once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import OutboxEntry, Paper
from tests.e2e.test_journey_poll_beside_bot import seed
from tests.e2e.test_polling_cli import route
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

ALERTS = 5  # the papers published after the follow, for its one destination


async def count(h, model: type, *where: object) -> int:  # type: ignore[no-untyped-def]
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_a_stop_during_a_poll_is_quiet_and_the_next_start_completes_it(
    harness_factory: HarnessFactory,
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed(database_url)
    async with FakeUpstream() as upstream:
        route(upstream)
        settings = {
            "arxiv_api_url": upstream.arxiv_api_url,
            "arxiv_rss_url": upstream.arxiv_rss_url,
            "openalex_api_url": upstream.openalex_url,
            "semantic_scholar_api_url": upstream.semantic_scholar_url,
            "arxiv_min_interval_seconds": 30.0,  # the poll will be waiting here when stopped
        }
        with caplog.at_level(logging.INFO):
            async with harness_factory(
                database_url=database_url, settings=settings, migrate=False
            ) as h:
                assert h.bot.scheduler is not None
                h.bot.scheduler.modify_job("poll", next_run_time=datetime.now(UTC))
                async with asyncio.timeout(10):
                    while not upstream.requests_to("/api/query"):  # noqa: ASYNC110 (no event)
                        await asyncio.sleep(0.05)
                await asyncio.sleep(0.2)  # the first page is in; the limiter holds the second
                started = asyncio.get_running_loop().time()
                await h.bot.close()
                stop_took = asyncio.get_running_loop().time() - started
        assert stop_took < 5  # not the limiter's 30 s: the tick was cancelled and awaited
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert any("poll tick stopped by the shutdown" in r.getMessage() for r in caplog.records)
        assert len(upstream.requests_to("/api/query")) == 1

        settings["arxiv_min_interval_seconds"] = 0.0
        async with harness_factory(
            database_url=database_url, settings=settings, migrate=False
        ) as again:
            summary = await again.bot.services.polling.run_cycle()
            assert summary.errors == [] and summary.papers_new == 11
            assert await count(again, Paper) == 11
            assert await count(again, OutboxEntry, OutboxEntry.kind == "alert") == ALERTS
            again_summary = await again.bot.services.polling.run_cycle()
            assert again_summary.papers_new == 0 and again_summary.alerts_enqueued == 0
