"""Issue 14's acceptance: who cited this author's work, through the real bot.

Fake Discord in front, fake upstream behind, SQLite and PostgreSQL. On Sunday 8 Sep 2024 a
member follows the citations of Heather Piwowar with instant alerts, and a channel follows
them for its weekly digest (Mondays 09:00 UTC). Her arXiv papers are fetched by the follow; the
daily citations job gives "Who cites data?" (2306.05678) its OpenAlex id and finds two works
citing it (`synthetic_works_filter-cites_two-citing.json`): one by other people, one by her (a
self-citation, left out by default).

- The job's alert waits in the outbox while the bot restarts; after it, one DM, once.
- Monday's digest lists the citing work once under "New citations"; the next one not again.
- The profile counts the new citations; `/author papers sort:cited` shows them per paper.
- `/following` lists the citation follow; `/unfollow citations` ends it.
- An author with no tracked papers: "nothing to watch yet", and nothing stored.
- The empty answer (the recorded `works_filter-cites_empty.json`): nothing sent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import discord
import pytest
from sqlalchemy import func, select

from db.models import Author, CitationFollow, CitationLink, OutboxEntry
from tests.e2e.digest_support import unmarked
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import EVERY_VENUE_EMPTY, FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID, TEXT_CHANNEL_ID

FOLLOWED_AT = datetime(2024, 9, 8, 10, 0, tzinfo=UTC)  # a Sunday
JOB_RUNS_AT = datetime(2024, 9, 8, 12, 0, tzinfo=UTC)
MONDAY = datetime(2024, 9, 9, 9, 0, tzinfo=UTC)
MANAGE = discord.Permissions(manage_guild=True)
WORKS = "/openalex/works"
CITED = "Who cites data? Reuse of shared research datasets"
CITING = "Dataset reuse across the life sciences: a citation study"
CITING_URL = "https://doi.org/10.5555/synthetic.citing.0001"
SELF_CITING = "Open data citations revisited"
CITES = re.compile(r"^cites:W4380000001,from_created_date:")
TWO_CITING = "openalex/synthetic_works_filter-cites_two-citing.json"
EMPTY = "openalex/works_filter-cites_empty.json"


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """Her OpenAlex search and arXiv papers (served by their manifest URLs), the OpenAlex id
    of 2306.05678, the works citing it, and an author (Carl Boettiger) whom arXiv and OpenAlex
    know no paper of."""
    async with FakeUpstream() as server:
        json_route(
            server,
            WORKS,
            "openalex/synthetic_works_filter-doi-arxiv-2306.05678.json",
            filter=re.compile(r"^doi:"),  # of her four papers, OpenAlex knows this one
        )
        route_citing(server, TWO_CITING)
        json_route(
            server,
            "/openalex/authors",
            "openalex/synthetic_authors_search-carl-boettiger.json",
            search=re.compile("Boettiger"),
        )
        server.add_route(
            "GET",
            "/api/query",
            fixture="arxiv_api/idlist_0000.0000_empty.atom.xml",
            query={"search_query": re.compile(r'au:"Carl Boettiger"')},
        )
        # OpenAlex knows none of his works either (over the manifest's every-venue answer).
        json_route(
            server,
            WORKS,
            EVERY_VENUE_EMPTY,
            filter=re.compile("A5000000020"),
            sort=re.compile(""),
            cursor=re.compile(""),
        )
        yield server


def json_route(server: FakeUpstream, path: str, fixture: str, **query: Any) -> None:
    server.add_route("GET", path, fixture=fixture, content_type="application/json", query=query)


def route_citing(server: FakeUpstream, fixture: str) -> None:
    # The cursor too: more specific than the manifest's route for the recorded request.
    json_route(server, WORKS, fixture, filter=CITES, cursor=re.compile(""))


def settings_for(upstream: FakeUpstream) -> dict[str, object]:
    return {
        "openalex_api_url": upstream.openalex_url,
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "semantic_scholar_api_url": "",
        "arxiv_min_interval_seconds": 0,
    }


def tick(h: BotHarness, name: str) -> Callable[[], Awaitable[object]]:
    """A tick as the scheduler fires it (with its leader check)."""
    job = h.bot.scheduler.get_job(name) if h.bot.scheduler else None
    assert job is not None, name
    return cast(Callable[[], Awaitable[object]], job.func)


def citation_dms(h: BotHarness) -> list[dict[str, Any]]:
    return [m for m in h.fake.dm_messages(MEMBER_ID) if m.get("embeds")]


def digests(h: BotHarness) -> list[dict[str, Any]]:
    """The channel's posts from the outbox (they carry its nonce), not command answers."""
    return [m for m in h.fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce")]


def citation_embeds(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for m in messages for e in m.get("embeds", []) if e.get("title") == "New citations"]


async def count(h: BotHarness, model: type, *where: object) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


def answer(ex: Any) -> str:
    message = ex.original_message or ex.callback.json["data"]
    return cast(str, message["content"])


async def test_citations_are_alerted_once_across_a_restart_and_digested_once(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ManualClock(FOLLOWED_AT, monotonic_tick=1.0)
    settings = settings_for(upstream)
    async with harness_factory(database_url=database_url, settings=settings, clock=clock) as h:
        ex = await h.slash("follow citations", author="Heather Piwowar", notify="instant")
        text = answer(ex)
        assert "You now follow the citations of **Heather Piwowar**" in text, text
        assert "as soon as it is found" in text and "self-citations left out" in text
        ex = await h.slash(
            "follow citations", author="Heather Piwowar", scope="channel", permissions=MANAGE
        )
        assert "This channel now follows the citations" in answer(ex)
        await h.slash(
            "digest setup",
            permissions=MANAGE,
            option_values={"channel": TEXT_CHANNEL_ID},
            weekday=0,
            time="9:00",
            timezone="UTC",
        )
        listing = await h.slash("following")
        (embed,) = listing.original_message["embeds"]
        assert embed["description"].startswith("Citations of **Heather Piwowar** · all ")

        clock.set(JOB_RUNS_AT)
        await tick(h, "citations")()
        assert await count(h, CitationLink) == 2
        assert await count(h, OutboxEntry, OutboxEntry.kind == "citation") == 1
        # The bot stops here: the alert is in the outbox, not yet sent.
    assert citation_dms(h) == []

    async with harness_factory(
        database_url=database_url, settings=settings, clock=clock, migrate=False
    ) as h:
        await h.bot.deliver_tick()
        await h.bot.deliver_tick()
        (dm,) = citation_dms(h)
        assert dm["content"].startswith(f"New citation of Heather Piwowar's work: cites “{CITED}”")
        assert dm["embeds"][0]["url"] == CITING_URL
        # The job again (tomorrow): the same works, nothing new, nothing sent again.
        clock.set(datetime(2024, 9, 9, 12, 0, tzinfo=UTC))
        again = await h.bot.services.citations.run()
        assert again.succeeded and (again.works, again.new_works) == (2, 0), again
        await h.bot.deliver_tick()
        assert len(citation_dms(h)) == 1

        # Monday's digest (due 09:00, planned at noon): New citations, the work once.
        await h.bot.plan_tick()
        await h.bot.deliver_tick()
        (section,) = citation_embeds(digests(h))
        lines = section["description"].split("\n")
        assert lines[0].startswith("**Who cites data?") and lines[0].endswith("cited by 1 new work")
        assert sum(CITING.split(":")[0] in line for line in lines) == 1
        assert SELF_CITING not in section["description"]  # a self-citation: left out
        assert unmarked(digests(h)[0])["content"].startswith("No new papers from followed")

        # The next week's digest does not list it again.
        clock.set(datetime(2024, 9, 16, 9, 0, tzinfo=UTC))
        await h.bot.plan_tick()
        await h.bot.deliver_tick()
        assert len(citation_embeds(digests(h))) == 1
        assert await count(h, OutboxEntry, OutboxEntry.kind == "digest") == 2
        assert (
            unmarked(digests(h)[-1])["content"] == "No new papers from followed authors, 9-16 Sep."
        )

        # The profile counts both new citing works (self-citations are citations too), found
        # eight days ago: none in the last 7 days, both in 30.
        ex = await h.slash("author profile", name="Heather Piwowar")
        (card,) = ex.original_message["embeds"]
        assert (
            "New citations: 0 in 7 days, 2 in 30 days · works found citing them since "
            "Sep 8, 2024, counted Sep 9, 2024"
        ) in card["description"]
        ex = await h.slash("author papers", name="Heather Piwowar", sort="cited")
        (page,) = ex.original_message["embeds"]
        (cited,) = [f for f in page["fields"] if CITED.split("?")[0] in f["value"]]
        # No lifetime count yet (the metrics job has not run): only PaperScout's own.
        assert cited["name"].endswith(" · Jun 9, 2023 · 2 new this month"), cited["name"]

        ex = await h.slash("unfollow citations", author="Heather Piwowar")
        assert answer(ex) == "You no longer follow the citations of **Heather Piwowar**."
        assert await count(h, CitationFollow, CitationFollow.scope == "user") == 0


async def test_nothing_to_watch_stores_nothing_and_the_empty_answer_sends_nothing(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ManualClock(FOLLOWED_AT, monotonic_tick=1.0)
    settings = settings_for(upstream)
    async with harness_factory(database_url=database_url, settings=settings, clock=clock) as h:
        ex = await h.slash("follow citations", author="Carl Boettiger")
        assert "nothing to watch yet" in answer(ex), answer(ex)
        assert await count(h, Author) == 0
        assert await count(h, CitationFollow) == 0

        # A channel follow needs Manage Server, like `/follow author scope:channel`.
        ex = await h.slash("follow citations", author="Heather Piwowar", scope="channel")
        assert "Manage Server" in answer(ex)
        assert await count(h, CitationFollow) == 0

        await h.slash("follow citations", author="Heather Piwowar", notify="instant")
        route_citing(upstream, EMPTY)
        clock.set(JOB_RUNS_AT)
        await tick(h, "citations")()
        await h.bot.deliver_tick()
        assert await count(h, CitationLink) == 0
        assert citation_dms(h) == []
