"""Authors stored under an older name normaliser are found again once the daily job rekeys them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.author_fetch import match_keys, store_identity
from bot.services.author_resolver import AuthorResolver, UpstreamGuard
from bot.services.name_keys_upkeep import refresh_name_keys
from db.database import Database
from db.repositories.authors import AuthorRepository
from tests.harness.clock import ManualClock

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


async def test_stale_keys_are_rewritten_and_the_author_is_found_by_name(db: Database) -> None:
    async with db.transaction() as session:
        authors = AuthorRepository(session)
        liu = await store_identity(authors, display_name="Jun LIU", now=NOW)
        kept = await store_identity(authors, display_name="Heather Piwowar", now=NOW)
        # What an older normaliser stored: "LIU" read as initials.
        await authors.set_name_keys(liu.id, ["l jun"])
    clock = ManualClock(NOW)
    resolver = AuthorResolver(db, clock, guard=UpstreamGuard(clock))
    assert await resolver.stored_by_name("Jun Liu", None) == []

    assert await refresh_name_keys(db) == 1
    assert await refresh_name_keys(db) == 0  # in step now: nothing to write

    async with db.reader() as session:
        authors = AuthorRepository(session)
        assert await authors.name_keys_of(liu.id) == sorted(match_keys(["Jun LIU"]))
        assert await authors.name_keys_of(kept.id) == sorted(match_keys(["Heather Piwowar"]))
    (found,) = await resolver.stored_by_name("Jun Liu", None)
    assert found.id == liu.id
