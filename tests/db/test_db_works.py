"""A paper is a work: records from different sources sharing an identifier are one stored paper.

Built in code (the shapes of the records arXiv, OpenAlex and Crossref give). On SQLite and
PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.database import Database
from db.models import AuthorPaper, Paper, PaperIdentifier
from db.repositories.authors import AuthorRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository

PREPRINT_DAY = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
JOURNAL_DAY = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
JOURNAL_DOI = "10.1038/s41586-026-01234-5"
BIORXIV_DOI = "10.1101/2026.09.30.123456"


def arxiv_record(version: int = 1, *, doi: str | None = None) -> PaperRecord:
    return PaperRecord(
        arxiv_id="2610.00001",
        title=f"Vision transformers for cells (v{version})",
        published=PREPRINT_DAY,
        updated=PREPRINT_DAY + timedelta(days=version - 1),
        primary_category="cs.CV",
        version=version,
        abstract="We study cells.",
        categories=("cs.CV", "q-bio.QM"),
        authors=(PaperAuthorRecord("Ada Lovelace"),),
        doi=doi,
        source="arxiv_api",
    )


def journal_record(**overrides: object) -> PaperRecord:
    values: dict[str, object] = {
        "arxiv_id": None,
        "title": "Vision transformers for cells",
        "published": JOURNAL_DAY,
        "updated": JOURNAL_DAY,
        "primary_category": None,
        "doi": JOURNAL_DOI,
        "openalex_id": "W4400000001",
        "venue": "Nature",
        "url": f"https://doi.org/{JOURNAL_DOI}",
        "authors": (PaperAuthorRecord("Ada Lovelace"),),
        "source": "openalex",
    }
    values.update(overrides)
    return PaperRecord(**values)  # type: ignore[arg-type]


async def store(db: Database, *records: PaperRecord):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await PaperRepository(session).upsert_many(records, now=NOW)


async def papers(db: Database) -> list[Paper]:
    async with db.reader() as session:
        return list((await session.execute(select(Paper).order_by(Paper.id))).scalars())


async def identifiers(db: Database) -> set[tuple[int, str, str]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(PaperIdentifier.paper_id, PaperIdentifier.scheme, PaperIdentifier.value)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


async def test_a_journal_version_found_later_joins_the_preprint(db: Database) -> None:
    first = await store(db, arxiv_record())
    later = await store(db, journal_record(same_as=(("arxiv", "2610.00001"),)))

    (paper,) = await papers(db)
    assert later.ids == {f"doi:{JOURNAL_DOI}": first.ids["2610.00001"]} and later.updated
    assert (paper.arxiv_id, paper.doi, paper.venue) == ("2610.00001", JOURNAL_DOI, "Nature")
    assert paper.title == "Vision transformers for cells (v1)"  # arXiv's content is kept
    assert paper.published == PREPRINT_DAY  # as old as the preprint: never "new" again
    assert paper.venue_seen_at == NOW  # "now published"
    assert await identifiers(db) == {
        (paper.id, "arxiv", "2610.00001"),
        (paper.id, "doi", JOURNAL_DOI),
        (paper.id, "openalex", "W4400000001"),
    }


async def test_a_bioRxiv_preprint_shows_its_journal_doi_once_published(db: Database) -> None:
    """A preprint server is no venue: its journal version brings the venue, and the DOI and
    page shown become the journal's; the preprint's DOI still finds the work."""
    preprint = journal_record(
        doi=BIORXIV_DOI,
        openalex_id="W4300000001",
        venue=None,
        url=f"https://doi.org/{BIORXIV_DOI}",
        published=PREPRINT_DAY,
    )
    await store(db, preprint)
    await store(db, journal_record(same_as=(("doi", BIORXIV_DOI),)))

    (paper,) = await papers(db)
    assert (paper.doi, paper.url, paper.venue) == (
        JOURNAL_DOI,
        f"https://doi.org/{JOURNAL_DOI}",
        "Nature",
    )
    assert paper.venue_seen_at == NOW and paper.published == PREPRINT_DAY
    async with db.reader() as session:
        found = await PaperRepository(session).get_by_identifier("doi", BIORXIV_DOI)
    assert found is not None and found.id == paper.id


async def test_a_preprint_found_after_its_journal_version_is_the_same_work(db: Database) -> None:
    await store(db, journal_record())
    await store(db, arxiv_record(2, doi=JOURNAL_DOI))  # arXiv's <arxiv:doi> names the journal

    (paper,) = await papers(db)
    assert (paper.arxiv_id, paper.version, paper.primary_category) == ("2610.00001", 2, "cs.CV")
    assert paper.title == "Vision transformers for cells (v2)"  # arXiv's content now
    assert paper.venue == "Nature" and paper.venue_seen_at is None  # known from the start
    assert paper.published == PREPRINT_DAY  # the earliest appearance


async def test_one_batch_with_both_versions_stores_one_work(db: Database) -> None:
    result = await store(db, journal_record(same_as=(("arxiv", "2610.00001"),)), arxiv_record())

    (paper,) = await papers(db)
    assert result.new == {f"doi:{JOURNAL_DOI}": paper.id, "2610.00001": paper.id}
    assert (paper.arxiv_id, paper.doi, paper.published) == ("2610.00001", JOURNAL_DOI, PREPRINT_DAY)


async def test_a_stated_link_merges_two_stored_works_into_the_older(db: Database) -> None:
    """A bioRxiv preprint and its journal article stored apart; then Crossref says the
    article has that preprint: one work, with both works' links."""
    preprint = journal_record(
        doi=BIORXIV_DOI, openalex_id="W4300000001", venue="bioRxiv", published=PREPRINT_DAY
    )
    first = await store(db, preprint)
    second = await store(db, journal_record())
    keep, gone = first.ids[f"doi:{BIORXIV_DOI}"], second.ids[f"doi:{JOURNAL_DOI}"]
    async with db.transaction() as session:
        ada = await AuthorRepository(session).upsert(display_name="Ada Lovelace", now=NOW)
        bob = await AuthorRepository(session).upsert(display_name="Bob Bell", now=NOW)
        await PaperRepository(session).link_authors(
            [(ada.id, keep, "openalex"), (ada.id, gone, "openalex"), (bob.id, gone, "name")],
            now=NOW,
        )

    crossref = journal_record(openalex_id=None, same_as=(("doi", BIORXIV_DOI),), source="crossref")
    result = await store(db, crossref)

    (paper,) = await papers(db)
    assert paper.id == keep and result.merged == 1 and result.ids == {f"doi:{JOURNAL_DOI}": keep}
    assert paper.published == PREPRINT_DAY
    async with db.reader() as session:
        links = set(
            (await session.execute(select(AuthorPaper.author_id, AuthorPaper.paper_id))).all()
        )
        count = await session.scalar(select(func.count()).select_from(PaperIdentifier))
    assert links == {(ada.id, keep), (bob.id, keep)}
    assert {(s, v) for _, s, v in await identifiers(db)} == {
        ("doi", BIORXIV_DOI),
        ("openalex", "W4300000001"),
        ("doi", JOURNAL_DOI),
        ("openalex", "W4400000001"),
    } and count == 4


