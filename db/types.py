"""Column types that behave the same on SQLite and PostgreSQL.

`TZDateTime` stores timezone-aware datetimes: `timestamptz` on PostgreSQL, naive UTC text on
SQLite (which has no time zone support), and always returns aware UTC values. Naive input is a
bug (it cannot be told apart from local time), so it is rejected instead of guessed.

`JSONType` is the generic JSON type, JSONB on PostgreSQL. In-place changes to a loaded list or
dict are not tracked by the ORM: assign a new value instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return `value` converted to UTC; raise ValueError when it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(UTC)


class TZDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime column: aware in, aware UTC out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        """Check the value is aware and convert it to UTC (naive UTC for SQLite)."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"TZDateTime expects a datetime, got {type(value).__name__}")
        value = require_aware(value, "TZDateTime value")
        if dialect.name == "sqlite":
            # SQLite stores ISO text; a fixed UTC form keeps string comparison chronological.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to SQLite's naive values; normalise PostgreSQL's to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
