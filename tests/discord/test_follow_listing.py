"""/unfollow author and /following (pages, invoker-only buttons, timeout), end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from tests.discord.test_follow_commands import (  # noqa: F401  (fixtures by name)
    MANAGE,
    MEARMAN,
    PIWOWAR,
    START,
    clock,
    reply,
    stored,
    upstream,
    upstream_settings,
)
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

pytestmark = pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)


@pytest.fixture
async def h(
    harness_factory: HarnessFactory,
    upstream: FakeUpstream,  # noqa: F811
    clock: ManualClock,  # noqa: F811
    database_url: str,
) -> AsyncIterator[BotHarness]:
    """The bot on SQLite and PostgreSQL, sources pointed at the fake upstream."""
    async with harness_factory(
        database_url=database_url, settings=upstream_settings(upstream), clock=clock
    ) as harness:
        yield harness


async def seed_personal_follows(h: BotHarness, user_id: int, count: int) -> list[str]:
    """`count` authors the user follows (stored directly: the listing is under test here)."""
    assert h.bot.database is not None
    names = [f"Author {chr(65 + i // 26)}{chr(65 + i % 26)} Example" for i in range(count)]
    async with h.bot.database.transaction() as session:
        for index, name in enumerate(names):
            author = await AuthorRepository(session).upsert(
                display_name=name,
                now=START,
                openalex_id=f"A59000000{index:02d}",
                name_variants=[name],
                affiliations=["Institute of *Synthetic* Studies"],
                usual_categories=["cs.LG"],
            )
            await FollowRepository(session).add(
                author_id=author.id,
                scope="user",
                user_id=user_id,
                now=START,
                guild_id=h.fake.guild_id,
            )
    return names


def embed_of(message: dict[str, Any]) -> dict[str, Any]:
    (embed,) = message["embeds"]
    return dict(embed)


def buttons(message: dict[str, Any]) -> dict[str, bool]:
    """custom_id -> disabled, for the buttons on a message."""
    (row,) = message["components"]
    return {c["custom_id"]: bool(c.get("disabled")) for c in row["components"]}


async def test_unfollow_by_picked_value_and_by_typed_name(h: BotHarness) -> None:
    await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    await h.slash("follow author", name=f"openalex:{MEARMAN}", scope="channel", permissions=MANAGE)
    assert (await stored(h)).counts[:2] == (2, 2)

    choices = (await h.autocomplete("unfollow author", focused="name", name="")).choices
    assert [c["name"] for c in choices] == [
        "Heather Piwowar · OpenAlex (you follow)",
        "Joseph Mearman · Bangor University (this channel follows)",
    ]
    gone = await h.slash("unfollow author", name=choices[0]["value"])
    assert reply(gone) == "You no longer follow **Heather Piwowar**."
    again = await h.slash("unfollow author", name="Heather Piwowar")
    assert reply(again).startswith("“Heather Piwowar” is not among the authors you follow.")

    # The channel's follow needs Manage Server to remove, and is found by its name.
    denied = await h.slash("unfollow author", name="joseph mearman", scope="channel")
    assert reply(denied).startswith("Following for this channel needs the Manage Server")
    assert len((await stored(h)).follows) == 1
    removed = await h.slash(
        "unfollow author", name="joseph mearman", scope="channel", permissions=MANAGE
    )
    assert reply(removed) == "This channel no longer follows **Joseph Mearman**."
    rows = await stored(h)
    assert rows.follows == [] and len(rows.authors) == 2  # authors stay: papers link to them


async def test_unfollow_rejects_bad_input_without_touching_anything(h: BotHarness) -> None:
    await h.slash("follow author", name=f"openalex:{PIWOWAR}")
    for name, problem in (
        ("", "The author name is empty."),
        ("@everyone", "Author names cannot contain mentions"),
        ("y" * 1000, "That name is 1,000 characters long"),
    ):
        ex = await h.slash("unfollow author", name=name)
        assert ex.callback_type == 4 and ex.callback.json["data"]["content"].startswith(problem)
    assert len((await stored(h)).follows) == 1


async def test_following_pages_through_long_lists_for_the_invoker_only(h: BotHarness) -> None:
    alice = int(h.fake.member["id"])
    names = await seed_personal_follows(h, alice, 23)
    ex = await h.slash("following")
    message = ex.original_message
    assert message["flags"] & 64
    first = embed_of(message)
    assert first["title"] == "Authors you follow"
    assert first["footer"]["text"] == "Page 1/3 · 23 follows"
    lines = first["description"].split("\n")
    assert len(lines) == 10 and lines[0].startswith(
        f"**{names[0]}** · Institute of \\*Synthetic\\*"
    )
    assert "cs.LG · weekly · since <t:" in lines[0]
    assert buttons(message) == {"follows:previous": True, "follows:next": False}

    # Someone else's press is refused privately and changes nothing.
    other = await h.component("follows:next", message=message, invoker=h.fake.owner)
    assert other.callback_type == 4 and other.callback.json["data"]["flags"] == 64
    assert other.callback.json["data"]["content"].startswith(
        "Only the person who ran `/following` can use this."
    )
    assert embed_of(h.fake.messages[message["id"]])["footer"]["text"].startswith("Page 1/3")

    second = await h.component("follows:next", message=message)
    assert second.callback_type == 7
    shown = h.fake.messages[message["id"]]
    assert embed_of(shown)["footer"]["text"] == "Page 2/3 · 23 follows"
    assert embed_of(shown)["description"].split("\n")[0].startswith(f"**{names[10]}**")
    await h.component("follows:next", message=message)
    last = h.fake.messages[message["id"]]
    assert embed_of(last)["description"].count("\n") == 2  # 3 on the last page
    assert buttons(last) == {"follows:previous": False, "follows:next": True}
    await h.component("follows:previous", message=message)
    assert embed_of(h.fake.messages[message["id"]])["footer"]["text"].startswith("Page 2/3")

    # When the view times out its buttons are disabled on the message.
    view = h.bot._connection._view_store._synced_message_views[int(message["id"])]
    assert isinstance(view, discord.ui.View)
    await view.on_timeout()
    assert buttons(h.fake.messages[message["id"]]) == {
        "follows:previous": True,
        "follows:next": True,
    }


async def test_following_short_lists_and_channel_scope(h: BotHarness) -> None:
    empty = await h.slash("following")
    assert reply(empty) == "You follow no authors yet. Add one with `/follow author`."
    await h.slash("follow author", name=f"openalex:{PIWOWAR}", scope="channel", permissions=MANAGE)
    mine = await h.slash("following")
    assert reply(mine) == "You follow no authors yet. Add one with `/follow author`."
    channel = await h.slash("following", scope="channel")
    embed = embed_of(channel.original_message)
    assert embed["title"] == "Authors #general follows"
    assert embed["description"].startswith("**Heather Piwowar** · OpenAlex · cs.DL, cs.CY · weekly")
    assert embed["footer"]["text"] == "Page 1/1 · 1 follow"
    assert channel.original_message["components"] == []  # one page: no buttons
