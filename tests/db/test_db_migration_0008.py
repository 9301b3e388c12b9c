"""Revision 0008 (citation alerts): from 0007 and back, with rows in the tables it touches."""

from __future__ import annotations

from datetime import UTC, datetime

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
from tests.db.test_db_migrations import EXPECTED_TABLES, column_names, table_names

# Tables of the revisions after 0008 (gone at 0007 too).
LATER_TABLES = {
    "topic_follows",
    "topic_papers",
    "listing_items",
    "suggestion_votes",
    "guild_departures",
}

CITATION_TABLES = {"citation_follows", "citation_links", "digest_citation_items"}
OUTBOX_INSERT = (
    "INSERT INTO outbox (id, kind, dedupe_key, destination_kind, destination_id, payload, "
    "status, attempts, not_before, message_ids, parts_sent, created_at) VALUES "
    "(:id, :kind, :key, 'user', 111, '{\"paper_id\": 1}', 'pending', 0, :at, '[]', 0, :at)"
)


def stamp(database_url: str) -> object:
    """2026-11-01 10:00 UTC as each backend's raw SQL takes it (TZDateTime's text on SQLite)."""
    if "sqlite" in database_url:
        return "2026-11-01 10:00:00.000000"
    return datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


async def insert_outbox(engine: AsyncEngine, row_id: int, kind: str, at: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(OUTBOX_INSERT), {"id": row_id, "kind": kind, "key": f"{kind}:{row_id}", "at": at}
        )


async def outbox_rows(engine: AsyncEngine) -> list[tuple[int, str, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, kind, dedupe_key, status FROM outbox ORDER BY id")
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_0008_keeps_the_outbox_accepts_citations_and_downgrades_cleanly(
    database_url: str,
) -> None:
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0007")
    assert await current_revision_async(database_url) == "0007"
    assert CITATION_TABLES.isdisjoint(await table_names(database_url))
    assert "openalex_checked_at" not in await column_names(database_url, "papers")
    at = stamp(database_url)
    engine = create_async_engine(database_url)
    try:
        # At 0007: an alert queued; a citation row is refused.
        await insert_outbox(engine, 1, "alert", at)
        with pytest.raises(IntegrityError):
            await insert_outbox(engine, 2, "citation", at)

        await upgrade_to_head_async(database_url)

        assert await current_revision_async(database_url) == head_revision()
        assert await table_names(database_url) == EXPECTED_TABLES
        assert "openalex_checked_at" in await column_names(database_url, "papers")
        assert await outbox_rows(engine) == [(1, "alert", "alert:1", "pending")]
        await insert_outbox(engine, 2, "citation", at)
        with pytest.raises(IntegrityError):
            await insert_outbox(engine, 3, "postcard", at)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO authors (id, display_name, name_variants, usual_categories, "
                    "affiliations, counts_by_year, created_at, updated_at) "
                    "VALUES (1, 'Heather Piwowar', '[]', '[]', '[]', '[]', :at, :at)"
                ),
                {"at": at},
            )
            for paper_id in (1, 2):
                await conn.execute(
                    text(
                        "INSERT INTO papers (id, arxiv_id, version, title, abstract, "
                        "primary_category, categories, published, updated, first_seen_at, "
                        "openalex_checked_at) VALUES (:id, :arxiv, 1, 'T', '', 'cs.DL', '[]', "
                        ":at, :at, :at, :at)"
                    ),
                    {"id": paper_id, "arxiv": f"2306.0000{paper_id}", "at": at},
                )
            await conn.execute(
                text(
                    "INSERT INTO citation_follows (id, author_id, scope, user_id, target_id, "
                    "notify, created_at) VALUES (1, 1, 'user', 111, 111, 'instant', :at)"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO citation_links (citing_paper_id, cited_paper_id, author_id, "
                    "self_citation, found_at) VALUES (2, 1, 1, :own, :at)"
                ),
                {"own": False, "at": at},
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
                    "INSERT INTO digest_citation_items (schedule_id, citing_paper_id, added_at) "
                    "VALUES (1, 2, :at)"
                ),
                {"at": at},
            )
            include_self = (
                await conn.execute(text("SELECT include_self FROM citation_follows"))
            ).scalar()
        assert not include_self  # the server default: self-citations left out

        await downgrade_async(database_url, "0007")

        assert await current_revision_async(database_url) == "0007"
        assert await table_names(database_url) == EXPECTED_TABLES - CITATION_TABLES - LATER_TABLES
        assert "openalex_checked_at" not in await column_names(database_url, "papers")
        # The queued citation alert went with the kind; everything else stayed.
        assert await outbox_rows(engine) == [(1, "alert", "alert:1", "pending")]
        async with engine.connect() as conn:
            papers = (await conn.execute(text("SELECT count(*) FROM papers"))).scalar()
            schedules = (await conn.execute(text("SELECT count(*) FROM digest_schedules"))).scalar()
        assert (papers, schedules) == (2, 1)
        with pytest.raises(IntegrityError):
            await insert_outbox(engine, 4, "citation", at)

        await upgrade_to_head_async(database_url)

        assert await current_revision_async(database_url) == head_revision()
        assert await table_names(database_url) == EXPECTED_TABLES
        assert await check_no_drift_async(database_url) == []
        await insert_outbox(engine, 4, "citation", at)
        assert [row[1] for row in await outbox_rows(engine)] == ["alert", "citation"]
    finally:
        await engine.dispose()
