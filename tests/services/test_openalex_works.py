"""The OpenAlex works feed against the fake upstream and a real database.

Heather Piwowar (OpenAlex A5048491430, usual categories cs.DL and cs.CY) is followed since
1 Sep 2024, instantly by a user and a channel, weekly by another user. Her two September arXiv
papers list her as "H. Piwowar" in physics.soc-ph and q-bio.PE with co-authors she has no
other paper with, so the name matcher drops them; OpenAlex files them under her id
(`openalex/synthetic_works_filter-author-A5048491430_created-since.json`, synthetic).
2408.04444 was published before the follow (stored, never announced); 2409.05555 after it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.openalex_works import JOB_KEY, OpenAlexWorksFeed
from bot.services.polling import PollingService
from bot.sources.factory import Sources
from db.database import Database
from db.models import AuthorPaper, OutboxEntry, Paper
from db.repositories.feeds import FeedStateRepository
from db.repositories.health import SourceHealthRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.services import feed_poller, poller
from tests.services.conftest import Dest, follow_author

FOLLOWED_AT = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 9, 10, 6, 0, tzinfo=UTC)
WORKS = "openalex/synthetic_works_filter-author-A5048491430_created-since.json"
RECORDS = "arxiv_api/synthetic_idlist_2408.04444_2409.05555.atom.xml"
HER_FEED = "arxiv_api/synthetic_query_au-Heather-Piwowar_max50.atom.xml"
EMPTY_WORKS = "openalex/works_filter-cites_empty.json"
JOURNAL_DOI = "10.5555/synthetic.2024.0907"
DESTINATIONS = ("channel:222", "user:111")
HER_WORKS = re.compile(r"^authorships\.author\.id:A5048491430,from_created_date:")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


def works_poll(
    db: Database, sources: Sources, clock: ManualClock, **settings: str
) -> PollingService:
    """The poll cycle reading only this feed, as the runtime wires it (daily)."""
    return feed_poller(db, sources, clock, OpenAlexWorksFeed, **settings)


@pytest.fixture
def backstop(db: Database, sources: Sources, clock: ManualClock) -> PollingService:
    return works_poll(db, sources, clock)


def route_her(upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=WORKS,
        content_type="application/json",
        query={"filter": HER_WORKS},
    )
    upstream.add_route("GET", "/api/query", fixture=RECORDS, query={"id_list": re.compile("")})


async def follow_her(db: Database) -> int:
    return await follow_author(
        db,
        "Heather Piwowar",
        created_at=FOLLOWED_AT,
        categories=["cs.CY", "cs.DL"],
        openalex_id="A5048491430",
        destinations=(
            Dest("user", 111),
            Dest("channel", 222),
            Dest("user", 333, notify="weekly"),
        ),
    )


async def stored(db: Database) -> tuple[dict[str, int], list[tuple[int, int, str]], list[str]]:
    """Papers (arXiv id, else `doi:` DOI -> id), links (author, paper, matched_by) and outbox
    dedupe keys."""
    async with db.reader() as session:
        rows = await session.execute(select(Paper.arxiv_id, Paper.doi, Paper.id))
        papers = {arxiv_id or f"doi:{doi}": i for arxiv_id, doi, i in rows}
        links = [
            (a, p, m)
            for a, p, m in await session.execute(
                select(AuthorPaper.author_id, AuthorPaper.paper_id, AuthorPaper.matched_by)
            )
        ]
        keys = list(await session.scalars(select(OutboxEntry.dedupe_key)))
    return papers, sorted(links), sorted(keys)


def name_search_with_the_missed_papers(upstream: FakeUpstream) -> bytes:
    """Her `au:` result plus the two "H. Piwowar" records: the poll sees them and drops them."""
    feed = upstream.fixture_bytes(HER_FEED)
    records = upstream.fixture_bytes(RECORDS)
    entries = records[records.index(b"<entry>") : records.rindex(b"</entry>") + len(b"</entry>")]
    return feed.replace(b"</feed>", entries + b"\n</feed>")


async def test_the_backstop_finds_what_the_name_poll_missed_once(
    db: Database,
    sources: Sources,
    backstop: PollingService,
    upstream: FakeUpstream,
    clock: ManualClock,
) -> None:
    heather = await follow_her(db)
    upstream.add_route(
        "GET",
        "/api/query",
        body=name_search_with_the_missed_papers(upstream),
        query={"search_query": re.compile("au:")},
    )
    upstream.add_route(
        "GET",
        "/rss/cs.CY+cs.DL",
        fixture="arxiv_rss/rss_test_empty-weekend-style.xml",
        content_type="application/rss+xml; charset=utf-8",
    )
    poll = await poller(db, sources, clock).run_cycle()
    polled, _, poll_keys = await stored(db)
    assert "2409.01234" in polled and not {"2408.04444", "2409.05555"} & set(polled)
    assert poll.errors == [] and len(poll_keys) == 2  # 2409.01234 to both instant places
    route_her(upstream)

    assert (await backstop.run_cycle()).errors == []

    papers, links, keys = await stored(db)
    journal = papers[f"doi:{JOURNAL_DOI}"]  # not on arXiv: only OpenAlex knows it
    found = {papers["2408.04444"], papers["2409.05555"], journal}
    assert [link for link in links if link[1] in found] == sorted(
        (heather, pid, "openalex") for pid in found
    )
    assert (heather, papers["2409.01234"], "name") in links  # the poll's link is left alone
    # Each work once: OpenAlex's record of an arXiv paper joins it (no row without an id).
    assert "doi:None" not in papers and len(papers) == 7  # her 4 polled, 2 missed, 1 article
    # 2408.04444 predates the follow: primed, not announced.
    new = [papers["2409.05555"], journal]
    assert keys == sorted(
        [*poll_keys, *(f"alert:{where}:{pid}" for pid in new for where in DESTINATIONS)]
    )
    (works_call,) = upstream.requests_to("/openalex/works")
    assert works_call.query["filter"].endswith("from_created_date:2024-08-11")  # first: 30 days
    (records_call,) = [r for r in upstream.requests_to("/api/query") if "id_list" in r.query]
    # One id_list call, without 2409.01234: already linked to her by the poll.
    assert records_call.query["id_list"] == "2408.04444,2409.05555"

    clock.advance(timedelta(days=1))
    assert (await backstop.run_cycle()).errors == []  # the same works again: nothing new

    assert await stored(db) == (papers, links, keys)
    second = upstream.requests_to("/openalex/works")[1]
    assert second.query["filter"].endswith("from_created_date:2024-09-03")  # last success - 7d
    assert len([r for r in upstream.requests_to("/api/query") if "id_list" in r.query]) == 1


async def test_report_counts_each_step(
    db: Database, backstop: PollingService, upstream: FakeUpstream
) -> None:
    await follow_her(db)
    route_her(upstream)

    summary = await backstop.run_cycle()

    assert summary.feeds_polled == [JOB_KEY] and summary.errors == []
    # One works call; one id_list call for 2408.04444, 2409.05555 and 2409.01234 (nothing
    # polled here, so not linked yet; this id_list body lacks it).
    assert summary.requests == {"openalex": 1, "arxiv_api": 1}
    assert summary.papers_seen == 4  # works: one is a journal article with no arXiv id
    # 2408.04444, 2409.05555 and the journal article (2409.01234 has no arXiv record here: a
    # work on arXiv is linked only through it); 2409.05555 and the article came after the
    # follow: alerts x 2 places.
    assert (summary.papers_new, summary.links_made, summary.alerts_enqueued) == (3, 3, 4)
    (works_call,) = upstream.requests_to("/openalex/works")
    since = (NOW - timedelta(days=30)).date()
    assert works_call.query["filter"].endswith(f"from_created_date:{since.isoformat()}")


async def test_openalex_down_records_health_stores_nothing_and_stays_due(
    db: Database, backstop: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    await follow_her(db)
    route_her(upstream)
    upstream.add_fault("/openalex/works", Fault.http_status(503))

    failed = await backstop.run_cycle()

    assert failed.requests == {"openalex": 1} and failed.errors[0].startswith(f"{JOB_KEY}: ")
    async with db.reader() as session:
        health = await SourceHealthRepository(session).get("openalex")
        state = await FeedStateRepository(session).get(JOB_KEY)
    assert health is not None and health.consecutive_failures == 1 and health.last_error
    assert state is None  # not marked successful: the next tick retries
    assert await stored(db) == ({}, [], [])
    assert upstream.requests_to("/api/query") == []
    calls = len(upstream.requests_to("/openalex/works"))

    # While OpenAlex cools down the next cycle reports it without asking it again.
    clock.advance(timedelta(seconds=1))
    cooling = await backstop.run_cycle()
    assert cooling.feeds_polled == [] and "openalex backing off until" in cooling.errors[0]
    assert len(upstream.requests_to("/openalex/works")) == calls


async def test_150_followed_authors_cost_two_openalex_calls(
    db: Database, backstop: PollingService, upstream: FakeUpstream
) -> None:
    for n in range(150):
        await follow_author(
            db,
            f"Author Number{n:03d}",
            created_at=FOLLOWED_AT,
            openalex_id=f"A51000{n:05d}",
            destinations=(Dest("user", 1000 + n),),
        )
    await follow_author(db, "No Openalex", created_at=FOLLOWED_AT)  # name-only: not asked
    upstream.add_route(
        "GET", "/openalex/works", fixture=EMPTY_WORKS, content_type="application/json"
    )

    summary = await backstop.run_cycle()

    calls = upstream.requests_to("/openalex/works")
    assert len(calls) == 2 and summary.requests == {"openalex": 2}
    sizes = [len(c.query["filter"].split(",")[0].split(":")[1].split("|")) for c in calls]
    assert sizes == [100, 50]


async def test_ids_arxiv_refuses_are_skipped_not_retried_every_hour(
    db: Database,
    backstop: PollingService,
    upstream: FakeUpstream,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """arXiv answering its error feed for the whole `id_list` (an id it rejects) must not
    fail every run from now on: the run ends, loudly, and tomorrow's window moves on."""
    await follow_her(db)
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture=WORKS,
        content_type="application/json",
        query={"filter": HER_WORKS},
    )
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/error_400_incorrect-id-format.atom.xml",
        status=400,
        query={"id_list": re.compile("")},
    )
    with caplog.at_level("ERROR", logger="bot.services.openalex_works"):
        done = await backstop.run_cycle()
    assert done.errors == []  # done for today, not retried next hour
    assert any("arXiv refused the ids" in r.getMessage() for r in caplog.records)
    papers, links, _ = await stored(db)
    # Only the journal article: a work on arXiv is never linked without its arXiv record.
    assert list(papers) == [f"doi:{JOURNAL_DOI}"] and len(links) == 1
    clock.advance(timedelta(hours=1))
    assert (await backstop.run_cycle()).feeds_polled == []
    assert len(upstream.requests_to("/api/query")) == 1


