"""`/author papers sort:cited` through the fake Discord: before the daily refresh no paper has
a count and the page says so; after it (OpenAlex, one call) the order is by citations, with
the paper OpenAlex does not know last. Papers are built in code; OpenAlex bodies are synthetic
(tests/sources/citation_upstream.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.render.profile import papers_page_embed
from db.repositories.follows import FollowRepository
from tests.discord.author_support import NOW, author_bot, paper, seed_author
from tests.harness.bot_harness import BotHarness
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MEMBER_ID
from tests.sources.citation_upstream import route_openalex_citations

# paper i (published i*10 days ago) -> citations; 2503.00004 unknown to OpenAlex
CITED = {"2503.00001": 3, "2503.00002": 250, "2503.00003": 0, "2503.00005": 41, "2503.00006": 41}


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        yield server


@pytest.fixture
async def h(harness_factory: HarnessFactory, upstream: FakeUpstream) -> AsyncIterator[BotHarness]:
    async with author_bot(harness_factory, upstream) as harness:
        author_id = await seed_author(
            harness.bot.database,
            "Mara Many",
            [
                paper(
                    f"2503.{i:05d}",
                    title=f"Result number {i}",
                    published=NOW - timedelta(days=10 * i),
                    authors=["Mara Many", "Co Author"],
                )
                for i in range(1, 7)
            ],
        )
        async with harness.bot.database.transaction() as session:
            await FollowRepository(session).add(
                author_id=author_id, scope="user", user_id=MEMBER_ID, now=NOW
            )
        yield harness


def titles(message: dict[str, Any]) -> list[str]:
    """The paper numbers on the page, from each field's title link `[Result number N](...)`."""
    return [
        f["value"].split("](")[0].removeprefix("[Result number ")
        for f in message["embeds"][0]["fields"]
    ]


async def test_cited_sort_follows_counts_after_the_daily_refresh(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    before = await h.slash("author papers", name="Mara Many", sort="cited")
    description = before.original_message["embeds"][0]["description"]
    assert "no citation counts yet" in description and "most cited" not in description
    assert titles(before.original_message)[:3] == ["1", "2", "3"]  # no counts: newest first

    route_openalex_citations(upstream, CITED)
    report = await h.bot.services.metrics.daily()

    assert (report.papers, report.papers_counted, report.papers_unknown) == (6, 5, 1)
    assert report.paper_requests == 1 and len(upstream.requests_to("/openalex/works")) == 1

    after = await h.slash("author papers", name="Mara Many", sort="cited")
    # 250, 41 (newer first on a tie), 41, 3, 0; then page 2: the unknown one
    assert titles(after.original_message) == ["2", "5", "6", "1", "3"]
    nxt = await h.component("papers:next", message=after.original_message)
    assert titles(nxt.original_message) == ["4"]
    recent = await h.slash("author papers", name="Mara Many", sort="recent")
    assert titles(recent.original_message) == ["1", "2", "3", "4", "5"]


async def test_page_says_when_no_paper_has_a_count(h: BotHarness, upstream: FakeUpstream) -> None:
    profile = h.bot.services.profile
    async with h.bot.database.reader() as session:
        (author,) = await FollowRepository(session).followed_authors()
    page = await profile.papers_page(author.id, sort="cited", page=0)
    assert page.citations_known == 0
    embed = papers_page_embed(page).to_dict()
    assert "no citation counts yet" in embed["description"]
    assert "most cited" not in embed["description"]

    route_openalex_citations(upstream, CITED)
    await h.bot.services.metrics.daily()
    page = await profile.papers_page(author.id, sort="cited", page=0)
    embed = papers_page_embed(page).to_dict()
    assert embed["description"] == (
        "6 tracked papers, most cited first (5 with a count; the rest follow, newest first)."
    )
