"""Two people called Andreas Steiner, as a server meets them one member after another.

OpenAlex knows two: the vision researcher (A5000000010, Google DeepMind; his arXiv works by
id confirm 2611.30002 and 2611.30003) and an economist (A5000000020, University of Zurich;
OpenAlex answers his arXiv works query with none). arXiv's `au:"Andreas Steiner"` returns the
synthetic homonym page: a physicist's cond-mat paper, the vision researcher's two, and an
initial-only atomic physics one. The journey:

1. alice views `/author profile Andreas Steiner`: one of them is stored (the best candidate);
2. olivia types `/follow author Andreas Steiner`: she still gets the menu with both (issue 10
   item 10: a stored person never hides a namesake), picks the economist, and hears that no
   arXiv papers were found for him; a poll links nothing to him (item 12: the namesakes'
   papers are not his);
3. alice follows the vision researcher from the same menu; a poll links his papers to him
   only, and still none to the economist.

The real bot, fake Discord, fake upstream; SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Author, AuthorPaper, Follow
from db.models import Paper as StoredPaper
from tests.discord.author_support import NOW, author_bot
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

VISION = "A5000000010"
ECONOMIST = "A5000000020"
STEINER_PAGE = "arxiv_api/synthetic_query_au-Andreas-Steiner_homonyms.atom.xml"
VISION_PAPERS = {"2611.30002", "2611.30003"}


def two_steiners(upstream: FakeUpstream) -> bytes:
    """The recorded search's vision researcher plus an economist built from his record."""
    page = json.loads(
        upstream.fixture_bytes("openalex/synthetic_authors_search-andreas-steiner.json")
    )
    vision = page["results"][0]
    economist = copy.deepcopy(vision)
    zurich = {"id": "https://openalex.org/I202697423", "display_name": "University of Zurich"}
    economist.update(
        id=f"https://openalex.org/{ECONOMIST}",
        display_name_alternatives=["Andreas Steiner"],
        works_count=15,
        cited_by_count=210,
        ids={"openalex": f"https://openalex.org/{ECONOMIST}"},
        affiliations=[{"institution": zurich, "years": [2026]}],
        last_known_institutions=[zurich],
    )
    page["results"] = [vision, economist]
    page["meta"]["count"] = 2
    return json.dumps(page).encode()


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        server.add_route(
            "GET",
            "/openalex/authors",
            body=two_steiners(server),
            content_type="application/json",
            query={"search": "Andreas Steiner"},
        )
        server.add_route(  # OpenAlex answers: the economist has no arXiv works
            "GET",
            "/openalex/works",
            fixture="openalex/works_filter-cites_empty.json",
            content_type="application/json",
            query={"filter": re.compile(f"author.id:{ECONOMIST},")},
        )
        server.add_route(  # every name search and poll window of the name: the homonym page
            "GET",
            "/api/query",
            fixture=STEINER_PAGE,
            query={"search_query": re.compile(r'au:"Andreas Steiner"'), "start": "0"},
        )
        server.add_route(
            "GET",
            "/rss/cs.AI+cs.CV",
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


def menu_values(message: dict[str, Any]) -> list[str]:
    (row,) = message["components"]
    (select_menu,) = row["components"]
    return [option["value"] for option in select_menu["options"]]


async def linked(h: BotHarness, openalex_id: str) -> set[str]:
    """The arXiv ids linked to the stored author with this OpenAlex id."""
    async with h.bot.database.reader() as session:
        rows = await session.execute(
            select(StoredPaper.arxiv_id)
            .join(AuthorPaper, AuthorPaper.paper_id == StoredPaper.id)
            .join(Author, Author.id == AuthorPaper.author_id)
            .where(Author.openalex_id == openalex_id)
        )
        return set(rows.scalars())


async def followed_by(h: BotHarness, user: dict[str, Any]) -> list[str | None]:
    async with h.bot.database.reader() as session:
        rows = await session.execute(
            select(Author.openalex_id)
            .join(Follow, Follow.author_id == Author.id)
            .where(Follow.target_id == int(user["id"]))
        )
        return list(rows.scalars())


async def poll(h: BotHarness) -> None:
    assert h.bot.clock is not None
    h.bot.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    summary = await h.bot.services.polling.run_cycle()
    assert summary.errors == [], summary.errors


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_each_steiner_of_the_menu_followed_in_turn_gets_only_his_own_papers(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    alice, olivia = h.fake.member, h.fake.owner

    # 1. A profile view stores the most plausible one (the vision researcher, listed first).
    shown = await h.slash("author profile", name="Andreas Steiner", invoker=alice)
    (embed,) = shown.original_message["embeds"]
    assert embed["title"] == "Andreas Steiner"
    assert await linked(h, VISION) == VISION_PAPERS

    # 2. Another member's follow of the typed name still asks which one.
    asked = await h.slash("follow author", name="Andreas Steiner", invoker=olivia)
    menu = asked.original_message
    assert str(menu["content"]).startswith("Several authors match")
    # The stored one first (the profile stored him), then his namesake from the search.
    assert menu_values(menu) == [f"openalex:{VISION}", f"openalex:{ECONOMIST}"]
    await h.component(
        "follows:pick", message=menu, values=[f"openalex:{ECONOMIST}"], invoker=olivia
    )
    confirmed = h.fake.messages[menu["id"]]["content"]
    assert "No papers found for them yet: you will hear when one appears." in confirmed
    assert "Usual categories" not in confirmed
    assert await followed_by(h, olivia) == [ECONOMIST]
    async with h.bot.database.reader() as session:
        economist = (
            await session.execute(select(Author).where(Author.openalex_id == ECONOMIST))
        ).scalar_one()
    assert economist.usual_categories == [] and economist.arxiv_confirmed == 0

    await poll(h)
    assert await linked(h, ECONOMIST) == set()  # not the physicist's, not the vision one's

    # 3. alice follows the vision researcher from the menu; the poll keeps each to his own.
    asked = await h.slash("follow author", name="Andreas Steiner", invoker=alice)
    menu = asked.original_message
    await h.component("follows:pick", message=menu, values=[f"openalex:{VISION}"], invoker=alice)
    assert (
        "Usual categories: cs.AI · Artificial Intelligence, "
        "cs.CV · Computer Vision and Pattern Recognition." in h.fake.messages[menu["id"]]["content"]
    )
    await poll(h)
    assert await linked(h, VISION) == VISION_PAPERS
    assert await linked(h, ECONOMIST) == set()
