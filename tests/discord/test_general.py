"""`/help` and `/status` end to end, command registration, intents and allowed mentions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest
from discord import app_commands

from bot import __version__
from bot.render.help import METRICS_HELP, METRICS_PLAIN
from bot.services.metrics_refresh import JOB_KEY as METRICS_REFRESH_KEY
from db.repositories.feeds import FeedStateRepository
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_discord import DiscordWouldReject, FakeDiscord
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MODERATOR_PERMISSIONS

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)  # GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT


def fields(embed: dict[str, object]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}  # type: ignore[attr-defined, union-attr]


async def test_help_lists_every_command_of_the_loaded_cogs_grouped(
    discord_harness: BotHarness,
) -> None:
    h = discord_harness
    ex = await h.slash("help")
    assert (
        ex.callback_type == 4 and ex.callback.json["data"]["flags"] == 64
    )  # only the invoker sees it
    (embed,) = ex.callback.json["data"]["embeds"]
    assert embed["title"] == "PaperScout commands"
    assert embed["description"].startswith("**Start here**\n1. `/follow author name:`")
    assert "`/digest me`" in embed["description"] and "`/author profile" in embed["description"]
    shown = fields(embed)
    expected: dict[str, list[str]] = {}
    for cog in h.bot.cogs.values():
        for command in cog.walk_app_commands():
            if isinstance(command, app_commands.Command):
                expected.setdefault(cog.qualified_name, []).append(
                    f"`/{command.qualified_name}`: {command.description}"
                )
    assert shown == {section: "\n".join(lines) for section, lines in expected.items()}
    assert (
        "`/help`: What PaperScout can do" in shown["General"] and "`/status`:" in shown["General"]
    )


async def test_help_topic_metrics_explains_every_metric(discord_harness: BotHarness) -> None:
    ex = await discord_harness.slash("help", topic="metrics")
    data = ex.callback.json["data"]
    assert data["flags"] == 64
    (embed,) = data["embeds"]
    assert embed["title"] == "What the numbers mean"
    # One plain sentence per metric first, then the formulas.
    assert embed["description"].startswith(METRICS_PLAIN)
    assert embed["description"].endswith(METRICS_HELP)
    for term in ("h-index", "Citations", "Works", "Papers tracked", "Novelty", "AI Score"):
        assert f"**{term}**:" in METRICS_PLAIN
    for term in ("h-index", "Papers tracked", "Primary field", "Novelty %", "AI Score"):
        assert term in METRICS_HELP


async def test_help_topic_is_limited_to_its_choices(discord_harness: BotHarness) -> None:
    with pytest.raises(DiscordWouldReject, match="not one of the choices"):
        await discord_harness.slash("help", topic="everything")


async def test_help_works_in_a_dm(discord_harness: BotHarness) -> None:
    ex = await discord_harness.slash("help", dm=True)
    assert ex.callback.json["data"]["embeds"][0]["title"] == "PaperScout commands"
    assert (
        ex.original_message["channel_id"]
        == discord_harness.fake.dm_channel_for(ex.payload["user"]["id"])["id"]
    )


async def test_status_defers_then_reports(
    harness_factory: HarnessFactory, database_url: str
) -> None:
    """On SQLite and PostgreSQL, in both harness modes."""
    clock = ManualClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    async with harness_factory(database_url=database_url, clock=clock) as h:
        clock.advance(timedelta(hours=1, minutes=2, seconds=3))
        ex = await h.slash("status", permissions=MODERATOR_PERMISSIONS)
        member = await h.slash("status")
        backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert ex.callback_type == 5 and ex.callback.json["data"]["flags"] == 64  # thinking, privately
    (followup,) = ex.followups
    (embed,) = followup.json["embeds"]
    assert embed["title"] == "PaperScout status"
    assert fields(embed) == {
        "Version": __version__,
        "Uptime": "1h 2m 3s",
        "Database": f"\N{LARGE GREEN CIRCLE} {backend} (answering)",
        "Sources": "No source has been polled yet.",
        "Daily jobs": (
            "metrics refresh: last done never\nOpenAlex works: last done never\n"
            "PubMed: last done never\nCrossref links: last done never\n"
            "citations: last done never"
        ),
    }
    # What the user sees: the "thinking" message replaced by the report, still ephemeral.
    shown = ex.original_message
    assert shown["embeds"][0]["title"] == "PaperScout status"
    assert shown["flags"] & 64 and not shown["flags"] & 128
    assert ex.followup_messages == []
    # A member reads one health line; the internals are for Manage Server.
    (short,) = member.followups[0].json["embeds"]
    assert short["description"] == (
        "\N{LARGE GREEN CIRCLE} PaperScout is running normally: papers last checked never."
    )
    assert "fields" not in short or not {"Sources", "Database", "Delivery queue"} & set(
        fields(short)
    )


async def test_status_shows_when_each_daily_job_last_succeeded(
    harness_factory: HarnessFactory,
) -> None:
    """A daily job that keeps failing retries every hour and never records a success: the
    date /status shows is how an operator notices."""
    clock = ManualClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    async with harness_factory(clock=clock) as h:
        async with h.bot.database.transaction() as session:
            await FeedStateRepository(session).upsert(
                METRICS_REFRESH_KEY, now=clock.now(), last_success_at=clock.now()
            )
        clock.advance(timedelta(days=2))
        ex = await h.slash("status", permissions=MODERATOR_PERMISSIONS)
    (embed,) = ex.followups[0].json["embeds"]
    done = int(datetime(2025, 3, 1, 12, 0, tzinfo=UTC).timestamp())
    assert fields(embed)["Daily jobs"] == (
        f"metrics refresh: last done <t:{done}:R>\nOpenAlex works: last done never\n"
        "PubMed: last done never\nCrossref links: last done never\ncitations: last done never"
    )


async def test_sync_registered_the_commands_to_the_dev_guild(discord_harness: BotHarness) -> None:
    fake = discord_harness.fake
    (put,) = fake.find(
        "PUT", rf"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
    )
    assert put.header("Authorization") == f"Bot {fake.token}" and put.status == 200
    assert (
        fake.find("PUT", rf"/applications/{fake.application_id}/commands") == []
    )  # nothing global
    registered = {c["name"]: c for c in fake.registered_commands(fake.guild_id)}
    # Exactly the bot's own top-level commands (every loaded cog's), /help and /status among them.
    own = {c.name for c in discord_harness.bot.tree.get_commands()}
    assert set(registered) == own and {"help", "status"} <= own
    (topic,) = registered["help"]["options"]
    assert topic["name"] == "topic" and topic["type"] == 3 and topic["required"] is False
    assert [c["value"] for c in topic["choices"]] == ["commands", "metrics"]
    assert topic["description"] == "commands (default) or how the metrics are computed"
    assert registered["status"]["options"] == []
    for command in registered.values():
        assert command["guild_id"] == str(fake.guild_id) and command["type"] == 1
        assert command["description"]


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_identify_asks_for_no_privileged_intent(
    discord_harness: BotHarness, fake_discord: FakeDiscord
) -> None:
    (identify,) = fake_discord.identify_payloads
    assert identify["token"] == fake_discord.token
    assert identify["intents"] & PRIVILEGED == 0
    assert discord.Intents._from_value(identify["intents"]).guilds
    assert discord_harness.bot.get_guild(fake_discord.guild_id) is not None


async def test_the_bot_never_pings_by_default(discord_harness: BotHarness) -> None:
    h = discord_harness
    ex = await h.slash("help")
    assert ex.callback.json["data"]["allowed_mentions"] == {"parse": []}
    channel = h.bot.get_partial_messageable(h.fake.channel_id)
    await channel.send("@everyone a new paper is out")
    (sent,) = h.fake.find("POST", rf"/channels/{h.fake.channel_id}/messages")
    assert sent.json["allowed_mentions"] == {"parse": []}
    (message,) = h.fake.channel_messages(h.fake.channel_id)
    assert message["mention_everyone"] is False  # Discord would not notify anyone
