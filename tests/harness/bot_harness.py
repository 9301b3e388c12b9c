"""`BotHarness`: the project's real `PaperScoutBot`, logged in against the fake Discord.

    async with BotHarness(fake, database_url=url, mode="direct") as h:
        ex = await h.slash("help", topic="metrics")
        assert ex.callback.json["data"]["flags"] == 64

Two modes (docs/testing.md#the-bot-harness):
* "direct": `bot.login()` for real (REST, `setup_hook`, `tree.sync`), then READY, GUILD_CREATE
  and each INTERACTION_CREATE go through `bot._connection.parsers`. No websocket.
* "gateway": `bot.start()` as a task; the fake's websocket sends HELLO, READY, GUILD_CREATE and
  the interactions. Covers the receive path, IDENTIFY (intents) and `bot.ws`.

Always on, for every interaction:
* Discord-side validation against the command's registered schema (`DiscordWouldReject`).
* The tree's (or view's) task is awaited: an exception escaping `on_error` fails the test.
* An error logged by discord.py while handling it ("Ignoring exception in ...") fails the test.
* "It got an initial response Discord accepted", else `NoInitialResponse` (the user would see
  "The application did not respond").
* A crash inside a fake handler fails the test.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import discord
import discord.gateway
import discord.http
from discord import app_commands
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.app import EXTENSIONS, PaperScoutBot, create_bot
from bot.clock import Clock
from bot.config import Settings
from bot.discord_endpoints import point_discord_at
from db.migrate import upgrade_to_head_async
from db.urls import sqlite_file
from tests.harness import payloads as p
from tests.harness.fake_discord import (
    DiscordWouldReject,
    FakeDiscord,
    InteractionState,
    RecordedRequest,
    validate_command_interaction,
)

log = logging.getLogger(__name__)

Mode = Literal["direct", "gateway"]
MODES: tuple[Mode, ...] = ("direct", "gateway")
TREE_TASK_NAME = "CommandTree-invoker"  # discord.py's name for the tree's fire-and-forget task
VIEW_TASK_PREFIXES = ("discord-ui-view-dispatch-", "discord-ui-dynamic-item-")
MODAL_TASK_PREFIX = "discord-ui-modal-dispatch-"
HEARTBEAT_DIR = Path(tempfile.gettempdir()) / "paperscout-test-heartbeats"


class HarnessError(RuntimeError):
    """The harness itself could not do what was asked (bot did not start, no such command)."""


class NoInitialResponse(AssertionError):
    """The bot never gave Discord an accepted initial response to an interaction."""


class UnhandledInteractionError(AssertionError):
    """discord.py logged an error while handling an interaction (an exception nobody handled)."""


class HermeticSettings(Settings):
    """`Settings` read from the constructor only: no `.env`, no environment variables.

    A developer's shell (`ARXIV_API_URL=...`, `DATABASE_URL=...`) must not change a test.
    """

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class Exchange(list[RecordedRequest]):
    """The requests the bot made with one interaction's token, in order (callback first).

    A plain list, plus shortcuts to what the user saw.
    """

    def __init__(
        self, fake: FakeDiscord, payload: Mapping[str, Any], requests: Iterable[RecordedRequest]
    ) -> None:
        super().__init__(requests)
        self.fake = fake
        self.payload = dict(payload)

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def interaction_id(self) -> str:
        return str(self.payload["id"])

    @property
    def state(self) -> InteractionState:
        """The fake's memory of the interaction (acknowledgement, original, followups)."""
        return self.fake.interaction(self.token)

    @property
    def callbacks(self) -> list[RecordedRequest]:
        return [r for r in self if r.path.endswith("/callback")]

    @property
    def callback(self) -> RecordedRequest:
        """The initial response (`POST /interactions/{id}/{token}/callback`)."""
        if not self.callbacks:
            raise AssertionError(f"no interaction callback among {list(self)}")
        return self.callbacks[0]

    @property
    def callback_type(self) -> int:
        """4 message, 5 deferred message, 6 deferred update, 7 update, 8 choices, 9 modal."""
        return int(self.callback.json["type"])

    @property
    def followups(self) -> list[RecordedRequest]:
        """`POST /webhooks/{app}/{token}` requests."""
        return [r for r in self if r.method == "POST" and r.path.startswith("/webhooks/")]

    @property
    def edits(self) -> list[RecordedRequest]:
        """`PATCH /webhooks/{app}/{token}/messages/...` requests."""
        return [r for r in self if r.method == "PATCH"]

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The autocomplete answer's choices (callback type 8)."""
        assert self.callback_type == 8, (
            f"callback type {self.callback_type} is not an autocomplete answer"
        )
        return list(self.callback.json["data"]["choices"])

    @property
    def original_message(self) -> dict[str, Any]:
        """The original response as the user sees it now (after followups and edits)."""
        message_id = self.state.original_id
        if message_id is None or message_id not in self.fake.messages:
            raise AssertionError(
                f"interaction {self.interaction_id} has no original response message"
            )
        return self.fake.messages[message_id]

    @property
    def followup_messages(self) -> list[dict[str, Any]]:
        """Followup messages beyond the original, as the user sees them now."""
        return [self.fake.messages[i] for i in self.state.followup_ids if i in self.fake.messages]

    @property
    def user_messages(self) -> list[dict[str, Any]]:
        """Every message the invoker saw for this interaction: original first, then followups."""
        messages = [self.original_message] if self.state.original_id in self.fake.messages else []
        return messages + self.followup_messages


