"""What `/status` shows, as plain data (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SourceHealthView:
    source: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_try_at: datetime | None

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


@dataclass(frozen=True)
class DigestDestinationView:
    """One digest destination of the server: when it runs next, or why it is paused."""

    channel_id: int
    next_digest_at: datetime
    paused: bool
    paused_reason: str | None


@dataclass(frozen=True)
class StatusReport:
    version: str
    uptime: timedelta
    database_backend: str
    database_ok: bool
    sources: list[SourceHealthView]
    digests: list[DigestDestinationView] = field(default_factory=list)  # this server's
    queue: dict[str, int] = field(default_factory=dict)  # outbox rows by status
    last_poll_at: datetime | None = None  # the poller's most recent successful feed poll
    # The leader's daily jobs: label -> last success (None: never yet).
    daily_jobs: dict[str, datetime | None] = field(default_factory=dict)
