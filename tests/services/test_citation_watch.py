"""The citations job (`CitationWatch`) against the fake upstream and a real database.

Heather Piwowar (OpenAlex A5048491430) has one tracked arXiv paper, 2306.05678, stored
without its OpenAlex id. A member follows her citations instantly, a channel weekly. The job
first asks OpenAlex for that paper's id (W4380000001, synthetic), then for the works citing it:
`synthetic_works_filter-cites_two-citing.json` holds two, one by her (a self-citation).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import BadInput
from bot.services.author_fetch import paper_record
from bot.services.candidates import Candidate
from bot.services.citation_watch import JOB_KEY, CitationWatch
from bot.sources.factory import Sources
from bot.sources.models import Paper, PaperAuthor
from db.database import Database
from db.models import CitationLink, OutboxEntry
from db.models import Paper as StoredPaper
from db.repositories.citation_follows import CitationFollowRepository
from db.repositories.feeds import FeedStateRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.services import services_for
from tests.services.conftest import follow_author

FOLLOWED_AT = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 9, 10, 6, 0, tzinfo=UTC)
TWO_CITING = "openalex/synthetic_works_filter-cites_two-citing.json"
EMPTY = "openalex/works_filter-cites_empty.json"
ID_OF_2306 = "openalex/synthetic_works_filter-doi-arxiv-2306.05678.json"
CITES = re.compile(r"^cites:W4380000001,from_created_date:\d{4}-\d{2}-\d{2}$")
# The cursor too: more specific than the manifest's route for the recorded request.
CITING_QUERY = {"filter": CITES, "cursor": re.compile("")}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def watch(db: Database, sources: Sources, clock: ManualClock) -> CitationWatch:
    return services_for(db, sources, clock).citations


async def her_with_a_paper(db: Database) -> int:
    """Heather, her arXiv paper 2306.05678 linked to her, her citations followed instantly
    by user 111 and weekly by channel 222 (she is not followed for her papers)."""
    heather = await follow_author(
        db, "Heather Piwowar", created_at=FOLLOWED_AT, openalex_id="A5048491430", destinations=()
    )
    paper = Paper(
        arxiv_id="2306.05678",
        version=1,
        title="Who cites data? Reuse of shared research datasets",
        abstract="",
        authors=(PaperAuthor("Heather Piwowar"),),
        primary_category="cs.DL",
        categories=("cs.DL",),
        published=datetime(2023, 6, 9, tzinfo=UTC),
        updated=None,
    )
    async with db.transaction() as session:
        papers = PaperRepository(session)
        record = paper_record(paper)
        assert record is not None
        ids = (await papers.upsert_many([record], now=FOLLOWED_AT)).ids
        await papers.link_authors([(heather, ids[record.key], "name")], now=FOLLOWED_AT)
        follows = CitationFollowRepository(session)
        await follows.add(
            author_id=heather, scope="user", user_id=111, notify="instant", now=FOLLOWED_AT
        )
        await follows.add(
            author_id=heather, scope="channel", user_id=5, channel_id=222, now=FOLLOWED_AT
        )
    return heather


def route(upstream: FakeUpstream, citing: str = TWO_CITING) -> None:
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=ID_OF_2306,
        content_type="application/json",
        query={"filter": "doi:10.48550/arxiv.2306.05678"},
    )
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=citing,
        content_type="application/json",
        query=CITING_QUERY,
    )


async def stored_links(db: Database) -> list[tuple[str, bool]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(StoredPaper.title, CitationLink.self_citation)
            .join(StoredPaper, StoredPaper.id == CitationLink.citing_paper_id)
            .order_by(StoredPaper.title)
        )
        return [(title, own) for title, own in rows]


async def outbox(db: Database) -> list[tuple[str, str, dict]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(OutboxEntry.kind, OutboxEntry.dedupe_key, OutboxEntry.payload)
        )
        return sorted((k, d, p) for k, d, p in rows)


async def test_two_citing_works_one_self_citation_one_alert(
    db: Database, watch: CitationWatch, upstream: FakeUpstream
) -> None:
    await her_with_a_paper(db)
    route(upstream)

    report = await watch.run()

    assert report.errors == []
    assert (report.authors, report.papers_watched, report.resolved) == (1, 1, 1)
    assert (report.works, report.new_works, report.self_citations, report.alerts) == (2, 2, 1, 1)
    assert report.requests == 2  # the id of her paper, then one page of citing works
    assert await stored_links(db) == [
        ("Dataset reuse across the life sciences: a citation study", False),
        ("Open data citations revisited", True),
    ]
    [(kind, key, payload)] = await outbox(db)
    async with db.reader() as session:
        citing = await session.scalar(
            select(StoredPaper.id).where(StoredPaper.openalex_id == "W4390000001")
        )
        cited = await session.scalar(
            select(StoredPaper.id).where(StoredPaper.arxiv_id == "2306.05678")
        )
        cited_openalex = await session.scalar(
            select(StoredPaper.openalex_id).where(StoredPaper.id == cited)
        )
    assert (kind, key) == ("citation", f"citation:user:111:{citing}")
    assert payload["cited_paper_ids"] == [cited]
    assert cited_openalex == "W4380000001"  # kept: tomorrow's run asks nothing for it
    # The filter asked: the cited id and the window (first run: a week back).
    [ask] = [r for r in upstream.requests if "cites:" in r.query.get("filter", "")]
    assert ask.query["filter"] == "cites:W4380000001,from_created_date:2024-09-03"
    assert "referenced_works" in ask.query["select"]


async def test_a_second_run_finds_nothing_new_and_sends_nothing_twice(
    db: Database, watch: CitationWatch, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await her_with_a_paper(db)
    route(upstream)
    await watch.run()
    clock.advance(timedelta(days=1))

    again = await watch.run()

    assert (again.works, again.new_works, again.alerts, again.resolved) == (2, 0, 0, 0)
    assert again.requests == 1  # the id is known now
    assert len(await outbox(db)) == 1
    # The window: yesterday's success minus the lag (OpenAlex indexes days late).
    asks = [r for r in upstream.requests if "cites:" in r.query.get("filter", "")]
    assert asks[-1].query["filter"].endswith("from_created_date:2024-09-03")


async def test_a_follow_that_keeps_self_citations_gets_both(
    db: Database, watch: CitationWatch, upstream: FakeUpstream
) -> None:
    heather = await her_with_a_paper(db)
    async with db.transaction() as session:
        await CitationFollowRepository(session).add(
            author_id=heather,
            scope="user",
            user_id=111,
            notify="instant",
            include_self=True,
            now=FOLLOWED_AT,
        )
    route(upstream)

    report = await watch.run()

    assert report.alerts == 2
    keys = [key for _, key, _ in await outbox(db)]
    assert all(key.startswith("citation:user:111:") for key in keys) and len(keys) == 2


async def test_the_empty_answer_stores_nothing_and_moves_the_watermark(
    db: Database, watch: CitationWatch, upstream: FakeUpstream
) -> None:
    await her_with_a_paper(db)
    route(upstream, citing=EMPTY)

    report = await watch.run()

    assert report.succeeded and (report.works, report.alerts) == (0, 0)
    assert await stored_links(db) == []
    async with db.reader() as session:
        state = await FeedStateRepository(session).get(JOB_KEY)
    assert state is not None and state.last_success_at == NOW
    assert state.next_poll_at == NOW + timedelta(days=1)
    assert (await watch.run_if_due()).not_due


async def test_an_outage_keeps_the_watermark_and_retries_within_the_hour(
    db: Database, watch: CitationWatch, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await her_with_a_paper(db)
    route(upstream)
    upstream.add_route(
        "GET",
        "/openalex/works",
        body=b"down",
        status=503,
        content_type="text/plain",
        query=CITING_QUERY,
    )

    report = await watch.run()

    assert not report.succeeded and report.errors
    assert report.resolved == 1  # what worked before the failure is kept
    async with db.reader() as session:
        state = await FeedStateRepository(session).get(JOB_KEY)
    assert state is not None and state.last_success_at is None
    assert state.next_poll_at is not None and state.next_poll_at <= clock.now() + timedelta(hours=1)
    assert await outbox(db) == []

    # Recovery: the next due run finds both works, the window still a week back.
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=TWO_CITING,
        content_type="application/json",
        query=CITING_QUERY,
    )
    clock.advance(timedelta(hours=1))
    recovered = await watch.run_if_due()
    assert (recovered.new_works, recovered.alerts) == (2, 1)


async def test_an_author_with_many_papers_is_watched_most_cited_first(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    heather = await her_with_a_paper(db)
    async with db.transaction() as session:
        papers = PaperRepository(session)
        for n in range(1, 4):
            record = await _work_record(n)
            ids = (await papers.upsert_many([record], now=FOLLOWED_AT)).ids
            await papers.link_authors([(heather, ids[record.key], "openalex")], now=FOLLOWED_AT)
            await papers.update_citations({ids[record.key]: n * 10}, as_of=FOLLOWED_AT)
    watch = services_for(db, sources, clock, citation_papers_per_author=2).citations
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=EMPTY,
        content_type="application/json",
        query={"filter": re.compile("^cites:")},
    )

    report = await watch.run()

    assert (report.papers_watched, report.capped_authors) == (2, 1)
    [ask] = [r for r in upstream.requests if "cites:" in r.query.get("filter", "")]
    assert ask.query["filter"].startswith("cites:W4300000002|W4300000003,")


async def _work_record(n: int) -> PaperRecord:
    record = paper_record(
        Paper(
            arxiv_id=None,
            version=None,
            title=f"Journal article {n}",
            abstract="",
            authors=(PaperAuthor("Heather Piwowar"),),
            primary_category=None,
            categories=(),
            published=datetime(2020 + n, 1, 1, tzinfo=UTC),
            updated=None,
            doi=f"10.5555/synthetic.many.{n}",
            openalex_id=f"W430000000{n}",
        )
    )
    assert record is not None
    return record


async def test_without_openalex_nothing_is_followed_and_the_job_waits_a_day(
    db: Database, sources: Sources, clock: ManualClock
) -> None:
    await her_with_a_paper(db)
    services = services_for(db, sources, clock, openalex_api_url="")
    heather = Candidate(value="openalex:A5048491430", display_name="Heather Piwowar")

    with pytest.raises(BadInput, match="need OpenAlex"):
        await services.citation_follows.follow(
            heather, scope="me", user_id=444, guild_id=9, channel_id=None
        )
    report = await services.citations.run()

    assert report.errors == ["OpenAlex is not configured (OPENALEX_API_URL is empty)"]
    async with db.reader() as session:
        state = await FeedStateRepository(session).get(JOB_KEY)
        follows = await CitationFollowRepository(session).list_for_target("user", 444)
    assert state is not None and state.next_poll_at == NOW + timedelta(days=1)
    assert follows == []
