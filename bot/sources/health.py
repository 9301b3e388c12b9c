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
from dataclasses import dataclass, replace
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


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's state, as `/status` shows it."""

    source: str
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_error_kind: str | None = None
    next_try_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        """True when the last call succeeded (or none was made yet)."""
        return self.consecutive_failures == 0


class InMemoryHealthRecorder:
    """A `HealthRecorder` that keeps the state in a dict (tests, CLI, before the DB exists)."""

    def __init__(self) -> None:
        self._states: dict[str, SourceHealth] = {}

    def get(self, source: str) -> SourceHealth:
        """The current state of `source` (an empty record when never called)."""
        return self._states.get(source, SourceHealth(source=source))

    def all(self) -> dict[str, SourceHealth]:
        """Every source seen so far."""
        return dict(self._states)

    async def record_success(self, source: str, at: datetime) -> None:
        state = self.get(source)
        self._states[source] = replace(
            state, last_success_at=at, consecutive_failures=0, next_try_at=None
        )

    async def record_failure(
        self, source: str, at: datetime, error: SourceError, next_try_at: datetime | None
    ) -> None:
        state = self.get(source)
        self._states[source] = replace(
            state,
            last_failure_at=at,
            consecutive_failures=state.consecutive_failures + 1,
            last_error=str(error),
            last_error_kind=error.kind,
            next_try_at=next_try_at,
        )


class NullHealthRecorder:
    """Discards every report (when a caller does not care)."""

    async def record_success(self, source: str, at: datetime) -> None:
        return None

    async def record_failure(
        self, source: str, at: datetime, error: SourceError, next_try_at: datetime | None
    ) -> None:
        return None