async def test_a_record_without_her_surname_is_not_linked(
    db: Database,
    backstop: PollingService,
    upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """OpenAlex can map a work to the wrong arXiv id (or merge two people): the arXiv record
    must list someone with her surname before the paper is linked to her."""
    await follow_her(db)
    route_her(upstream)
    records = upstream.fixture_bytes(RECORDS).replace(b"Piwowar", b"Someoneelse")
    upstream.add_route("GET", "/api/query", body=records, query={"id_list": re.compile("")})

    with caplog.at_level("WARNING", logger="bot.services.openalex_works"):
        summary = await backstop.run_cycle()

    assert (summary.links_made, summary.alerts_enqueued) == (1, 2)  # only the journal article
    papers, links, _ = await stored(db)
    assert [paper for _, paper, _ in links] == [papers[f"doi:{JOURNAL_DOI}"]]
    assert any("no author with the surname" in r.getMessage() for r in caplog.records)


async def test_without_openalex_configured_the_backstop_asks_nobody(
    db: Database, sources: Sources, clock: ManualClock, upstream: FakeUpstream
) -> None:
    route_her(upstream)
    await follow_her(db)
    unconfigured = works_poll(db, sources, clock, openalex_api_url="")

    summary = await unconfigured.run_cycle()

    assert (summary.feeds_polled, summary.requests, summary.papers_new) == ([], {}, 0)
    assert upstream.requests == []
