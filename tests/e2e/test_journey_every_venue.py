"""Issue 12's acceptance: an ecologist whose works are in journals and on bioRxiv, never arXiv.

The real bot (fake Discord in front, fake upstream behind) on SQLite and PostgreSQL. Carl
Boettiger (synthetic OpenAlex id A5000000020; his 2015 bioRxiv preprint 10.1101/014852 and its
2016 journal version 10.1002/ece3.2314 in Ecology and Evolution are real, from the recorded
Crossref answers; the other two works are invented, see tests/fixtures/README.md) is followed
on 26 Jan 2015 by a member (instant DMs) and by a channel (weekly digest, Mondays 09:00 UTC).

- The follow stores his earlier journal article: the profile shows it, nobody is alerted.
- The daily works feed finds the preprint and a new journal article: one DM each, and the
  channel's digest lists each once.
- A year and a half later the feed finds the preprint's journal version (OpenAlex lists the
  bioRxiv DOI among its locations): no second DM, one paper with the venue and both DOIs,
  and the next digest says "now published" once; the one after does not repeat it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

import discord
import pytest
from sqlalchemy import func, select

from db.models import OutboxEntry, Paper
from tests.discord.author_support import figures, paper_titles
from tests.e2e.digest_support import unmarked
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import EVERY_VENUE_EMPTY, FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID, TEXT_CHANNEL_ID

ID = "A5000000020"
FOLLOWED_AT = datetime(2015, 1, 26, 9, 30, tzinfo=UTC)  # a Monday
MANAGE = discord.Permissions(manage_guild=True)
WORKS = "/openalex/works"
EARLIER = "Early warning signals of regime shifts in a synthetic fishery"
PREPRINT_DOI = "10.1101/014852"
ARTICLE_DOI = "10.5555/synthetic.2015.0206"
JOURNAL_DOI = "10.1002/ece3.2314"
TITLE_START = "After the games are over"


def works_page(day: str) -> str:
    return f"openalex/synthetic_works_filter-author-{ID}_created-{day}.json"


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    """His OpenAlex record (search and by id), his works (every venue, at the follow; none on
    arXiv), an arXiv that knows no paper of his, and the feed's first window of new works."""
    async with FakeUpstream() as server:
        author = "openalex/synthetic_authors_search-carl-boettiger.json"
        json_route(server, "/openalex/authors", author, search=re.compile("Boettiger"))
        json_route(server, "/openalex/authors", author, filter=f"openalex:{ID}")
        json_route(
            server,
            WORKS,
            f"openalex/synthetic_works_filter-author-{ID}_every-venue.json",
            filter=f"authorships.author.id:{ID},from_publication_date:1991-01-01",
        )
        json_route(server, WORKS, EVERY_VENUE_EMPTY, filter=re.compile(r"indexed_in:arxiv$"))
        json_route(
            server, WORKS, works_page("2015-02"), filter=re.compile(rf"^[^,]*{ID},from_created")
        )
        server.add_route(
            "GET",
            "/api/query",
            fixture="arxiv_api/idlist_0000.0000_empty.atom.xml",
            query={"search_query": re.compile(r'au:"Carl Boettiger"')},
        )
        yield server


def json_route(server: FakeUpstream, path: str, fixture: str, **query: Any) -> None:
    server.add_route("GET", path, fixture=fixture, content_type="application/json", query=query)


def settings_for(upstream: FakeUpstream) -> dict[str, object]:
    return {
        "openalex_api_url": upstream.openalex_url,
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "semantic_scholar_api_url": "",
        "arxiv_min_interval_seconds": 0,
    }


def works_tick(h: BotHarness) -> Callable[[], Awaitable[object]]:
    """The poll as the scheduler fires it (leader check): its daily works feed is due."""
    job = h.bot.scheduler.get_job("poll") if h.bot.scheduler else None
    assert job is not None
    return cast(Callable[[], Awaitable[object]], job.func)


def paper_dms(h: BotHarness) -> list[dict[str, Any]]:
    return [m for m in h.fake.dm_messages(MEMBER_ID) if m.get("embeds")]


