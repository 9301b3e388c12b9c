"""The PubMed feed against the fake upstream and a real database (SQLite and PostgreSQL).

The records are `pubmed/synthetic_efetch_pubmed_99000001-99000003_orcid-pmc-preprint.xml`
(synthetic, built on the real record shape): 99000002 is the bioRxiv preprint 10.1101/014852
(entered PubMed 9 Feb 2015), 99000001 its journal version in Ecology and Evolution (entered
27 Sep 2016, `UpdateOf` 99000002). Carl Boettiger's line carries his ORCID on both; Benjamin L.
Phillips's line on the journal version carries his ORCID and a University of Melbourne
affiliation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.periodic import PeriodicJob
from bot.services.pubmed_feed import JOB_KEY, PubMedFeed, PubMedFeedIncomplete
from bot.sources.factory import Sources
from db.database import Database
from db.models import AuthorPaper, OutboxEntry, Paper
from db.repositories.health import SourceHealthRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.services import services_for
from tests.services.conftest import Dest, follow_author
from tests.sources.pubmed_upstream import EFETCH, ESEARCH, esearch_body, fields

RECORDS = "pubmed/synthetic_efetch_pubmed_99000001-99000003_orcid-pmc-preprint.xml"
BOETTIGER_ORCID = "0000-0002-1642-628X"
PHILLIPS_ORCID = "0000-0002-1825-0097"
FOLLOWED_AT = datetime(2015, 1, 26, 9, 0, tzinfo=UTC)
PREPRINT, JOURNAL = "99000002", "99000001"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2015, 2, 10, 6, 0, tzinfo=UTC))


@pytest.fixture
def feed(db: Database, sources: Sources, clock: ManualClock) -> PubMedFeed:
    return services_for(db, sources, clock).pubmed_feed


def daily(db: Database, clock: ManualClock, feed: PubMedFeed) -> PeriodicJob:
    return PeriodicJob(db, clock, key=JOB_KEY, every=timedelta(days=1), job=feed.run)


def route(upstream: FakeUpstream, found: list[str]) -> None:
    """Every search finds `found`; every fetch answers with the three records."""
    body = esearch_body(found)
    for method in ("GET", "POST"):
        upstream.add_route(
            method, ESEARCH, body=body, content_type="text/xml", match=lambda r: True
        )
        upstream.add_route(
            method, EFETCH, fixture=RECORDS, content_type="text/xml", match=lambda r: True
        )


async def links(db: Database) -> set[tuple[int, str | None, str]]:
    """(author, PMID, matched_by) of every author-paper link."""
    async with db.reader() as session:
        rows = await session.execute(
            select(AuthorPaper.author_id, Paper.pmid, AuthorPaper.matched_by).join(
                Paper, Paper.id == AuthorPaper.paper_id
            )
        )
        return set(rows.all())  # type: ignore[arg-type]


async def alerts(db: Database) -> list[str]:
    async with db.reader() as session:
        return list(await session.scalars(select(OutboxEntry.dedupe_key)))


async def test_an_orcid_finds_the_preprint_then_its_journal_version_joins_it_unannounced(
    db: Database, feed: PubMedFeed, upstream: FakeUpstream, clock: ManualClock
) -> None:
    carl = await follow_author(db, "Carl Boettiger", created_at=FOLLOWED_AT, orcid=BOETTIGER_ORCID)
    route(upstream, [PREPRINT])

    report = await daily(db, clock, feed).run_if_due()

    assert report is True
    (search,) = upstream.requests_to(ESEARCH)
    assert fields(search)["term"] == f"{BOETTIGER_ORCID}[auid]"
    assert fields(search)["mindate"] == "2015/01/11"  # the first run looks back 30 days
    assert await links(db) == {(carl, PREPRINT, "orcid")}
    assert len(await alerts(db)) == 1

    clock.set(datetime(2016, 9, 28, 6, 0, tzinfo=UTC))
    route(upstream, [JOURNAL])
    assert await daily(db, clock, feed).run_if_due() is True

    async with db.reader() as session:
        (paper,) = (await session.execute(select(Paper))).scalars()
    assert (paper.pmid, paper.doi, paper.venue) == (
        PREPRINT,
        "10.1002/ece3.2314",
        "Ecology and evolution",
    )
    assert paper.published == datetime(2015, 2, 4, tzinfo=UTC)  # the preprint's day
    assert paper.venue_seen_at == clock.now()  # "now published" in the next digest
    assert len(await alerts(db)) == 1  # the journal version is the same work: no second alert
    later = fields(upstream.requests_to(ESEARCH)[-1])["mindate"]
    assert later == "2015/02/07"  # since the last success (10 Feb 2015) minus 3 days


async def test_a_name_match_is_kept_only_when_the_line_vouches_for_the_author(
    db: Database, feed: PubMedFeed, upstream: FakeUpstream, clock: ManualClock
) -> None:
    """Three followed Benjamin L. Phillipses without co-authors on record: the one at
    Melbourne (the line's affiliation), one at Oxford (a homonym) and one whose known ORCID
    is not the line's (someone else, whatever the affiliation)."""
    clock.set(datetime(2016, 9, 28, 6, 0, tzinfo=UTC))
    name = "Benjamin L. Phillips"
    melbourne = await follow_author(
        db,
        name,
        created_at=FOLLOWED_AT,
        affiliations=["University of Melbourne"],
        destinations=(Dest("user", 1),),
    )
    await follow_author(
        db,
        name,
        created_at=FOLLOWED_AT,
        affiliations=["University of Oxford"],
        destinations=(Dest("user", 2),),
    )
    await follow_author(
        db,
        name,
        created_at=FOLLOWED_AT,
        orcid="0000-0001-5555-5555",
        affiliations=["University of Melbourne"],
        destinations=(Dest("user", 3),),
    )
    route(upstream, [JOURNAL])

    report = await feed.run()

    assert await links(db) == {(melbourne, JOURNAL, "pubmed-name")}
    assert report.rejected == 2 and report.by_name == 2 and report.by_orcid == 1
    (search,) = upstream.requests_to(ESEARCH)
    term = fields(search)["term"]
    assert '"phillips, benjamin l"[fau]' in term and "0000-0001-5555-5555[auid]" in term
    assert await alerts(db) == [f"alert:user:1:{(await paper_id(db, JOURNAL))}"]


async def paper_id(db: Database, pmid: str) -> int:
    async with db.reader() as session:
        found = await session.scalar(select(Paper.id).where(Paper.pmid == pmid))
    assert found is not None
    return found


async def test_pubmed_down_stores_nothing_and_stays_due_while_other_feeds_work(
    db: Database,
    sources: Sources,
    feed: PubMedFeed,
    upstream: FakeUpstream,
    clock: ManualClock,
) -> None:
    await follow_author(db, "Carl Boettiger", created_at=FOLLOWED_AT, orcid=BOETTIGER_ORCID)
    route(upstream, [PREPRINT])
    upstream.add_fault(ESEARCH, Fault.http_status(503))
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture="openalex/works_filter-cites_empty.json",
        content_type="application/json",
        query={"filter": re.compile("from_created_date")},
    )

    with pytest.raises(PubMedFeedIncomplete, match="pubmed"):
        await daily(db, clock, feed).run_if_due()  # raised: not marked done, retried
    asked = len(upstream.requests_to(ESEARCH))
    with pytest.raises(PubMedFeedIncomplete, match="backing off"):
        await feed.run()  # cooling down: PubMed is not asked again yet
    assert len(upstream.requests_to(ESEARCH)) == asked
    works = services_for(db, sources, clock).openalex_works
    assert (await works.run()).errors == []  # the other feed is unaffected

    async with db.reader() as session:
        health = await SourceHealthRepository(session).get("pubmed")
        assert await session.scalar(select(Paper.id)) is None
    assert health is not None and health.consecutive_failures >= 1

    upstream.clear_faults()
    clock.advance(timedelta(hours=2))  # past the back-off
    assert await daily(db, clock, feed).run_if_due() is True
    assert len(await alerts(db)) == 1


async def test_without_pubmed_configured_nothing_is_asked(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await follow_author(db, "Carl Boettiger", created_at=FOLLOWED_AT, orcid=BOETTIGER_ORCID)
    feed = services_for(db, sources, clock, pubmed_api_url="").pubmed_feed
    report = await feed.run()
    assert report.requests == 0 and upstream.requests_to("/entrez") == []
