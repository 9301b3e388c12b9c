"""A member's personal follows stay private in their server (docs/product.md#privacy-of-follows).

A personal follow (scope me) remembers the server it was made in, but no other member of that
server may learn of it: not in `/follow author` autocomplete ("followed here"), not in the
footer or "Why" of `/paper show` (a public card: the member's own follows are named to them in
a private followup), not by picking `author:<id>`. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.services.candidates import Candidate
from tests.discord.author_support import NOW, author_bot, paper, seed_author
from tests.harness.bot_harness import BotHarness
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

MANAGE = discord.Permissions(manage_guild=True)


@pytest.fixture
async def h(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> AsyncIterator[BotHarness]:
    async with author_bot(harness_factory, upstream, database_url=database_url) as harness:
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


async def follow_for_member(h: BotHarness, author_id: int, *, scope: str = "me") -> None:
    """The member (not the owner) follows a stored author, as `/follow` does, in this server."""
    await h.bot.services.follows.follow(
        Candidate(value=f"author:{author_id}", display_name="", local_id=author_id),
        scope=scope,  # type: ignore[arg-type]
        user_id=int(h.fake.member["id"]),
        guild_id=h.fake.guild_id,
        channel_id=h.fake.channel_id,
    )


def why_and_footer(ex: Any) -> tuple[str | None, str]:
    """The `Why` field (the followed authors named) and the footer of a `/paper show` reply."""
    data = ex.callback.json.get("data") or {}
    (embed,) = data.get("embeds") or ex.original_message["embeds"]  # answered, or deferred
    fields = {f["name"]: f["value"] for f in embed.get("fields", [])}
    return fields.get("Why"), str(embed["footer"]["text"])


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_another_members_personal_follow_is_not_followed_here(h: BotHarness) -> None:
    secret = await seed(h, "Sally Secret", "2511.00001")
    shared = await seed(h, "Chan Shared", "2511.00002")
    await follow_for_member(h, secret, scope="me")
    await follow_for_member(h, shared, scope="channel")
    owner = h.fake.owner

    # The owner, typing in the same server, sees the channel's author only.
    theirs = await h.autocomplete("follow author", focused="name", name="", invoker=owner)
    assert [c["name"] for c in theirs.choices] == ["Chan Shared · 80 works (followed here)"]
    # The member who follows Sally sees her, as their own follow.
    mine = await h.autocomplete("follow author", focused="name", name="")
    assert [c["name"] for c in mine.choices] == [
        "Chan Shared · 80 works (followed here)",
        "Sally Secret · 80 works (you follow)",
    ]

    # `/paper show` by the owner does not name Sally (only the member follows her)...
    other = await h.slash("paper show", option_values={"id": "2511.00001"}, invoker=owner)
    assert why_and_footer(other) == (
        None,
        "arXiv:2511.00001v1 · tracked for an author not followed here",
    )
    # ...but does name the channel's author. The member's own `/paper show` is public too: its
    # card does not name Sally either; only a private followup tells the member they follow her.
    chan = await h.slash("paper show", option_values={"id": "2511.00002"}, invoker=owner)
    assert why_and_footer(chan) == ("Chan Shared", "arXiv:2511.00002v1")
    own = await h.slash("paper show", option_values={"id": "2511.00001"})
    assert why_and_footer(own) == (
        None,
        "arXiv:2511.00001v1 · tracked for an author not followed here",
    )
    card, mine = own.user_messages
    assert not card["flags"] & 64  # the card is public...
    assert mine["flags"] & 64 and mine["content"] == "You follow: **Sally Secret**"  # ...this not

    # Picking `author:<id>` of Sally is refused to the owner, allowed to the member.
    peek = await h.slash("follow author", name=f"author:{secret}", invoker=owner)
    assert str(peek.original_message["content"]).startswith("I do not know that author here.")
    again = await h.slash("follow author", name=f"author:{secret}")
    assert str(again.original_message["content"]).startswith("You already follow **Sally Secret**")