async def test_works_without_a_shared_identifier_stay_apart(db: Database) -> None:
    await store(db, arxiv_record(), journal_record(doi="10.1000/other", openalex_id="W9"))
    assert len(await papers(db)) == 2


# --- the title fallback: no source links the preprint and its publication ----------------------

LONG_TITLE = "Dispersal attenuation follows range expansion in cane toads"


async def preprint_of(db: Database, author_id: int, **overrides: object) -> int:
    """A bioRxiv preprint stored and linked to the author (no venue)."""
    values: dict[str, object] = {
        "doi": BIORXIV_DOI,
        "openalex_id": "W4300000001",
        "venue": None,
        "title": LONG_TITLE,
        "published": PREPRINT_DAY,
        **overrides,
    }
    result = await store(db, journal_record(**values))
    paper_id = next(iter(result.ids.values()))
    async with db.transaction() as session:
        await PaperRepository(session).link_authors([(author_id, paper_id, "openalex")], now=NOW)
    return paper_id


async def store_for(db: Database, author_id: int, *records: PaperRecord):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await PaperRepository(session).upsert_many(
            records, now=NOW, authors_of={r.key: {author_id} for r in records}
        )


async def author(db: Database, name: str = "Ada Lovelace") -> int:
    async with db.transaction() as session:
        return (await AuthorRepository(session).upsert(display_name=name, now=NOW)).id


async def test_a_publication_joins_its_preprint_by_title_when_no_source_links_them(
    db: Database,
) -> None:
    ada = await author(db)
    preprint = await preprint_of(db, ada)
    # Another spelling of the title (case, hyphens, a dash, an accent), a year later.
    journal = journal_record(
        title="DISPERSAL attenuation follows range-expansion in cane toads — ",
        published=PREPRINT_DAY + timedelta(days=400),
    )
    result = await store_for(db, ada, journal)

    (paper,) = await papers(db)
    assert paper.id == preprint and result.ids == {f"doi:{JOURNAL_DOI}": preprint}
    assert (paper.venue, paper.doi, paper.published) == ("Nature", JOURNAL_DOI, PREPRINT_DAY)


@pytest.mark.parametrize(
    ("case", "overrides", "other_author"),
    [
        ("another author's namesake paper", {}, True),
        ("three years apart", {"published": PREPRINT_DAY + timedelta(days=3 * 366)}, False),
        ("both published", {"venue_of_preprint": "eLife"}, False),
        ("a short title", {"title": "Reply to comment"}, False),
    ],
)
async def test_the_title_fallback_stays_conservative(
    db: Database, case: str, overrides: dict[str, object], other_author: bool
) -> None:
    ada = await author(db)
    title = str(overrides.get("title", LONG_TITLE))
    await preprint_of(db, ada, title=title, venue=overrides.get("venue_of_preprint"))
    who = await author(db, "Bob Bell") if other_author else ada
    journal = journal_record(
        title=title, published=overrides.get("published", PREPRINT_DAY + timedelta(days=30))
    )
    await store_for(db, who, journal)
    assert len(await papers(db)) == 2, case


async def test_both_versions_in_one_batch_are_one_work_by_title(db: Database) -> None:
    ada = await author(db)
    preprint = journal_record(doi=BIORXIV_DOI, openalex_id="W1", venue=None, title=LONG_TITLE)
    journal = journal_record(title=LONG_TITLE.upper(), published=JOURNAL_DAY)
    result = await store_for(db, ada, preprint, journal)
    (paper,) = await papers(db)
    assert set(result.new.values()) == {paper.id} and paper.venue == "Nature"
