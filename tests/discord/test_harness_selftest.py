"""The harness tests itself: the discord.py internals it leans on, and that its checks bite.

If discord.py is upgraded and one of these fails, read docs/testing.md#when-discordpy-is-upgraded
before touching anything else: the harness (and so every Discord test) depends on these details.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import re
from collections.abc import AsyncIterator

import discord
import discord.gateway
import discord.http
import discord.ui.view
import pytest
import yarl
from discord import app_commands

from tests.harness import payloads as p
from tests.harness.bot_harness import (
    TREE_TASK_NAME,
    VIEW_TASK_PREFIXES,
    BotHarness,
    HarnessError,
    NoInitialResponse,
    UnhandledInteractionError,
)
from tests.harness.fake_discord import DiscordWouldReject, FakeDiscord, validate_command_interaction
from tests.harness.fixtures import HarnessFactory
from tests.harness.probe_cog import PROBE_EXTENSION, tiny_png

CALLBACK = r"/interactions/\d+/[^/]+/callback"
UNKNOWN_INTERACTION = {"message": "Unknown interaction", "code": 10062}


@pytest.fixture
async def h(harness_factory: HarnessFactory) -> AsyncIterator[BotHarness]:
    """The real bot plus the probe cog, in both modes."""
    async with harness_factory(extra_extensions=(PROBE_EXTENSION,)) as harness:
        yield harness


# --- the discord.py internals the harness relies on ---------------------------------------


def test_discord_py_is_the_pinned_version() -> None:
    assert discord.__version__ == "2.7.1", (
        "on upgrade, re-run these self-tests (docs/testing.md#when-discordpy-is-upgraded)"
    )


def test_route_base_and_default_gateway_are_the_redirect_points() -> None:
    assert isinstance(discord.http.Route.BASE, str) and discord.http.Route.BASE.startswith(
        "https://discord.com/api/v"
    )
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    route = discord.http.Route("GET", "/users/{user_id}", user_id=1)
    assert route.url == f"{discord.http.Route.BASE}/users/1"  # read at build time: patchable


def test_the_tree_and_views_still_spawn_the_tasks_the_harness_awaits() -> None:
    tree_source = inspect.getsource(app_commands.CommandTree._from_interaction)
    assert f"name='{TREE_TASK_NAME}'" in tree_source
    view_source = inspect.getsource(discord.ui.view.View._dispatch_item)
    dynamic_source = inspect.getsource(discord.ui.view.ViewStore.dispatch_dynamic_items)
    assert VIEW_TASK_PREFIXES[0] in view_source and VIEW_TASK_PREFIXES[1] in dynamic_source
    state_source = inspect.getsource(discord.state.ConnectionState.parse_interaction_create)
    assert "self._command_tree._from_interaction(interaction)" in state_source
    assert "self._view_store.dispatch_view(" in state_source


async def test_the_bot_state_has_the_parsers_direct_mode_feeds(discord_harness: BotHarness) -> None:
    parsers = discord_harness.bot._connection.parsers
    assert {"READY", "GUILD_CREATE", "INTERACTION_CREATE", "CHANNEL_CREATE"} <= set(parsers)
    assert discord_harness.bot._connection._command_tree is discord_harness.bot.tree


async def test_endpoints_point_at_the_fake_and_are_restored(
    harness_factory: HarnessFactory, fake_discord: FakeDiscord
) -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    async with harness_factory():
        assert discord.http.Route.BASE == fake_discord.api_url
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake_discord.gateway_url
    assert (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == before


async def test_payload_builder_gives_discord_py_what_it_needs(discord_harness: BotHarness) -> None:
    """channel from `channel.id`, permissions from `member.permissions`, a Member invoker."""
    fake = discord_harness.fake
    payload = p.interaction(
        interaction_type=p.INTERACTION_COMMAND,
        data={"id": "1", "name": "x", "type": 1},
        invoker=fake.member,
        channel=fake.channel,
        guild=fake.guild,
        member_permissions=discord.Permissions(manage_guild=True),
    )
    interaction = discord.Interaction(data=payload, state=discord_harness.bot._connection)  # type: ignore[arg-type]
    assert interaction.channel is not None and interaction.channel.id == fake.channel_id
    assert isinstance(interaction.user, discord.Member) and interaction.user.id == p.MEMBER_ID
    assert interaction.permissions.manage_guild and not interaction.permissions.administrator
    assert interaction.filesize_limit == p.ATTACHMENT_SIZE_LIMIT
    del payload["attachment_size_limit"]
    with pytest.raises(KeyError):  # why the builder always sets it
        discord.Interaction(data=payload, state=discord_harness.bot._connection)  # type: ignore[arg-type]


# --- the harness's own checks -------------------------------------------------------------


async def test_an_unanswered_command_fails_the_test(h: BotHarness) -> None:
    with pytest.raises(NoInitialResponse, match=r"/forgetful.*did not respond"):
        await h.slash("forgetful")


async def test_discord_rejects_out_of_range_values_that_discord_py_would_accept(
    h: BotHarness,
) -> None:
    with pytest.raises(
        DiscordWouldReject, match=r"/week: option 'days' value 9 is above the maximum 7"
    ):
        await h.slash("week", days=9)
    ex = await h.slash("week", days=9, validate=False)
    assert (
        ex.callback.json["data"]["content"] == "9 days"
    )  # discord.py itself never checks the range
    ex = await h.slash("week", days=7)
    assert ex.callback.json["data"]["content"] == "7 days"


@pytest.mark.parametrize(
    ("name", "options", "problem"),
    [
        ("week", {}, "misses required option(s) ['days']"),
        ("week", {"days": "3"}, "option 'days' must be an integer, got '3'"),
        ("week", {"days": 0}, "option 'days' value 0 is below the minimum 1"),
        ("week", {"days": 3, "hours": 2}, "has no option 'hours'"),
        ("probe echo", {"text": "x"}, "option 'text' length 1 is outside 2..10"),
        (
            "probe echo",
            {"text": "hello", "mode": "shout"},
            "is not one of the choices ['plain', 'loud']",
        ),
    ],
)
async def test_discord_side_validation(
    h: BotHarness, name: str, options: dict[str, object], problem: str
) -> None:
    with pytest.raises(DiscordWouldReject, match=re.escape(problem)):
        await h.slash(name, **options)
    assert h.fake.find("POST", CALLBACK) == []  # nothing reached the bot


async def test_a_group_cannot_be_invoked_without_a_subcommand(h: BotHarness) -> None:
    data = {"id": "1", "name": "probe", "type": 1, "options": []}
    with pytest.raises(DiscordWouldReject, match="needs a subcommand"):
        validate_command_interaction(
            h.schema("probe echo"),
            data,
            autocomplete=False,
            context=p.CONTEXT_GUILD,
            member_permissions=0,
        )


async def test_an_unexpected_exception_shows_an_incident_id(
    h: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        ex = await h.slash("explode")
    data = ex.callback.json["data"]
    assert ex.callback_type == 4 and data["flags"] & 64  # ephemeral
    incident = re.search(r"incident `([0-9a-f]{8})`", data["content"])
    assert incident, data["content"]
    (record,) = [r for r in caplog.records if r.name == "bot.tree"]
    assert incident.group(1) in record.getMessage() and "/explode" in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)
    assert "probe exploded" not in data["content"]  # the user sees the id, not our internals


async def test_manage_server_is_checked_and_explained(h: BotHarness) -> None:
    ex = await h.slash("admin")
    assert (
        ex.callback.json["data"]["content"] == "You need the Manage Server permission to do that."
    )
    assert ex.callback.json["data"]["flags"] == 64
    ex = await h.slash("admin", permissions=discord.Permissions(manage_guild=True))
    assert ex.callback.json["data"]["content"] == "admin ok"
    ex = await h.slash("admin", invoker=h.fake.owner)  # the owner has every permission
    assert ex.callback.json["data"]["content"] == "admin ok"


async def test_defer_then_followups(h: BotHarness) -> None:
    ex = await h.slash("slow")
    assert ex.callback_type == 5 and not (ex.callback.json.get("data") or {}).get("flags", 0) & 64
    assert [r.method for r in ex] == ["POST", "POST", "POST"] and len(ex.followups) == 2
    # The first followup after a thinking defer *becomes* the original response.
    original = ex.original_message
    assert original["content"] == "slow answer" and not original["flags"] & (64 | 128)
    (extra,) = ex.followup_messages
    assert extra["content"] == "and a second message" and extra["flags"] & 64
    visible = [m["content"] for m in h.fake.channel_messages(h.fake.channel_id)]
    assert visible == ["slow answer"]  # an ephemeral message is never in the channel history


async def test_buttons_and_selects_reach_the_view(h: BotHarness) -> None:
    ex = await h.slash("buttons")
    message = ex.original_message
    assert p.find_component(message["components"], "probe:press") is not None
    other = h.fake.add_user("bob")
    refused = await h.component("probe:press", message=message, invoker=other)
    assert refused.callback.json["data"] == {
        **refused.callback.json["data"],
        "content": "That button is not yours.",
        "flags": 64,
    }
    assert h.fake.messages[message["id"]]["content"] == "Press it"
    picked = await h.component("probe:pick", message=message, values=["apple", "cherry"])
    assert picked.callback.json["data"]["content"] == "You picked apple, cherry"
    pressed = await h.component("probe:press", message=message)
    assert pressed.callback_type == 7
    assert h.fake.messages[message["id"]]["content"] == "Pressed by alice"
    assert h.fake.messages[message["id"]]["components"] == []


async def test_an_error_in_a_view_callback_fails_the_test(h: BotHarness) -> None:
    ex = await h.slash("buttons")
    with pytest.raises(UnhandledInteractionError, match="Ignoring exception in view"):
        await h.component("probe:boom", message=ex.original_message)


async def test_autocomplete_offers_matching_choices(h: BotHarness) -> None:
    ex = await h.autocomplete("fruit", focused="name", name="ap")
    assert ex.choices == [
        {"name": "Apple", "value": "apple"},
        {"name": "Apricot", "value": "apricot"},
    ]
    with pytest.raises(DiscordWouldReject, match="has no autocomplete"):
        await h.autocomplete("week", focused="days")


async def test_subcommand_with_a_member_option(h: BotHarness) -> None:
    ex = await h.slash(
        "probe echo",
        text="hi",
        mode=app_commands.Choice(name="Loud", value="loud"),
        who=h.fake.owner,
    )
    assert ex.callback.json["data"]["content"] == "HI to Olivia"
    options = ex.payload["data"]["options"][0]
    assert options["type"] == 1 and options["name"] == "echo"
    assert ex.payload["data"]["resolved"]["members"][str(p.OWNER_ID)]["roles"] == []


async def test_a_file_upload_is_recorded_with_its_bytes(h: BotHarness) -> None:
    ex = await h.slash("chart")
    (upload,) = ex.callback.files
    assert upload.filename == "chart.png" and upload.data == tiny_png()
    assert upload.data.startswith(b"\x89PNG\r\n\x1a\n")
    (attachment,) = ex.original_message["attachments"]
    assert attachment["filename"] == "chart.png" and attachment["content_type"] == "image/png"
    message = await h.bot.get_channel(h.fake.channel_id).fetch_message(
        int(ex.original_message["id"])
    )  # type: ignore[union-attr]
    assert await message.attachments[0].read() == tiny_png()  # served by the fake


async def test_a_dm_interaction_has_a_user_and_no_guild(h: BotHarness) -> None:
    ex = await h.slash("help", dm=True)
    assert "member" not in ex.payload and ex.payload["user"]["id"] == str(p.MEMBER_ID)
    assert ex.payload["context"] == p.CONTEXT_BOT_DM
    assert ex.callback.json["data"]["embeds"][0]["title"] == "PaperScout commands"
    with pytest.raises(DiscordWouldReject, match="not registered"):
        await h.slash("help", guild={**h.fake.guild, "id": "1"}, channel=h.fake.channel)


async def test_the_204_callback_pitfall(h: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    """discord.py >= 2.5 parses the callback's body: a 204 makes send_message raise TypeError."""
    h.fake.fail("POST", CALLBACK, 204, None, times=1)
    with caplog.at_level(logging.ERROR, logger="bot.tree"):
        ex = await h.slash("help")
    (record,) = [r for r in caplog.records if r.name == "bot.tree"]
    assert record.exc_info and isinstance(record.exc_info[1], TypeError)
    assert ex.callbacks[0].status == 204
    # on_error then believes the response is done and tries a followup, which Discord refuses.
    assert [r.status for r in ex.followups] == [404]


