"""Members' data (docs/product.md#your-data) through the real bot, on SQLite and PostgreSQL:
`/privacy show`, `/privacy delete` then a poll that would have alerted the member,
`/privacy delete-server`, and a server's data deleted after the bot left it (clock moved).

alice (`MEMBER_ID`) and olivia (`OWNER_ID`, the server's owner) both follow Heather Piwowar
with instant alerts; the fake arXiv has her 2 Sep 2024 paper for the poll (as in
`test_follow_poll_alert.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import func, select

from db.models import (
    DigestSchedule,
    Follow,
    GuildDeparture,
    OutboxEntry,
    SuggestionVote,
    TopicFollow,
)
from db.repositories.digests import DigestScheduleRepository
from db.repositories.follows import FollowRepository
from db.repositories.outbox import OutboxRepository
from db.repositories.suggestions import SuggestionRepository
from db.repositories.topics import TopicRepository
from tests.e2e.test_follow_poll_alert import (
    FEED,
    paper_dms,
    route_follow_search,
    route_poll_feed,
    settings_for,
    ticking_clock,
)
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import GUILD_ID, MEMBER_ID, OWNER_ID, TEXT_CHANNEL_ID

EPHEMERAL = 64
MANAGE = discord.Permissions(manage_guild=True, send_messages=True, view_channel=True)
OTHER_GUILD = GUILD_ID + 5000
OTHER_CHANNEL = GUILD_ID + 5001


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        route_poll_feed(server, server.fixture_bytes(FEED))
        route_follow_search(server)
        server.add_route(
            "GET",
            "/rss/cs.CY+cs.DL",
            fixture="arxiv_rss/rss_test_empty-weekend-style.xml",
            content_type="application/rss+xml; charset=utf-8",
        )
        yield server


async def count(h: BotHarness, model: type, *where: Any) -> int:
    assert h.bot.database is not None
    async with h.bot.database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


def database(h: BotHarness) -> Any:
    assert h.bot.database is not None
    return h.bot.database


async def follow_heather(h: BotHarness, invoker: dict[str, Any] | None = None) -> None:
    ex = await h.slash("follow author", name="Heather Piwowar", notify="instant", invoker=invoker)
    assert "now follow **Heather Piwowar**" in ex.user_messages[-1]["content"], ex


async def seed_member_extras(h: BotHarness, clock: ManualClock) -> int:
    """alice's digest, a channel follow and a channel digest she set up, her vote on it, a
    queued DM, and a topic follow of olivia's; returns the channel digest's id."""
    now = clock.now()
    async with database(h).transaction() as session:
        (heather,) = [f.author_id for f in await FollowRepository(session).list_for_user(MEMBER_ID)]
        await FollowRepository(session).add(
            author_id=heather,
            scope="channel",
            user_id=MEMBER_ID,
            channel_id=TEXT_CHANNEL_ID,
            guild_id=GUILD_ID,
            now=now,
        )
        schedules = DigestScheduleRepository(session)
        await schedules.upsert(
            target_kind="dm",
            target_id=MEMBER_ID,
            weekday=0,
            local_time="09:00",
            timezone="Europe/Zurich",
            next_digest_at=now + timedelta(days=7),
            now=now,
            created_by=MEMBER_ID,
        )
        channel = await schedules.upsert(
            target_kind="channel",
            target_id=TEXT_CHANNEL_ID,
            guild_id=GUILD_ID,
            weekday=4,
            local_time="10:00",
            timezone="UTC",
            next_digest_at=now + timedelta(days=7),
            now=now,
            created_by=MEMBER_ID,
        )
        await SuggestionRepository(session).vote(
            channel.id, "2408.00001", "down", user_id=MEMBER_ID, now=now
        )
        await SuggestionRepository(session).vote(
            channel.id, "2408.00002", "up", user_id=OWNER_ID, now=now
        )
        await TopicRepository(session).add(
            scope="user",
            user_id=OWNER_ID,
            now=now,
            query="olivia's secret topic",
            query_key="olivia secret topic",
            categories=["cs.DL"],
        )
        await OutboxRepository(session).enqueue(
            kind="notice",
            dedupe_key="notice:test:alice",
            destination_kind="user",
            destination_id=MEMBER_ID,
            payload={"kind": "outage", "source": "arxiv_api", "since": None},
            now=now,
        )
        return channel.id


def fields(ex: Any) -> dict[str, str]:
    (embed,) = ex.user_messages[-1]["embeds"]
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_show_then_delete_then_a_poll_sends_her_nothing_and_olivia_her_alert(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await follow_heather(h)
        await follow_heather(h, invoker=h.fake.owner)
        channel_schedule = await seed_member_extras(h, clock)

        # /privacy show: hers only, privately.
        shown = await h.slash("privacy show")
        assert shown.user_messages[-1]["flags"] & EPHEMERAL
        groups = fields(shown)
        assert "papers of **Heather Piwowar**: instant" in groups["Your follows (1)"]
        assert "09:00 (Europe/Zurich), compact" in groups["Your personal digest (DMs)"]
        assert "👎 arXiv:2408.00001" in groups["Suggestion votes you cast (1)"]
        assert f"for <#{TEXT_CHANNEL_ID}>" in groups["Channel follows you set up (1)"]
        assert f"<#{TEXT_CHANNEL_ID}>" in groups["Channel digests you set up (1)"]
        assert "1 waiting to be sent" in groups["Messages to your DMs"]
        everything = str(shown.user_messages[-1])
        assert "secret topic" not in everything and "2408.00002" not in everything

        # Cancel deletes nothing.
        prompt = (await h.slash("privacy delete")).user_messages[-1]
        assert prompt["flags"] & EPHEMERAL
        assert "1 follow, your personal digest, 1 suggestion vote" in prompt["content"]
        assert "belong to that channel: they stay" in prompt["content"]
        await h.component("privacy:cancel", message=prompt)
        assert h.fake.messages[prompt["id"]]["content"] == "Cancelled: nothing was deleted."
        assert await count(h, Follow, Follow.target_id == MEMBER_ID) == 1

        # Only she may confirm.
        prompt = (await h.slash("privacy delete")).user_messages[-1]
        refused = await h.component("privacy:confirm", message=prompt, invoker=h.fake.owner)
        assert (
            "Only the person who ran `/privacy delete`" in refused.callback.json["data"]["content"]
        )
        assert await count(h, Follow, Follow.target_id == MEMBER_ID) == 1

        # A delivery tick claimed her queued DM just before she confirms.
        async with database(h).transaction() as session:
            (claimed,) = await OutboxRepository(session).claim(
                "slow-worker", limit=5, lease_seconds=120, now=clock.now()
            )
        await h.component("privacy:confirm", message=prompt)
        done = h.fake.messages[prompt["id"]]
        assert done["content"].startswith("Deleted: 1 follows, 1 personal digest, 1 votes")
        assert done["components"] == []
        assert h.bot.delivery is not None
        assert await h.bot.delivery._deliver(claimed) == "withdrawn"  # that tick sends nothing
        assert paper_dms(h) == []

        # Her rows are gone; the channel's follow and digest stay, no longer naming her.
        assert await count(h, Follow, Follow.scope == "user", Follow.target_id == MEMBER_ID) == 0
        assert await count(h, DigestSchedule, DigestSchedule.target_id == MEMBER_ID) == 0
        assert await count(h, SuggestionVote, SuggestionVote.voted_by == MEMBER_ID) == 0
        assert await count(h, OutboxEntry, OutboxEntry.destination_id == MEMBER_ID) == 0
        assert await count(h, Follow, Follow.user_id == MEMBER_ID) == 0
        assert await count(h, Follow, Follow.scope == "channel", Follow.user_id.is_(None)) == 1
        assert await count(h, DigestSchedule, DigestSchedule.id == channel_schedule) == 1
        # olivia's untouched.
        assert await count(h, Follow, Follow.target_id == OWNER_ID) == 1
        assert await count(h, TopicFollow, TopicFollow.target_id == OWNER_ID) == 1
        assert await count(h, SuggestionVote, SuggestionVote.voted_by == OWNER_ID) == 1

        # The poll finds Heather's new paper: olivia is alerted, alice is not.
        clock.advance(timedelta(hours=48))
        summary = await h.bot.services.polling.run_cycle()
        assert summary.errors == [], summary.errors
        await h.bot.deliver_tick()
        await h.bot.deliver_tick()
        assert paper_dms(h) == []
        olivia = [m for m in h.fake.dm_messages(OWNER_ID) if m.get("embeds")]
        assert len(olivia) == 1
        assert await count(h, OutboxEntry, OutboxEntry.destination_id == MEMBER_ID) == 0

        shown = await h.slash("privacy show")
        assert "PaperScout stores nothing about you." in str(shown.user_messages[-1])


async def seed_server(h: BotHarness, clock: ManualClock, guild_id: int, channel_id: int) -> None:
    """A channel follow, a channel digest and a queued channel alert in `guild_id`, and a
    personal follow of alice's made there."""
    now = clock.now()
    async with database(h).transaction() as session:
        author = (await FollowRepository(session).list_for_user(OWNER_ID))[0].author_id
        follows = FollowRepository(session)
        await follows.add(
            author_id=author,
            scope="channel",
            user_id=OWNER_ID,
            channel_id=channel_id,
            guild_id=guild_id,
            now=now,
        )
        await TopicRepository(session).add(
            scope="channel",
            user_id=OWNER_ID,
            channel_id=channel_id,
            guild_id=guild_id,
            now=now,
            query="vision",
            query_key="vision",
            categories=["cs.CV"],
        )
        await DigestScheduleRepository(session).upsert(
            target_kind="channel",
            target_id=channel_id,
            guild_id=guild_id,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=now + timedelta(days=400),  # never due in these tests
            now=now,
            created_by=OWNER_ID,
        )
        await OutboxRepository(session).enqueue(
            kind="notice",
            dedupe_key=f"notice:test:{channel_id}",
            destination_kind="channel",
            destination_id=channel_id,
            guild_id=guild_id,
            payload={"kind": "outage", "source": "arxiv_api", "since": None},
            now=now,
            not_before=now + timedelta(days=400),
        )


