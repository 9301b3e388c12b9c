"""AuthorRepository: upsert by OpenAlex id, name keys, metrics cache."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.database import Database
from db.repositories.authors import AuthorRepository


async def test_upsert_by_openalex_id_updates_in_place(db: Database, t0: datetime) -> None:
    later = t0 + timedelta(days=1)
    async with db.transaction() as session:
        repo = AuthorRepository(session)
        first = await repo.upsert(
            display_name="Andreas Steiner",
            openalex_id="A5000000001",
            orcid="0000-0001-2345-6789",
            name_variants=["Andreas Steiner", "A. Steiner"],
            usual_categories=["cs.CV"],
            affiliations=["Google DeepMind"],
            now=t0,
        )
        second = await repo.upsert(
            display_name="Andreas P. Steiner",
            openalex_id="A5000000001",
            s2_id="12345",
            affiliations=["DeepMind"],
            now=later,
        )
        other = await repo.upsert(display_name="Andreas Steiner", now=t0)  # no stable id

    assert second.id == first.id
    assert other.id != first.id
    async with db.reader() as session:
        repo = AuthorRepository(session)
        stored = await repo.get_by_openalex_id("A5000000001")
        assert stored is not None
        assert stored.display_name == "Andreas P. Steiner"
        assert stored.orcid == "0000-0001-2345-6789"  # None did not erase it
        assert stored.s2_id == "12345"
        assert stored.name_variants == ["Andreas Steiner", "A. Steiner"]  # not passed: kept
        assert stored.usual_categories == ["cs.CV"]
        assert stored.affiliations == ["DeepMind"]  # passed: replaced
        assert (stored.created_at, stored.updated_at) == (t0, later)
        assert await repo.get_by_openalex_id("A5999999999") is None
        assert await repo.get(other.id) is not None
        assert [a.id for a in await repo.list_by_ids([other.id, 999, first.id])] == [
            other.id,
            first.id,
        ]


async def test_name_keys_find_authors_in_one_lookup(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = AuthorRepository(session)
        ada = await repo.upsert(display_name="Ada Lovelace", openalex_id="A1", now=t0)
        bob = await repo.upsert(display_name="A. Lovelace", openalex_id="A2", now=t0)
        await repo.set_name_keys(ada.id, ["lovelace|ada", "lovelace|a", "lovelace|a"])
        await repo.set_name_keys(bob.id, ["lovelace|a", "lovelace|bob"])

    async with db.transaction() as session:
        repo = AuthorRepository(session)
        found = await repo.find_by_name_keys(["lovelace|a", "lovelace|ada", "turing|alan"])
        assert found == {"lovelace|a": sorted([ada.id, bob.id]), "lovelace|ada": [ada.id]}

        await repo.set_name_keys(bob.id, ["lovelace|bob", "lovelace|b"])  # replaces the set
        assert await repo.name_keys_of(bob.id) == ["lovelace|b", "lovelace|bob"]
        assert await repo.find_by_name_keys(["lovelace|a"]) == {"lovelace|a": [ada.id]}
        await repo.set_name_keys(bob.id, [])
        assert await repo.name_keys_of(bob.id) == []
        assert await repo.find_by_name_keys([]) == {}


async def test_find_by_many_name_keys(db: Database, t0: datetime) -> None:
    """More keys than one IN list holds: still every match."""
    async with db.transaction() as session:
        repo = AuthorRepository(session)
        author = await repo.upsert(display_name="Many", openalex_id="A3", now=t0)
        await repo.set_name_keys(author.id, [f"k{i}" for i in range(0, 12_000, 1_000)])
        found = await repo.find_by_name_keys(f"k{i}" for i in range(12_000))
    assert sorted(found) == sorted(f"k{i}" for i in range(0, 12_000, 1_000))
    assert set(map(tuple, found.values())) == {(author.id,)}


async def test_update_metrics(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = AuthorRepository(session)
        author = await repo.upsert(display_name="Ada", openalex_id="A1", now=t0)
        counts = [{"year": 2024, "works_count": 3, "cited_by_count": 120}]
        assert await repo.update_metrics(
            author.id,
            h_index=117,
            citations=13_891,
            works_count=250,
            counts_by_year=counts,
            source="openalex",
            as_of=t0,
        )
        assert not await repo.update_metrics(
            9999,
            h_index=1,
            citations=1,
            works_count=1,
            counts_by_year=[],
            source="openalex",
            as_of=t0,
        )

    async with db.reader() as session:
        stored = await AuthorRepository(session).get(author.id)
    assert stored is not None
    assert (stored.h_index, stored.citations, stored.works_count) == (117, 13_891, 250)
    assert stored.counts_by_year == counts
    assert (stored.metrics_source, stored.metrics_as_of) == ("openalex", t0)
