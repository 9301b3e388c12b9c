"""Test-only entry point: one poll cycle that stops dead inside its store transaction.

    python -m tests.e2e.store_crash_worker DATABASE_URL ARXIV_API_URL ARXIV_RSS_URL MARKER

The poll runs as the bot runs it (`open_runtime`: real sources, real database), except that
the last write of the store transaction (planning the alerts) first creates the file MARKER
and then never returns: the papers and links are written, the transaction is open, nothing is
committed. The test kills the process there (SIGKILL: no cleanup of any kind).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.runtime import open_runtime
from db.repositories.outbox import OutboxRepository


def stop_inside_the_store(marker: Path) -> None:
    async def enqueue_then_hang(self: OutboxRepository, *args: Any, **kwargs: Any) -> Any:
        await asyncio.to_thread(marker.write_text, "inside the store transaction\n")
        await asyncio.Event().wait()  # forever: the test kills the process here

    OutboxRepository.enqueue_many = enqueue_then_hang  # type: ignore[method-assign]


async def run(database_url: str, api_url: str, rss_url: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        arxiv_api_url=api_url,
        arxiv_rss_url=rss_url,
        openalex_api_url="",  # only the arXiv feeds: the kill comes inside their store
        pubmed_api_url="",
        crossref_api_url="",
        arxiv_min_interval_seconds=0,
    )
    async with open_runtime(settings) as runtime:
        await runtime.services.polling.run_cycle()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    database_url, api_url, rss_url, marker = sys.argv[1:5]
    stop_inside_the_store(Path(marker))
    asyncio.run(run(database_url, api_url, rss_url))


if __name__ == "__main__":
    main()