async def server_rows(h: BotHarness, guild_id: int) -> list[int]:
    return [
        await count(h, Follow, Follow.scope == "channel", Follow.guild_id == guild_id),
        await count(
            h, TopicFollow, TopicFollow.scope == "channel", TopicFollow.guild_id == guild_id
        ),
        await count(h, DigestSchedule, DigestSchedule.guild_id == guild_id),
        await count(h, OutboxEntry, OutboxEntry.guild_id == guild_id),
    ]


async def two_servers(h: BotHarness, clock: ManualClock) -> None:
    await follow_heather(h)  # alice's own, made in the server: it stays hers
    await follow_heather(h, invoker=h.fake.owner)
    await seed_server(h, clock, GUILD_ID, TEXT_CHANNEL_ID)
    await seed_server(h, clock, OTHER_GUILD, OTHER_CHANNEL)
    assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_delete_server_needs_manage_server_then_deletes_this_server_only(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await two_servers(h, clock)

        refused = await h.slash("privacy delete-server")
        message = refused.user_messages[-1]
        assert message["flags"] & EPHEMERAL
        assert message["content"] == (
            "Deleting this server's PaperScout data needs the Manage Server permission. "
            "`/privacy delete` deletes your own."
        )
        assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]

        prompt = (await h.slash("privacy delete-server", permissions=MANAGE)).user_messages[-1]
        assert "2 channel follows, 1 channel digests" in prompt["content"]
        assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]
        # Pressed by someone without Manage Server (the member who ran it lost it): refused.
        await h.component("privacy:confirm", message=prompt, permissions=discord.Permissions())
        assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]

        await h.component("privacy:confirm", message=prompt, permissions=MANAGE)
        assert h.fake.messages[prompt["id"]]["content"].startswith(
            "Deleted this server's data: 2 channel follows, 1 channel digests and 1 message"
        )
        assert await server_rows(h, GUILD_ID) == [0, 0, 0, 0]
        assert await server_rows(h, OTHER_GUILD) == [1, 1, 1, 1]
        assert await count(h, Follow, Follow.scope == "user") == 2  # members' own stay