def digests(h: BotHarness) -> list[dict[str, Any]]:
    """The channel's posts from the outbox (they carry its nonce), not command answers."""
    return [m for m in h.fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce")]


async def profile(h: BotHarness) -> dict[str, Any]:
    ex = await h.slash("author profile", name="Carl Boettiger")
    assert ex.original_message is not None, ex
    (embed,) = ex.original_message["embeds"]
    return cast(dict[str, Any], embed)


async def count(h: BotHarness, model: type, *where: object) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def at(h: BotHarness, clock: ManualClock, when: datetime) -> None:
    """Move the clock, then run what the scheduler would: the works feed, planning, delivery."""
    clock.set(when)
    await works_tick(h)()
    await h.bot.plan_tick()
    await h.bot.deliver_tick()


async def test_an_ecologist_is_followed_alerted_and_digested_once_per_work(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ManualClock(FOLLOWED_AT, monotonic_tick=1.0)
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        ex = await h.slash("follow author", name="Carl Boettiger", notify="instant")
        assert "You now follow **Carl Boettiger**" in ex.original_message["content"], ex
        assert "not answering" not in ex.original_message["content"]
        await h.slash("follow author", name="Carl Boettiger", scope="channel", permissions=MANAGE)
        await h.slash(
            "digest setup",
            permissions=MANAGE,
            option_values={"channel": TEXT_CHANNEL_ID},
            weekday=0,
            time="9:00",
            timezone="UTC",
        )

        embed = await profile(h)
        assert figures(embed)["Papers tracked"] == "1"
        assert paper_titles(embed) == [EARLIER]
        (earlier,) = [f["value"] for f in embed["fields"] if not f["inline"]]
        assert " · Theoretical Ecology · Nov 3, 2014" in earlier.split("\n")[0]  # the venue
        # No arXiv category to go by: his field is his OpenAlex topics', said to be so.
        assert embed["description"].split("\n")[:2] == [
            "University of California, Berkeley",
            "Ecology (OpenAlex topics)",
        ]

        # Two weeks on: the feed finds the preprint and a new article; each is DMed once.
        summary = await h.bot.services.polling.run_cycle()  # arXiv has nothing of his
        assert summary.errors == [] and summary.alerts_enqueued == 0
        await at(h, clock, datetime(2015, 2, 8, 12, 0, tzinfo=UTC))
        urls = sorted(dm["embeds"][0]["url"] for dm in paper_dms(h))
        assert urls == [f"https://doi.org/{PREPRINT_DOI}", f"https://doi.org/{ARTICLE_DOI}"]
        assert {dm["content"] for dm in paper_dms(h)} == {"New paper by Carl Boettiger"}

        # The first digest was due on 2 Feb: that tick posted it; the 9 Feb one repeats none.
        await at(h, clock, datetime(2015, 2, 9, 9, 0, tzinfo=UTC))
        # A compact digest (the default): a linked line per paper.
        listed = [
            link
            for m in digests(h)
            for e in m.get("embeds", [])
            for link in re.findall(r"\]\((https://[^)]+)\)", e.get("description") or "")
        ]
        assert sorted(listed) == urls  # each once
        headers = [m["content"].split(",")[0] for m in digests(h)]
        assert headers == [
            "2 new papers from 1 followed author",
            "No new papers from followed authors",
        ]

        embed = await profile(h)
        assert figures(embed)["Papers tracked"] == "3"
        shown = await h.slash("paper show", option_values={"id": PREPRINT_DOI})
        preprint_card = shown.original_message["embeds"][0]
        assert preprint_card["url"] == f"https://doi.org/{PREPRINT_DOI}"

        # August 2016: its journal version. No second DM; one paper; "now published" once.
        json_route(upstream, WORKS, works_page("2016-08"), filter=re.compile(rf"{ID},from_created"))
        posted_before = len(digests(h))
        await at(h, clock, datetime(2016, 8, 22, 9, 0, tzinfo=UTC))
        assert len(paper_dms(h)) == 2
        assert await count(h, Paper, Paper.title.startswith(TITLE_START)) == 1
        assert await count(h, OutboxEntry, OutboxEntry.kind == "alert") == 2
        (note,) = digests(h)[posted_before:]
        assert not note["embeds"]  # nothing new: no card again, one line instead
        assert unmarked(note)["content"] == (
            "No new papers from followed authors, 9-16 Feb.\n"
            "**Now published**, listed in an earlier digest as a preprint:\n"
            "- After the games are over: life-history trade-offs drive dispersal attenuation "
            f"following range expansion in Ecology and Evolution: <https://doi.org/{JOURNAL_DOI}>"
        )

        by_journal = await h.slash("paper show", option_values={"id": JOURNAL_DOI})
        by_preprint = await h.slash("paper show", option_values={"id": PREPRINT_DOI})
        card = by_journal.original_message["embeds"][0]
        assert card == by_preprint.original_message["embeds"][0]
        assert card["url"] == f"https://doi.org/{JOURNAL_DOI}"
        assert "Ecology and Evolution" in str(card)

        posted_before = len(digests(h))
        await at(h, clock, datetime(2016, 8, 29, 9, 0, tzinfo=UTC))
        assert not any("Now published" in m["content"] for m in digests(h)[posted_before:])
        assert len(paper_dms(h)) == 2
