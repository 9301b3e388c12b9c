"""A healthy source is rewritten at most once a minute; a failure is always written at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.health import DatabaseHealthRecorder
from bot.sources.errors import UpstreamUnavailable
from db.database import Database
from db.repositories.health import SourceHealthRepository

AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


async def last_success(db: Database, source: str) -> datetime | None:
    async with db.reader() as session:
        row = await SourceHealthRepository(session).get(source)
    return None if row is None else row.last_success_at


async def test_successes_within_a_minute_are_written_once(db: Database) -> None:
    recorder = DatabaseHealthRecorder(db)
    await recorder.record_success("openalex", AT)
    await recorder.record_success("openalex", AT + timedelta(seconds=30))  # skipped
    assert await last_success(db, "openalex") == AT
    await recorder.record_success("openalex", AT + timedelta(seconds=61))
    assert await last_success(db, "openalex") == AT + timedelta(seconds=61)


async def test_a_failure_in_between_makes_the_next_success_write(db: Database) -> None:
    recorder = DatabaseHealthRecorder(db)
    await recorder.record_success("openalex", AT)
    await recorder.record_failure(
        "openalex", AT + timedelta(seconds=5), UpstreamUnavailable("x"), None
    )
    await recorder.record_success("openalex", AT + timedelta(seconds=10))
    async with db.reader() as session:
        row = await SourceHealthRepository(session).get("openalex")
    assert row is not None and row.consecutive_failures == 0
    assert row.last_success_at == AT + timedelta(seconds=10)
