"""The PubMed feed against the fake upstream and a real database (SQLite and PostgreSQL).

The records are `pubmed/synthetic_efetch_pubmed_99000001-99000003_orcid-pmc-preprint.xml`
(synthetic, built on the real record shape): 99000002 is the bioRxiv preprint 10.1101/014852
(entered PubMed 9 Feb 2015), 99000001 its journal version in Ecology and Evolution (entered
27 Sep 2016, `UpdateOf` 99000002). Carl Boettiger's line carries his ORCID on both; Benjamin L.
Phillips's line on the journal version carries his ORCID and a University of Melbourne
affiliation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.openalex_works import JOB_KEY as WORKS_KEY
from bot.services.openalex_works import OpenAlexWorksFeed
from bot.services.polling import PollingService
from bot.services.pubmed_feed import JOB_KEY, PubMedFeed
from bot.sources.factory import Sources
from db.database import Database
from db.models import AuthorPaper, OutboxEntry, Paper
from db.repositories.feeds import FeedStateRepository
from db.repositories.health import SourceHealthRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.services import feed_of, feed_poller, poller, services_for
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


def pubmed_poll(
    db: Database, sources: Sources, clock: ManualClock, **settings: str
) -> PollingService:
    """The poll cycle reading only this feed, as the runtime wires it (daily)."""
    return feed_poller(db, sources, clock, PubMedFeed, **settings)


@pytest.fixture
def feed(db: Database, sources: Sources, clock: ManualClock) -> PollingService:
    return pubmed_poll(db, sources, clock)


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
    db: Database, feed: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    carl = await follow_author(db, "Carl Boettiger", created_at=FOLLOWED_AT, orcid=BOETTIGER_ORCID)
    route(upstream, [PREPRINT])

    summary = await feed.run_cycle()

    assert summary.feeds_polled == [JOB_KEY] and summary.errors == []
    assert summary.requests == {"pubmed": 2}  # one search, one fetch
    (search,) = upstream.requests_to(ESEARCH)
    assert fields(search)["term"] == f"{BOETTIGER_ORCID}[auid]"
    assert fields(search)["mindate"] == "2015/01/11"  # the first run looks back 30 days
    assert await links(db) == {(carl, PREPRINT, "orcid")}
    assert len(await alerts(db)) == 1

    clock.set(datetime(2016, 9, 28, 6, 0, tzinfo=UTC))
    route(upstream, [JOURNAL])
    assert (await feed.run_cycle()).errors == []

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
    db: Database, feed: PollingService, upstream: FakeUpstream, clock: ManualClock
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

    summary = await feed.run_cycle()

    assert await links(db) == {(melbourne, JOURNAL, "pubmed-name")}
    assert summary.homonyms_rejected == 2 and summary.papers_seen == 1
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
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    """PubMed and the OpenAlex works feed in one cycle, as the runtime polls them."""
    await follow_author(
        db,
        "Carl Boettiger",
        created_at=FOLLOWED_AT,
        orcid=BOETTIGER_ORCID,
        openalex_id="A5000000001",
    )
    route(upstream, [PREPRINT])
    upstream.add_fault(ESEARCH, Fault.http_status(503))
    services = services_for(db, sources, clock)
    both = poller(
        db,
        sources,
        clock,
        feeds=[feed_of(services, PubMedFeed), feed_of(services, OpenAlexWorksFeed)],
    )

    summary = await both.run_cycle()

    assert summary.feeds_polled == [JOB_KEY, WORKS_KEY]
    assert [e.split(":")[0] for e in summary.errors] == [JOB_KEY]  # the works feed is fine
    asked = len(upstream.requests_to(ESEARCH))
    async with db.reader() as session:
        health = await SourceHealthRepository(session).get("pubmed")
        states = FeedStateRepository(session)
        pubmed_state, works_state = await states.get(JOB_KEY), await states.get(WORKS_KEY)
        assert await session.scalar(select(Paper.id)) is None
    assert health is not None and health.consecutive_failures >= 1
    assert pubmed_state is None  # not marked done: the next cycle asks again
    assert works_state is not None and works_state.last_success_at == summary.started_at

    clock.advance(timedelta(seconds=1))
    cooling = await both.run_cycle()  # cooling down: PubMed is not asked again yet
    assert "pubmed backing off until" in cooling.errors[0]
    assert len(upstream.requests_to(ESEARCH)) == asked

    upstream.clear_faults()
    clock.advance(timedelta(hours=2))  # past the back-off
    assert (await both.run_cycle()).feeds_polled == [JOB_KEY]  # works: not due for a day
    assert len(await alerts(db)) == 1


async def test_without_pubmed_configured_nothing_is_asked(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await follow_author(db, "Carl Boettiger", created_at=FOLLOWED_AT, orcid=BOETTIGER_ORCID)
    summary = await pubmed_poll(db, sources, clock, pubmed_api_url="").run_cycle()
    assert summary.feeds_polled == [] and upstream.requests_to("/entrez") == []
