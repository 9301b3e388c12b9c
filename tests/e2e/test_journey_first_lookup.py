"""What a server sees of an author the bot meets for the first time, one step after another.

- Follow, then the profile: the follow stores her earlier papers, so the profile shows them
  (before, it said "0 papers tracked" right after a follow), and a new version of one of them
  is an update for the next poll, not a new paper.
- An arXiv outage during the first profile: the card says so and shows what OpenAlex gave;
  with arXiv back, the next view fetches the papers (before, she stayed at 0 papers for good).
- An arXiv outage during the follow: the reply says the papers come later; the next poll
  fetches them, announces none of them (they predate the follow), and the profile shows them.

The real bot on the fake Discord and the fake upstream (recorded OpenAlex and arXiv bodies for
Heather Piwowar: four papers of hers, one namesake's); SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tests.discord.author_support import NOW, author_bot, figures
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID

FEED = "arxiv_api/synthetic_query_au-Heather-Piwowar_max50.atom.xml"
KNOWN = "2306.05678"  # one of her papers: the poll brings its v2


def with_second_version(feed: bytes) -> bytes:
    """Her feed where one known paper comes back as v2 (updated today)."""
    return feed.replace(f"{KNOWN}v1".encode(), f"{KNOWN}v2".encode(), 1)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        server.add_route(  # the poll's window of her name: a v2 of a paper she has
            "GET",
            "/api/query",
            body=with_second_version(server.fixture_bytes(FEED)),
            query={"search_query": re.compile(r'au:"Heather Piwowar".*lastUpdatedDate')},
        )
        server.add_route(
            "GET",
            "/rss/cs.CY+cs.DL",
            fixture="arxiv_rss/rss_test_empty-weekend-style.xml",
            content_type="application/rss+xml; charset=utf-8",
        )
        yield server


@pytest.fixture
async def h(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> AsyncIterator[BotHarness]:
    clock = ManualClock(NOW, monotonic_tick=1.0)  # limiters never wait on a frozen clock
    async with author_bot(harness_factory, upstream, database_url=database_url, clock=clock) as bot:
        yield bot


def description(ex: Any) -> str:
    (embed,) = ex.original_message["embeds"]
    return str(embed["description"])


def tracked(ex: Any) -> str:
    """The card's "Papers tracked" figure."""
    (embed,) = ex.original_message["embeds"]
    return figures(embed)["Papers tracked"]


def name_searches(upstream: FakeUpstream) -> int:
    """arXiv name searches without a date window (what fetches an author's earlier papers)."""
    return sum(
        "lastUpdatedDate" not in r.query.get("search_query", "")
        for r in upstream.requests_to("/api/query")
    )


async def poll(h: BotHarness, hours: float = 2) -> Any:
    h.bot.clock.advance(timedelta(hours=hours))  # type: ignore[attr-defined]
    summary = await h.bot.services.polling.run_cycle()
    assert summary.errors == [], summary.errors
    return summary


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_follow_then_profile_shows_her_papers_and_a_new_version_is_an_update(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    followed = await h.slash("follow author", name="Heather Piwowar")
    assert "You now follow **Heather Piwowar**" in followed.original_message["content"]

    shown = await h.slash("author profile", name="Heather Piwowar")
    assert tracked(shown) == "4"
    assert "n/a" not in figures(shown.original_message["embeds"][0])["Novelty"]
    assert name_searches(upstream) == 1  # the follow fetched them; the profile did not again

    summary = await poll(h)
    assert (summary.papers_new, summary.papers_updated) == (0, 1)
    assert summary.histories_completed == 0 and summary.histories_pending == 0
    shown = await h.slash("author profile", name="Heather Piwowar")
    assert tracked(shown) == "4"


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_an_arxiv_outage_at_the_first_profile_then_recovery(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(429))

    down = await h.slash("author profile", name="Heather Piwowar")
    assert tracked(down) == "0"
    assert "arXiv is not answering right now" in description(down)
    assert figures(down.original_message["embeds"][0])["h-index"] == "23"  # OpenAlex's, shown

    upstream.clear_faults()
    h.bot.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]  # past the guard
    back = await h.slash("author profile", name="Heather Piwowar")
    assert tracked(back) == "4"
    assert "arXiv is not answering" not in description(back)


async def test_an_arxiv_outage_at_the_follow_then_the_poll_fetches_her_papers(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(503))

    followed = await h.slash("follow author", name="Heather Piwowar", notify="instant")
    reply = followed.original_message["content"]
    assert "arXiv is not answering right now: their earlier papers will be fetched" in reply

    upstream.clear_faults()
    summary = await poll(h)
    assert summary.histories_completed == 1 and summary.histories_pending == 0
    await h.bot.deliver_tick()
    # Her papers predate the follow: stored and shown, never announced.
    assert [m for m in h.fake.dm_messages(MEMBER_ID) if m.get("embeds")] == []
    shown = await h.slash("author profile", name="Heather Piwowar")
    assert tracked(shown) == "4"

    searches = name_searches(upstream)
    again = await poll(h)  # complete now: never fetched again
    assert again.histories_completed == 0 and name_searches(upstream) == searches
