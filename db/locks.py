"""PostgreSQL advisory lock keys, derived from names so they are stable across releases."""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    """A signed 64-bit key for `pg_advisory_lock`, the same in every process for `name`."""
    digest = hashlib.sha256(f"paperscout:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


MIGRATION_LOCK_KEY = advisory_key("migrations")
LEADER_LOCK_KEY = advisory_key("leader")
