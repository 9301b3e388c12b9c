"""Repository methods the poller needs: earliest follow, co-author names, bulk alert planning."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from db.repositories.outbox import OutboxRepository, OutboxRow
from db.repositories.paper_writes import PaperAuthorRecord
from db.repositories.papers import PaperRepository
from tests.db.conftest import PaperFactory


async def test_earliest_follow_at(db: Database, t0: datetime) -> None:
    async with db.reader() as session:
        assert await FollowRepository(session).earliest_follow_at() is None
    async with db.transaction() as session:
        author = await AuthorRepository(session).upsert(display_name="Ada Lovelace", now=t0)
        follows = FollowRepository(session)
        await follows.add(author_id=author.id, scope="user", user_id=1, now=t0)
        await follows.add(author_id=author.id, scope="user", user_id=2, now=t0 - timedelta(days=9))
    async with db.reader() as session:
        assert await FollowRepository(session).earliest_follow_at() == t0 - timedelta(days=9)


async def test_coauthor_names_reads_linked_papers_only(
    db: Database, t0: datetime, make_paper: PaperFactory
) -> None:
    big = tuple(PaperAuthorRecord(f"Member {i}") for i in range(60))
    async with db.transaction() as session:
        authors = AuthorRepository(session)
        ada = await authors.upsert(display_name="Ada Lovelace", now=t0)
        bob = await authors.upsert(display_name="Bob Other", now=t0)
        papers = PaperRepository(session)
        stored = await papers.upsert_many(
            [
                make_paper("2501.00001"),  # Ada Lovelace, Author 1
                make_paper("2501.00002", authors=(PaperAuthorRecord("Ada Lovelace"), *big)),
                make_paper("2501.00003", authors=(PaperAuthorRecord("Not Linked"),)),
            ],
            now=t0,
        )
        ids = stored.ids
        await papers.link_authors(
            [(ada.id, ids["2501.00001"], "name"), (ada.id, ids["2501.00002"], "name")], now=t0
        )
    async with db.reader() as session:
        found = await PaperRepository(session).coauthor_names([ada.id, bob.id], max_position=10)
    assert set(found) == {ada.id}
    assert found[ada.id][:2] == ["Ada Lovelace", "Author 1"]  # each name once
    assert "Member 8" in found[ada.id] and "Member 9" not in found[ada.id]  # first 10 lines
    assert "Not Linked" not in found[ada.id]


async def test_enqueue_many_creates_each_key_once(db: Database, t0: datetime) -> None:
    def row(key: str, destination: int) -> OutboxRow:
        return OutboxRow(
            kind="alert",
            dedupe_key=key,
            destination_kind="user",
            destination_id=destination,
            payload={"paper_id": 1, "author_ids": [2]},
            guild_id=9,
        )

    async with db.transaction() as session:
        repo = OutboxRepository(session)
        assert await repo.enqueue_many([row("a", 1), row("b", 2), row("a", 3)], now=t0) == [
            "a",
            "b",
        ]
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        assert await repo.enqueue_many([row("b", 2), row("c", 3)], now=t0) == ["c"]
        assert await repo.enqueue_many([], now=t0) == []
    async with db.reader() as session:
        entry = await OutboxRepository(session).get_by_dedupe_key("a")
        counts = await OutboxRepository(session).counts_by_status()
    assert entry is not None and entry.destination_id == 1 and entry.guild_id == 9
    assert entry.payload == {"paper_id": 1, "author_ids": [2]} and entry.not_before == t0
    assert counts["pending"] == 3
