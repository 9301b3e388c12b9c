"""The engine and the two kinds of unit of work: write transactions and read-only sessions.

Build one `Database` at start-up, share it, `await db.dispose()` at shutdown. Every unit of work
gets its own `AsyncSession` (never share one across `asyncio.gather`):

    async with db.transaction() as session:   # commits on success, rolls back on error
        await OutboxRepository(session).enqueue(...)

    async with db.reader() as session:        # read-only; never takes SQLite's write lock
        papers = await PaperRepository(session).papers_for_author(author_id)

Keep transactions short and never await Discord or HTTP inside one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.sqlite import READONLY_OPTION, install_sqlite_hooks
from db.urls import backend_of, ensure_sqlite_parent, redacted

log = logging.getLogger(__name__)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """An `AsyncEngine` plus session factories for write and read-only units of work."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 5,
        echo: bool = False,
    ) -> None:
        """Build the engine for `url` (sqlite+aiosqlite or postgresql+asyncpg); no I/O yet.

        `pool_size` and `max_overflow` apply to PostgreSQL only. N processes x (pool_size +
        max_overflow + 1 leader connection) must stay below the server's max_connections.
        """
        self.backend: str = backend_of(url)
        self._redacted_url = redacted(url)
        # JSON columns (digest payloads: a week's plan encodes 28,000 messages) through orjson.
        json_options: dict[str, Any] = {
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
        }
        if self.backend == "sqlite":
            ensure_sqlite_parent(url)
            engine = create_async_engine(url, echo=echo, **json_options)
            install_sqlite_hooks(engine.sync_engine)
            reader_options: dict[str, Any] = {READONLY_OPTION: True}
        else:
            engine = create_async_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,  # survive a PostgreSQL restart without a failed request
                pool_recycle=1800,
                connect_args={"server_settings": {"jit": "off", "application_name": "paperscout"}},
                **json_options,
            )
            reader_options = {"postgresql_readonly": True}
        self.engine: AsyncEngine = engine
        # Same pool; the reader's connections carry the read-only option into BEGIN.
        self._reader_engine: AsyncEngine = engine.execution_options(**reader_options)
        self._writer_sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._reader_sessions = async_sessionmaker(self._reader_engine, expire_on_commit=False)
        log.info("database: %s (%s)", self._redacted_url, self.backend)

    def __repr__(self) -> str:
        return f"Database({self._redacted_url!r})"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write unit of work: commits when the block ends, rolls back if it raises.

        On SQLite the transaction starts with BEGIN IMMEDIATE (waits up to the busy timeout
        for the write lock); on PostgreSQL it is a READ COMMITTED transaction.
        """
        async with self._writer_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work; writing in it raises. Rolled back when the block ends.

        On SQLite it is a deferred BEGIN (a consistent WAL snapshot, no write lock); on
        PostgreSQL a READ ONLY transaction.
        """
        async with self._reader_sessions() as session:
            yield session

    async def ping(self, timeout_seconds: float = 5.0) -> bool:
        """True when `SELECT 1` answers within `timeout_seconds`; False on any error."""
        try:
            async with asyncio.timeout(timeout_seconds), self._reader_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # the point of ping: report, never raise
            log.warning("database ping failed: %s: %s", type(exc).__name__, exc)
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection; call once at shutdown."""
        await self.engine.dispose()
        log.info("database closed: %s", self._redacted_url)
