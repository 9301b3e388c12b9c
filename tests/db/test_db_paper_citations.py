"""PaperRepository and per-paper citation counts: which papers are due, one UPDATE per batch,
and how many of an author's papers have a count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from tests.db.test_db_papers import count_statements

PaperFactory = Callable[..., PaperRecord]


async def _seed(db: Database, t0: datetime, make_paper: PaperFactory) -> dict[str, int]:
    """Ada (followed) has papers 1-5, Bob (not followed) paper 9; paper 6 is nobody's."""
    async with db.transaction() as session:
        authors = AuthorRepository(session)
        ada = await authors.upsert(display_name="Ada Lovelace", now=t0)
        bob = await authors.upsert(display_name="Bob Unfollowed", now=t0)
        await FollowRepository(session).add(author_id=ada.id, scope="user", user_id=1, now=t0)
        repo = PaperRepository(session)
        result = await repo.upsert_many(
            [make_paper(f"2411.0000{i}") for i in (1, 2, 3, 4, 5, 6, 9)], now=t0
        )
        ids = result.ids
        await repo.link_authors(
            [(ada.id, ids[f"2411.0000{i}"], "name") for i in range(1, 6)]
            + [(bob.id, ids["2411.00009"], "name")],
            now=t0,
        )
        return {**ids, "ada": ada.id}


async def test_due_papers_followed_only_never_read_first_then_oldest(
    db: Database, t0: datetime, make_paper: PaperFactory
) -> None:
    ids = await _seed(db, t0, make_paper)
    async with db.transaction() as session:
        repo = PaperRepository(session)
        await repo.update_citations({ids["2411.00001"]: 5}, as_of=t0 - timedelta(days=30))
        await repo.update_citations({ids["2411.00002"]: 9}, as_of=t0 - timedelta(days=10))
        await repo.update_citations({ids["2411.00003"]: 1}, as_of=t0 - timedelta(days=1))

    async with db.reader() as session:
        repo = PaperRepository(session)
        due = await repo.due_for_citations(stale_before=t0 - timedelta(days=7), limit=10)
        capped = await repo.due_for_citations(stale_before=t0 - timedelta(days=7), limit=3)

    # 4 and 5 never read (by id), then 1 (30 days) and 2 (10 days); 3 is fresh; 6, 9 unfollowed
    assert [d.arxiv_id for d in due] == ["2411.00004", "2411.00005", "2411.00001", "2411.00002"]
    assert [(d.paper_id, d.citations) for d in due[2:]] == [
        (ids["2411.00001"], 5),
        (ids["2411.00002"], 9),
    ]
    assert [d.arxiv_id for d in capped] == ["2411.00004", "2411.00005", "2411.00001"]


async def test_update_citations_is_one_statement_and_counts_known_papers(
    db: Database, t0: datetime, make_paper: PaperFactory
) -> None:
    ids = await _seed(db, t0, make_paper)
    async with db.reader() as session:
        assert await PaperRepository(session).count_cited_for_author(ids["ada"]) == 0

    batch = {ids[f"2411.0000{i}"]: 10 * i for i in range(1, 5)} | {ids["2411.00005"]: None}
    async with db.transaction() as session:
        with count_statements(db) as statements:
            await PaperRepository(session).update_citations(batch, as_of=t0)
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1

    async with db.reader() as session:
        repo = PaperRepository(session)
        assert await repo.count_cited_for_author(ids["ada"]) == 4
        unknown = await repo.get(ids["2411.00005"])
        assert unknown is not None and unknown.citations is None
        assert unknown.citations_as_of == t0  # looked at today: goes to the back of the queue
        cited = await repo.papers_for_author(ids["ada"], order="cited", limit=5)
    assert [p.arxiv_id for p in cited] == [
        "2411.00004",
        "2411.00003",
        "2411.00002",
        "2411.00001",
        "2411.00005",  # unknown count: last
    ]
