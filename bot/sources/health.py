"""Source health: where each upstream call reports how it went.

The protocol is **async** because the real recorder (services layer) writes to the database.
Sources call it once per public call (after retries), never per HTTP attempt:

- `record_success(source, at)` when the call returned data (a 404 `NotFound` also counts as a
  success: the upstream answered);
- `record_failure(source, at, error, next_try_at)` when it raised any other `SourceError`.
  `str(error)` is safe to store and show; `error.kind` is a stable short name.
  `next_try_at` is the source's suggestion of when to try again (exponential cool-down per
  consecutive failure, never earlier than a `Retry-After`).

A recorder that raises is logged and ignored: health bookkeeping never breaks a fetch.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from bot.sources.errors import SourceError

log = logging.getLogger(__name__)


class HealthRecorder(Protocol):
    """Receives the outcome of every public source call."""

    async def record_success(self, source: str, at: datetime) -> None:
        """The call to `source` succeeded at `at` (aware UTC)."""
        ...

    async def record_failure(
        self, source: str, at: datetime, error: SourceError, next_try_at: datetime | None
    ) -> None:
        """The call to `source` failed at `at` with `error`; try again from `next_try_at`."""
        ...


class NullHealthRecorder:
    """Discards every report (when a caller does not care)."""

    async def record_success(self, source: str, at: datetime) -> None:
        return None

    async def record_failure(
        self, source: str, at: datetime, error: SourceError, next_try_at: datetime | None
    ) -> None:
        return None
