"""The order between `first_seen_at` stamps of stored papers and digest cut-offs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from db.database import Database
from db.locks import order_first_seen


class CutoffFence:
    """Orders the `first_seen_at` stamps of stored papers against digest cut-offs.

    A digest takes the papers first seen after its previous cut-off and at or before its own,
    so a paper stamped at or before a cut-off must have committed before that cut-off is
    read, or no digest ever takes it. Both halves below are needed:

    - stamp at store time, inside the write transaction, not at the poll cycle's start: a
      cycle runs for minutes, and a plan between its start and its store cuts after the stamp;
    - the lock: a stamp taken in an open transaction is still earlier than a cut-off taken
      before that transaction commits (PostgreSQL reads do not wait for it).

    The lock is the database's too (`db.locks.order_first_seen`: SQLite's one write lock,
    a transaction-scoped advisory lock on PostgreSQL), so stores and cut-offs of other
    processes (`paperscout poll --once`, `/digest send-now` on another shard, a profile
    fetched elsewhere) are ordered as well; the asyncio lock keeps this process's own waiters
    off the pool. A stamp is also kept after every cut-off this fence took, so a clock
    reading equal to the cut-off (or stepped back) cannot land a paper on the cut-off it
    missed. One fence per process (`bot.runtime`): the poller, the planner, `send-now` and
    profile fetches share it.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = asyncio.Lock()
        self._last_cutoff: datetime | None = None

    @asynccontextmanager
    async def storing(self, database: Database) -> AsyncIterator[tuple[AsyncSession, datetime]]:
        """A write transaction and the `first_seen_at` stamp for what it stores; no cut-off
        is taken from here until it has committed (or rolled back)."""
        async with self._lock, database.transaction() as session:
            await order_first_seen(session)
            stamp = self._clock.now()
            if self._last_cutoff is not None and stamp <= self._last_cutoff:
                stamp = self._last_cutoff + timedelta(microseconds=1)
            yield session, stamp

    async def cut(self, session: AsyncSession, at: datetime | None = None) -> datetime:
        """A digest cut-off (`at`, default the clock), taken in `session`'s write transaction:
        every paper stamped at or before it has committed, every later store stamps after."""
        async with self._lock:
            await order_first_seen(session)  # held until `session` commits
            cutoff = at or self._clock.now()
            if self._last_cutoff is None or cutoff > self._last_cutoff:
                self._last_cutoff = cutoff
            return cutoff
