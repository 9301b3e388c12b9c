"""Revision 0011 (members' data): the `guild_departures` table and a follow's creator that may
be forgotten; from 0010 and back, with rows in the tables it touches."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.migrate import (
    check_no_drift_async,
    current_revision_async,
    downgrade_async,
    head_revision,
    upgrade_to_head_async,
)
from tests.db.test_db_migration_0008 import stamp
from tests.db.test_db_migrations import EXPECTED_TABLES, table_names

FOLLOW_INSERT = (
    "INSERT INTO {table} (id, {author}scope, guild_id, user_id, channel_id, target_id, notify, "
    "{extra}created_at) VALUES (:id, {author_value}:scope, 5, :user, :channel, :target, "
    "'weekly', {extra_value}:at)"
)
TABLES = {
    "follows": ("author_id, ", "1, ", "", ""),
    "citation_follows": ("author_id, ", "1, ", "include_self, ", "false, "),
    "topic_follows": ("", "", "query, query_key, categories, ", "'v', 'v', '[]', "),
}


async def insert_follow(
    engine: AsyncEngine,
    table: str,
    row_id: int,
    at: object,
    *,
    user: int | None,
    scope: str,
    channel_id: int = 222,
) -> None:
    author, author_value, extra, extra_value = TABLES[table]
    sql = FOLLOW_INSERT.format(
        table=table, author=author, author_value=author_value, extra=extra, extra_value=extra_value
    )
    channel = channel_id if scope == "channel" else None
    target = channel_id if scope == "channel" else 111
    async with engine.begin() as conn:
        await conn.execute(
            text(sql),
            {
                "id": row_id,
                "scope": scope,
                "user": user,
                "channel": channel,
                "target": target,
                "at": at,
            },
        )


async def users(engine: AsyncEngine, table: str) -> list[int | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(f"SELECT user_id FROM {table} ORDER BY id"))
        return [r[0] for r in rows]


async def test_0011_forgets_creators_and_records_departures_down_and_up(
    database_url: str,
) -> None:
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0011")
    at = stamp(database_url)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO authors (id, display_name, name_variants, usual_categories, "
                    "affiliations, counts_by_year, created_at, updated_at) "
                    "VALUES (1, 'Ada Lovelace', '[]', '[]', '[]', '[]', :at, :at)"
                ),
                {"at": at},
            )
            await conn.execute(
                text("INSERT INTO guild_departures (guild_id, left_at) VALUES (5, :at)"),
                {"at": at},
            )
        for table in TABLES:
            await insert_follow(engine, table, 1, at, user=111, scope="user")
            await insert_follow(engine, table, 2, at, user=None, scope="channel")  # forgotten
            # The other rules still hold after the table was copied (SQLite).
            with pytest.raises(IntegrityError):
                await insert_follow(engine, table, 3, at, user=333, scope="user")
            with pytest.raises(IntegrityError):
                await insert_follow(engine, table, 3, at, user=333, scope="server")

        await downgrade_async(database_url, "0010")

        assert await current_revision_async(database_url) == "0010"
        assert "guild_departures" not in await table_names(database_url)
        for table in TABLES:
            assert await users(engine, table) == [111, 0]  # a forgotten creator is 0
            with pytest.raises(IntegrityError, match=r"(?i)null"):
                await insert_follow(
                    engine, table, 3, at, user=None, scope="channel", channel_id=333
                )

        await upgrade_to_head_async(database_url)

        assert await current_revision_async(database_url) == head_revision()
        assert await table_names(database_url) == EXPECTED_TABLES
        assert await check_no_drift_async(database_url) == []
        for table in TABLES:
            assert await users(engine, table) == [111, 0]
            await insert_follow(engine, table, 3, at, user=None, scope="channel", channel_id=333)
    finally:
        await engine.dispose()
