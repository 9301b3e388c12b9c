"""ProfileService under concurrency: one fetch per new name, one refresh per stale author.

Real databases (SQLite and PostgreSQL) and the fake upstream's recorded responses; the
service's clock is the stepping clock, which also times its in-memory caches.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.services import author_lookup
from bot.services.author_fetch import match_keys
from bot.services.author_query import parse_author_query
from bot.services.profile import RECHECK_SECONDS
from bot.sources.factory import Sources
from db.database import Database
from db.models import Author
from db.repositories.authors import AuthorRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import services_for

NO_SOURCES = {
    "arxiv_api_url": "",
    "openalex_api_url": "",
    "semantic_scholar_api_url": "",
}

PIWOWAR = "A5048491430"


@pytest.fixture
def clock() -> ManualClock:
    """A time after the recorded papers (2024-09): sources take later dates as unknown."""
    return ManualClock()


async def author_count(db: Database) -> int:
    async with db.reader() as session:
        return (await session.execute(select(func.count()).select_from(Author))).scalar_one()


async def seed(db: Database, clock: ManualClock, name: str, **values: object) -> int:
    """An author stored with metrics fetched `metrics_age` ago (default: fresh)."""
    age = values.pop("metrics_age", timedelta(0))
    async with db.transaction() as session:
        authors = AuthorRepository(session)
        author = await authors.upsert(
            display_name=name,
            now=clock.now(),
            name_variants=[name],
            **values,  # type: ignore[arg-type]
        )
        await authors.set_name_keys(author.id, match_keys([name]))
        await authors.update_metrics(
            author.id,
            h_index=1,
            citations=2,
            works_count=3,
            counts_by_year=[],
            source="openalex",
            as_of=clock.now() - age,  # type: ignore[operator]
        )
        return author.id


async def test_concurrent_profiles_of_a_new_name_store_one_author(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    # arXiv only: no OpenAlex id to upsert on, so only single flight prevents a duplicate.
    service = services_for(
        db, sources, clock, openalex_api_url="", semantic_scholar_api_url=""
    ).profile
    profiles = await asyncio.gather(
        *(service.profile(name) for name in ["Heather Piwowar", " Heather  Piwowar"] * 3)
    )
    assert len({p.author_id for p in profiles}) == 1
    assert await author_count(db) == 1
    assert len(upstream.requests_to("/api/query")) == 1


async def test_concurrent_views_of_a_stale_author_refresh_once(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    author_id = await seed(
        db, clock, "Heather Piwowar", openalex_id=PIWOWAR, metrics_age=timedelta(days=3)
    )
    service = services_for(
        db, sources, clock, arxiv_api_url="", semantic_scholar_api_url=""
    ).profile
    profiles = await asyncio.gather(*(service.profile(f"author:{author_id}") for _ in range(8)))
    assert {p.metrics.h_index for p in profiles} == {23}  # every viewer sees the fresh figures
    assert len(upstream.requests_to(f"/openalex/authors/{PIWOWAR}")) == 1
    # Fresh now: a later view asks nobody.
    await service.profile(f"author:{author_id}")
    assert len(upstream.requests_to(f"/openalex/authors/{PIWOWAR}")) == 1


async def test_caches_expire_on_the_injected_clock_and_stay_bounded(
    db: Database, sources: Sources, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [await seed(db, clock, f"Author Number{chr(97 + i)}") for i in range(5)]
    service = services_for(db, sources, clock, **NO_SOURCES).profile
    await service.profile(f"author:{ids[0]}")
    first = parse_author_query(f"author:{ids[0]}")
    assert service.cached(first) is not None  # hot
    clock.advance(timedelta(seconds=RECHECK_SECONDS + 1))
    assert service.cached(first) is None  # the database must confirm it again

    monkeypatch.setattr(author_lookup, "CACHE_ENTRIES", 3)
    for author_id in ids:
        await service.profile(f"author:{author_id}")
    resolved = service._lookup._resolved
    assert list(resolved) == [f"local:{i}" for i in ids[2:]]  # the least recent dropped
