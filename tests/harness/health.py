"""An in-memory `HealthRecorder` for source tests: what each source reported, per source."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.sources.errors import SourceError


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
    """A `HealthRecorder` (`bot.sources.health`) that keeps the state in a dict."""

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
