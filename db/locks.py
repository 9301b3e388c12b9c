"""PostgreSQL advisory lock keys, derived from names so they are stable across releases."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    """A signed 64-bit key for `pg_advisory_lock`, the same in every process for `name`."""
    digest = hashlib.sha256(f"paperscout:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


MIGRATION_LOCK_KEY = advisory_key("migrations")
LEADER_LOCK_KEY = advisory_key("leader")
FIRST_SEEN_LOCK_KEY = advisory_key("first-seen")


async def order_first_seen(session: AsyncSession) -> None:
    """Wait, inside `session`'s write transaction, until no other transaction storing papers
    or taking a digest cut-off is open; held until `session` ends.

    SQLite: the write transaction's BEGIN IMMEDIATE is that lock (started here). PostgreSQL:
    a transaction-scoped advisory lock, the same key in every process.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRST_SEEN_LOCK_KEY}
        )
