"""`/follow author` and `/author profile` resolve a typed name the same way (one `AuthorResolver`).

Stored authors the asker may see (followed by this server's channels, by the asker, or by
nobody) are found by name first, accents and case folded; then OpenAlex. An author known only
through another member's personal follow is never the answer to someone else's typed name.
Autocomplete matches this server's authors and the invoker's own follows the same way
(`bot.names.matches_query`): `remy` finds `Rémy`. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.services.candidates import Candidate
from db.models import Follow
from tests.discord.author_support import NOW, author_bot, paper, seed_author
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

MANAGE = discord.Permissions(manage_guild=True)
HOMONYM = "A5000000777"


def homonym_search() -> bytes:
    """OpenAlex knows one "Rémy Lefèvre": not the one this server follows."""
    record = {
        "id": f"https://openalex.org/{HOMONYM}",
        "display_name": "Rémy Lefèvre",
        "display_name_alternatives": ["Rémy Lefèvre", "Remy Lefevre"],
        "works_count": 12,
        "cited_by_count": 30,
        "summary_stats": {"h_index": 3, "i10_index": 1},
        "ids": {"openalex": f"https://openalex.org/{HOMONYM}"},
        "affiliations": [
            {"institution": {"display_name": "Elsewhere University"}, "years": [2024]}
        ],
        "last_known_institutions": [{"display_name": "Elsewhere University"}],
        "counts_by_year": [],
        "updated_date": "2026-11-01T00:00:00",
    }
    return json.dumps({"meta": {"count": 1}, "results": [record], "group_by": []}).encode()


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        server.add_route(
            "GET",
            "/openalex/authors",
            body=homonym_search(),
            content_type="application/json",
            match=lambda r: (
                "lefevre" in r.query.get("search", "").lower()
                or "lefèvre" in r.query.get("search", "").lower()
            ),
        )
        yield server


@pytest.fixture
async def h(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> AsyncIterator[BotHarness]:
    # Monotonic time moves a second per reading: the sources' rate limiters wait on it, and
    # these tests call OpenAlex more than once.
    clock = ManualClock(NOW, monotonic_tick=1.0)
    async with author_bot(
        harness_factory, upstream, database_url=database_url, clock=clock
    ) as harness:
        yield harness


async def seed(h: BotHarness, name: str, arxiv_id: str) -> int:
    return await seed_author(
        h.bot.database,
        name,
        [
            paper(
                arxiv_id,
                title=f"A paper by {name}",
                published=NOW - timedelta(days=3),
                authors=[name],
            )
        ],
    )


async def follow_for_member(h: BotHarness, author_id: int, *, scope: str) -> None:
    """The member follows a stored author in this server (as `/follow` stores it)."""
    await h.bot.services.follows.follow(
        Candidate(value=f"author:{author_id}", display_name="", local_id=author_id),
        scope=scope,  # type: ignore[arg-type]
        user_id=int(h.fake.member["id"]),
        guild_id=h.fake.guild_id,
        channel_id=h.fake.channel_id,
    )


async def followed_author_of(h: BotHarness, user_id: int) -> int:
    async with h.bot.database.reader() as session:
        rows = await session.execute(
            select(Follow.author_id).where(Follow.scope == "user", Follow.target_id == user_id)
        )
        (author_id,) = rows.scalars().all()
    return author_id


def profile_title(ex: Any) -> str:
    (embed,) = ex.original_message["embeds"]
    return str(embed["title"])


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_follow_and_profile_of_a_typed_name_land_on_the_same_stored_author(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    stored = await seed(h, "Rémy Lefèvre", "2511.00011")
    await follow_for_member(h, stored, scope="channel")  # followed here: the owner may see it
    owner = h.fake.owner

    # Typed without accents: the stored author followed here comes first, and OpenAlex's
    # namesake is offered beside it (two people share the name: the follower picks).
    followed = await h.slash("follow author", name="remy lefevre", invoker=owner)
    menu = followed.original_message
    assert str(menu["content"]).startswith("Several authors match")
    values = [o["value"] for o in menu["components"][0]["components"][0]["options"]]
    assert values == [f"author:{stored}", f"openalex:{HOMONYM}"]
    await h.component("follows:pick", message=menu, values=values[:1], invoker=owner)
    assert await followed_author_of(h, int(owner["id"])) == stored

    shown = await h.slash("author profile", name="Remy LEFEVRE", invoker=owner)
    assert profile_title(shown) == "Rémy Lefèvre"
    profile = h.bot.services.profile
    assert await profile.resolve_author_id("remy lefevre") == stored
    # Only the follow searched OpenAlex; the profiles answered from the stored author.
    assert len(upstream.requests_to("/openalex/authors")) == 1


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_a_name_known_only_through_another_members_follow_is_searched_upstream(
    h: BotHarness, upstream: FakeUpstream
) -> None:
    hidden = await seed(h, "Rémy Lefèvre", "2511.00012")
    await follow_for_member(h, hidden, scope="me")  # private to the member
    owner = h.fake.owner

    followed = await h.slash("follow author", name="Rémy Lefèvre", invoker=owner)
    assert str(followed.original_message["content"]).startswith(
        "You now follow **Rémy Lefèvre** (Elsewhere University)"
    )
    theirs = await followed_author_of(h, int(owner["id"]))
    assert theirs != hidden

    # The profile the owner asks for is the same OpenAlex author, not the member's one.
    shown = await h.slash("author profile", name="Rémy Lefèvre", invoker=owner)
    (embed,) = shown.original_message["embeds"]
    assert embed["url"] == f"https://openalex.org/{HOMONYM}"
    # The member, who follows the stored one, gets theirs from both commands.
    mine = await h.slash("author profile", name="remy lefevre")
    assert HOMONYM not in (mine.original_message["embeds"][0].get("url") or "")


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_autocomplete_is_accent_insensitive_in_both_lists(h: BotHarness) -> None:
    here = await seed(h, "Rémy Lefèvre", "2511.00013")
    mine = await seed(h, "Jérémy Müller", "2511.00014")
    other = await seed(h, "Anna Remington", "2511.00015")
    await follow_for_member(h, here, scope="channel")
    await follow_for_member(h, mine, scope="me")
    await follow_for_member(h, other, scope="channel")

    # This server's channel follows and the member's own follows, matched alike.
    typed = await h.autocomplete("follow author", focused="name", name="remy")
    names = [c["name"] for c in typed.choices]
    assert "Rémy Lefèvre · 80 works (followed here)" in names
    assert "Jérémy Müller · 80 works (you follow)" in names
    assert not any(n.startswith("Anna Remington") for n in names)  # "remi", not "remy"
    accented = await h.autocomplete("follow author", focused="name", name="LEFÈVRE")
    assert accented.choices[0]["name"] == "Rémy Lefèvre · 80 works (followed here)"
    muller = await h.autocomplete("follow author", focused="name", name="muller")
    assert muller.choices[0]["name"] == "Jérémy Müller · 80 works (you follow)"

    # `/unfollow` lists the member's and the channel's follows the same way.
    gone = await h.autocomplete("unfollow author", focused="name", name="remy")
    assert [c["name"] for c in gone.choices] == [
        "Jérémy Müller · 80 works (you follow)",
        "Rémy Lefèvre · 80 works (this channel follows)",
    ]