class BotHarness:
    """Runs the project's real bot against a `FakeDiscord` and drives interactions into it."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        database_url: str,
        mode: Mode = "direct",
        clock: Clock | None = None,
        settings: Mapping[str, Any] | None = None,
        extensions: Sequence[str] = EXTENSIONS,
        extra_extensions: Sequence[str] = (),
        migrate: bool = True,
        timeout: float = 10.0,
    ) -> None:
        """Configure; nothing starts before `start()` (or `async with`).

        `settings` are extra `Settings` fields (source URLs of a fake upstream, intervals...);
        `extra_extensions` are test-only cogs loaded after the production ones. `timeout` bounds
        every wait, so a hang fails instead of blocking the suite.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.fake = fake
        self.mode: Mode = mode
        self.database_url = database_url
        self.clock = clock
        self.extra_settings = dict(settings or {})
        self.extensions = tuple(extensions) + tuple(extra_extensions)
        self.migrate = migrate
        self.timeout = timeout
        self.bot: PaperScoutBot = None  # type: ignore[assignment]  # built in start()
        self.settings: Settings = None  # type: ignore[assignment]
        self.discord_errors: list[logging.LogRecord] = []
        self._saved_endpoints: tuple[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiters: dict[int, asyncio.Future[list[asyncio.Task[Any]]]] = {}
        self._errors_seen = 0  # discord_errors already reported
        self._log_handler = _ListHandler(self.discord_errors)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> BotHarness:
        """Migrate, point discord.py at the fake, build and log in the bot, wait for READY."""
        if self.migrate:
            await migrate_database(self.database_url)
        self._saved_endpoints = (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        )
        point_discord_at(self.fake.api_url, self.fake.gateway_url)
        logging.getLogger("discord").addHandler(self._log_handler)
        try:
            self.settings = HermeticSettings(
                _env_file=None,  # type: ignore[call-arg]
                discord_token=self.fake.token,
                database_url=self.database_url,
                dev_guild_id=self.fake.guild_id,
                discord_api_url=self.fake.api_url,
                discord_gateway_url=self.fake.gateway_url,
                # Sources a test does not point at its fake upstream are not asked at all.
                # The heartbeat outside the repository (a test that reads it passes its own).
                **{
                    "pubmed_api_url": "",
                    "crossref_api_url": "",
                    "heartbeat_file": str(HEARTBEAT_DIR / f"heartbeat-{os.getpid()}"),
                    **self.extra_settings,
                },
            )
            self.bot = create_bot(
                self.settings,
                clock=self.clock,
                guild_ready_timeout=0.01,
                extensions=self.extensions,
                freeze_after_setup=False,  # a test process starts hundreds of bots
            )
            self._instrument()
            if self.mode == "direct":
                await self._start_direct()
            else:
                await self._start_gateway()
            if self.bot.failed_extensions:
                raise HarnessError(f"extensions failed to load: {self.bot.failed_extensions}")
            self._raise_fake_errors()
            self._raise_logged_errors("while the bot started")
        except BaseException:
            await self.close()
            raise
        return self

    async def _start_direct(self) -> None:
        await asyncio.wait_for(self.bot.login(self.fake.token), self.timeout)
        state = self.bot._connection
        state.parsers["READY"](self.fake.ready_payload("direct-session"))
        for event in self.fake.guild_create_payloads(intents=self.bot.intents.value):
            state.parsers["GUILD_CREATE"](event)
        await asyncio.wait_for(self.bot.wait_until_ready(), self.timeout)

    async def _start_gateway(self) -> None:
        seen = len(self.fake.identify_payloads)
        self._task = asyncio.create_task(self.bot.start(self.fake.token), name="harness-bot")
        await self._race(self.fake.wait_for_identify(seen + 1, timeout=self.timeout), "IDENTIFY")
        await self._race(self.bot.wait_until_ready(), "READY")

    async def _race(self, awaitable: Any, what: str) -> None:
        """Wait for `awaitable` unless the bot task dies first (then raise its error)."""
        assert self._task is not None
        waiter = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter in done:
            waiter.result()
            return
        waiter.cancel()
        if self._task in done:
            self._task.result()  # raises the bot's error
            raise HarnessError(f"the bot stopped before {what}")
        raise HarnessError(f"no {what} within {self.timeout}s")

    async def close(self) -> None:
        """Close the bot, restore discord.py's endpoints; fail if the fake saw a handler crash."""
        try:
            if self.bot is not None and not self.bot.is_closed():
                await self.bot.close()
            if self._task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(self._task, self.timeout)
        finally:
            logging.getLogger("discord").removeHandler(self._log_handler)
            if self._saved_endpoints is not None:
                discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
                    self._saved_endpoints
                )
                self._saved_endpoints = None
        self._raise_fake_errors()
        self._raise_logged_errors("outside any interaction (an event handler, a task?)")

    async def __aenter__(self) -> BotHarness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _raise_logged_errors(self, when: str) -> None:
        """Fail on ERROR records discord.py logged since the last check ("Ignoring exception")."""
        new = self.discord_errors[self._errors_seen :]
        self._errors_seen = len(self.discord_errors)
        if new:
            formatter = logging.Formatter()
            raise UnhandledInteractionError(
                f"discord.py logged an unhandled error {when}:\n"
                + "\n".join(formatter.format(r) for r in new)
            )

    def _raise_fake_errors(self) -> None:
        if self.fake.handler_errors:
            errors, self.fake.handler_errors[:] = list(self.fake.handler_errors), []
            raise HarnessError("the fake Discord crashed while answering:\n" + "\n".join(errors))

    # -- instrumentation -----------------------------------------------------------------

    def _instrument(self) -> None:
        """Learn which tasks each interaction spawned, in both modes, at the parser's call."""
        tree = self.bot.tree
        store = self.bot._connection._view_store
        original_tree = tree._from_interaction
        original_views = store.dispatch_view
        original_modals = store.dispatch_modal

        def from_interaction(interaction: discord.Interaction) -> None:
            before = asyncio.all_tasks()
            original_tree(interaction)
            tasks = [t for t in asyncio.all_tasks() - before if t.get_name() == TREE_TASK_NAME]
            self._tasks_spawned(interaction.id, tasks)

        def dispatch_view(
            component_type: int, custom_id: str, interaction: discord.Interaction
        ) -> None:
            before = asyncio.all_tasks()
            original_views(component_type, custom_id, interaction)
            new = asyncio.all_tasks() - before
            self._tasks_spawned(
                interaction.id, [t for t in new if t.get_name().startswith(VIEW_TASK_PREFIXES)]
            )

        def dispatch_modal(
            custom_id: str, interaction: discord.Interaction, components: Any, resolved: Any
        ) -> None:
            before = asyncio.all_tasks()
            original_modals(custom_id, interaction, components, resolved)
            new = asyncio.all_tasks() - before
            self._tasks_spawned(
                interaction.id, [t for t in new if t.get_name().startswith(MODAL_TASK_PREFIX)]
            )

        tree._from_interaction = from_interaction  # type: ignore[method-assign]
        store.dispatch_view = dispatch_view  # type: ignore[method-assign]
        store.dispatch_modal = dispatch_modal  # type: ignore[method-assign]

    def _tasks_spawned(self, interaction_id: int, tasks: list[asyncio.Task[Any]]) -> None:
        waiter = self._waiters.get(interaction_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(tasks)

    # -- dispatching ---------------------------------------------------------------------

    async def dispatch(self, payload: Mapping[str, Any], *, expect_answer: bool = True) -> Exchange:
        """Deliver any INTERACTION_CREATE, await what it started, return its requests.

        The lowest-level entry: `slash`, `autocomplete` and `component` build the payload and
        call this. `expect_answer=False` skips the "got an accepted initial response" check
        (for tests of a failing callback).
        """
        payload = dict(payload)
        interaction_id = int(payload["id"])
        waiter: asyncio.Future[list[asyncio.Task[Any]]] = asyncio.get_running_loop().create_future()
        self._waiters[interaction_id] = waiter
        self._raise_logged_errors("before this interaction")
        self.fake.register_interaction(payload)
        try:
            if self.mode == "direct":
                self.bot._connection.parsers["INTERACTION_CREATE"](payload)
            else:
                if await self.fake.send_event("INTERACTION_CREATE", payload) == 0:
                    raise HarnessError("no gateway session is identified: the bot is not connected")
            tasks = await self._wait(waiter, "the interaction to reach the command tree or a view")
            if tasks:
                # Re-raises whatever escaped `on_error`: that is a failing test, not a log line.
                await self._wait(asyncio.gather(*tasks), "the interaction's handler to finish")
        finally:
            self._waiters.pop(interaction_id, None)
        self._raise_fake_errors()
        self._raise_logged_errors(f"while handling {_describe_interaction(payload)}")
        exchange = Exchange(
            self.fake, payload, self.fake.interaction_requests(str(payload["token"]))
        )
        if expect_answer and not any(
            r.status is not None and 200 <= r.status < 300 for r in exchange.callbacks
        ):
            what = _describe_interaction(payload)
            tried = [f"{r.status}" for r in exchange.callbacks]
            raise NoInitialResponse(
                f"{what} got no accepted initial response (callback attempts: {tried or 'none'}): "
                "the user would see 'The application did not respond'"
            )
        return exchange

    async def _wait(self, awaitable: Any, what: str) -> Any:
        waiter = asyncio.ensure_future(awaitable)
        if self._task is None:
            try:
                return await asyncio.wait_for(waiter, self.timeout)
            except TimeoutError:
                raise HarnessError(f"timed out after {self.timeout}s waiting for {what}") from None
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter in done:
            return waiter.result()
        waiter.cancel()
        if self._task in done:
            self._task.result()
            raise HarnessError(f"the bot stopped while waiting for {what}")
        raise HarnessError(f"timed out after {self.timeout}s waiting for {what}")

    async def feed(self, event: str, data: Mapping[str, Any]) -> None:
        """Deliver a gateway event (CHANNEL_CREATE, GUILD_MEMBER_UPDATE...) in either mode."""
        if self.mode == "direct":
            self.bot._connection.parsers[event](dict(data))
        else:
            # `wait_for` registers at once (before the send); discord.py dispatches
            # socket_event_type just before parsing, synchronously, so when the waiter
            # resumes the event has been parsed.
            received = self.bot.wait_for("socket_event_type", check=lambda t: t == event)
            await self.fake.send_event(event, dict(data))
            await self._wait(received, event)

    async def add_text_channel(self, name: str) -> dict[str, Any]:
        """A new channel in the test guild, announced to the bot with CHANNEL_CREATE."""
        channel = self.fake.add_text_channel(self.fake.guild_id, name)
        await self.feed("CHANNEL_CREATE", channel)
        return channel

    # -- building interactions from the bot's own tree -----------------------------------

    def command(self, name: str) -> app_commands.Command[Any, ..., Any]:
        """The tree's command for "name" or "group sub" (guild copy first, then global)."""
        root, *path = name.split()
        guild = discord.Object(id=self.fake.guild_id)
        node = self.bot.tree.get_command(root, guild=guild) or self.bot.tree.get_command(root)
        for step in path:
            if not isinstance(node, app_commands.Group):
                raise HarnessError(f"/{name}: {step!r} is not a subcommand")
            node = node.get_command(step)
        if not isinstance(node, app_commands.Command):
            raise HarnessError(f"the bot has no slash command /{name}")
        return node

    def schema(self, name: str) -> dict[str, Any]:
        """The root command's schema exactly as `tree.sync()` uploads it (`to_dict(tree)`)."""
        command = self.command(name)
        root = command.root_parent or command
        return root.to_dict(self.bot.tree)

    def _option_values(
        self, command: app_commands.Command[Any, ..., Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Python parameter names (or Discord names) to Discord option names."""
        renames = {param.name: param.display_name for param in command.parameters}
        return {renames.get(key, key): value for key, value in values.items()}

    def _context(
        self,
        *,
        invoker: Mapping[str, Any] | None,
        guild: Mapping[str, Any] | int | None,
        channel: Mapping[str, Any] | int | None,
        dm: bool,
        permissions: discord.Permissions | int | None,
    ) -> dict[str, Any]:
        """Who invokes where, with what permissions: the `interaction()` keyword arguments."""
        user = dict(invoker or self.fake.member)
        self.fake.users.setdefault(str(user["id"]), user)
        if dm:
            return {
                "invoker": user,
                "guild": None,
                "channel": self.fake.dm_channel_for(user["id"]),
                "member_permissions": None,
            }
        guild_obj = (
            self.fake.guilds[str(guild)]
            if isinstance(guild, int | str)
            else dict(guild or self.fake.guild)
        )
        if self.fake.member_of(guild_obj["id"], user["id"]) is None:
            self.fake.add_member(guild_obj["id"], user)  # Discord only delivers from members
        if channel is None:
            channel_obj = (
                self.fake.channel
                if guild_obj["id"] == self.fake.guild["id"]
                else guild_obj["channels"][0]
            )
        else:
            channel_obj = (
                self.fake.channels[str(channel)]
                if isinstance(channel, int | str)
                else dict(channel)
            )
        if permissions is None:
            # The owner has every permission; everyone else what a fresh member has.
            is_owner = str(user["id"]) == str(guild_obj["owner_id"])
            permissions = discord.Permissions.all() if is_owner else p.MEMBER_PERMISSIONS
        member = self.fake.member_of(guild_obj["id"], user["id"]) or {}
        return {
            "invoker": user,
            "guild": guild_obj,
            "channel": channel_obj,
            "member_permissions": permissions,
            "member_roles": member.get("roles", []),
            "nick": member.get("nick"),
        }

    def command_payload(
        self,
        name: str,
        /,
        *,
        focused: str | None = None,
        invoker: Mapping[str, Any] | None = None,
        guild: Mapping[str, Any] | int | None = None,
        channel: Mapping[str, Any] | int | None = None,
        dm: bool = False,
        permissions: discord.Permissions | int | None = None,
        app_permissions: discord.Permissions | int | None = None,
        locale: str = "en-US",
        validate: bool = True,
        option_values: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE `slash` (or, with `focused`, `autocomplete`) would send.

        Same arguments as `slash`. For tests that alter a payload, or send many with
        `dispatch` (e.g. concurrently).
        """
        values = {**(option_values or {}), **options}
        command = self.command(name)
        schema = self.schema(name)
        path = name.split()[1:]
        ctx = self._context(
            invoker=invoker, guild=guild, channel=channel, dm=dm, permissions=permissions
        )
        guild_id = ctx["guild"]["id"] if ctx["guild"] else None
        registered = self.fake.registered_command(schema["name"], guild_id)
        if validate and guild_id is not None and registered is None:
            raise DiscordWouldReject(
                f"/{schema['name']} is not registered with Discord for guild {guild_id}"
                " (did setup_hook's tree.sync run?)"
            )
        option_values = self._option_values(command, values)
        if focused is not None:
            focused = self._option_values(command, {focused: None}).popitem()[0]
        data = p.command_data(
            schema,
            path=path,
            values=option_values,
            command_id=registered["id"] if registered else None,
            guild_id=registered.get("guild_id") if registered else None,
            focused=focused,
            resolve_entity=self.fake.resolver(guild_id),
        )
        if validate:
            validate_command_interaction(
                schema,
                data,
                autocomplete=focused is not None,
                context=p.CONTEXT_GUILD if guild_id else p.CONTEXT_BOT_DM,
                member_permissions=p.permissions_value(ctx["member_permissions"])
                if guild_id
                else None,
                is_owner=bool(guild_id)
                and str(ctx["invoker"]["id"]) == str(ctx["guild"]["owner_id"]),
            )
        return p.interaction(
            interaction_type=p.INTERACTION_AUTOCOMPLETE
            if focused is not None
            else p.INTERACTION_COMMAND,
            data=data,
            application_id=self.fake.application_id,
            app_permissions=p.BOT_PERMISSIONS if app_permissions is None else app_permissions,
            locale=locale,
            **ctx,
        )

    async def slash(
        self,
        name: str,
        /,
        *,
        permissions: discord.Permissions | int | None = None,
        invoker: Mapping[str, Any] | None = None,
        guild: Mapping[str, Any] | int | None = None,
        channel: Mapping[str, Any] | int | None = None,
        dm: bool = False,
        validate: bool = True,
        app_permissions: discord.Permissions | int | None = None,
        locale: str = "en-US",
        expect_answer: bool = True,
        option_values: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Exchange:
        """Invoke `/name` ("cmd" or "group sub") with Python option values; return its requests.

        Options go by Python parameter name (or Discord name); `Choice`/`Enum` values, user,
        channel and role dicts or ids are converted like Discord would send them. An option
        whose name clashes with a keyword here goes in `option_values`. `permissions` are the
        invoker's channel permissions (default: a plain member's; all for the guild owner).
        `dm=True` invokes from the bot's DM with the invoker. `validate=False` sends what
        Discord would have refused.
        """
        payload = self.command_payload(
            name,
            option_values={**(option_values or {}), **options},
            focused=None,
            invoker=invoker,
            guild=guild,
            channel=channel,
            dm=dm,
            permissions=permissions,
            app_permissions=app_permissions,
            locale=locale,
            validate=validate,
        )
        return await self.dispatch(payload, expect_answer=expect_answer)

    async def autocomplete(
        self,
        name: str,
        /,
        *,
        focused: str,
        permissions: discord.Permissions | int | None = None,
        invoker: Mapping[str, Any] | None = None,
        guild: Mapping[str, Any] | int | None = None,
        channel: Mapping[str, Any] | int | None = None,
        dm: bool = False,
        validate: bool = True,
        locale: str = "en-US",
        expect_answer: bool = True,
        option_values: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Exchange:
        """The user is typing option `focused` of `/name`; its value (default "") is in `options`.

        Returns the requests; `exchange.choices` are the offered choices (type 8).
        """
        payload = self.command_payload(
            name,
            option_values={**(option_values or {}), **options},
            focused=focused,
            invoker=invoker,
            guild=guild,
            channel=channel,
            dm=dm,
            permissions=permissions,
            app_permissions=None,
            locale=locale,
            validate=validate,
        )
        return await self.dispatch(payload, expect_answer=expect_answer)

    async def component(
        self,
        custom_id: str,
        /,
        *,
        message: Mapping[str, Any] | int | str,
        values: Sequence[str] | None = None,
        invoker: Mapping[str, Any] | None = None,
        permissions: discord.Permissions | int | None = None,
        component_type: int | None = None,
        expect_answer: bool = True,
    ) -> Exchange:
        """Press the button (or choose `values` in the select) `custom_id` on `message`.

        `message` is a message dict the fake holds (e.g. `exchange.original_message`) or its
        id; the channel (guild or DM) comes from it. The component must be on the message
        unless `component_type` is given. Awaits the view's callback task.
        """
        if isinstance(message, int | str):
            message = self.fake.messages[str(message)]
        message = self.fake.messages.get(str(message["id"]), dict(message))
        channel = self.fake.channels.get(str(message["channel_id"]))
        if channel is None:
            raise HarnessError(
                f"message {message['id']} is in channel {message['channel_id']},"
                " which the fake does not know"
            )
        dm = channel["type"] == 1
        guild = None if dm else self.fake.guilds[str(channel["guild_id"])]
        ctx = self._context(
            invoker=invoker, guild=guild, channel=channel, dm=dm, permissions=permissions
        )
        if dm:
            ctx["channel"] = channel  # the DM the message is in, whoever presses
        payload = p.component_interaction(
            custom_id,
            message=message,
            component_type=component_type,
            values=values,
            application_id=self.fake.application_id,
            **ctx,
        )
        return await self.dispatch(payload, expect_answer=expect_answer)

    async def submit_modal(
        self,
        opened: Exchange,
        values: Mapping[str, str],
        *,
        invoker: Mapping[str, Any] | None = None,
        validate: bool = True,
        expect_answer: bool = True,
    ) -> Exchange:
        """Fill in and submit the form (modal) that the interaction `opened` answered with.

        `values` maps each text input's `custom_id` to what the user typed. Discord enforces
        `required`, `min_length` and `max_length` in its client: `DiscordWouldReject` unless
        `validate=False`.
        """
        modal = opened.state.modal
        if modal is None:
            raise HarnessError(f"interaction {opened.interaction_id} did not answer with a modal")
        if validate:
            problems = _text_input_problems(modal, values)
            if problems:
                raise DiscordWouldReject(f"modal {modal['custom_id']!r}: " + "; ".join(problems))
        source = opened.payload
        guild = self.fake.guilds.get(str(source.get("guild_id")))
        ctx = self._context(
            invoker=invoker or source.get("member", {}).get("user") or source.get("user"),
            guild=guild,
            channel=source["channel"],
            dm=guild is None,
            permissions=None,
        )
        if guild is None:
            ctx["channel"] = source["channel"]
        payload = p.modal_submit_interaction(
            str(modal["custom_id"]),
            p.modal_submit_components(modal, values),
            message=source.get("message"),
            application_id=self.fake.application_id,
            **ctx,
        )
        return await self.dispatch(payload, expect_answer=expect_answer)


def _text_input_problems(modal: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    """What Discord's client would not let the user submit in a modal."""
    problems = []
    for component in p.walk_components(modal.get("components", [])):
        if component.get("type") != 4:
            continue
        custom_id = str(component.get("custom_id"))
        value = values.get(custom_id, "")
        if not value and component.get("required", True):
            problems.append(f"{custom_id!r} is required")
            continue
        low, high = component.get("min_length"), component.get("max_length")
        if value and low is not None and len(value) < low:
            problems.append(f"{custom_id!r} is shorter than {low}")
        if high is not None and len(value) > high:
            problems.append(f"{custom_id!r} is longer than {high}")
    unknown = set(values) - {
        str(c.get("custom_id")) for c in p.walk_components(modal.get("components", []))
    }
    if unknown:
        problems.append(f"the modal has no inputs {sorted(unknown)}")
    return problems


def _describe_interaction(payload: Mapping[str, Any]) -> str:
    data = payload.get("data") or {}
    if payload["type"] in (p.INTERACTION_COMMAND, p.INTERACTION_AUTOCOMPLETE):
        names = [data.get("name", "?")]
        options = data.get("options") or []
        while options and options[0].get("type") in (p.OPT_SUBCOMMAND, p.OPT_GROUP):
            names.append(options[0]["name"])
            options = options[0].get("options") or []
        kind = "autocomplete of" if payload["type"] == p.INTERACTION_AUTOCOMPLETE else "command"
        return f"{kind} /{' '.join(names)}"
    if payload["type"] == p.INTERACTION_MODAL_SUBMIT:
        return f"modal submit {data.get('custom_id')!r}"
    return f"component {data.get('custom_id')!r}"


class _ListHandler(logging.Handler):
    """Collects ERROR records from discord.py's loggers ("Ignoring exception in ...")."""

    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


# -- migrations: once per process for SQLite, then a file copy per test --------------------

_sqlite_template: Path | None = None


async def migrate_database(url: str) -> None:
    """Bring the test database to the newest schema, as `paperscout run` does before starting.

    SQLite: migrate a template file once per process and copy it (a copy takes about a
    millisecond, a migration far longer). PostgreSQL, or a SQLite file a test prepared
    itself: migrate it in place.
    """
    global _sqlite_template
    target = sqlite_file(url)
    if target is None or await asyncio.to_thread(target.exists):
        await upgrade_to_head_async(url)
        return
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="paperscout-schema-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        await upgrade_to_head_async(f"sqlite+aiosqlite:///{folder / 'template.db'}")
        _sqlite_template = folder / "template.db"
    await asyncio.to_thread(_copy_sqlite, _sqlite_template, target)


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with its WAL files, if any are left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copyfile(part, Path(f"{target}{suffix}"))
