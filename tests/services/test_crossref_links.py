"""The Crossref links feed against the fake upstream and a real database (SQLite, PostgreSQL).

Carl Boettiger is followed (instantly) since 26 Jan 2015. His bioRxiv preprint 10.1101/014852
was stored on 4 Feb 2015 (as the OpenAlex works feed or PubMed would store it: a DOI, no venue)
and alerted once; so was his other preprint 10.1101/055319. In September 2016 Crossref says
(`crossref/synthetic_work_10.1101-014852_is-preprint-of.json`: the real record with the link
added) that the first is the preprint of 10.1002/ece3.2314, whose record
(`crossref/works_query-ecology_query.author-carl-boettiger_trimmed.json`, real) names Ecology
and Evolution. The second has no link. The answers to the DOI filters are work lists built from
those records, in the shape `CrossrefSource.works` reads.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.crossref_links import JOB_KEY, CrossrefLinksFeed
from bot.services.cutoff_fence import CutoffFence
from bot.services.openalex_works import IdentityMatch
from bot.services.paper_store import store_fenced
from bot.services.polling import PollingService
from bot.sources.factory import Sources
from bot.sources.models import Paper as SourcePaper
from db.database import Database
from db.models import AuthorPaper, OutboxEntry, Paper
from db.repositories.feeds import FeedStateRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.services import feed_poller
from tests.services.conftest import follow_author

PREPRINT, OTHER_PREPRINT, JOURNAL = "10.1101/014852", "10.1101/055319", "10.1002/ece3.2314"
FOLLOWED_AT = datetime(2015, 1, 26, 9, 0, tzinfo=UTC)
PREPRINT_DAY = datetime(2015, 2, 4, tzinfo=UTC)
LATER = datetime(2016, 9, 28, 6, 0, tzinfo=UTC)
LINKED = "crossref/synthetic_work_10.1101-014852_is-preprint-of.json"
LISTED = "crossref/works_query-ecology_query.author-carl-boettiger_trimmed.json"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(LATER)


def links_poll(
    db: Database, sources: Sources, clock: ManualClock, **settings: str
) -> PollingService:
    """The poll cycle reading only this feed, as the runtime wires it (daily)."""
    return feed_poller(db, sources, clock, CrossrefLinksFeed, **settings)


def work_list(items: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {
            "status": "ok",
            "message-type": "work-list",
            "message": {"items": items, "total-results": len(items), "items-per-page": 20},
        }
    ).encode()


def route_crossref(upstream: FakeUpstream) -> None:
    """The preprints' records (the filter naming bioRxiv DOIs) and the publication's."""
    linked = json.loads(upstream.fixture_bytes(LINKED))["message"]
    listed = json.loads(upstream.fixture_bytes(LISTED))["message"]["items"]
    other = next(item for item in listed if item["DOI"] == OTHER_PREPRINT)
    journal = next(item for item in listed if item["DOI"] == JOURNAL)
    for items, prefix in (([linked, other], "10.1101/"), ([journal], JOURNAL)):
        upstream.add_route(
            "GET",
            "/crossref/works",
            body=work_list(items),
            content_type="application/json",
            query={"filter": re.compile(f"doi:{re.escape(prefix)}")},
        )


def preprint(doi: str, title: str) -> SourcePaper:
    return SourcePaper(
        arxiv_id=None,
        version=None,
        title=title,
        abstract="",
        authors=(),
        primary_category=None,
        categories=(),
        published=PREPRINT_DAY,
        updated=PREPRINT_DAY,
        doi=doi,
        source="openalex",
    )


async def seed(db: Database, clock: ManualClock) -> int:
    """Carl followed, his two preprints stored and linked to him (one alert each)."""
    carl = await follow_author(db, "Carl Boettiger", created_at=FOLLOWED_AT)
    await store_fenced(
        db,
        CutoffFence(clock),
        [
            IdentityMatch(
                preprint(PREPRINT, "Early warning signals: the charted and uncharted territories"),
                carl,
            ),
            IdentityMatch(preprint(OTHER_PREPRINT, "Another preprint of his"), carl),
        ],
    )
    return carl


async def papers(db: Database) -> list[Paper]:
    async with db.reader() as session:
        return list((await session.execute(select(Paper).order_by(Paper.id))).scalars())


async def alerts(db: Database) -> list[str]:
    async with db.reader() as session:
        return list(await session.scalars(select(OutboxEntry.dedupe_key)))


async def test_a_preprint_learns_its_publication_once_without_a_second_alert(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    carl = await seed(db, clock)
    before = await alerts(db)
    route_crossref(upstream)
    poll = links_poll(db, sources, clock)

    summary = await poll.run_cycle()

    assert summary.feeds_polled == [JOB_KEY] and summary.errors == []
    assert summary.requests == {"crossref": 2}  # the two preprints, then the publication
    first, other = await papers(db)
    assert (first.doi, first.venue, first.url) == (
        JOURNAL,
        "Ecology and Evolution",
        f"https://doi.org/{JOURNAL}",
    )
    assert first.published == PREPRINT_DAY  # the preprint's day: never newer than announced
    assert first.venue_seen_at is not None  # "now published" in the next digest
    assert (other.doi, other.venue, other.venue_seen_at) == (OTHER_PREPRINT, None, None)
    assert await alerts(db) == before and len(before) == 2  # one work: no second alert
    async with db.reader() as session:
        links = set(await session.execute(select(AuthorPaper.author_id, AuthorPaper.paper_id)))
    assert links == {(carl, first.id), (carl, other.id)}
    filters = [r.query["filter"] for r in upstream.requests_to("/crossref/works")]
    # Newest first (the same day here: the later stored first).
    assert filters == [f"doi:{OTHER_PREPRINT},doi:{PREPRINT}", f"doi:{JOURNAL}"]

    clock.advance(timedelta(days=1))  # due again: only the unlinked preprint is asked about
    again = await poll.run_cycle()

    assert again.errors == [] and again.requests == {"crossref": 1}
    assert upstream.requests_to("/crossref/works")[-1].query["filter"] == f"doi:{OTHER_PREPRINT}"
    assert [p.doi for p in await papers(db)] == [JOURNAL, OTHER_PREPRINT]


async def test_crossref_down_changes_nothing_and_stays_due(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await seed(db, clock)
    route_crossref(upstream)
    upstream.add_fault("/crossref/works", Fault.http_status(503))

    summary = await links_poll(db, sources, clock).run_cycle()

    assert summary.errors and summary.errors[0].startswith(f"{JOB_KEY}: crossref: ")
    assert [(p.doi, p.venue) for p in await papers(db)] == [
        (PREPRINT, None),
        (OTHER_PREPRINT, None),
    ]
    async with db.reader() as session:
        assert await FeedStateRepository(session).get(JOB_KEY) is None  # asked again later


async def test_without_crossref_configured_nothing_is_asked(
    db: Database, sources: Sources, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await seed(db, clock)
    summary = await links_poll(db, sources, clock, crossref_api_url="").run_cycle()
    assert summary.feeds_polled == [] and upstream.requests_to("/crossref") == []
