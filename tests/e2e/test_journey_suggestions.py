"""Issue 15's acceptance for suggestions, through the real bot (fake Discord in front, fake
upstream behind, SQLite and PostgreSQL).

A member follows Heather Piwowar (her four arXiv papers on open access and data sharing are
fetched with the follow) and sets up a weekly DM digest. The cs.CY+cs.DL listing of 28 Nov 2024
(`arxiv_rss/synthetic_rss_cs-CY+cs-DL_suggestions.xml`, synthetic) holds six announcements:
three close to her papers, one by her (matched by the follow, and hers: never suggested), and
two on other things.

- `/digest preview mine:True` shows at most 3 suggestions, none hers, ordered by similarity,
  each with why ("close to <title> by Heather Piwowar").
- A 👎 on one removes it for good; a member of another destination cannot vote on it.
- `suggestions:False` turns them off.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import SuggestionVote
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, arxiv_feed
from tests.harness.fixtures import HarnessFactory

FOLLOWED_AT = datetime(2024, 11, 27, 10, 0, tzinfo=UTC)
POLLED_AT = datetime(2024, 11, 28, 15, 0, tzinfo=UTC)
LISTING = "arxiv_rss/synthetic_rss_cs-CY+cs-DL_suggestions.xml"
CLOSE = {"2611.40001", "2611.40002", "2611.40003"}
HERS = "2611.40004"


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        server.add_route(
            "GET",
            "/rss/cs.CY+cs.DL",
            fixture=LISTING,
            content_type="application/rss+xml; charset=utf-8",
        )
        # The poll's own author query finds nothing new (her follow fetched her papers).
        server.add_route(
            "GET",
            "/api/query",
            body=arxiv_feed([]),
            content_type="application/atom+xml; charset=utf-8",
            query={"search_query": re.compile("lastUpdatedDate")},
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


def suggestion_message(ex: Any) -> dict[str, Any] | None:
    messages = [ex.original_message, *ex.followup_messages]
    for message in messages:
        for embed in (message or {}).get("embeds", []):
            if embed.get("title") == "Suggested this week":
                return message
    return None


def suggested(message: dict[str, Any]) -> list[tuple[str, float]]:
    (embed,) = [e for e in message["embeds"] if e.get("title") == "Suggested this week"]
    ids = re.findall(r"\(https://arxiv\.org/abs/([0-9.]+)\)", embed["description"])
    similarities = [float(x) for x in re.findall(r"similarity ([0-9.]+)\)", embed["description"])]
    return list(zip(ids, similarities, strict=True))


def reply_text(ex: Any) -> str:
    """What the presser read (the private answer that replaced "thinking...")."""
    message = ex.original_message or (ex.followup_messages or [None])[0]
    assert message is not None, ex
    return str(message["content"])


async def votes(h: BotHarness) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(SuggestionVote)))


async def test_the_preview_suggests_close_papers_not_hers_and_a_thumbs_down_is_for_good(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ManualClock(FOLLOWED_AT, monotonic_tick=1.0)
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await h.slash("follow author", name="Heather Piwowar")
        await h.slash("digest me", weekday=0, time="9:00", timezone="UTC")
        clock.set(POLLED_AT)
        summary = await h.bot.services.polling.run_cycle()
        assert "arxiv_rss:cs.CY+cs.DL" in summary.feeds_polled, summary

        ex = await h.slash("digest preview", mine=True)
        message = suggestion_message(ex)
        assert message is not None, ex
        shown = suggested(message)
        assert 1 <= len(shown) <= 3
        assert {arxiv for arxiv, _ in shown} <= CLOSE  # never hers, never the unrelated ones
        assert [s for _, s in shown] == sorted((s for _, s in shown), reverse=True)
        (embed,) = [e for e in message["embeds"] if e.get("title") == "Suggested this week"]
        assert "by Heather Piwowar (similarity" in embed["description"]

        # 👎 on the first: recorded, and it is never suggested here again.
        first = shown[0][0]
        down = next(
            c["custom_id"]
            for row in message["components"]
            for c in row["components"]
            if c["custom_id"].startswith("suggest:down:") and c["custom_id"].endswith(first)
        )
        pressed = await h.component(down, message=message)
        assert reply_text(pressed) == f"Noted 👎: arXiv:{first} will not be suggested here again."
        assert await votes(h) == 1
        again = suggestion_message(await h.slash("digest preview", mine=True))
        assert again is None or first not in {a for a, _ in suggested(again)}

        # Someone else, elsewhere, cannot vote on this member's digest.
        other = await h.component(
            down.replace("down", "up", 1), message=message, invoker=h.fake.owner
        )
        assert "Only the digest's own destination" in reply_text(other)
        assert await votes(h) == 1

        # Suggestions off: the preview has none.
        await h.slash("digest me", weekday=0, time="9:00", timezone="UTC", suggestions=False)
        assert suggestion_message(await h.slash("digest preview", mine=True)) is None
