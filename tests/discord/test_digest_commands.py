"""The /digest commands through the fake Discord: what users see, and what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest
from sqlalchemy import select

from bot.discord_sender import DiscordSender
from db.models import DigestSchedule
from tests.e2e.digest_support import add_authors, add_papers, follow, tick, unmarked
from tests.e2e.test_digest_delivery import footers
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.payloads import (
    GUILD_ID,
    MEMBER_ID,
    MODERATOR_PERMISSIONS,
    OWNER_ID,
    TEXT_CHANNEL_ID,
)

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
MONDAY_9_ZURICH = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MOD = discord.Permissions(manage_guild=True, send_messages=True, view_channel=True)


async def stored_schedules(h: BotHarness) -> list[DigestSchedule]:
    async with h.bot.database.reader() as session:
        return list((await session.execute(select(DigestSchedule))).scalars())


async def setup(h: BotHarness, **options: object) -> object:
    values = {"weekday": 0, "time": "9:00", "timezone": "europe/zurich", **options}
    return await h.slash(
        "digest setup",
        permissions=values.pop("permissions", MOD),
        option_values={"channel": TEXT_CHANNEL_ID},
        validate=bool(values.pop("validate", True)),
        **values,
    )


def shown(ex: object) -> str:
    """The ephemeral text the invoker saw last."""
    messages = ex.user_messages  # type: ignore[attr-defined]
    assert all(m["flags"] & 64 for m in messages)  # only the invoker sees it
    return str(messages[-1]["content"])


async def seed(h: BotHarness, *, user_follows: bool = False) -> tuple[int, int]:
    ada, grace = await add_authors(h.bot.database, ("Ada Lovelace", "Grace Hopper"), now=T0)
    before = T0 - timedelta(days=1)
    await follow(
        h.bot.database,
        [ada, grace],
        now=before,
        channel_id=TEXT_CHANNEL_ID,
        guild_id=GUILD_ID,
        user_id=OWNER_ID,
    )
    if user_follows:
        await follow(h.bot.database, [ada], now=before, user_id=MEMBER_ID)
        await follow(h.bot.database, [grace], now=before, user_id=MEMBER_ID, notify="instant")
    return ada, grace


async def test_setup_by_a_moderator_stores_the_schedule(harness_factory) -> None:
    clock = ManualClock(T0)
    async with harness_factory(clock=clock) as h:
        ex = await setup(h)
        (schedule,) = await stored_schedules(h)
    assert ex.callback_type == 5 and ex.callback.json["data"]["flags"] == 64
    text = shown(ex)
    assert text.startswith(f"Weekly digest for <#{TEXT_CHANNEL_ID}> set up: every Monday at 09:00")
    assert "(Europe/Zurich)" in text and f"<t:{int(MONDAY_9_ZURICH.timestamp())}:F>" in text
    assert (schedule.target_kind, schedule.target_id, schedule.guild_id) == (
        "channel",
        TEXT_CHANNEL_ID,
        GUILD_ID,
    )
    assert (schedule.weekday, schedule.local_time, schedule.timezone) == (
        0,
        "09:00",
        "Europe/Zurich",
    )
    assert schedule.next_digest_at == MONDAY_9_ZURICH and schedule.created_by == MEMBER_ID


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone I know"),
        ({"timezone": "../../etc/passwd"}, "is not a time zone I know"),
        ({"timezone": "localtime"}, "'localtime' is not a time zone I know"),
        ({"timezone": "Factory"}, "'Factory' is not a time zone I know"),
        ({"time": "25:00"}, "'25:00' is not a time: use HH:MM"),
        ({"time": "9am"}, "'9am' is not a time"),
        ({"weekday": 9, "validate": False}, "I could not understand"),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_stored(
    discord_harness: BotHarness, options: dict[str, object], message: str
) -> None:
    ex = await setup(discord_harness, **options)
    assert message in shown(ex)
    assert await stored_schedules(discord_harness) == []


async def test_a_plain_member_cannot_set_up_send_or_turn_off(
    discord_harness: BotHarness,
) -> None:
    h = discord_harness
    refused = await setup(h, permissions=None)  # alice: a plain member
    assert shown(refused) == "You need the Manage Server permission to do that."
    await setup(h)  # a moderator sets it up
    now = await h.slash("digest send-now")
    assert shown(now) == "You need the Manage Server permission to do that."
    off = await h.slash("digest off")
    assert "needs the Manage Server permission" in shown(off)
    (schedule,) = await stored_schedules(h)
    assert schedule.paused is False
    assert h.fake.channel_messages(TEXT_CHANNEL_ID) == []


async def test_setup_in_a_dm_is_refused(discord_harness: BotHarness) -> None:
    ex = await discord_harness.slash(
        "digest setup",
        dm=True,
        option_values={"channel": TEXT_CHANNEL_ID},
        weekday=0,
        time="09:00",
        timezone="UTC",
        validate=False,
    )
    assert shown(ex) == "This command only works in a server."


async def test_send_now_in_a_dm_is_refused(discord_harness: BotHarness) -> None:
    ex = await discord_harness.slash("digest send-now", dm=True)
    assert shown(ex) == "This command only works in a server."


async def test_time_zone_autocomplete_offers_iana_names(discord_harness: BotHarness) -> None:
    ex = await discord_harness.autocomplete(
        "digest setup", focused="timezone", permissions=MOD, timezone="zur"
    )
    names = [c["value"] for c in ex.choices]
    assert names[0] == "Europe/Zurich" and len(names) <= 25
    ex = await discord_harness.autocomplete("digest me", focused="timezone", timezone="america/new")
    assert [c["value"] for c in ex.choices] == ["America/New_York"]
    for not_a_place in ("localtime", "factory", "us/eastern"):
        ex = await discord_harness.autocomplete(
            "digest me", focused="timezone", timezone=not_a_place
        )
        assert ex.choices == []


async def test_an_old_zone_name_is_stored_as_its_canonical_name(
    discord_harness: BotHarness,
) -> None:
    ex = await setup(discord_harness, timezone="US/Eastern")
    assert "(America/New_York)" in shown(ex)
    (schedule,) = await stored_schedules(discord_harness)
    assert schedule.timezone == "America/New_York"


@pytest.mark.parametrize(("style", "papers"), [("compact", 60), ("full", 24)])
async def test_preview_equals_what_is_then_posted(harness_factory, style: str, papers: int) -> None:
    """Three messages in each style: 25 lines to a compact one, ~8 long cards to a full one."""
    clock = ManualClock(T0)
    async with harness_factory(clock=clock) as h:
        ada, grace = await seed(h)
        await setup(h, style=style)
        await add_papers(
            h.bot.database,
            papers,
            authors=[(ada, "Ada Lovelace"), (grace, "Grace Hopper")],
            now=T0,
            abstract_words=150,
        )
        preview = await h.slash("digest preview")  # anyone may look
        clock.set(MONDAY_9_ZURICH)
        await tick(h.bot.database, clock, DiscordSender(h.bot))
        posted = h.fake.channel_messages(TEXT_CHANNEL_ID)

    intro = preview.original_message["content"]
    assert intro.startswith(f"Preview of the next digest for <#{TEXT_CHANNEL_ID}> (3 messages)")
    previewed = preview.followup_messages
    assert all(m["flags"] & 64 for m in previewed)  # private
    assert len(posted) == 3
    assert [(m["content"], m["embeds"]) for m in previewed] == [
        (m["content"], m["embeds"])
        for m in map(unmarked, posted)  # posted ones carry a marker
    ]
    assert posted[0]["content"] == f"{papers} new papers from 2 followed authors, 20-23 Nov"


async def test_send_now_posts_and_the_weekly_digest_does_not_repeat(harness_factory) -> None:
    clock = ManualClock(T0)
    async with harness_factory(clock=clock) as h:
        ada, _ = await seed(h)
        await setup(h)
        await add_papers(h.bot.database, 2, authors=[(ada, "Ada Lovelace")], now=T0)
        clock.advance(timedelta(hours=1))
        ex = await h.slash("digest send-now", permissions=MOD)
        sender = DiscordSender(h.bot)
        await tick(h.bot.database, clock, sender)
        again = await h.slash("digest send-now", permissions=MOD)
        clock.advance(timedelta(hours=1))
        await add_papers(
            h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=clock.now(), start=5
        )
        clock.set(MONDAY_9_ZURICH)
        await tick(h.bot.database, clock, sender)
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        (schedule,) = await stored_schedules(h)

    assert shown(ex) == (
        f"Digest with 2 papers queued for <#{TEXT_CHANNEL_ID}>: it appears within a few seconds."
    )
    assert shown(again).startswith(f"Nothing new for <#{TEXT_CHANNEL_ID}> since the last digest")
    assert [m["content"] for m in messages] == [
        "2 new papers from 1 followed author, 20 Nov",
        "1 new paper from 1 followed author, 20-23 Nov",
    ]
    assert [footers([m]) for m in messages] == [["2611.00000", "2611.00001"], ["2611.00005"]]
    assert schedule.next_digest_at == MONDAY_9_ZURICH + timedelta(days=7)


async def test_personal_digest_goes_to_dms_with_weekly_follows_only(harness_factory) -> None:
    clock = ManualClock(T0)
    async with harness_factory(clock=clock) as h:
        ada, grace = await seed(h, user_follows=True)
        ex = await h.slash("digest me", weekday=0, time="07:30", timezone="UTC")
        await add_papers(h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=T0)
        await add_papers(h.bot.database, 1, authors=[(grace, "Grace Hopper")], now=T0, start=1)
        preview = await h.slash("digest preview", mine=True)
        clock.set(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
        await tick(h.bot.database, clock, DiscordSender(h.bot))
        dms = h.fake.dm_messages(MEMBER_ID)

    assert shown(ex).startswith("Weekly digest for your DMs set up: every Monday at 07:30 (UTC)")
    assert preview.original_message["content"].startswith(
        "Preview of the next digest for your DMs (1 message)"
    )
    (dm,) = dms
    assert dm["content"] == "1 new paper from 1 followed author, 20-23 Nov"
    assert footers([dm]) == ["2611.00000"]  # Grace is an instant follow: not here
    assert h.fake.channel_messages(TEXT_CHANNEL_ID) == []  # no channel digest was set up


async def test_off_pauses_and_setup_resumes_without_repeats(harness_factory) -> None:
    clock = ManualClock(T0)
    async with harness_factory(clock=clock) as h:
        ada, _ = await seed(h)
        await setup(h, post_empty_weeks=False)
        await add_papers(h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=T0)
        off = await h.slash("digest off", permissions=MOD)
        preview = await h.slash("digest preview")
        status = await h.slash("status", permissions=MOD)
        sender = DiscordSender(h.bot)
        clock.set(MONDAY_9_ZURICH)
        await tick(h.bot.database, clock, sender)
        silent = list(h.fake.channel_messages(TEXT_CHANNEL_ID))
        clock.advance(timedelta(hours=1))
        resumed = await setup(h, weekday=1)
        clock.set(MONDAY_9_ZURICH + timedelta(days=1))
        await tick(h.bot.database, clock, sender)
        clock.advance(timedelta(days=7))  # an empty week: posting is off, nothing posted
        await tick(h.bot.database, clock, sender)
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert shown(off).startswith(f"Weekly digest for <#{TEXT_CHANNEL_ID}> turned off")
    assert "**paused** (turned off with /digest off)" in preview.original_message["content"]
    digests = {f["name"]: f["value"] for f in status.original_message["embeds"][0]["fields"]}
    assert "paused: turned off with /digest off" in digests["Digests"]
    assert silent == []
    assert "resumed: every Tuesday at 09:00" in shown(resumed)
    assert "Weeks without new papers post nothing." in shown(resumed)
    assert [m["content"] for m in messages] == ["1 new paper from 1 followed author, 20-24 Nov"]


async def test_status_shows_the_next_digest_of_this_server(harness_factory) -> None:
    clock = ManualClock(T0)
    async with harness_factory(clock=clock) as h:
        await setup(h)
        ex = await h.slash("status", permissions=MODERATOR_PERMISSIONS)
    fields = {f["name"]: f["value"] for f in ex.original_message["embeds"][0]["fields"]}
    assert fields["Digests"] == (
        f"\N{LARGE GREEN CIRCLE} <#{TEXT_CHANNEL_ID}> next digest "
        f"<t:{int(MONDAY_9_ZURICH.timestamp())}:f>"
    )
    assert "Delivery queue" not in fields  # nothing queued yet