async def guild_event(h: BotHarness, event: str, data: dict[str, Any], listener: str) -> None:
    """Feed a gateway event and wait for the bot's listener tasks it started."""
    await h.feed(event, data)
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == f"discord.py: {listener}"]
    await asyncio.gather(*tasks)


async def purge_tick(h: BotHarness) -> None:
    """The scheduled daily job, as the scheduler would fire it."""
    job = h.bot.scheduler.get_job("purge_server_data")
    assert job is not None
    await job.func()


async def test_a_server_that_removed_the_bot_loses_its_data_after_the_grace_period(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await two_servers(h, clock)
        removed_at = clock.now()
        await guild_event(h, "GUILD_DELETE", {"id": str(GUILD_ID)}, "on_guild_remove")
        async with database(h).reader() as session:
            (departure,) = (await session.scalars(select(GuildDeparture))).all()
        assert (departure.guild_id, departure.left_at) == (GUILD_ID, removed_at)

        clock.set(removed_at + timedelta(days=29))
        await purge_tick(h)
        assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]

        clock.set(removed_at + timedelta(days=31))
        await purge_tick(h)
        assert await server_rows(h, GUILD_ID) == [0, 0, 0, 0]
        assert await count(h, GuildDeparture) == 0
        assert await server_rows(h, OTHER_GUILD) == [1, 1, 1, 1]
        assert await count(h, Follow, Follow.scope == "user") == 2


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_added_back_within_the_grace_period_the_server_keeps_its_data(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await two_servers(h, clock)
        removed_at = clock.now()
        await guild_event(h, "GUILD_DELETE", {"id": str(GUILD_ID)}, "on_guild_remove")
        assert await count(h, GuildDeparture) == 1

        clock.set(removed_at + timedelta(days=10))
        (guild,) = [g for g in h.fake.guild_create_payloads() if g["id"] == str(GUILD_ID)]
        guild.pop("unavailable")  # a server joined anew, as Discord announces it
        await guild_event(h, "GUILD_CREATE", guild, "on_guild_join")
        assert await count(h, GuildDeparture) == 0

        clock.set(removed_at + timedelta(days=31))
        await purge_tick(h)
        assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_a_server_that_removed_the_bot_while_it_was_offline_is_found_at_start(
    harness_factory: HarnessFactory, upstream: FakeUpstream, database_url: str
) -> None:
    """The bot is in GUILD_ID only; OTHER_GUILD has channel data but removed the bot while it
    was offline (no GUILD_DELETE ever came). At the next start its grace period begins."""
    clock = ticking_clock()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock
    ) as h:
        await two_servers(h, clock)
        assert await count(h, GuildDeparture) == 0
    restarted_at = clock.now()
    async with harness_factory(
        database_url=database_url, settings=settings_for(upstream), clock=clock, migrate=False
    ) as h:
        ready = [t for t in asyncio.all_tasks() if t.get_name() == "discord.py: on_ready"]
        await asyncio.gather(*ready)
        async with database(h).reader() as session:
            (departure,) = (await session.scalars(select(GuildDeparture))).all()
        assert departure.guild_id == OTHER_GUILD and departure.left_at >= restarted_at

        clock.set(departure.left_at + timedelta(days=31))
        await purge_tick(h)
        assert await server_rows(h, OTHER_GUILD) == [0, 0, 0, 0]
        assert await server_rows(h, GUILD_ID) == [1, 1, 1, 1]  # the bot is there: kept
