"""The paths the suite drives through every fault, and what each must leave in the database.

A path seeds the database and the fake upstream's healthy routes, runs once (`run`, returning
what an operator reads about failures: one line per failed source call), and reads back its
rows (`snapshot`, with timestamps turned into "written by the run since `since`"). Expected
snapshots: `before` (a failed run changes nothing), `healthy` (a good run, and the recovery
run after any fault) and `sanitised` (per harmless-but-wrong mode: what is left unknown).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.arxiv_feeds import API_FEED_KEY, rss_feed_key
from bot.services.metrics_refresh import MetricsRefresher
from bot.services.openalex_works import JOB_KEY as WORKS_KEY
from bot.services.openalex_works import OpenAlexWorksFeed
from bot.services.polling import RELEASED_KEY
from bot.services.pubmed_feed import JOB_KEY as PUBMED_KEY
from bot.services.pubmed_feed import PubMedFeed
from bot.sources.factory import Sources
from db.database import Database
from db.models import Author, FeedState, OutboxEntry, Paper
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from tests.faults.modes import JSON, XML
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import feed_poller, poller, services_for
from tests.services.conftest import follow_author
from tests.services.test_polling_cycle import (
    ANNOUNCED,
    DEL_MAESTRO,
    PAGE1,
    PAGE2,
    RSS_PATH,
    follow_del_maestro,
)
from tests.sources.citation_upstream import route_openalex_citations, route_s2_paper_batch
from tests.sources.pubmed_upstream import EFETCH, ESEARCH, esearch_body

Snapshot = dict[str, Any]
REFRESH_LOGGER = "bot.services.metrics_refresh"


@dataclass(frozen=True)
class FaultPath:
    name: str
    start: datetime  # the clock's start: after every date in the path's data
    body_format: str  # XML or JSON: which body faults apply
    sources: tuple[str, ...]  # every source it may call (each failure: one line, one row)
    healthy_sources: tuple[str, ...]  # those a healthy run calls
    recover_after: timedelta  # when its next run comes, past any back-off it may be in
    seed: Callable[[Database, FakeUpstream, datetime], Awaitable[None]]
    run: Callable[[Database, Sources, ManualClock, pytest.LogCaptureFixture], Awaitable[list[str]]]
    snapshot: Callable[[Database, datetime], Awaitable[Snapshot]]
    before: Snapshot
    healthy: Snapshot
    sanitised: dict[str, Snapshot] = field(default_factory=dict)
    fault_on: str | None = None  # the one upstream path the fault hits (None: every request)


def refresh_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The metrics job's lines about failed batches (what the operator reads in the log)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == REFRESH_LOGGER and r.levelno == logging.WARNING
    ]


# --- the poll (PollingService.run_cycle) -----------------------------------------------------

POLL_START = datetime(2024, 11, 28, 6, 0, tzinfo=UTC)  # the day of the recorded listing
RSS_KEY = rss_feed_key(RSS_PATH.removeprefix("/rss/").split("+"))
# His 11 papers on the two recorded pages (the 12th is a cs.CL homonym's); those published
# before he was followed are stored but not announced.
NOT_ANNOUNCED = (
    *("1303.6954", "1310.8332", "1312.6177", "1404.7104"),
    *("cond-mat/0308092", "cond-mat/0607501"),
)
HIS_PAPERS = sorted([*ANNOUNCED, *NOT_ANNOUNCED])


def one_page_of_del_maestro(upstream: FakeUpstream) -> bytes:
    """Both recorded pages of his author query as the one page arXiv gives for 200 results
    (derived in code: page 1's feed, page 2's entries appended; totalResults is 12 already)."""
    first, second = upstream.fixture_bytes(PAGE1), upstream.fixture_bytes(PAGE2)
    more = b"\n".join(re.findall(rb"<entry>.*?</entry>", second, re.S))
    return first.replace(b"</feed>", more + b"\n</feed>")


async def seed_poll(db: Database, upstream: FakeUpstream, now: datetime) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        body=one_page_of_del_maestro(upstream),
        query={"search_query": DEL_MAESTRO, "start": "0"},
    )
    upstream.add_route(
        "GET",
        RSS_PATH,
        fixture="arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml",
        content_type="application/rss+xml; charset=utf-8",
        conditional=True,
    )
    await follow_del_maestro(db)


async def run_poll(
    db: Database, sources: Sources, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> list[str]:
    summary = await poller(db, sources, clock).run_cycle()
    return summary.errors


async def poll_snapshot(db: Database, since: datetime) -> Snapshot:
    async with db.reader() as session:
        papers = (await session.execute(select(Paper.arxiv_id))).scalars()
        alerts = (await session.execute(select(OutboxEntry.id))).scalars()
        feeds = (await session.execute(select(FeedState))).scalars()
        return {
            "papers": sorted(papers),
            "alerts": len(list(alerts)),
            "feeds polled": sorted(
                f.key for f in feeds if f.last_success_at and f.key != RELEASED_KEY
            ),
        }


POLL = FaultPath(
    name="poll",
    start=POLL_START,
    body_format=XML,
    sources=("arxiv_api", "arxiv_rss"),
    healthy_sources=("arxiv_api", "arxiv_rss"),
    recover_after=timedelta(hours=2),  # past the longest back-off (an hour) and the interval
    seed=seed_poll,
    run=run_poll,
    snapshot=poll_snapshot,
    before={"papers": [], "alerts": 0, "feeds polled": []},
    healthy={
        "papers": HIS_PAPERS,
        "alerts": 2 * len(ANNOUNCED),  # his DM follower and his channel
        "feeds polled": sorted([API_FEED_KEY, RSS_KEY]),
    },
    sanitised={
        # Versions and the page total unknown: every paper still stored, as version 1.
        "out-of-range-numbers": {
            "papers": HIS_PAPERS,
            "alerts": 2 * len(ANNOUNCED),
            "feeds polled": sorted([API_FEED_KEY, RSS_KEY]),
        },
        # No entry with a plausible date: none stored; the feeds did answer (and the next
        # poll's window reaches back 4 days before this one, so the papers come then).
        "absurd-dates": {
            "papers": [],
            "alerts": 0,
            "feeds polled": sorted([API_FEED_KEY, RSS_KEY]),
        },
    },
)


# --- the metrics refresh (MetricsRefresher.refresh) -------------------------------------------

METRICS_START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # after the records' updated_date
PIWOWAR = "A5048491430"
PIWOWAR_RECORDS = "openalex/synthetic_authors_filter-openalex_2ids.json"


async def seed_metrics(db: Database, upstream: FakeUpstream, now: datetime) -> None:
    body = json.loads(upstream.fixture_bytes(PIWOWAR_RECORDS))
    body["results"] = [r for r in body["results"] if r["id"].endswith(PIWOWAR)]
    upstream.add_route(
        "GET",
        "/openalex/authors",
        body=json.dumps(body).encode(),
        content_type="application/json",
        query={"filter": f"openalex:{PIWOWAR}"},
    )
    author_id = await follow_author(
        db, "Heather Piwowar", created_at=now - timedelta(days=9), openalex_id=PIWOWAR
    )
    async with db.transaction() as session:  # yesterday's figures (made up, told apart)
        await AuthorRepository(session).update_metrics(
            author_id,
            h_index=1,
            citations=2,
            works_count=3,
            counts_by_year=[],
            source="openalex",
            as_of=now - timedelta(days=1),
        )


async def run_metrics(
    db: Database, sources: Sources, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> list[str]:
    async with db.reader() as session:
        followed = await FollowRepository(session).followed_authors()
    refresher = MetricsRefresher(db, clock, openalex=sources.openalex, semantic_scholar=None)
    await refresher.refresh(followed)
    return refresh_warnings(caplog)


async def metrics_snapshot(db: Database, since: datetime) -> Snapshot:
    async with db.reader() as session:
        (author,) = (await session.execute(select(Author))).scalars()
        return {
            "figures": (author.h_index, author.citations, author.works_count),
            "years": len(author.counts_by_year),
            "refreshed": author.metrics_as_of is not None and author.metrics_as_of >= since,
        }


METRICS = FaultPath(
    name="metrics",
    start=METRICS_START,
    body_format=JSON,
    sources=("openalex",),
    healthy_sources=("openalex",),
    recover_after=timedelta(hours=2),
    seed=seed_metrics,
    run=run_metrics,
    snapshot=metrics_snapshot,
    before={"figures": (1, 2, 3), "years": 0, "refreshed": False},
    healthy={"figures": (23, 4975, 96), "years": 14, "refreshed": True},
    sanitised={
        # Fetched, and every figure unknown: stored as unknown (never as sent, never as 0).
        "out-of-range-numbers": {"figures": (None, None, None), "years": 0, "refreshed": True},
        "wrong-json-types": {"figures": (None, None, None), "years": 0, "refreshed": True},
        # Only `updated_date` is a date here, and the cache is dated by our own clock.
        "absurd-dates": {"figures": (23, 4975, 96), "years": 14, "refreshed": True},
    },
)


# --- the citation reading (MetricsRefresher.refresh_paper_citations) -------------------------

COUNTS = {"2405.00001": 12, "2405.00002": 34}


async def seed_citations(db: Database, upstream: FakeUpstream, now: datetime) -> None:
    route_openalex_citations(upstream, COUNTS)
    route_s2_paper_batch(upstream, COUNTS)
    author_id = await follow_author(db, "Ada Lovelace", created_at=now - timedelta(days=40))
    records = [
        PaperRecord(
            arxiv_id=arxiv_id,
            title=f"Paper {arxiv_id}",  # built in code
            published=now - timedelta(days=30),
            updated=now - timedelta(days=30),
            primary_category="cs.LG",
        )
        for arxiv_id in COUNTS
    ]
    async with db.transaction() as session:
        papers = PaperRepository(session)
        ids = (await papers.upsert_many(records, now=now)).ids
        await papers.link_authors([(author_id, i, "name") for i in ids.values()], now=now)


async def run_citations(
    db: Database, sources: Sources, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> list[str]:
    refresher = MetricsRefresher(
        db, clock, openalex=sources.openalex, semantic_scholar=sources.semantic_scholar
    )
    await refresher.refresh_paper_citations()
    return refresh_warnings(caplog)


async def citations_snapshot(db: Database, since: datetime) -> Snapshot:
    async with db.reader() as session:
        papers = (await session.execute(select(Paper))).scalars()
        return {
            p.arxiv_id: (p.citations, p.citations_as_of is not None and p.citations_as_of >= since)
            for p in papers
        }


CITATIONS = FaultPath(
    name="citations",
    start=METRICS_START,
    body_format=JSON,
    sources=("openalex", "semantic_scholar"),  # Semantic Scholar when OpenAlex failed
    healthy_sources=("openalex",),
    # A count read as unknown is asked again a week later (PAPER_MAX_AGE): the next run that
    # asks is then, whatever the fault was.
    recover_after=timedelta(days=8),
    seed=seed_citations,
    run=run_citations,
    snapshot=citations_snapshot,
    before={arxiv_id: (None, False) for arxiv_id in COUNTS},
    healthy={arxiv_id: (count, True) for arxiv_id, count in COUNTS.items()},
    sanitised={
        # Asked and answered with nonsense: unknown, dated (so it waits its turn again).
        "out-of-range-numbers": {arxiv_id: (None, True) for arxiv_id in COUNTS},
        "wrong-json-types": {arxiv_id: (None, True) for arxiv_id in COUNTS},
        "absurd-dates": {arxiv_id: (count, True) for arxiv_id, count in COUNTS.items()},
    },
)


# --- the first author lookup (ProfileService.profile, as `paperscout author` runs it) -------

LOOKUP_START = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
HER_PAPERS = ["2111.02222", "2204.11111", "2306.05678", "2409.01234"]  # not the namesake's
PAPERS_LOGGER = "bot.services.paper_history"


async def seed_lookup(db: Database, upstream: FakeUpstream, now: datetime) -> None:
    """OpenAlex answers (her record: the manifest; her arXiv works by id); arXiv is the
    source under fault: her name search is in the manifest."""
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture="openalex/synthetic_works_filter-author-A5048491430_created-since.json",
        content_type="application/json",
        query={"filter": re.compile(rf"{PIWOWAR},.*indexed_in:arxiv")},
    )


async def run_lookup(
    db: Database, sources: Sources, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> list[str]:
    service = services_for(db, sources, clock, semantic_scholar_api_url="").profile
    await service.profile("Heather Piwowar", paper_limit=None)
    return [  # the failed calls (an unreadable page is a warning of its own, not a failure)
        r.getMessage()
        for r in caplog.records
        if r.name == PAPERS_LOGGER
        and r.levelno == logging.WARNING
        and " failed: " in r.getMessage()
    ]


async def lookup_snapshot(db: Database, since: datetime) -> Snapshot:
    async with db.reader() as session:
        authors = list((await session.execute(select(Author))).scalars())
        papers = (await session.execute(select(Paper.arxiv_id))).scalars()
        return {
            "papers": sorted(papers),
            "complete": any(a.papers_fetched_at is not None for a in authors),
        }


LOOKUP = FaultPath(
    name="first-lookup",
    start=LOOKUP_START,
    body_format=XML,
    sources=("arxiv_api",),
    healthy_sources=("openalex", "arxiv_api"),
    # The next view comes past the resolver's minute of not asking a source that just failed
    # and past the longest back-off (an hour).
    recover_after=timedelta(hours=2),
    seed=seed_lookup,
    run=run_lookup,
    snapshot=lookup_snapshot,
    # A failed fetch stores her (OpenAlex answered) with no paper, marked incomplete.
    before={"papers": [], "complete": False},
    healthy={"papers": HER_PAPERS, "complete": True},
    sanitised={
        # Versions and the page total unknown: every paper still there.
        "out-of-range-numbers": {"papers": HER_PAPERS, "complete": True},
        # No entry readable: nothing stored, and not taken for her whole list.
        "absurd-dates": {"papers": [], "complete": False},
    },
    fault_on="/api/query",
)


# --- the OpenAlex works feed (a daily feed of the poll) ---------------------------------------

WORKS_START = datetime(2024, 9, 10, 6, 0, tzinfo=UTC)  # after the works' created dates
HER_WORKS = "openalex/synthetic_works_filter-author-A5048491430_created-since.json"
HER_RECORDS = "arxiv_api/synthetic_idlist_2408.04444_2409.05555.atom.xml"
JOURNAL_DOI = "10.5555/synthetic.2024.0907"
# 2408.04444 and 2409.05555 (by their arXiv records), her journal article (by OpenAlex alone);
# 2409.01234 has no record in this id_list answer, so it is not linked.
HER_WORKS_STORED = ["2408.04444", "2409.05555", f"doi:{JOURNAL_DOI}"]


async def seed_works(db: Database, upstream: FakeUpstream, now: datetime) -> None:
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=HER_WORKS,
        content_type="application/json",
        query={"filter": re.compile(rf"^authorships\.author\.id:{PIWOWAR},from_created_date:")},
    )
    upstream.add_route("GET", "/api/query", fixture=HER_RECORDS, query={"id_list": re.compile("")})
    await follow_author(
        db, "Heather Piwowar", created_at=datetime(2024, 9, 1, tzinfo=UTC), openalex_id=PIWOWAR
    )


async def run_feed(
    db: Database, sources: Sources, clock: ManualClock, kind: type[Any], **settings: str
) -> list[str]:
    """One poll cycle reading only the runtime's feed of this class: its error lines."""
    return (await feed_poller(db, sources, clock, kind, **settings).run_cycle()).errors


