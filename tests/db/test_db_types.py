"""Column types: aware UTC datetimes and JSON behave the same on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from db.database import Database
from db.migrate import upgrade_to_head_async
from db.models import Author, OutboxEntry
from db.repositories.outbox import OutboxRepository

ZURICH_WINTER = timezone(timedelta(hours=1))


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    local = datetime(2025, 3, 30, 3, 30, 15, 123456, tzinfo=ZURICH_WINTER)
    async with db.transaction() as session:
        session.add(Author(display_name="A", created_at=local, updated_at=local))

    async with db.reader() as session:
        author = (await session.execute(select(Author))).scalar_one()

    assert author.created_at.tzinfo is not None
    assert author.created_at.utcoffset() == timedelta(0)
    assert author.created_at == datetime(2025, 3, 30, 2, 30, 15, 123456, tzinfo=UTC)


async def test_naive_datetimes_are_rejected(db: Database) -> None:
    naive = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(StatementError, match="timezone-aware"):
        async with db.transaction() as session:
            session.add(Author(display_name="A", created_at=naive, updated_at=naive))

    async with db.reader() as session:
        assert (await session.execute(select(Author))).first() is None


async def test_datetime_comparisons_are_chronological(db: Database, t0: datetime) -> None:
    """On SQLite the values are text: the stored form must sort like the instants."""
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        for i, offset in enumerate((timedelta(hours=-1), timedelta(0), timedelta(seconds=1))):
            await repo.enqueue(
                kind="notice",
                dedupe_key=f"k{i}",
                destination_kind="channel",
                destination_id=1,
                payload=[],
                now=t0,
                not_before=(t0 + offset).astimezone(ZURICH_WINTER),
            )

    async with db.reader() as session:
        keys = (
            await session.execute(
                select(OutboxEntry.dedupe_key).where(OutboxEntry.not_before <= t0)
            )
        ).scalars()
        assert sorted(keys) == ["k0", "k1"]


async def test_json_round_trip(db: Database, t0: datetime) -> None:
    payload = [{"content": "héllo @everyone", "embeds": [{"title": "x", "n": 2**62}]}, None]
    async with db.transaction() as session:
        entry_id = await OutboxRepository(session).enqueue(
            kind="digest",
            dedupe_key="digest:1:2025-W02",
            destination_kind="channel",
            destination_id=2**62,
            payload=payload,
            now=t0,
        )

    async with db.reader() as session:
        entry = await session.get(OutboxEntry, entry_id)
        assert entry is not None
        assert entry.payload == payload
        assert entry.destination_id == 2**62
        assert entry.message_ids == []


async def test_postgres_column_types(postgres_url: str) -> None:
    await upgrade_to_head_async(postgres_url)
    db = Database(postgres_url)
    async with db.reader() as session:
        rows = await session.execute(
            text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'outbox' AND column_name IN ('payload', 'not_before')"
            )
        )
        types = {name: data_type for name, data_type in rows}
    await db.dispose()
    assert types == {"payload": "jsonb", "not_before": "timestamp with time zone"}
