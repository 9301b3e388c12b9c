"""Revision 0009 (topic follows): from 0008 and back, with rows in the tables it touches and in
the others."""

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
from tests.db.test_db_migration_0008 import insert_outbox, outbox_rows, stamp
from tests.db.test_db_migrations import EXPECTED_TABLES, table_names

TOPIC_TABLES = {"topic_follows", "topic_papers"}

TOPIC_INSERT = (
    "INSERT INTO topic_follows (id, scope, guild_id, user_id, channel_id, target_id, notify, "
    "query, query_key, categories, created_at) VALUES (:id, :scope, NULL, :user, :channel, "
    ":target, 'weekly', 'Vision', 'vision', '[\"cs.CV\"]', :at)"
)


async def insert_topic(
    engine: AsyncEngine,
    row_id: int,
    at: object,
    *,
    scope: str = "user",
    user: int = 111,
    channel: int | None = None,
    target: int = 111,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(TOPIC_INSERT),
            {
                "id": row_id,
                "scope": scope,
                "user": user,
                "channel": channel,
                "target": target,
                "at": at,
            },
        )


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_0009_downgrades_to_0008_dropping_the_topic_tables_only(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0009")  # the revisions after it, if any, undone
    assert await current_revision_async(database_url) == "0009"
    at_0009 = await table_names(database_url)
    assert TOPIC_TABLES <= at_0009
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
            for paper_id in (1, 2):
                await conn.execute(
                    text(
                        "INSERT INTO papers (id, arxiv_id, version, title, abstract, "
                        "primary_category, categories, published, updated, first_seen_at) "
                        "VALUES (:id, :arxiv, 1, 'Vision', '', 'cs.CV', '[\"cs.CV\"]', "
                        ":at, :at, :at)"
                    ),
                    {"id": paper_id, "arxiv": f"2312.0000{paper_id}", "at": at},
                )
            await conn.execute(
                text(
                    "INSERT INTO follows (id, author_id, scope, user_id, target_id, notify, "
                    "created_at) VALUES (1, 1, 'user', 111, 111, 'weekly', :at)"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO digest_schedules (id, target_kind, target_id, weekday, "
                    "local_time, timezone, next_digest_at, created_at, updated_at) "
                    "VALUES (1, 'dm', 111, 0, '09:00', 'UTC', :at, :at, :at)"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO digest_items (schedule_id, paper_id, added_at) VALUES (1, 1, :at)"
                ),
                {"at": at},
            )
        await insert_topic(engine, 1, at)
        await insert_topic(engine, 2, at, scope="channel", channel=222, target=222)
        async with engine.begin() as conn:
            for topic_id, paper_id in ((1, 1), (1, 2), (2, 2)):
                await conn.execute(
                    text(
                        "INSERT INTO topic_papers (topic_follow_id, paper_id, matched, "
                        "linked_at) VALUES (:topic, :paper, '[\"vision\"]', :at)"
                    ),
                    {"topic": topic_id, "paper": paper_id, "at": at},
                )
        await insert_outbox(engine, 1, "alert", at)
        # At head the constraints hold: one row per (scope, target, query); known scopes only.
        with pytest.raises(IntegrityError):
            await insert_topic(engine, 3, at)
        with pytest.raises(IntegrityError):
            await insert_topic(engine, 3, at, scope="guild", target=333, user=333)
        with pytest.raises(IntegrityError):  # a user follow's target is the user
            await insert_topic(engine, 3, at, user=333, target=444)
        assert (await count(engine, "topic_follows"), await count(engine, "topic_papers")) == (
            2,
            3,
        )

        await downgrade_async(database_url, "0008")

        assert await current_revision_async(database_url) == "0008"
        assert await table_names(database_url) == at_0009 - TOPIC_TABLES
        # Every other row stayed.
        assert [
            await count(engine, table)
            for table in ("authors", "papers", "follows", "digest_schedules", "digest_items")
        ] == [1, 2, 1, 1, 1]
        assert await outbox_rows(engine) == [(1, "alert", "alert:1", "pending")]

        await upgrade_to_head_async(database_url)

        assert await current_revision_async(database_url) == head_revision()
        assert await table_names(database_url) == EXPECTED_TABLES
        assert await check_no_drift_async(database_url) == []
        # The topic tables come back empty and usable; the rest is untouched.
        assert (await count(engine, "topic_follows"), await count(engine, "topic_papers")) == (
            0,
            0,
        )
        assert await count(engine, "papers") == 2
        assert await outbox_rows(engine) == [(1, "alert", "alert:1", "pending")]
        await insert_topic(engine, 1, at)
        with pytest.raises(IntegrityError):
            await insert_topic(engine, 2, at)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO topic_papers (topic_follow_id, paper_id, matched, linked_at) "
                    "VALUES (1, 2, '[]', :at)"
                ),
                {"at": at},
            )
        assert await count(engine, "topic_papers") == 1
    finally:
        await engine.dispose()


async def test_0009_empty_from_head_to_0008_and_back(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0008")
    assert await current_revision_async(database_url) == "0008"
    assert TOPIC_TABLES.isdisjoint(await table_names(database_url))

    await upgrade_to_head_async(database_url)
    assert await current_revision_async(database_url) == head_revision()
    assert await table_names(database_url) == EXPECTED_TABLES
    assert await check_no_drift_async(database_url) == []