async def run_works(
    db: Database, sources: Sources, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> list[str]:
    return await run_feed(db, sources, clock, OpenAlexWorksFeed)


async def feed_snapshot(db: Database, since: datetime, key: str) -> Snapshot:
    """Papers (arXiv id, else `doi:`, else `pmid:`), alerts, whether the feed succeeded."""
    async with db.reader() as session:
        rows = await session.execute(select(Paper.arxiv_id, Paper.doi, Paper.pmid))
        alerts = (await session.execute(select(OutboxEntry.id))).scalars()
        state = await session.get(FeedState, key)
        return {
            "papers": sorted(a or (f"doi:{d}" if d else f"pmid:{p}") for a, d, p in rows),
            "alerts": len(list(alerts)),
            "succeeded": state is not None and state.last_success_at is not None,
        }


async def works_snapshot(db: Database, since: datetime) -> Snapshot:
    return await feed_snapshot(db, since, WORKS_KEY)


WORKS = FaultPath(
    name="openalex-works",
    start=WORKS_START,
    body_format=JSON,
    sources=("openalex",),
    healthy_sources=("openalex", "arxiv_api"),
    # Past the longest back-off (an hour) and, after a sanitised run that succeeded, the day.
    recover_after=timedelta(days=1, hours=1),
    seed=seed_works,
    run=run_works,
    snapshot=works_snapshot,
    before={"papers": [], "alerts": 0, "succeeded": False},
    # 2409.05555 and the article came after the follow: one alert each.
    healthy={"papers": HER_WORKS_STORED, "alerts": 2, "succeeded": True},
    sanitised={
        # A work's year and citation count are not what the feed stores: all kept.
        "out-of-range-numbers": {"papers": HER_WORKS_STORED, "alerts": 2, "succeeded": True},
        "wrong-json-types": {"papers": HER_WORKS_STORED, "alerts": 2, "succeeded": True},
        # No plausible date for any work: the arXiv papers come with their arXiv records'
        # dates; the journal article waits for a readable one (the recovery run).
        "absurd-dates": {
            "papers": ["2408.04444", "2409.05555"],
            "alerts": 1,
            "succeeded": True,
        },
    },
    fault_on="/openalex/works",
)


# --- the PubMed feed (a daily feed of the poll) ------------------------------------------------

PUBMED_START = datetime(2015, 2, 10, 6, 0, tzinfo=UTC)  # the preprint entered PubMed on 9 Feb
PUBMED_RECORDS = "pubmed/synthetic_efetch_pubmed_99000001-99000003_orcid-pmc-preprint.xml"


async def seed_pubmed(db: Database, upstream: FakeUpstream, now: datetime) -> None:
    """Carl Boettiger by ORCID; the search finds his bioRxiv preprint (PMID 99000002)."""
    for method in ("GET", "POST"):
        upstream.add_route(
            method,
            ESEARCH,
            body=esearch_body(["99000002"]),
            content_type="text/xml",
            match=lambda r: True,
        )
        upstream.add_route(
            method, EFETCH, fixture=PUBMED_RECORDS, content_type="text/xml", match=lambda r: True
        )
    await follow_author(
        db,
        "Carl Boettiger",
        created_at=datetime(2015, 1, 26, tzinfo=UTC),
        orcid="0000-0002-1642-628X",
    )


async def run_pubmed(
    db: Database, sources: Sources, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> list[str]:
    return await run_feed(db, sources, clock, PubMedFeed)


async def pubmed_snapshot(db: Database, since: datetime) -> Snapshot:
    return await feed_snapshot(db, since, PUBMED_KEY)


PUBMED = FaultPath(
    name="pubmed",
    start=PUBMED_START,
    body_format=XML,
    sources=("pubmed",),
    healthy_sources=("pubmed",),
    recover_after=timedelta(days=1, hours=1),
    seed=seed_pubmed,
    run=run_pubmed,
    snapshot=pubmed_snapshot,
    before={"papers": [], "alerts": 0, "succeeded": False},
    healthy={"papers": ["doi:10.1101/014852"], "alerts": 1, "succeeded": True},
    # No sanitised mode: they rewrite Atom and JSON values, and leave E-utilities XML as it is.
    sanitised={},
    # The search: the first call, so a failure leaves no success behind (the fetch's own
    # faults are the source tests' business, tests/sources/).
    fault_on=ESEARCH,
)

PATHS = (POLL, METRICS, CITATIONS, LOOKUP, WORKS, PUBMED)
