"""The `Database` unit of work: transactions, read-only sessions, ping, SQLite set-up."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import Author, PaperAuthor


async def count_authors(db: Database) -> int:
    async with db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(Author))).scalar_one())


async def test_backend_and_ping(db: Database, backend: str) -> None:
    assert db.backend == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    assert await db.ping() is True


async def test_transaction_commits_or_rolls_back(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        session.add(Author(display_name="Kept", created_at=t0, updated_at=t0))
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction() as session:
            session.add(Author(display_name="Dropped", created_at=t0, updated_at=t0))
            await session.flush()
            raise RuntimeError("boom")
    async with db.reader() as session:
        names = (await session.execute(select(Author.display_name))).scalars().all()
    assert names == ["Kept"]


async def test_reader_refuses_writes(db: Database) -> None:
    with pytest.raises(DBAPIError):
        async with db.reader() as session:
            await session.execute(text("DELETE FROM authors"))


async def test_writer_after_reader_can_write(db: Database, t0: datetime) -> None:
    """The read-only mode of a pooled connection does not leak into the next writer."""
    for _ in range(3):
        async with db.reader() as session:
            await session.execute(select(Author.id))
        async with db.transaction() as session:
            session.add(Author(display_name="Ada", created_at=t0, updated_at=t0))
    assert await count_authors(db) == 3


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(PaperAuthor(paper_id=12345, position=0, name="Nobody", affiliations=[]))


async def test_ping_is_false_when_postgres_is_unreachable() -> None:
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        assert await database.ping(timeout_seconds=5) is False
    finally:
        await database.dispose()


async def test_ping_is_false_when_sqlite_cannot_open(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}")  # a folder, not a file
    try:
        assert await database.ping() is False
    finally:
        await database.dispose()
        await join_aiosqlite_threads()


async def join_aiosqlite_threads() -> None:
    """Wait for aiosqlite's worker threads to end before this test's event loop closes.

    After a failed connect aiosqlite stops its thread without awaiting it; if the loop is
    closed first, the thread dies with "Event loop is closed" (harmless, but noisy).
    """
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_password_never_logged_or_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    database = Database("postgresql+asyncpg://bot:s3cr3t-pw@127.0.0.1:1/nowhere")
    try:
        await database.ping(timeout_seconds=5)
    finally:
        await database.dispose()
    assert "s3cr3t-pw" not in repr(database)
    assert "s3cr3t-pw" not in caplog.text
    assert "127.0.0.1:1/nowhere" in caplog.text


async def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'dir' / 'x.db'}")
    try:
        assert (tmp_path / "new" / "dir").is_dir()
        assert await database.ping() is True
    finally:
        await database.dispose()


async def test_sqlite_pragmas(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        for session_factory in (database.transaction, database.reader):
            async with session_factory() as session:
                pragma = {
                    name: (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
                    for name in ("journal_mode", "foreign_keys", "busy_timeout")
                }
            assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000}
    finally:
        await database.dispose()


def try_begin_immediate(path: str) -> bool:
    """Can another connection take SQLite's write lock right now (without waiting)?"""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


async def test_sqlite_writer_takes_the_write_lock_at_begin(sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: even a read first, the write transaction holds the lock from the start."""
    await upgrade_to_head_async(sqlite_url)
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    database = Database(sqlite_url)
    try:
        async with database.transaction() as session:
            await session.execute(select(Author.id))
            assert try_begin_immediate(path) is False
        assert try_begin_immediate(path) is True
    finally:
        await database.dispose()


async def test_sqlite_reader_never_takes_the_write_lock(sqlite_url: str) -> None:
    await upgrade_to_head_async(sqlite_url)
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    database = Database(sqlite_url)
    try:
        async with database.reader() as session:
            await session.execute(select(Author.id))
            assert try_begin_immediate(path) is True
    finally:
        await database.dispose()


async def test_sqlite_reader_runs_beside_a_writer(sqlite_url: str, t0: datetime) -> None:
    """WAL: a reader sees the last committed state while a write transaction is open."""
    await upgrade_to_head_async(sqlite_url)
    database = Database(sqlite_url)
    try:
        async with database.transaction() as writer:
            writer.add(Author(display_name="Uncommitted", created_at=t0, updated_at=t0))
            await writer.flush()
            assert await count_authors(database) == 0
        assert await count_authors(database) == 1
    finally:
        await database.dispose()
