"""Issue 15's acceptance for topic follows, through the real bot (fake Discord in front, fake
upstream behind, SQLite and PostgreSQL).

A channel follows `"vision transformer" OR cat:cs.CV AND NOT survey` with instant alerts on
Wednesday 27 Nov 2024 and has a weekly digest (Mondays 09:00 UTC). The cs.CV listing of
Thursday 28 Nov (`arxiv_rss/synthetic_rss_cs-CV_topics.xml`, synthetic) holds six items: four
new or cross-listed papers the query matches (one of them a survey, matched by the phrase: NOT
binds tighter than OR), a cs.CV survey it excludes, and a replaced old paper (not news).

- Bad queries are answered with the position and the reason; nothing is stored.
- The preview shows what the query would have matched, and Save stores it.
- The listing is polled: each matching paper is announced once (polling again sends nothing).
- Monday's digest lists each once under the topic, with the words that matched; the next
  week's does not repeat them.
- `/following` lists the topic; `/unfollow topic` ends it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import discord
import pytest
from sqlalchemy import func, select

from db.models import OutboxEntry, TopicFollow, TopicPaper
from tests.e2e.digest_support import unmarked
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import TEXT_CHANNEL_ID

FOLLOWED_AT = datetime(2024, 11, 27, 10, 0, tzinfo=UTC)  # a Wednesday
POLLED_AT = datetime(2024, 11, 28, 15, 0, tzinfo=UTC)
MONDAY = datetime(2024, 12, 2, 9, 0, tzinfo=UTC)
MANAGE = discord.Permissions(manage_guild=True)
QUERY = '"vision transformer" OR cat:cs.CV AND NOT survey'
LISTING = "arxiv_rss/synthetic_rss_cs-CV_topics.xml"
MATCHED = {
    "2611.30101": "cat:cs.CV",
    "2611.30102": "vision transformer",
    "2611.30104": "cat:cs.CV",
    "2611.30106": "cat:cs.CV",
}


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        server.add_route(
            "GET",
            "/rss/cs.CV",
            fixture=LISTING,
            content_type="application/rss+xml; charset=utf-8",
        )
        yield server


def settings_for(upstream: FakeUpstream) -> dict[str, object]:
    return {
        "openalex_api_url": upstream.openalex_url,
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "semantic_scholar_api_url": "",
        "arxiv_min_interval_seconds": 0,
    }


def posts(h: BotHarness) -> list[dict[str, Any]]:
    """The channel's posts from the outbox (they carry its nonce), not command answers."""
    return [m for m in h.fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce")]


def alerts(h: BotHarness) -> list[dict[str, Any]]:
    return [m for m in posts(h) if m["content"].startswith("New paper on topic")]


async def count(h: BotHarness, model: type, *where: object) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


def answer(ex: Any) -> str:
    message = ex.original_message or ex.callback.json["data"]
    return cast(str, message["content"])


async def test_a_channel_follows_a_topic_gets_each_paper_once_and_a_digest_with_the_words(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ManualClock(FOLLOWED_AT, monotonic_tick=1.0)
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        # Bad queries: the position and the reason, privately; nothing stored.
        ex = await h.slash("follow topic", query="vision AND", scope="channel", permissions=MANAGE)
        assert answer(ex) == (
            "That topic query cannot be used. At character 11: the query ends too early after "
            "AND: expected a word, a “phrase”, cat:… or (."
        )
        ex = await h.slash("follow topic", query="(vision OR cat:cs.XX", permissions=MANAGE)
        assert "At character 12: “cs.XX” is not an arXiv category" in answer(ex)
        ex = await h.slash("follow topic", query="NOT survey")
        assert "would match almost every paper" in answer(ex)
        ex = await h.slash("follow topic", query="x" * 301)
        assert "at most 300 are allowed" in answer(ex)
        assert await count(h, TopicFollow) == 0

        ex = await h.slash(
            "follow topic", query=QUERY, scope="channel", notify="instant", permissions=MANAGE
        )
        preview = ex.original_message
        assert preview["flags"] & 64
        assert preview["content"].startswith(f"Topic “{QUERY}”, read as ")
        assert "would have matched **0** stored papers." in preview["content"]
        assert await count(h, TopicFollow) == 0  # nothing until Save
        ex = await h.component("topics:save", message=preview, permissions=MANAGE)
        shown = h.fake.messages[preview["id"]]
        assert shown["content"].startswith(f"This channel now follows the topic “{QUERY}”")
        assert shown["components"] == []
        await h.slash(
            "digest setup",
            permissions=MANAGE,
            option_values={"channel": TEXT_CHANNEL_ID},
            weekday=0,
            time="9:00",
            timezone="UTC",
        )

        # Thursday: the listing of the topic's category is read; each match announced once.
        clock.set(POLLED_AT)
        summary = await h.bot.services.polling.run_cycle()
        assert summary.errors == [] and summary.topic_matches == 4
        assert summary.feeds_polled == ["arxiv_rss:cs.CV"]
        await h.bot.deliver_tick()
        urls = sorted(m["embeds"][0]["url"] for m in alerts(h))
        assert urls == [f"https://arxiv.org/abs/{a}" for a in sorted(MATCHED)]
        vision = next(m for m in alerts(h) if m["embeds"][0]["url"].endswith("2611.30102"))
        assert vision["content"] == (f"New paper on topic “{QUERY}” (matched: vision transformer)")
        clock.set(datetime(2024, 11, 28, 16, 30, tzinfo=UTC))
        again = await h.bot.services.polling.run_cycle()
        await h.bot.deliver_tick()
        assert again.topic_matches == 0 and len(alerts(h)) == 4
        assert await count(h, TopicPaper) == 4

        # Monday's digest: each paper once, under the topic, with the words that matched.
        clock.set(MONDAY)
        await h.bot.plan_tick()
        await h.bot.deliver_tick()
        (digest,) = [m for m in posts(h) if not m["content"].startswith("New paper")]
        assert unmarked(digest)["content"] == "4 new papers from 1 followed topic, 27 Nov-2 Dec"
        text = "\n".join(e.get("description") or "" for e in digest["embeds"])
        assert text.splitlines()[0] == f"__**topic “{QUERY}”**__"
        listed = re.findall(r"\]\((https://arxiv\.org/abs/[^)]+)\)", text)
        assert sorted(listed) == urls  # each once
        assert text.splitlines()[4].endswith(" · 28 Nov 2024 · matched: vision transformer")
        assert text.count("matched: cat:cs.CV") == 3

        clock.set(datetime(2024, 12, 9, 9, 0, tzinfo=UTC))
        before = len(posts(h))
        await h.bot.plan_tick()
        await h.bot.deliver_tick()
        (quiet,) = posts(h)[before:]
        assert unmarked(quiet)["content"].startswith("No new papers")

        listing = await h.slash("following", scope="channel")
        (embed,) = listing.original_message["embeds"]
        assert embed["description"].startswith(f"Topic “{QUERY}” · instant · since ")
        ex = await h.slash(
            "unfollow topic",
            query='cat:CS.CV AND NOT Survey OR "Vision  Transformer"',
            scope="channel",
            permissions=MANAGE,
        )
        assert "not among the topics" in answer(ex)  # a different query: OR binds last
        ex = await h.slash("unfollow topic", query=QUERY, scope="channel", permissions=MANAGE)
        assert answer(ex) == f"This channel no longer follows the topic “{QUERY}”."
        assert await count(h, TopicFollow) == 0
        assert await count(h, OutboxEntry, OutboxEntry.kind == "alert") == 4
