"""Leader election for the leader-only ticks (poll, plan, maintenance).

PostgreSQL: `PgAdvisoryLeader` holds a session advisory lock on a dedicated connection kept
checked out; the server frees it when the process dies, so another process takes over on its
next tick. SQLite: `SqliteLeaseLeader` keeps a lease row, renewed on every `is_leader()` call
and taken over only after it expires. Call `is_leader()` at the start of every leader tick.
Both are also safe to use on the other backend except that a lease can outlive a crash by
up to `lease_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, or_, text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.database import Database
from db.locks import LEADER_LOCK_KEY, advisory_key
from db.models import LeaderLease
from db.repositories._dialect import upsert_insert
from db.types import require_aware, utcnow

log = logging.getLogger(__name__)

LEADER_ROLE = "leader"


class Leader(Protocol):
    """What the scheduler needs from a leader lock."""

    holder_id: str

    async def is_leader(self) -> bool:
        """True when this process leads now (acquiring or renewing as needed)."""
        ...

    async def release(self) -> None:
        """Give up leadership (at shutdown), so another process can take over at once."""
        ...


def default_holder_id() -> str:
    """A holder id unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SqliteLeaseLeader:
    """Leadership as a lease row `leader_lease(name, holder, expires_at)`."""

    def __init__(
        self,
        database: Database,
        holder_id: str,
        *,
        name: str = LEADER_ROLE,
        lease_seconds: float = 90.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`lease_seconds` must exceed the tick interval, or leadership flaps between ticks."""
        self.database = database
        self.holder_id = holder_id
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    async def is_leader(self) -> bool:
        """Take or renew the lease when it is ours or has expired; True when we hold it."""
        now = require_aware(self.clock(), "clock()")
        table = LeaderLease.__table__
        async with self.database.transaction() as session:
            stmt = upsert_insert(session, table).values(
                name=self.name, holder=self.holder_id, expires_at=now + self.lease
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
                where=or_(table.c.holder == self.holder_id, table.c.expires_at <= now),
            ).returning(table.c.holder)
            leading = (await session.execute(stmt)).scalar_one_or_none() == self.holder_id
        log.debug("lease %s: %s %s", self.name, self.holder_id, "leads" if leading else "waits")
        return leading

    async def release(self) -> None:
        """Delete our lease row (if we hold it)."""
        async with self.database.transaction() as session:
            await session.execute(
                delete(LeaderLease).where(
                    LeaderLease.name == self.name, LeaderLease.holder == self.holder_id
                )
            )


class PgAdvisoryLeader:
    """Leadership as `pg_try_advisory_lock` held by one dedicated connection."""

    def __init__(
        self,
        database: Database,
        holder_id: str,
        *,
        name: str | None = None,
        check_timeout_seconds: float = 5.0,
    ) -> None:
        """Processes contend for the same lock when they use the same `name`.

        The lock's connection stays checked out of the database's pool for as long as this
        process leads: count it in the connection budget.
        """
        if database.backend != "postgresql":
            raise ValueError("PgAdvisoryLeader needs PostgreSQL")
        self.database = database
        self.holder_id = holder_id
        self.key = LEADER_LOCK_KEY if name is None else advisory_key(f"leader:{name}")
        self.check_timeout_seconds = check_timeout_seconds
        self._conn: AsyncConnection | None = None

    async def is_leader(self) -> bool:
        """Re-check our connection with SELECT 1, or try to take the lock; True when held."""
        if self._conn is not None:
            try:
                async with asyncio.timeout(self.check_timeout_seconds):
                    await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # the session is gone (or unreachable), and the lock with it
                log.warning("leader connection lost; %s is no longer leader", self.holder_id)
                await self._drop()
        return await self._try_acquire()

    async def _try_acquire(self) -> bool:
        conn = await self.database.engine.connect()
        try:
            # Autocommit: the lock outlives transactions; never sit "idle in transaction".
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            ).scalar_one()
        except BaseException:
            await conn.invalidate()  # a lock we might hold must not go back to the pool
            await conn.close()
            raise
        if got:
            self._conn = conn
            log.info("%s is now leader", self.holder_id)
            return True
        await conn.close()
        return False

    async def release(self) -> None:
        """Unlock and close the dedicated connection."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await conn.close()
        except Exception:  # closing the session releases the lock anyway
            log.warning("could not unlock cleanly; dropping the connection", exc_info=True)
            await conn.invalidate()
            await conn.close()
        log.info("%s released leadership", self.holder_id)

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.invalidate()
                await conn.close()
            except Exception:
                log.debug("closing a dead leader connection failed", exc_info=True)


def make_leader(
    database: Database, holder_id: str | None = None, *, name: str = LEADER_ROLE
) -> Leader:
    """The right lock for the database: advisory lock on PostgreSQL, lease on SQLite.

    `name` is the role: processes contend for one role (the leader, one poll at a time).
    """
    holder = holder_id or default_holder_id()
    if database.backend == "postgresql":
        return PgAdvisoryLeader(database, holder, name=None if name == LEADER_ROLE else name)
    return SqliteLeaseLeader(database, holder, name=name)


@asynccontextmanager
async def exclusively(
    database: Database,
    name: str,
    *,
    wait_seconds: float = 0.0,
    retry_seconds: float = 2.0,
    renew_seconds: float = 30.0,
    on_wait: Callable[[], None] | None = None,
) -> AsyncIterator[bool]:
    """Run the block as the only holder of role `name` across every process on the database.

    Yields False when another holder keeps it for `wait_seconds` (`on_wait` is called once
    when the wait begins); True while held. A SQLite lease is renewed every `renew_seconds`,
    so a long block keeps it; a crashed holder's lease expires, PostgreSQL frees its lock.
    """
    lock = make_leader(database, default_holder_id(), name=name)
    got = await lock.is_leader()
    waited = 0.0
    while not got and waited < wait_seconds:
        if waited == 0.0 and on_wait is not None:
            on_wait()
        await asyncio.sleep(retry_seconds)
        waited += retry_seconds
        got = await lock.is_leader()
    if not got:
        yield False
        return
    renewing = asyncio.create_task(_renew(lock, name, renew_seconds), name=f"renew {name}")
    try:
        yield True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        try:
            await lock.release()
        except Exception:  # an expired lease or a dropped connection frees it anyway
            log.warning("could not release %s cleanly", name, exc_info=True)


async def _renew(lock: Leader, name: str, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            if not await lock.is_leader():
                log.warning("%s: the lock was lost while held (the database was unreachable)", name)
        except Exception:
            log.warning("%s: renewing the lock failed; retrying", name, exc_info=True)
