"""Migrations: upgrade from empty, downgrade and upgrade again, and no drift from the models."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from db.errors import DatabaseUnavailable
from db.migrate import (
    check_no_drift_async,
    confirm_ready,
    current_revision_async,
    downgrade_async,
    head_revision,
    upgrade_to_head_async,
)
from db.models import Base

EXPECTED_TABLES = {
    "authors",
    "author_name_keys",
    "papers",
    "paper_identifiers",
    "paper_authors",
    "author_papers",
    "follows",
    "citation_follows",
    "guild_departures",
    "citation_links",
    "digest_schedules",
    "digest_items",
    "digest_citation_items",
    "topic_follows",
    "topic_papers",
    "listing_items",
    "suggestion_votes",
    "outbox",
    "source_health",
    "feed_state",
    "leader_lease",
}


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def column_names(url: str, table: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: inspect(c).get_columns(table))
    finally:
        await engine.dispose()
    return {column["name"] for column in columns}


def test_models_cover_the_whole_product() -> None:
    assert set(Base.metadata.tables) == EXPECTED_TABLES


async def test_upgrade_from_empty_matches_the_models(database_url: str) -> None:
    assert await table_names(database_url) == set()
    assert await current_revision_async(database_url) is None

    await upgrade_to_head_async(database_url)

    assert await table_names(database_url) == EXPECTED_TABLES
    assert await current_revision_async(database_url) == head_revision() == "0011"
    assert await check_no_drift_async(database_url) == []

    await upgrade_to_head_async(database_url)  # at head already: nothing to do
    assert await current_revision_async(database_url) == head_revision()


async def test_drift_check_notices_a_difference(database_url: str) -> None:
    """The drift check is not vacuous: a missing index shows up."""
    await upgrade_to_head_async(database_url)
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_papers_first_seen_at"))
    finally:
        await engine.dispose()

    diff = await check_no_drift_async(database_url)

    assert [(d[0], d[1].name) for d in diff] == [("add_index", "ix_papers_first_seen_at")]


async def test_downgrade_to_base_then_upgrade_again(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "base")

    assert await table_names(database_url) == set()
    assert await current_revision_async(database_url) is None

    await upgrade_to_head_async(database_url)

    assert await table_names(database_url) == EXPECTED_TABLES
    assert await check_no_drift_async(database_url) == []


async def test_0002_adds_and_drops_source_health_outage_key(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    with_key = await column_names(database_url, "source_health")
    await downgrade_async(database_url, "0001")
    without_key = await column_names(database_url, "source_health")
    await upgrade_to_head_async(database_url)

    assert "outage_key" in with_key and "outage_key" not in without_key
    assert without_key == with_key - {"outage_key"}
    assert await current_revision_async(database_url) == head_revision()
    assert await check_no_drift_async(database_url) == []


async def index_names(url: str, table: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes(table))
    finally:
        await engine.dispose()
    return {index["name"] for index in indexes}


async def test_0003_link_time_index_and_no_outbox_id_on_items(database_url: str) -> None:
    name = "ix_author_papers_author_id_linked_at"
    await upgrade_to_head_async(database_url)
    with_index = await index_names(database_url, "author_papers")
    item_columns = await column_names(database_url, "digest_items")
    await downgrade_async(database_url, "0002")
    without_index = await index_names(database_url, "author_papers")
    old_item_columns = await column_names(database_url, "digest_items")
    await upgrade_to_head_async(database_url)

    assert name in with_index and without_index == with_index - {name}
    assert old_item_columns == item_columns | {"outbox_id"}
    assert await check_no_drift_async(database_url) == []


async def test_0004_marks_authors_a_profile_stored_with_papers_as_fetched(
    database_url: str,
) -> None:
    """Data written at 0003 survives; only authors an on-demand profile stored with their
    papers count as fetched (a follow stored none: the next poll or view fetches them)."""
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0003")
    engine = create_async_engine(database_url)
    created: object = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    if "sqlite" in database_url:
        created = "2026-11-01 10:00:00.000000"  # how TZDateTime stores it there
    try:
        async with engine.begin() as conn:
            for author_id, name in ((1, "Profiled Person"), (2, "Followed Person")):
                await conn.execute(
                    text(
                        "INSERT INTO authors (id, display_name, name_variants, "
                        "usual_categories, affiliations, counts_by_year, created_at, updated_at)"
                        " VALUES (:id, :name, '[]', '[\"cs.CV\"]', '[]', '[]', :at, :at)"
                    ),
                    {"id": author_id, "name": name, "at": created},
                )
            await conn.execute(
                text(
                    "INSERT INTO papers (id, arxiv_id, version, title, abstract, "
                    "primary_category, categories, published, updated, first_seen_at) VALUES "
                    "(1, '2411.00001', 1, 'T', '', 'cs.CV', '[]', :at, :at, :at)"
                ),
                {"at": created},
            )
            await conn.execute(
                text(
                    "INSERT INTO author_papers (author_id, paper_id, matched_by, linked_at) "
                    "VALUES (1, 1, 'profile', :at), (2, 1, 'name', :at)"
                ),
                {"at": created},
            )
        await upgrade_to_head_async(database_url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, papers_fetched_at, arxiv_confirmed, usual_categories "
                        "FROM authors ORDER BY id"
                    )
                )
            ).all()
            links = (await conn.execute(text("SELECT count(*) FROM author_papers"))).scalar()
    finally:
        await engine.dispose()

    assert [(r[0], r[1] is not None, r[2]) for r in rows] == [(1, True, None), (2, False, None)]
    assert str(rows[0][1]).startswith("2026-11-01 10:00:00")
    assert links == 2 and all("cs.CV" in str(r[3]) for r in rows)
    assert await check_no_drift_async(database_url) == []
    await downgrade_async(database_url, "0003")
    assert "papers_fetched_at" not in await column_names(database_url, "authors")


async def test_0005_gives_todays_papers_their_identifiers_and_keeps_every_row(
    database_url: str,
) -> None:
    """Papers written at 0004 (the release before) get their arXiv id, DOI and OpenAlex id
    as identifiers (a DOI two papers share stays with the first); nothing is lost, and the
    downgrade keeps every arXiv paper."""
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0004")
    at: object = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    if "sqlite" in database_url:
        at = "2026-11-01 10:00:00.000000"
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for paper_id, arxiv_id, doi, openalex in (
                (1, "2411.00001", "10.1038/S41586-024-00001", "W1"),
                (2, "2411.00002", "10.1038/s41586-024-00001", None),  # the same DOI again
                (3, "astro-ph/0601001", None, None),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO papers (id, arxiv_id, version, title, abstract, "
                        "primary_category, categories, published, updated, doi, openalex_id, "
                        "first_seen_at) VALUES (:id, :arxiv, 1, 'T', '', 'cs.CV', '[]', :at, "
                        ":at, :doi, :openalex, :at)"
                    ),
                    {"id": paper_id, "arxiv": arxiv_id, "doi": doi, "openalex": openalex, "at": at},
                )
        await upgrade_to_head_async(database_url)
        async with engine.connect() as conn:
            identifiers = (
                await conn.execute(
                    text("SELECT paper_id, scheme, value FROM paper_identifiers ORDER BY 1, 2")
                )
            ).all()
            papers = (await conn.execute(text("SELECT count(*) FROM papers"))).scalar()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in identifiers] == [
        (1, "arxiv", "2411.00001"),
        (1, "doi", "10.1038/s41586-024-00001"),
        (1, "openalex", "W1"),
        (2, "arxiv", "2411.00002"),
        (3, "arxiv", "astro-ph/0601001"),
    ]
    assert papers == 3
    assert await check_no_drift_async(database_url) == []
    await downgrade_async(database_url, "0004")
    assert "paper_identifiers" not in await table_names(database_url)
    assert {"pmid", "venue"}.isdisjoint(await column_names(database_url, "papers"))
    await upgrade_to_head_async(database_url)
    assert await check_no_drift_async(database_url) == []


async def test_two_upgrades_in_one_process_at_once(database_url: str) -> None:
    """Alembic's global context is guarded: concurrent awaits do not trample each other."""
    await asyncio.gather(upgrade_to_head_async(database_url), upgrade_to_head_async(database_url))

    assert await current_revision_async(database_url) == head_revision()
    assert await check_no_drift_async(database_url) == []


