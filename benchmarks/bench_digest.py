"""Benchmark weekly digest planning (a script that prints figures, not a test).

    .venv/bin/python benchmarks/bench_digest.py             # 10,000 channels x 20 follows
    .venv/bin/python benchmarks/bench_digest.py --smoke     # tiny and quick (CI)
    .venv/bin/python benchmarks/bench_digest.py --style full  # a card per paper (default compact)
    .venv/bin/python benchmarks/bench_digest.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test

The world: C channels, each with a due weekly digest and F channel follows drawn at random
(seeded) from a pool of A followed authors; P new papers first seen since the last cut-off,
each linked to one followed author, one in five to two. Seeding is not timed. Timed:
`DigestPlanner.plan_due` (the leader's plan tick, wired by `bot.runtime.open_runtime`)
planning every due digest into the outbox:
candidates, grouping, cards measured with the real embed, the split into messages, outbox rows,
digest items and advanced schedules. SQL statements are counted with a SQLAlchemy
`before_cursor_execute` listener: the count grows with the number of batches (1,000 channels
each) and distinct papers, never per channel. PostgreSQL runs when `--postgres URL` (a server
database the script may create a scratch database in) is given or the test default answers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.runtime import open_runtime
from bot.services.digest_content import (
    COMPACT_PAPERS_PER_MESSAGE,
    MAX_EMBED_CHARS,
    MAX_EMBEDS_PER_MESSAGE,
)
from bot.services.digest_planner import BATCH_SIZE
from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import (
    Author,
    AuthorPaper,
    DigestItem,
    DigestSchedule,
    Follow,
    OutboxEntry,
    Paper,
    PaperAuthor,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def insert_rows(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    async with database.transaction() as session:
        for start in range(0, len(rows), 20_000):
            await session.execute(insert(table), rows[start : start + 20_000])


async def seed(
    database: Database, channels: int, follows: int, authors: int, papers: int, style: str
) -> None:
    """The benchmark world, written with bulk Core inserts (not timed)."""
    rng = random.Random(42)
    old = NOW - timedelta(days=30)
    await insert_rows(
        database,
        Author.__table__,
        [
            {
                "id": a + 1,
                "openalex_id": f"A{a:010d}",
                "display_name": f"Author Number{a}",
                "name_variants": [],
                "usual_categories": [],
                "affiliations": [],
                "counts_by_year": [],
                "created_at": old,
                "updated_at": old,
            }
            for a in range(authors)
        ],
    )
    abstract = " ".join(f"token{i}" for i in range(180))
    paper_rows, author_lines, links = [], [], []
    for p in range(papers):
        first = rng.randrange(authors) + 1
        linked = {first} | ({rng.randrange(authors) + 1} if rng.random() < 0.2 else set())
        paper_rows.append(
            {
                "id": p + 1,
                "arxiv_id": f"2611.{p:05d}",
                "version": 1,
                "title": f"A study of problem {p} with a reasonably long descriptive title",
                "abstract": abstract,
                "primary_category": "cs.LG",
                "categories": ["cs.LG"],
                "published": NOW - timedelta(days=2),
                "updated": NOW - timedelta(days=2),
                "first_seen_at": NOW - timedelta(days=1),
            }
        )
        for position, author_id in enumerate(sorted(linked)):
            author_lines.append(
                {
                    "paper_id": p + 1,
                    "position": position,
                    "name": f"Author Number{author_id - 1}",
                    "affiliations": ["A Lab"],
                }
            )
            links.append(  # linked when first seen, as the poller does
                {
                    "author_id": author_id,
                    "paper_id": p + 1,
                    "matched_by": "name",
                    "linked_at": NOW - timedelta(days=1),
                }
            )
        for extra in range(3):
            author_lines.append(
                {
                    "paper_id": p + 1,
                    "position": 10 + extra,
                    "name": f"Co Author{extra}",
                    "affiliations": [],
                }
            )
    await insert_rows(database, Paper.__table__, paper_rows)
    await insert_rows(database, PaperAuthor.__table__, author_lines)
    await insert_rows(database, AuthorPaper.__table__, links)
    follow_rows, schedule_rows = [], []
    for c in range(channels):
        channel_id = 10_000_000 + c
        for author_id in rng.sample(range(1, authors + 1), follows):
            follow_rows.append(
                {
                    "author_id": author_id,
                    "scope": "channel",
                    "guild_id": 1,
                    "user_id": 1,
                    "channel_id": channel_id,
                    "target_id": channel_id,
                    "notify": "weekly",
                    "created_at": old,
                }
            )
        schedule_rows.append(
            {
                "target_kind": "channel",
                "target_id": channel_id,
                "guild_id": 1,
                "weekday": 0,
                "local_time": "09:00",
                "timezone": "Europe/Zurich",
                "next_digest_at": NOW - timedelta(minutes=1),
                "last_cutoff_at": NOW - timedelta(days=7),
                "paused": False,
                "post_when_empty": True,
                "style": style,
                "created_at": old,
                "updated_at": old,
            }
        )
    await insert_rows(database, Follow.__table__, follow_rows)
    await insert_rows(database, DigestSchedule.__table__, schedule_rows)


async def run(url: str, label: str, sizes: dict[str, int], style: str) -> None:
    await upgrade_to_head_async(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_runtime(settings, clock=FixedClock()) as runtime:
        database = runtime.database
        started = time.perf_counter()
        await seed(database, **sizes, style=style)
        seeded = time.perf_counter() - started
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        started = time.perf_counter()
        report = await runtime.services.digest_planner.plan_due(NOW)
        elapsed = time.perf_counter() - started
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)

        async with database.reader() as session:
            rows = (await session.execute(select(func.count(OutboxEntry.id)))).scalar_one()
            items = (
                await session.execute(select(func.count()).select_from(DigestItem))
            ).scalar_one()
            payloads = (await session.execute(select(OutboxEntry.payload))).scalars().all()
            still_due = (
                await session.execute(
                    select(func.count(DigestSchedule.id)).where(
                        DigestSchedule.next_digest_at <= NOW
                    )
                )
            ).scalar_one()
        messages = sum(len(p) for p in payloads)
        biggest = max((len(part["cards"]) for p in payloads for part in p), default=0)
        assert rows == sizes["channels"] and still_due == 0, (rows, still_due)
        assert items > 0, "the digests must hold papers, not only headers"
        assert biggest <= (
            COMPACT_PAPERS_PER_MESSAGE if style == "compact" else MAX_EMBEDS_PER_MESSAGE
        )
        print(
            f"{label:10s} {sizes['channels']:>6,} channels x {sizes['follows']} follows, "
            f"{sizes['papers']:,} papers, {sizes['authors']:,} followed authors, {style} style "
            f"(seeded in {seeded:.1f} s)"
        )
        print(
            f"{'':10s} planned {report.planned:,} digests in {elapsed:.2f} s "
            f"({report.planned / elapsed:,.0f}/s), {report.batches} batches of <= {BATCH_SIZE}: "
            f"{statements} SQL statements ({statements / max(report.batches, 1):.1f} per batch)"
        )
        print(
            f"{'':10s} {items:,} digest items, {messages:,} messages "
            f"(<= {MAX_EMBEDS_PER_MESSAGE} embeds and {MAX_EMBED_CHARS:,} characters each)"
        )


async def postgres_scratch(admin_url: str) -> tuple[str, str] | None:
    """A scratch database on the server (its URL and name), or None when it does not answer."""
    import asyncpg

    u = make_url(admin_url)
    name = f"ps_bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(
            user=u.username or "postgres",
            password=u.password,
            host=u.host or "127.0.0.1",
            port=u.port or 5432,
            database=u.database or "postgres",
            timeout=5,
        )
    except Exception as error:  # no server: say so and skip
        print(f"PostgreSQL at {u.host}:{u.port} does not answer ({error!r}); skipped")
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    return u.set(database=name).render_as_string(hide_password=False), name


async def drop_scratch(admin_url: str, name: str) -> None:
    import asyncpg

    u = make_url(admin_url)
    conn = await asyncpg.connect(
        user=u.username or "postgres",
        password=u.password,
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        database=u.database or "postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def main(smoke: bool, postgres: str | None, style: str) -> None:
    sizes = (
        {"channels": 300, "follows": 20, "authors": 200, "papers": 150}
        if smoke
        else {"channels": 10_000, "follows": 20, "authors": 5_000, "papers": 5_000}
    )
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as folder:
        await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", "SQLite", sizes, style)
    scratch = await postgres_scratch(postgres or DEFAULT_PG)
    if scratch is not None:
        url, name = scratch
        try:
            await run(url, "PostgreSQL", sizes, style)
        finally:
            await drop_scratch(postgres or DEFAULT_PG, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, runs in seconds (CI)")
    parser.add_argument("--postgres", help="PostgreSQL admin URL (default: the test server)")
    parser.add_argument(
        "--style", choices=("compact", "full"), default="compact", help="the digests' style"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.smoke, args.postgres, args.style))
