"""`paperscout db backup` and `db restore` as an operator runs them, beside the bot.

A backup taken while a poll is under way (its listing request held in flight, the API's papers
already stored) restores to a database that passes `PRAGMA integrity_check` and holds those
papers. A restore refuses a database newer than the backup, and one whose bot runs, unless
forced; PostgreSQL gets the pg_dump / pg_restore line, without the password."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import Paper
from tests.e2e.test_polling_cli import RSS_PATH, USUAL, count, route
from tests.harness.cli import cli_env, run_cli
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.fixtures import HarnessFactory
from tests.services.conftest import Dest, follow_author


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


def integrity_and_papers(path: Path) -> tuple[str, int]:
    connection = sqlite3.connect(path)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
        return verdict, connection.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        connection.close()


async def test_a_backup_taken_during_a_poll_restores_whole(
    harness_factory: HarnessFactory, tmp_path: Path, sqlite_url: str
) -> None:
    await seed(sqlite_url)
    backup_file = tmp_path / "backups" / "monday.db"
    async with FakeUpstream() as upstream:
        route(upstream)
        listing_held = asyncio.Event()
        upstream.add_fault(RSS_PATH, Fault.held(listing_held, times=1))
        settings = {
            "arxiv_api_url": upstream.arxiv_api_url,
            "arxiv_rss_url": upstream.arxiv_rss_url,
            "openalex_api_url": "",
            "semantic_scholar_api_url": "",
            "arxiv_min_interval_seconds": 0.0,
        }
        async with harness_factory(database_url=sqlite_url, settings=settings, migrate=False) as h:
            poll = asyncio.create_task(h.bot.services.polling.run_cycle())
            async with asyncio.timeout(20):
                while not upstream.requests_to(RSS_PATH):  # noqa: ASYNC110 (no event to await)
                    await asyncio.sleep(0.05)
            stored_when_copied = await count(sqlite_url, Paper)
            assert stored_when_copied > 0  # the API's papers, stored before the listing
            env = cli_env(database_url=sqlite_url, heartbeat_file=str(tmp_path / "hb"))
            status, out, err = await run_cli(
                "db", "backup", str(backup_file), cwd=tmp_path, env=env
            )
            assert not poll.done()  # the poll was under way the whole time
            listing_held.set()
            summary = await asyncio.wait_for(poll, timeout=30)
    assert status == 0, out + err
    assert f"to {backup_file}" in out and "integrity ok" in out, out
    assert summary.errors == [] and summary.papers_new >= stored_when_copied

    restored = tmp_path / "restored" / "bot.db"
    env = cli_env(
        database_url=f"sqlite+aiosqlite:///{restored}", heartbeat_file=str(tmp_path / "hb")
    )
    status, out, err = await run_cli("db", "restore", str(backup_file), cwd=tmp_path, env=env)
    assert status == 0, out + err
    assert integrity_and_papers(restored) == ("ok", stored_when_copied)
    # The restored database is one the bot can use: at the latest migration, nothing to do.
    status, out, err = await run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert status == 0, out + err


async def test_restore_refuses_a_newer_database_or_a_running_bot_unless_forced(
    tmp_path: Path,
) -> None:
    live = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{live}"
    await seed(url)
    heartbeat = tmp_path / "heartbeat"
    env = cli_env(database_url=url, heartbeat_file=str(heartbeat))
    backup_file = tmp_path / "old.db"
    status, out, err = await run_cli("db", "backup", str(backup_file), cwd=tmp_path, env=env)
    assert status == 0, out + err
    status, out, err = await run_cli("db", "backup", str(backup_file), cwd=tmp_path, env=env)
    assert status == 1 and "exists already" in err  # a backup is never overwritten

    # Later activity in the live database: a second follow.
    database = Database(url)
    try:
        await follow_author(database, "Ada Lovelace", created_at=datetime(2026, 12, 1, tzinfo=UTC))
    finally:
        await database.dispose()
    before = live.read_bytes()
    status, out, err = await run_cli("db", "restore", str(backup_file), cwd=tmp_path, env=env)
    assert status == 1, out + err
    assert "is newer than the backup (activity at 2026-12-01" in err and "--force" in err, err
    assert live.read_bytes() == before  # untouched

    heartbeat.write_text(f"{datetime.now(UTC).isoformat()} 4242\n")  # a bot ticking right now
    status, out, err = await run_cli("db", "restore", str(backup_file), cwd=tmp_path, env=env)
    assert status == 1 and "the bot is running (process 4242" in err, err
    heartbeat.unlink()

    status, out, err = await run_cli(
        "db", "restore", str(backup_file), "--force", cwd=tmp_path, env=env
    )
    assert status == 0, out + err
    connection = sqlite3.connect(live)
    try:
        names = {r[0] for r in connection.execute("SELECT display_name FROM authors")}
    finally:
        connection.close()
    assert names == {"Adrian Del Maestro"}  # the backup's state, the later follow gone

    status, out, err = await run_cli(
        "db", "restore", str(tmp_path / "none.db"), cwd=tmp_path, env=env
    )
    assert status == 1 and "is not a file" in err and "Traceback" not in err


async def test_postgresql_gets_the_pg_dump_and_pg_restore_lines_without_the_password(
    tmp_path: Path,
) -> None:
    env = cli_env(database_url="postgresql+asyncpg://bob:s3cret@db.internal:5432/paperscout")
    status, out, err = await run_cli("db", "backup", "/backups/ps.dump", cwd=tmp_path, env=env)
    assert status == 0, out + err
    assert (
        "PGPASSWORD=... pg_dump --format=custom --file /backups/ps.dump "
        "postgresql://bob@db.internal:5432/paperscout" in out
    )
    status, out, err = await run_cli("db", "restore", "/backups/ps.dump", cwd=tmp_path, env=env)
    assert status == 0, out + err
    assert "pg_restore --clean --if-exists --no-owner --dbname postgresql://bob@db" in out
    assert "s3cret" not in out + err