async def test_two_processes_migrating_at_once_both_succeed(database_url: str) -> None:
    """The advisory lock (PostgreSQL) / BEGIN IMMEDIATE (SQLite) serialises the upgrades."""
    script = "import sys; from db.migrate import upgrade_to_head; upgrade_to_head(sys.argv[1])"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            database_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), 60)

    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()
    assert await current_revision_async(database_url) == head_revision()
    assert await check_no_drift_async(database_url) == []


async def test_upgrade_creates_the_sqlite_folder(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'nested' / 'paperscout.db'}"

    await upgrade_to_head_async(url)

    assert (tmp_path / "data" / "nested" / "paperscout.db").is_file()
    assert await current_revision_async(url) == head_revision()


async def test_the_readiness_check_wants_the_newest_revision(database_url: str) -> None:
    """`run --no-migrate` starts only on a database at this code's head."""
    with pytest.raises(DatabaseUnavailable, match="has no PaperScout tables yet"):
        await asyncio.to_thread(confirm_ready, database_url)
    await upgrade_to_head_async(database_url)
    await downgrade_async(database_url, "0002")
    with pytest.raises(DatabaseUnavailable, match="at revision '0002', this version of Paper"):
        await asyncio.to_thread(confirm_ready, database_url)

    await upgrade_to_head_async(database_url)

    await asyncio.to_thread(confirm_ready, database_url)
