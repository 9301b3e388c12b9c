"""PaperRepository: bulk upsert with versions, author links, per-author listings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event

from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository, strip_arxiv_version

PaperFactory = Callable[..., PaperRecord]


@contextmanager
def count_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_new_updated_unchanged(db: Database, t0: datetime, make_paper: PaperFactory) -> None:
    async with db.transaction() as session:
        first = await PaperRepository(session).upsert_many(
            [make_paper("2411.00001"), make_paper("2411.00002"), make_paper("astro-ph/0601001")],
            now=t0,
        )
    assert sorted(first.new) == ["2411.00001", "2411.00002", "astro-ph/0601001"]
    assert first.updated == first.unchanged == {}

    later = t0 + timedelta(days=3)
    v2 = make_paper(
        "2411.00001",
        version=2,
        title="Better title",
        authors=(PaperAuthorRecord("Solo Author", ("Lab",)),),
        doi=None,
    )
    async with db.transaction() as session:
        second = await PaperRepository(session).upsert_many(
            [
                v2,
                make_paper("2411.00002", title="Same version, new title: ignored"),
                make_paper("2411.00003"),
            ],
            now=later,
        )
    assert second.new == {"2411.00003": second.ids["2411.00003"]}
    assert second.updated == {"2411.00001": first.new["2411.00001"]}
    assert second.unchanged == {"2411.00002": first.new["2411.00002"]}

    async with db.reader() as session:
        repo = PaperRepository(session)
        updated = await repo.get_by_arxiv_id("2411.00001v2")
        unchanged = await repo.get_by_arxiv_id("2411.00002")
        brand_new = await repo.get_by_arxiv_id("2411.00003")
    assert updated is not None and unchanged is not None and brand_new is not None
    assert (updated.version, updated.title) == (2, "Better title")
    assert updated.updated == v2.updated
    assert updated.first_seen_at == t0  # a new version is not a new paper
    assert [(a.position, a.name, a.affiliations) for a in updated.authors] == [
        (0, "Solo Author", ["Lab"])
    ]
    assert unchanged.title == "Paper 2411.00002 v1"
    assert [a.name for a in unchanged.authors] == ["Ada Lovelace", "Author 1"]
    assert brand_new.first_seen_at == later


async def test_older_version_and_duplicates(
    db: Database, t0: datetime, make_paper: PaperFactory
) -> None:
    async with db.transaction() as session:
        result = await PaperRepository(session).upsert_many(
            [make_paper("2411.00001", 2), make_paper("2411.00001", 3), make_paper("2411.00001", 1)],
            now=t0,
        )
    assert list(result.new) == ["2411.00001"]
    async with db.transaction() as session:
        repo = PaperRepository(session)
        again = await repo.upsert_many([make_paper("2411.00001", 2)], now=t0)
        assert again.unchanged == result.new
        paper = await repo.get_by_arxiv_id("2411.00001")
    assert paper is not None and paper.version == 3


async def test_accepts_plain_dicts(db: Database, t0: datetime) -> None:
    record = {
        "arxiv_id": "2411.17700",
        "version": 1,
        "title": "PaliGemma 2",
        "abstract": "An upgrade.",
        "primary_category": "cs.CV",
        "categories": ["cs.CV"],
        "published": t0,
        "updated": t0,
        "authors": ["Andreas Steiner", {"name": "André Susano Pinto", "affiliations": ["GDM"]}],
        "doi": "10.1/x",
        "journal_ref": None,
        "comment": "20 pages",
    }
    async with db.transaction() as session:
        result = await PaperRepository(session).upsert_many([record], now=t0)
        paper = await PaperRepository(session).get(result.ids["2411.17700"])
    assert paper is not None
    assert (paper.doi, paper.comment, paper.categories) == ("10.1/x", "20 pages", ["cs.CV"])
    assert [(a.name, a.affiliations) for a in paper.authors] == [
        ("Andreas Steiner", []),
        ("André Susano Pinto", ["GDM"]),
    ]


async def test_upsert_is_bulk(db: Database, t0: datetime, make_paper: PaperFactory) -> None:
    """The number of statements does not grow with the number of papers."""

    async def statements_for(ids: range, version: int) -> int:
        with count_statements(db) as statements:
            async with db.transaction() as session:
                await PaperRepository(session).upsert_many(
                    [make_paper(f"2411.{i:05d}", version) for i in ids], now=t0
                )
        return len(statements)

    small_new, big_new = await statements_for(range(3), 1), await statements_for(range(10, 900), 1)
    small_v2, big_v2 = await statements_for(range(3), 2), await statements_for(range(10, 900), 2)
    assert small_new == big_new
    assert small_v2 == big_v2
    assert big_v2 <= 8

    async with db.reader() as session:
        paper = await PaperRepository(session).get_by_arxiv_id("2411.00899")
    assert paper is not None and paper.version == 2 and len(paper.authors) == 2


async def test_link_authors_is_idempotent(
    db: Database, t0: datetime, make_paper: PaperFactory
) -> None:
    async with db.transaction() as session:
        ada = await AuthorRepository(session).upsert(display_name="Ada", openalex_id="A1", now=t0)
        bob = await AuthorRepository(session).upsert(display_name="Bob", openalex_id="A2", now=t0)
        papers = await PaperRepository(session).upsert_many(
            [make_paper("2411.00001"), make_paper("2411.00002")], now=t0
        )
    p1, p2 = papers.ids["2411.00001"], papers.ids["2411.00002"]

    async with db.transaction() as session:
        repo = PaperRepository(session)
        created = await repo.link_authors(
            [(ada.id, p1, "name"), (bob.id, p1, "openalex"), (ada.id, p1, "openalex")], now=t0
        )
        assert created == [(ada.id, p1), (bob.id, p1)]
        again = await repo.link_authors([(ada.id, p1, "openalex"), (ada.id, p2, "name")], now=t0)
        assert again == [(ada.id, p2)]
        assert await repo.link_authors([], now=t0) == []
        assert await repo.linked_authors([p1, p2, 999]) == {p1: [ada.id, bob.id], p2: [ada.id]}
        assert await repo.count_for_author(ada.id) == 2
        assert await repo.count_for_author(bob.id) == 1


async def test_papers_for_author_orders_and_pages(
    db: Database, t0: datetime, make_paper: PaperFactory
) -> None:
    async with db.transaction() as session:
        ada = await AuthorRepository(session).upsert(display_name="Ada", openalex_id="A1", now=t0)
        repo = PaperRepository(session)
        result = await repo.upsert_many(
            [
                make_paper(f"2411.0000{i}", published=t0 - timedelta(days=10 - i))
                for i in range(1, 6)
            ]
            + [make_paper("2411.09999")],  # not Ada's
            now=t0,
        )
        ids = [result.ids[f"2411.0000{i}"] for i in range(1, 6)]
        await repo.link_authors([(ada.id, pid, "name") for pid in ids], now=t0)
        # citations: paper 1 -> 50, paper 2 -> 7, paper 3 unknown, 4 -> 7, 5 -> 0
        await repo.update_citations(
            {ids[0]: 50, ids[1]: 7, ids[3]: 7, ids[4]: 0}, as_of=t0 + timedelta(hours=1)
        )

    async with db.reader() as session:
        repo = PaperRepository(session)

        async def arxiv_ids(order: str, limit: int, offset: int = 0) -> list[str]:
            papers = await repo.papers_for_author(ada.id, order=order, limit=limit, offset=offset)  # type: ignore[arg-type]
            return [p.arxiv_id for p in papers]

        assert await arxiv_ids("recent", 3) == ["2411.00005", "2411.00004", "2411.00003"]
        assert await arxiv_ids("recent", 3, offset=3) == ["2411.00002", "2411.00001"]
        assert await arxiv_ids("cited", 5) == [
            "2411.00001",
            "2411.00004",
            "2411.00002",
            "2411.00005",
            "2411.00003",
        ]
        first = await repo.get(ids[0])
        assert first is not None and first.citations_as_of == t0 + timedelta(hours=1)
        assert [p.id for p in await repo.list_by_ids([ids[2], 12345, ids[0]])] == [ids[2], ids[0]]


def test_strip_arxiv_version() -> None:
    assert strip_arxiv_version("2411.17700v12") == "2411.17700"
    assert strip_arxiv_version("astro-ph/0601001v1") == "astro-ph/0601001"
    assert strip_arxiv_version(" 2411.17700 ") == "2411.17700"
