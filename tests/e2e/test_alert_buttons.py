"""The buttons under an alert through the fake Discord: PDF, Mute this author (DMs) and
Unfollow, persistent across a restart; the author named once; the delivery marker out of
sight. Real bot, fake Discord, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import discord

from db.models import Follow
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from tests.e2e.digest_support import follow
from tests.e2e.test_alert_delivery import NOW, delivery, seed_alert
from tests.harness.clock import ManualClock
from tests.harness.payloads import GUILD_ID, MEMBER_ID, OWNER_ID, TEXT_CHANNEL_ID

MOD = discord.Permissions(manage_guild=True, send_messages=True, view_channel=True)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components", []) for c in row["components"]]


async def steiner(h: Any) -> int:
    """The id of the followed author `seed_alert` stored."""
    async with h.bot.database.reader() as session:
        author = await AuthorRepository(session).get_by_openalex_id("A5000000001")
    assert author is not None
    return author.id


async def follows_of(h: Any) -> list[Follow]:
    async with h.bot.database.reader() as session:
        return await FollowRepository(session).list_for_user(MEMBER_ID) + await FollowRepository(
            session
        ).list_for_channel(TEXT_CHANNEL_ID)


async def test_a_dm_alert_names_the_author_once_and_its_buttons_mute_then_unfollow(
    harness_factory, database_url
) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="user", destination_id=MEMBER_ID
        )
        author_id = await steiner(h)
        await follow(h.bot.database, [author_id], now=NOW, user_id=MEMBER_ID, notify="instant")
        assert (await delivery(h, clock).deliver_due()).sent == 1
        (message,) = h.fake.dm_messages(MEMBER_ID)
        muted = await h.component(f"alert:mute:{author_id}:ref {entry_id}.0", message=message)
        (after_mute,) = await follows_of(h)

    assert message["content"] == "New paper by Andreas Steiner"
    (embed,) = message["embeds"]
    assert [f["name"] for f in embed["fields"]] == ["Authors", "Category", "Published"]  # no Why
    assert embed["footer"]["text"] == "arXiv:2412.03555v1"  # no marker in sight
    pdf, mute, unfollow = buttons(message)
    assert (pdf["label"], pdf["url"]) == ("PDF", "https://arxiv.org/pdf/2412.03555")
    assert (mute["label"], mute["custom_id"]) == (
        "Mute this author",
        f"alert:mute:{author_id}:ref {entry_id}.0",
    )
    assert (unfollow["label"], unfollow["custom_id"]) == (
        "Unfollow",
        f"alert:unfollow:{author_id}:ref {entry_id}.0",
    )
    (reply,) = muted.user_messages
    assert reply["flags"] & 64 and reply["content"].startswith("Muted **Andreas Steiner**")
    assert "`/digest me`" in reply["content"]  # no DM digest yet: where the papers will wait
    assert after_mute.notify == "weekly" and after_mute.scope == "user"

    # After a restart the same message's Unfollow still works.
    async with harness_factory(database_url=database_url, clock=clock, migrate=False) as again:
        gone = await again.component(unfollow["custom_id"], message=message)
        left = await follows_of(again)
    (reply,) = gone.user_messages
    assert reply["content"] == "You no longer follow **Andreas Steiner**."
    assert left == []


async def test_a_channel_alert_offers_unfollow_to_moderators_only(
    harness_factory, sqlite_url
) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        await seed_alert(h.bot.database, destination_kind="channel", destination_id=TEXT_CHANNEL_ID)
        await follow(
            h.bot.database,
            [await steiner(h)],
            now=NOW,
            channel_id=TEXT_CHANNEL_ID,
            guild_id=GUILD_ID,
            user_id=OWNER_ID,
            notify="instant",
        )
        await delivery(h, clock).deliver_due()
        (message,) = h.fake.channel_messages(TEXT_CHANNEL_ID)
        (pdf, unfollow) = buttons(message)  # no Mute: the channel's follow is not anyone's own
        refused = await h.component(unfollow["custom_id"], message=message)
        still = await follows_of(h)
        done = await h.component(unfollow["custom_id"], message=message, permissions=MOD)
        left = await follows_of(h)

    assert pdf["label"] == "PDF" and unfollow["label"] == "Unfollow"
    (no,) = refused.user_messages
    assert no["flags"] & 64 and "Manage Server" in no["content"]
    assert len(still) == 1
    (yes,) = done.user_messages
    assert yes["content"] == "This channel no longer follows **Andreas Steiner**."
    assert left == []
