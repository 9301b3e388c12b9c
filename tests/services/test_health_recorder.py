"""DatabaseHealthRecorder: source outcomes land in `source_health`; a DB error never escapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.health import DatabaseHealthRecorder
from bot.sources.errors import UpstreamUnavailable
from db.database import Database
from db.repositories.health import SourceHealthRepository

AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


async def test_failures_then_success(db: Database) -> None:
    recorder = DatabaseHealthRecorder(db)
    error = UpstreamUnavailable("HTTP 503 (GET /api/query)", source="arxiv_api", status=503)
    await recorder.record_failure("arxiv_api", AT, error, AT + timedelta(minutes=1))
    await recorder.record_failure("arxiv_api", AT, error, AT + timedelta(minutes=2))
    async with db.reader() as session:
        row = await SourceHealthRepository(session).get("arxiv_api")
    assert row is not None and row.consecutive_failures == 2
    assert row.last_error == "arxiv_api: HTTP 503 (GET /api/query)"
    assert row.next_try_at == AT + timedelta(minutes=2)

    await recorder.record_success("arxiv_api", AT + timedelta(minutes=3))
    async with db.reader() as session:
        row = await SourceHealthRepository(session).get("arxiv_api")
    assert row is not None and row.consecutive_failures == 0 and row.next_try_at is None
    assert row.last_success_at == AT + timedelta(minutes=3)


async def test_a_database_error_is_logged_not_raised(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    unmigrated = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        recorder = DatabaseHealthRecorder(unmigrated)
        await recorder.record_success("arxiv_rss", AT)
        await recorder.record_failure("arxiv_rss", AT, UpstreamUnavailable("down"), None)
    finally:
        await unmigrated.dispose()
    assert "could not record the success of arxiv_rss" in caplog.text
    assert "could not record the failure of arxiv_rss" in caplog.text