async def test_an_exception_escaping_on_error_fails_the_test(h: BotHarness) -> None:
    h.fake.fail("POST", CALLBACK, 204, None, times=None)  # the error reply itself breaks
    with pytest.raises(TypeError):
        await h.slash("explode")


async def test_an_expired_interaction(h: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    h.fake.fail("POST", CALLBACK, 404, UNKNOWN_INTERACTION, times=None)
    with pytest.raises(NoInitialResponse, match=r"callback attempts: \['404', '404'\]"):
        await h.slash("help")
    with caplog.at_level(logging.WARNING, logger="bot.tree"):
        ex = await h.slash("help", expect_answer=False)
    assert [r.status for r in ex] == [404, 404]  # the answer, then on_error's apology
    errors = [r for r in caplog.records if r.name == "bot.tree" and r.levelno == logging.ERROR]
    assert (
        isinstance(errors[0].exc_info[1], discord.NotFound) and errors[0].exc_info[1].code == 10062
    )  # type: ignore[index, union-attr]
    assert any("could not deliver the error reply" in r.getMessage() for r in caplog.records)


async def test_a_crash_inside_the_fake_fails_the_test(h: BotHarness) -> None:
    h.fake.override("POST", CALLBACK, lambda request, match: 1 / 0)  # type: ignore[arg-type, return-value]
    with pytest.raises(HarnessError, match="ZeroDivisionError"):
        await h.slash("help", expect_answer=False)


# --- sends outside interactions: nonce, DMs, rate limits, history -------------------------


async def test_enforce_nonce_makes_a_resend_idempotent(h: BotHarness) -> None:
    channel = h.bot.get_channel(h.fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("weekly digest", nonce="digest-42")
    again = await channel.send("weekly digest", nonce="digest-42")
    other = await channel.send("weekly digest", nonce="digest-43")
    assert first.id == again.id != other.id
    assert [m["content"] for m in h.fake.channel_messages(channel.id)] == ["weekly digest"] * 2
    sends = h.fake.find("POST", rf"/channels/{channel.id}/messages")
    assert all(r.json["enforce_nonce"] is True for r in sends) and len(sends) == 3
    assert (
        first.author.id == p.BOT_USER_ID
        and first.guild is not None
        and first.guild.id == h.fake.guild_id
    )


async def test_dm_send_and_closed_dms(h: BotHarness) -> None:
    ex = await h.slash("dm")
    assert [m["content"] for m in h.fake.dm_messages(p.MEMBER_ID)] == ["a private hello"]
    (opened,) = h.fake.find("POST", "/users/@me/channels")
    assert opened.json == {"recipient_id": p.MEMBER_ID}
    assert ex.original_message["content"] == "sent you a DM"
    h.fake.close_dms(p.OWNER_ID)
    owner = await h.bot.fetch_user(p.OWNER_ID)
    with pytest.raises(discord.Forbidden) as refused:
        await owner.send("hello?")
    assert refused.value.code == 50007
    with pytest.raises(discord.NotFound):
        await h.bot.fetch_user(12345)


async def test_a_429_with_via_is_retried_without_it_is_not(h: BotHarness) -> None:
    channel = h.bot.get_partial_messageable(h.fake.channel_id)
    path = rf"/channels/{h.fake.channel_id}/messages"
    h.fake.rate_limit("POST", path, retry_after=0.01)
    await channel.send("after a rate limit")
    assert [r.status for r in h.fake.find("POST", path)] == [429, 200]
    assert [m["content"] for m in h.fake.channel_messages(h.fake.channel_id)] == [
        "after a rate limit"
    ]
    h.fake.rate_limit("POST", path, retry_after=0.01, via=False)  # looks like a Cloudflare ban
    with pytest.raises(discord.HTTPException) as banned:
        await channel.send("never delivered")
    assert banned.value.status == 429


async def test_a_429_on_the_interaction_callback_is_retried(h: BotHarness) -> None:
    h.fake.rate_limit("POST", CALLBACK, retry_after=0.01)
    ex = await h.slash("week", days=2)
    assert [r.status for r in ex] == [429, 200] and ex.original_message["content"] == "2 days"


async def test_history_edit_and_delete(h: BotHarness) -> None:
    channel = h.bot.get_channel(h.fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    sent = [await channel.send(f"message {i}") for i in range(3)]
    newest_two = [m.content async for m in channel.history(limit=2)]
    assert newest_two == ["message 2", "message 1"]
    after_first = [m.content async for m in channel.history(after=sent[0], oldest_first=True)]
    assert after_first == ["message 1", "message 2"]
    edited = await sent[1].edit(content="message 1, edited")
    assert edited.content == "message 1, edited" and edited.edited_at is not None
    await sent[0].delete()
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(sent[0].id)
    assert [m["content"] for m in h.fake.channel_messages(channel.id)] == [
        "message 1, edited",
        "message 2",
    ]


async def test_discord_message_limits_are_enforced(h: BotHarness) -> None:
    channel = h.bot.get_partial_messageable(h.fake.channel_id)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.code == 50035 and "2000" in str(too_long.value)
    with pytest.raises(discord.HTTPException) as too_big:
        await channel.send(embed=discord.Embed(description="y" * 4097))
    assert too_big.value.code == 50035


# --- gateway only -------------------------------------------------------------------------


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_the_fake_refuses_privileged_intents_it_was_not_granted(
    fake_discord: FakeDiscord, harness_mode: str
) -> None:
    client = discord.Client(intents=discord.Intents.all())
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        from bot.discord_endpoints import point_discord_at

        point_discord_at(fake_discord.api_url, fake_discord.gateway_url)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with client:
                await client.start(fake_discord.token)
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_the_fake_alone_drives_a_connected_bot(h: BotHarness) -> None:
    """What a subprocess test does: build from the registered schema, send, wait for the answer."""
    fake = h.fake
    payload = fake.slash_payload("week", days=3)
    await fake.dispatch_interaction(payload)
    callback = await fake.wait_for("POST", rf"/interactions/{payload['id']}/[^/]+/callback")
    assert callback.json["data"]["content"] == "3 days"
    with pytest.raises(DiscordWouldReject):
        fake.slash_payload("week", days=30)


async def test_a_channel_created_later_reaches_the_bot(h: BotHarness) -> None:
    channel = await h.add_text_channel("digests")
    bot_channel = h.bot.get_channel(int(channel["id"]))
    assert isinstance(bot_channel, discord.TextChannel) and bot_channel.name == "digests"
    await bot_channel.send("first digest")
    assert [m["content"] for m in h.fake.channel_messages(channel["id"])] == ["first digest"]


async def test_a_deferred_update_then_edit_and_fetch_of_the_original(h: BotHarness) -> None:
    ex = await h.slash("buttons")
    later = await h.component("probe:later", message=ex.original_message)
    assert later.callback_type == 6
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in later[1:]] == [
        ("PATCH", "@original"),
        ("GET", "@original"),
        ("POST", later.token),
    ]
    assert h.fake.messages[ex.original_message["id"]]["content"] == "Updated later"
    (note,) = later.followup_messages
    assert note["content"] == "The message now says: Updated later" and note["flags"] & 64


async def test_a_modal_opens_and_is_submitted(h: BotHarness) -> None:
    ex = await h.slash("buttons")
    opened = await h.component("probe:ask", message=ex.original_message)
    assert opened.callback_type == 9 and opened.callback.json["data"]["title"] == "Tell me"
    with pytest.raises(DiscordWouldReject, match="'probe:answer' is shorter than 2"):
        await h.submit_modal(opened, {"probe:answer": "x"})
    with pytest.raises(DiscordWouldReject, match="'probe:answer' is required"):
        await h.submit_modal(opened, {})
    submitted = await h.submit_modal(opened, {"probe:answer": "forty-two"})
    assert submitted.callback.json["data"]["content"] == "You said forty-two"


async def test_webhook_message_routes_delete_edit_and_fetch(h: BotHarness) -> None:
    ex = await h.slash("tidy")
    methods = [r.method for r in ex]
    assert methods == ["POST", "DELETE", "POST", "PATCH", "GET", "POST"]
    assert [r.status for r in ex] == [200, 204, 200, 200, 200, 200]
    assert [m["content"] for m in ex.user_messages] == ["kept, edited", "fetched: kept, edited"]
    with pytest.raises(AssertionError, match="no original response"):
        _ = ex.original_message  # deleted: the user no longer sees it
    visible = [m["content"] for m in h.fake.channel_messages(h.fake.channel_id)]
    assert visible == ["kept, edited"]


async def test_an_unknown_route_is_a_recorded_404(h: BotHarness) -> None:
    with pytest.raises(discord.NotFound):
        await h.bot.http.request(discord.http.Route("GET", "/no/such/route"))
    (request,) = h.fake.find("GET", "/no/such/route")
    assert request.status == 404 and request.response == {"message": "404: Not Found", "code": 0}


async def test_global_sync_and_gateway_bot(h: BotHarness) -> None:
    synced = await h.bot.tree.sync()
    assert {c.name for c in synced} == {c["name"] for c in h.fake.registered_commands()}
    assert "help" in {c.name for c in synced} and all(c.guild_id is None for c in synced)
    shards, url, _limits = await h.bot.http.get_bot_gateway()
    assert shards == 1 and url == h.fake.gateway_url.rstrip("/")


@pytest.mark.parametrize("harness_mode", ["gateway"], indirect=True)
async def test_heartbeat_is_acknowledged_and_presence_recorded(h: BotHarness) -> None:
    assert h.bot.ws is not None
    await h.fake.wait_for_gateway(1)  # discord.py heartbeats once right after HELLO
    await h.add_text_channel("after-the-ack")  # frames are ordered: the ACK was read before
    assert math.isfinite(h.bot.latency)  # inf until a HEARTBEAT_ACK arrives
    await h.bot.change_presence(activity=discord.Game("reading arXiv"))
    presence = await h.fake.wait_for_gateway(3)
    assert presence["d"]["activities"][0]["name"] == "reading arXiv"


async def test_an_error_logged_outside_an_interaction_fails_at_teardown(h: BotHarness) -> None:
    async def on_probe_event() -> None:
        raise RuntimeError("a listener failed")

    h.bot.add_listener(on_probe_event)
    before = asyncio.all_tasks()
    h.bot.dispatch("probe_event")
    await asyncio.gather(*(asyncio.all_tasks() - before))  # discord.py logs, never raises
    with pytest.raises(UnhandledInteractionError, match="Ignoring exception in on_probe_event"):
        await h.close()


async def test_an_interaction_whose_token_expired_before_the_answer(h: BotHarness) -> None:
    payload = h.command_payload("week", days=4)
    h.fake.register_interaction(payload)
    h.fake.expire_interaction(payload["token"])  # e.g. the bot took more than 3 s
    ex = await h.dispatch(payload, expect_answer=False)
    assert [(r.status, r.response["code"]) for r in ex] == [(404, 10062), (404, 10062)]


async def test_many_interactions_in_flight(h: BotHarness) -> None:
    payloads = [h.command_payload("week", days=1 + i % 7) for i in range(30)]
    exchanges = await asyncio.gather(*(h.dispatch(payload) for payload in payloads))
    contents = [ex.callback.json["data"]["content"] for ex in exchanges]
    assert contents == [f"{1 + i % 7} days" for i in range(30)]
    assert all(len(ex) == 1 for ex in exchanges)  # each exchange holds only its own token


async def test_a_channel_option_named_like_a_harness_keyword(h: BotHarness) -> None:
    digests = await h.add_text_channel("digests")
    ex = await h.slash("probe post", option_values={"channel": digests})
    assert ex.callback.json["data"]["content"] == f"Posting to <#{digests['id']}> (digests)"
    assert ex.payload["channel"]["id"] == str(h.fake.channel_id)  # invoked from #general
    assert ex.payload["data"]["resolved"]["channels"][digests["id"]]["type"] == 0
