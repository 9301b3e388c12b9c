"""A fake Discord: REST API v10 and gateway on 127.0.0.1, with Discord-like state.

The project's real bot talks to it through discord.py's own HTTP and websocket code
(`Route.BASE` and `DiscordWebSocket.DEFAULT_GATEWAY` pointed here: docs/testing.md). It
runs in the test's event loop and works for a bot in another process too:

    async with FakeDiscord() as fake:
        env = {"DISCORD_TOKEN": fake.token, "DISCORD_API_URL": fake.api_url,
               "DISCORD_GATEWAY_URL": fake.gateway_url, "DEV_GUILD_ID": str(fake.guild_id)}
        ...start `paperscout run` with env...
        await fake.wait_for_identify()
        payload = fake.slash_payload("help", topic="metrics")
        await fake.dispatch_interaction(payload)
        callback = await fake.wait_for("POST", rf"/interactions/{payload['id']}/.*/callback")

What it does, and why each rule matters for discord.py 2.7 (docs/testing.md#the-fake-discord):
* One catch-all route; every request is recorded (`requests`, `find`, `wait_for`) with method,
  path (after `/api/v10`), query, headers, JSON body or multipart `payload_json` and files.
* Every JSON reply has exactly `Content-Type: application/json` (`json_or_text` compares it).
* Unknown routes get a recorded 404 JSON, so the bot sees a real `NotFound`.
* `override(method, regex, handler)` injects faults per route: the handler returns
  `(status, body[, headers])`, or None to fall through to the normal behaviour.
* A crash inside a fake handler answers 400 (never 5xx: discord.py retries those for about
  25 s) and is kept in `handler_errors`; the harness fails the test on it.
* Discord's own rules that discord.py does not check are enforced and answered the way
  Discord answers them: message limits (50035), empty messages (50006), double
  acknowledgement (40060), unknown or expired interactions (10062), callback types that do not
  fit the interaction, followups before the acknowledgement (10015), closed DMs (50007),
  privileged intents that are not enabled (gateway close 4014), a wrong token (401 / 4004).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import logging
import mimetypes
import re
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import discord
from aiohttp import WSMsgType, web

from tests.harness import payloads as p

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}  # exactly this, no charset (docs/testing.md)
# Privileged intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
PRIVILEGED_INTENTS = {
    1 << 1: "guild_members",
    1 << 8: "guild_presences",
    1 << 15: "message_content",
}

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
_SENDABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
)

# Which callback types Discord accepts for which interaction type.
_ALLOWED_CALLBACKS = {
    p.INTERACTION_COMMAND: {4, 5, 9},
    p.INTERACTION_COMPONENT: {4, 5, 6, 7, 9},
    p.INTERACTION_AUTOCOMPLETE: {8},
    p.INTERACTION_MODAL_SUBMIT: {4, 5, 6, 7},
}

Reply: TypeAlias = tuple[int, Any] | tuple[int, Any, Mapping[str, str]]
Handler: TypeAlias = Callable[
    ["RecordedRequest", re.Match[str]], "Awaitable[Reply | None] | Reply | None"
]


class DiscordWouldReject(Exception):
    """Discord itself would refuse this interaction before the bot ever saw it."""


# --- recording ---------------------------------------------------------------------------


@dataclass
class RecordedFile:
    """One uploaded file of a multipart request."""

    field: str  # the multipart field name, `files[0]`
    filename: str | None
    content_type: str | None  # of the part: discord.py sends application/octet-stream
    data: bytes


@dataclass
class RecordedRequest:
    """One request the bot made, and what the fake answered."""

    seq: int
    method: str
    path: str  # after /api/v10, e.g. /channels/1/messages
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None  # the JSON body, or the multipart `payload_json`
    files: list[RecordedFile] = field(default_factory=list)
    status: int | None = None
    response: Any = None

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class Override:
    """A fault injected on the routes matching `method` and `pattern`; `remove()` undoes it."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    times: int | None
    owner: FakeDiscord
    calls: int = 0

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            self.owner._overrides.remove(self)


@dataclass
class InteractionState:
    """What Discord remembers about an interaction it delivered: for callbacks and followups."""

    payload: dict[str, Any]
    ack_type: int | None = None
    original_id: str | None = None
    loading: bool = False
    followup_ids: list[str] = field(default_factory=list)
    expired: bool = False
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def type(self) -> int:
        return int(self.payload["type"])

    @property
    def channel_id(self) -> str:
        return str(self.payload["channel"]["id"])

    @property
    def guild_id(self) -> str | None:
        return self.payload.get("guild_id")


@dataclass
class GatewaySession:
    """One websocket connection from a bot."""

    ws: web.WebSocketResponse
    query: dict[str, str]
    session_id: str
    seq: int = 0
    identify: dict[str, Any] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.lock:
            await self.ws.send_str(json.dumps(frame))  # text frames: never compressed

    async def send_event(self, name: str, data: Any) -> None:
        self.seq += 1
        await self.send({"op": 0, "t": name, "s": self.seq, "d": data})


def error_body(code: int, message: str, errors: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A Discord JSON error body."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = dict(errors)
    return body


def invalid_form(problems: Sequence[tuple[str, str]]) -> Reply:
    """400 Invalid Form Body (50035) with `errors` keyed by field path, like Discord's."""
    errors: dict[str, Any] = {}
    for path, message in problems:
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return 400, error_body(50035, "Invalid Form Body", errors)


# --- Discord's own rules -----------------------------------------------------------------


def message_problems(
    body: Mapping[str, Any], files: Sequence[RecordedFile], *, editing: bool
) -> list[tuple[str, str]]:
    """What Discord would reject in a message payload (limits it enforces server-side)."""
    problems: list[tuple[str, str]] = []
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        problems.append(("content", f"Must be 2000 or fewer in length (got {len(str(content))})."))
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append(("embeds", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        where = f"embeds.{i}"
        for key, limit in (("title", 256), ("description", 4096)):
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                problems.append(
                    (f"{where}.{key}", f"Must be {limit} or fewer in length (got {len(text)}).")
                )
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append((f"{where}.fields", "Must be 25 or fewer in length."))
        for j, fld in enumerate(fields):
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            total += len(name) + len(value)
            if not name.strip() or len(name) > 256:
                problems.append(
                    (f"{where}.fields.{j}.name", "Must be between 1 and 256 in length.")
                )
            if not value.strip() or len(value) > 1024:
                problems.append(
                    (f"{where}.fields.{j}.value", "Must be between 1 and 1024 in length.")
                )
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048:
            problems.append((f"{where}.footer.text", "Must be 2048 or fewer in length."))
        if len(author) > 256:
            problems.append((f"{where}.author.name", "Must be 256 or fewer in length."))
    if total > 6000:
        problems.append(("embeds", f"Embed size exceeds maximum size of 6000 (got {total})."))
    components = body.get("components") or []
    if not int(body.get("flags") or 0) & FLAG_COMPONENTS_V2:
        problems.extend(_component_problems(components))
    if len(files) > 10:
        problems.append(("files", "Must be 10 or fewer in length."))
    has_body = (
        bool(content)
        or bool(embeds)
        or bool(components)
        or bool(files)
        or bool(body.get("attachments"))
        or bool(body.get("sticker_ids"))
        or bool(body.get("poll"))
    )
    if not has_body and not editing:
        problems.append(("", "Cannot send an empty message"))
    return problems


def _component_problems(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if len(rows) > 5:
        problems.append(("components", "Must be 5 or fewer in length."))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        children = row.get("components") or []
        if row.get("type") != 1:
            problems.append((f"components.{i}.type", "Top-level components must be action rows."))
            continue
        selects = [c for c in children if c.get("type") != 2]
        if len(children) > 5 or (selects and len(children) > 1) or not children:
            problems.append(
                (f"components.{i}.components", "An action row holds 1-5 buttons or one select.")
            )
        for j, child in enumerate(children):
            custom_id = child.get("custom_id")
            if custom_id is not None:
                if len(custom_id) > 100:
                    problems.append(
                        (
                            f"components.{i}.components.{j}.custom_id",
                            "Must be 100 or fewer in length.",
                        )
                    )
                if custom_id in seen:
                    problems.append(
                        (
                            f"components.{i}.components.{j}.custom_id",
                            "Component custom id cannot be duplicated",
                        )
                    )
                seen.add(custom_id)
            if len(str(child.get("label") or "")) > 80:
                problems.append(
                    (f"components.{i}.components.{j}.label", "Must be 80 or fewer in length.")
                )
            if len(child.get("options") or []) > 25:
                problems.append(
                    (f"components.{i}.components.{j}.options", "Must be 25 or fewer in length.")
                )
    return problems


_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


def command_schema_problems(commands: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """What Discord would reject in a bulk command overwrite (names, limits, option order)."""
    problems: list[tuple[str, str]] = []
    names: set[tuple[int, str]] = set()
    if sum(1 for c in commands if c.get("type", 1) == 1) > 100:
        problems.append(("", "Must be 100 or fewer chat input commands."))
    for i, command in enumerate(commands):
        key = (int(command.get("type", 1)), str(command.get("name")))
        if key in names:
            problems.append((f"{i}.name", "Application command names must be unique"))
        names.add(key)
        if key[0] == 1:
            problems.extend((f"{i}.{path}", msg) for path, msg in _option_problems(command))
    return problems


def _option_problems(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    name = str(node.get("name", ""))
    if not _NAME_RE.match(name) or name != name.lower():
        problems.append(("name", f"Command name {name!r} is invalid (1-32 lowercase characters)."))
    if not 1 <= len(str(node.get("description", ""))) <= 100:
        problems.append(("description", "Must be between 1 and 100 in length."))
    options = node.get("options") or []
    if len(options) > 25:
        problems.append(("options", "Must be 25 or fewer in length."))
    seen_optional = False
    seen_names: set[str] = set()
    for j, option in enumerate(options):
        if option.get("type") in (p.OPT_SUBCOMMAND, p.OPT_GROUP):
            problems.extend((f"options.{j}.{path}", msg) for path, msg in _option_problems(option))
            continue
        oname = str(option.get("name"))
        if oname in seen_names:
            problems.append((f"options.{j}.name", "Option names must be unique"))
        seen_names.add(oname)
        if not _NAME_RE.match(oname) or oname != oname.lower():
            problems.append((f"options.{j}.name", f"Option name {oname!r} is invalid."))
        if not 1 <= len(str(option.get("description", ""))) <= 100:
            problems.append((f"options.{j}.description", "Must be between 1 and 100 in length."))
        if option.get("required"):
            if seen_optional:
                problems.append(
                    (
                        f"options.{j}.required",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems.append((f"options.{j}.choices", "Must be 25 or fewer in length."))
        if choices and option.get("autocomplete"):
            problems.append(
                (f"options.{j}.autocomplete", "Autocomplete cannot be set with choices.")
            )
        for k, choice in enumerate(choices):
            if not 1 <= len(str(choice.get("name", ""))) <= 100:
                problems.append(
                    (f"options.{j}.choices.{k}.name", "Must be between 1 and 100 in length.")
                )
    return problems


def validate_command_interaction(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    *,
    autocomplete: bool,
    context: int,
    member_permissions: int | None,
    is_owner: bool = False,
) -> None:
    """Raise `DiscordWouldReject` if Discord would not deliver this command interaction.

    `schema` is the command as registered (`Command.to_dict(tree)`); `data` the interaction's
    `data`. Checks what only Discord enforces (docs/testing.md#the-fake-discord): contexts and
    `default_member_permissions`, subcommand structure, option names and types, required
    options, choices, min/max values and lengths, channel types, and the focused option of an
    autocomplete.
    """
    problems: list[str] = []
    where = f"/{schema['name']}"
    contexts = schema.get("contexts")
    if contexts is not None and context not in contexts:
        problems.append(f"not available in context {context} (allowed: {contexts})")
    elif context != p.CONTEXT_GUILD and schema.get("dm_permission") is False:
        problems.append("is guild-only (dm_permission false), so Discord hides it in DMs")
    required_bits = schema.get("default_member_permissions")
    if required_bits is not None and context == p.CONTEXT_GUILD and not is_owner:
        have = member_permissions or 0
        admin = discord.Permissions.administrator.flag  # type: ignore[attr-defined]
        if not have & admin and int(required_bits) & have != int(required_bits):
            problems.append(f"is hidden from members without permissions {required_bits}")
    node: Mapping[str, Any] = schema
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    while options and options[0].get("type") in (p.OPT_SUBCOMMAND, p.OPT_GROUP):
        step = options[0]
        child = next(
            (
                o
                for o in node.get("options") or []
                if o["name"] == step["name"] and o["type"] == step["type"]
            ),
            None,
        )
        if child is None:
            problems.append(f"has no subcommand {step['name']!r} of type {step['type']}")
            raise DiscordWouldReject(f"{where}: " + "; ".join(problems))
        where += f" {child['name']}"
        node = child
        options = list(step.get("options") or [])
    declared = {o["name"]: o for o in node.get("options") or []}
    if any(o["type"] in (p.OPT_SUBCOMMAND, p.OPT_GROUP) for o in declared.values()):
        problems.append("needs a subcommand")
    resolved = data.get("resolved") or {}
    given: set[str] = set()
    focused = [o for o in options if o.get("focused")]
    for option in options:
        name = option.get("name")
        spec = declared.get(name)
        if spec is None:
            problems.append(f"has no option {name!r}")
            continue
        if name in given:
            problems.append(f"option {name!r} given twice")
        given.add(name)
        if option.get("type") != spec["type"]:
            problems.append(
                f"option {name!r} has type {option.get('type')}, registered {spec['type']}"
            )
            continue
        if option.get("focused"):
            if not spec.get("autocomplete"):
                problems.append(f"option {name!r} has no autocomplete")
            continue
        problems.extend(
            f"option {name!r} {msg}" for msg in _value_problems(spec, option.get("value"), resolved)
        )
    if autocomplete:
        if len(focused) != 1:
            problems.append(f"an autocomplete needs exactly one focused option, got {len(focused)}")
    else:
        if focused:
            problems.append("a command interaction has no focused option")
        missing = [n for n, o in declared.items() if o.get("required") and n not in given]
        if missing:
            problems.append(f"misses required option(s) {missing}")
    if problems:
        raise DiscordWouldReject(f"{where}: " + "; ".join(problems))


def _value_problems(spec: Mapping[str, Any], value: Any, resolved: Mapping[str, Any]) -> list[str]:
    opt_type = spec["type"]
    problems: list[str] = []
    if opt_type == p.OPT_STRING:
        if not isinstance(value, str):
            return [f"must be a string, got {value!r}"]
        low, high = spec.get("min_length", 0) or 0, spec.get("max_length", 6000) or 6000
        if not low <= len(value) <= high:
            problems.append(f"length {len(value)} is outside {low}..{high}")
    elif opt_type == p.OPT_INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"must be an integer, got {value!r}"]
        if not -(2**53) < value < 2**53:
            problems.append("is outside -2^53..2^53")
    elif opt_type == p.OPT_NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"must be a number, got {value!r}"]
    elif opt_type == p.OPT_BOOLEAN:
        if not isinstance(value, bool):
            return [f"must be true or false, got {value!r}"]
    else:
        if not (isinstance(value, str) and value.isdigit()):
            return [f"must be a snowflake string, got {value!r}"]
        sections = {
            p.OPT_USER: ("users",),
            p.OPT_CHANNEL: ("channels",),
            p.OPT_ROLE: ("roles",),
            p.OPT_MENTIONABLE: ("users", "roles"),
            p.OPT_ATTACHMENT: ("attachments",),
        }[opt_type]
        if not any(value in (resolved.get(s) or {}) for s in sections):
            problems.append(f"value {value} is missing from resolved {sections}")
        if opt_type == p.OPT_CHANNEL and spec.get("channel_types"):
            channel = (resolved.get("channels") or {}).get(value) or {}
            if channel.get("type") not in spec["channel_types"]:
                problems.append(
                    f"channel type {channel.get('type')} is not in {spec['channel_types']}"
                )
    if opt_type in (p.OPT_INTEGER, p.OPT_NUMBER):
        low, high = spec.get("min_value"), spec.get("max_value")
        if low is not None and value < low:
            problems.append(f"value {value} is below the minimum {low}")
        if high is not None and value > high:
            problems.append(f"value {value} is above the maximum {high}")
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        problems.append(
            f"value {value!r} is not one of the choices {[c['value'] for c in choices]}"
        )
    return problems


# --- the fake ----------------------------------------------------------------------------


class FakeDiscord:
    """Discord's REST API and gateway, on loopback, with a small world in memory.

    The default world: the bot (`bot_user`, id `payloads.BOT_USER_ID`, which is also the
    application id), one guild (`guild`, `payloads.GUILD_ID`) owned by `owner`
    (`payloads.OWNER_ID`), a text channel `#general` (`channel`, `payloads.TEXT_CHANNEL_ID`), and
    a regular member `member` "alice" (`payloads.MEMBER_ID`).
    """

    def __init__(
        self,
        *,
        token: str = "fake-token",
        heartbeat_interval_ms: int = 41_250,
        privileged_intents: Iterable[str] = (),
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms  # long: no heartbeat thread traffic
        self.privileged_intents = set(privileged_intents)
        self.application_id = str(p.APP_ID)
        self.requests: list[RecordedRequest] = []
        self.handler_errors: list[str] = []
        self.identify_payloads: list[dict[str, Any]] = []
        self.gateway_frames: list[dict[str, Any]] = []
        self.sessions: list[GatewaySession] = []
        self._overrides: list[Override] = []
        self._seq = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes = self._route_table()

        # The world.
        self.users: dict[str, dict[str, Any]] = {}
        self.guilds: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}  # guild -> user -> member
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}  # id -> message, ephemeral ones included
        self.channel_message_ids: dict[str, list[str]] = {}
        self.attachment_bytes: dict[str, bytes] = {}
        self.nonces: dict[tuple[str, str, str], str] = {}
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.dms_closed: set[str] = set()
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[str, list[dict[str, Any]]] = {}
        self.interactions: dict[str, InteractionState] = {}
        self.presences: list[dict[str, Any]] = []
        self._command_ids: dict[tuple[str | None, int, str], str] = {}
        self._build_default_world()

    # -- world ---------------------------------------------------------------------------

    def _build_default_world(self) -> None:
        self.bot_user = self.add_user("PaperScout", user_id=p.BOT_USER_ID, bot=True)
        self.owner = self.add_user("olivia", user_id=p.OWNER_ID, global_name="Olivia")
        self.member = self.add_user("alice", user_id=p.MEMBER_ID, global_name="Alice")
        gid = str(p.GUILD_ID)
        bot_role = p.role(
            gid, "PaperScout", role_id=p.GUILD_ID + 1, permissions=p.BOT_PERMISSIONS, position=1
        )
        self.guild = p.guild(gid, owner_id=p.OWNER_ID, roles=[p.role(gid), bot_role])
        self.guilds[gid] = self.guild
        self.members[gid] = {}
        self.add_member(gid, self.bot_user, roles=[bot_role["id"]])
        self.add_member(gid, self.owner)
        self.add_member(gid, self.member)
        self.channel = self.add_text_channel(gid, "general", channel_id=p.TEXT_CHANNEL_ID)

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])

    @property
    def channel_id(self) -> int:
        return int(self.channel["id"])

    def add_user(
        self,
        username: str,
        *,
        user_id: int | str | None = None,
        global_name: str | None = None,
        bot: bool = False,
    ) -> dict[str, Any]:
        """A user Discord knows (for `GET /users/{id}`, DMs, and as an invoker)."""
        user = p.user(user_id, username, global_name=global_name, bot=bot)
        self.users[user["id"]] = user
        return user

    def add_member(
        self,
        guild_id: int | str,
        user: Mapping[str, Any],
        *,
        roles: Iterable[int | str] = (),
        nick: str | None = None,
    ) -> dict[str, Any]:
        """Make `user` a member of the guild (stored without the interaction-only permissions)."""
        member = p.member(user, roles=roles, nick=nick)
        member.pop("permissions")
        self.members.setdefault(str(guild_id), {})[str(user["id"])] = member
        self.users.setdefault(str(user["id"]), dict(user))
        return member

    def add_text_channel(
        self, guild_id: int | str, name: str, *, channel_id: int | str | None = None
    ) -> dict[str, Any]:
        """A text channel in the guild (the bot gets CHANNEL_CREATE only if you send it)."""
        guild = self.guilds[str(guild_id)]
        channel = p.text_channel(
            guild["id"], name, channel_id=channel_id, position=len(guild["channels"])
        )
        guild["channels"].append(channel)
        self.channels[channel["id"]] = channel
        self.channel_message_ids[channel["id"]] = []
        return channel

    def dm_channel_for(self, user_id: int | str) -> dict[str, Any]:
        """The DM channel between the bot and the user, created on first use like Discord's."""
        uid = str(user_id)
        if uid not in self.dm_channels:
            channel = p.dm_channel(self.users[uid])
            self.channels[channel["id"]] = channel
            self.channel_message_ids[channel["id"]] = []
            self.dm_channels[uid] = channel["id"]
        return self.channels[self.dm_channels[uid]]

    def close_dms(self, user_id: int | str) -> None:
        """The user does not accept DMs from the bot: sends answer 403 50007."""
        self.dms_closed.add(str(user_id))

    def member_of(self, guild_id: int | str, user_id: int | str) -> dict[str, Any] | None:
        """The stored member (without `user`), or None."""
        return self.members.get(str(guild_id), {}).get(str(user_id))

    def add_message(
        self,
        channel_id: int | str,
        content: str = "",
        *,
        author: Mapping[str, Any] | None = None,
        embeds: Sequence[Mapping[str, Any]] = (),
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """Put a message in a channel's history directly (e.g. one a crashed bot had sent)."""
        body: dict[str, Any] = {"content": content, "embeds": [dict(e) for e in embeds]}
        if nonce is not None:
            body["nonce"] = nonce
        message = self._new_message(str(channel_id), body, [], author=author or self.bot_user)
        if nonce is not None:
            self.nonces[(str(message["author"]["id"]), str(channel_id), str(nonce))] = message["id"]
        return message

    def forget_nonces(self) -> None:
        """Discord's `enforce_nonce` window has passed: a repeated nonce now posts again."""
        self.nonces.clear()

    def channel_messages(self, channel_id: int | str) -> list[dict[str, Any]]:
        """The channel's visible history, oldest first (ephemeral messages are never in it)."""
        return [
            self.messages[i]
            for i in self.channel_message_ids.get(str(channel_id), [])
            if i in self.messages
        ]

    def dm_messages(self, user_id: int | str) -> list[dict[str, Any]]:
        """What the user received from the bot in DMs, oldest first."""
        channel_id = self.dm_channels.get(str(user_id))
        return self.channel_messages(channel_id) if channel_id else []

    def registered_commands(self, guild_id: int | str | None = None) -> list[dict[str, Any]]:
        """The commands the bot registered: for a guild, or global when `guild_id` is None."""
        if guild_id is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(str(guild_id), []))

    def registered_command(
        self, name: str, guild_id: int | str | None = None
    ) -> dict[str, Any] | None:
        """One registered chat-input command by name (guild first, then global)."""
        pools = ([self.guild_commands.get(str(guild_id), [])] if guild_id is not None else []) + [
            self.global_commands
        ]
        for pool in pools:
            for command in pool:
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        return None

    # -- interactions --------------------------------------------------------------------

    def register_interaction(self, payload: Mapping[str, Any]) -> InteractionState:
        """Remember an interaction Discord is about to deliver, so its token works.

        Registering a known token again keeps its state (e.g. `expire_interaction` before).
        """
        known = self.interactions.get(str(payload["token"]))
        if known is not None:
            return known
        state = InteractionState(payload=dict(payload))
        self.interactions[state.token] = state
        channel = payload.get("channel") or {}
        if channel.get("id") and str(channel["id"]) not in self.channels:
            # An interaction in a channel the fake did not know (a test-made DM): adopt it.
            self.channels[str(channel["id"])] = dict(channel)
            self.channel_message_ids.setdefault(str(channel["id"]), [])
        return state

    def interaction(self, token: str) -> InteractionState:
        """The fake's memory of an interaction (acknowledgement, original message, followups)."""
        return self.interactions[token]

    def expire_interaction(self, token: str) -> None:
        """The token is too old: callbacks answer 10062, followups 50027, like Discord's."""
        self.interactions[token].expired = True

    async def dispatch_interaction(self, payload: Mapping[str, Any]) -> None:
        """Deliver an INTERACTION_CREATE to every identified bot over the gateway."""
        self.register_interaction(payload)
        await self.send_event("INTERACTION_CREATE", dict(payload))

    def interaction_requests(self, token: str) -> list[RecordedRequest]:
        """Every request made with this interaction token, in order (callback first)."""
        return [r for r in self.requests if token in r.path.split("/")]

    def slash_payload(
        self,
        name: str,
        *,
        invoker: Mapping[str, Any] | None = None,
        permissions: discord.Permissions | int | None = None,
        channel: Mapping[str, Any] | None = None,
        dm: bool = False,
        focused: str | None = None,
        validate: bool = True,
        **options: Any,
    ) -> dict[str, Any]:
        """A slash command (or, with `focused`, autocomplete) INTERACTION_CREATE built from
        the *registered* schema: for a bot in another process, where there is no tree to read.

        `name` may hold subcommands ("group sub"); options go by their Discord name. In the
        default guild and `#general` as alice unless told otherwise; `dm=True` uses the
        invoker's DM with the bot, where only global commands exist.
        """
        root, *path = name.split()
        guild = None if dm else self.guild
        schema = self.registered_command(root, None if dm else self.guild["id"])
        if schema is None and not validate:
            schema = self.registered_command(root, self.guild["id"])
        if schema is None:
            where = "globally (DMs only see global commands)" if dm else f"in guild {self.guild_id}"
            raise DiscordWouldReject(f"/{root} is not registered {where}")
        invoker = dict(invoker or self.member)
        self.users.setdefault(str(invoker["id"]), invoker)
        perms = p.permissions_value(p.MEMBER_PERMISSIONS if permissions is None else permissions)
        data = p.command_data(
            schema,
            path=path,
            values=options,
            command_id=schema["id"],
            guild_id=schema.get("guild_id"),
            focused=focused,
            resolve_entity=self.resolver(None if dm else self.guild["id"]),
        )
        if validate:
            validate_command_interaction(
                schema,
                data,
                autocomplete=focused is not None,
                context=p.CONTEXT_BOT_DM if dm else p.CONTEXT_GUILD,
                member_permissions=None if dm else perms,
            )
        return p.interaction(
            interaction_type=(
                p.INTERACTION_AUTOCOMPLETE if focused is not None else p.INTERACTION_COMMAND
            ),
            data=data,
            invoker=invoker,
            channel=self.dm_channel_for(invoker["id"]) if dm else (channel or self.channel),
            guild=guild,
            member_permissions=perms,
            application_id=self.application_id,
        )

    def resolver(self, guild_id: int | str | None) -> p.EntityLookup:
        """Turns entity option values (dicts, ids, discord objects) into ids and `resolved`."""

        def resolve(opt_type: int, value: Any) -> tuple[str, dict[str, Any]]:
            if isinstance(value, Mapping):
                obj_id = str(value["id"])
            elif isinstance(value, discord.abc.Snowflake):
                obj_id = str(value.id)
            else:
                obj_id = str(value)
            sections: dict[str, Any] = {}
            if opt_type == p.OPT_ATTACHMENT:
                sections["attachments"] = {
                    obj_id: dict(value)
                    if isinstance(value, Mapping)
                    else p.attachment(attachment_id=obj_id)
                }
                return obj_id, sections
            role = self._role(guild_id, obj_id)
            if opt_type in (p.OPT_ROLE, p.OPT_MENTIONABLE) and role is not None:
                sections["roles"] = {obj_id: role}
                return obj_id, sections
            if opt_type == p.OPT_CHANNEL:
                channel = (
                    dict(value)
                    if isinstance(value, Mapping)
                    else dict(self.channels.get(obj_id, {}))
                )
                if channel:
                    partial = {k: v for k, v in channel.items() if k != "permission_overwrites"}
                    partial.setdefault("permissions", str(p.MEMBER_PERMISSIONS.value))
                    sections["channels"] = {obj_id: partial}
                return obj_id, sections
            if opt_type in (p.OPT_USER, p.OPT_MENTIONABLE):
                user = (
                    dict(value)
                    if isinstance(value, Mapping) and "username" in value
                    else self.users.get(obj_id)
                )
                if user is not None:
                    sections["users"] = {obj_id: user}
                    member = self.member_of(guild_id, obj_id) if guild_id is not None else None
                    if member is not None:
                        sections["members"] = {
                            obj_id: {
                                **{k: v for k, v in member.items() if k != "user"},
                                "permissions": str(p.MEMBER_PERMISSIONS.value),
                            }
                        }
            return obj_id, sections

        return resolve

    def _role(self, guild_id: int | str | None, role_id: str) -> dict[str, Any] | None:
        if guild_id is None:
            return None
        return next((r for r in self.guilds[str(guild_id)]["roles"] if r["id"] == role_id), None)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 on a free port."""
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway-ws", self._gateway)
        app.router.add_get("/gateway-ws/", self._gateway)
        app.router.add_get("/attachments/{aid}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        """Close the gateway sessions, then the server."""
        for session in list(self.sessions):
            with contextlib.suppress(Exception):
                await session.ws.close(code=1001, message=b"fake Discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake Discord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What `Route.BASE` (or DISCORD_API_URL) must be."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What `DiscordWebSocket.DEFAULT_GATEWAY` (or DISCORD_GATEWAY_URL) must be."""
        return f"ws://127.0.0.1:{self.port}/gateway-ws/"

    # -- recording and waiting -----------------------------------------------------------

    def find(
        self,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        *,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests by method and path regex (`fullmatch` on the path after /api/v10)."""
        pattern = re.compile(path) if isinstance(path, str) else path
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.fullmatch(r.path))
            and (predicate is None or predicate(r))
        ]

    async def wait_for(
        self,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        *,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109  (a bound, so a missing request fails fast)
    ) -> RecordedRequest:
        """Wait until `count` matching requests were answered; return the `count`-th."""
        assert self._changed is not None, "start the fake first"

        def answered() -> list[RecordedRequest]:
            return [r for r in self.find(method, path, predicate=predicate) if r.status is not None]

        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(answered()) >= count), timeout
                )
            except TimeoutError:
                seen = "\n  ".join(
                    f"{r.method} {r.path} -> {r.status}" for r in self.requests[-20:]
                )
                raise AssertionError(
                    f"no {count} request(s) {method} {path} within {timeout}s;"
                    f" last requests:\n  {seen}"
                ) from None
        return answered()[count - 1]

    async def wait_for_identify(
        self,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait until `count` IDENTIFY frames arrived (and READY was sent); return the last."""
        assert self._changed is not None, "start the fake first"
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.identify_payloads) >= count), timeout
            )
        return self.identify_payloads[count - 1]

    async def wait_for_gateway(
        self,
        op: int,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait until the bot sent `count` gateway frames with opcode `op`; return the last.

        Opcodes: 1 heartbeat, 2 identify, 3 presence update, 6 resume.
        """
        assert self._changed is not None, "start the fake first"

        def frames() -> list[dict[str, Any]]:
            return [f for f in self.gateway_frames if f.get("op") == op]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(frames()) >= count), timeout)
        return frames()[count - 1]

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # -- fault injection -----------------------------------------------------------------

    def override(
        self,
        method: str,
        path: str | re.Pattern[str],
        handler: Handler,
        *,
        times: int | None = None,
    ) -> Override:
        """Answer matching requests with `handler(request, match)` -> `(status, body[, headers])`.

        `path` is a regex `fullmatch`ed against the path after /api/v10. Return None from the
        handler to let the normal behaviour answer. `times` limits how often it fires. The
        newest override wins.
        """
        pattern = re.compile(path) if isinstance(path, str) else path
        ov = Override(method.upper(), pattern, handler, times, self)
        self._overrides.insert(0, ov)
        return ov

    def fail(
        self,
        method: str,
        path: str | re.Pattern[str],
        status: int,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        times: int | None = 1,
    ) -> Override:
        """Answer matching requests with a fixed reply (`times` times; None means always)."""
        reply: Reply = (status, body, dict(headers or {}))
        return self.override(method, path, lambda _r, _m: reply, times=times)

    def rate_limit(
        self,
        method: str,
        path: str | re.Pattern[str],
        *,
        retry_after: float = 0.01,
        times: int = 1,
        is_global: bool = False,
        via: bool = True,
    ) -> Override:
        """A 429 like Discord's. discord.py retries it only with a `Via` header (else: a ban)."""
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if via:
            headers["Via"] = "1.1 google"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        return self.fail(method, path, 429, body, headers=headers, times=times)

    # -- HTTP plumbing -------------------------------------------------------------------

    async def _record(self, request: web.Request, tail: str) -> RecordedRequest:
        rec = RecordedRequest(
            seq=next(self._seq),
            method=request.method,
            path="/" + tail,
            query=dict(request.query),
            headers=dict(request.headers),
        )
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part is None or not hasattr(part, "read"):
                    continue
                name = part.name or ""
                data = await part.read(decode=False)  # type: ignore[union-attr]
                if name == "payload_json":
                    rec.json = json.loads(bytes(data).decode())
                else:
                    rec.files.append(
                        RecordedFile(
                            field=name,
                            filename=part.filename,
                            content_type=part.headers.get("Content-Type"),
                            data=bytes(data),
                        )
                    )
        else:
            body = await request.read()
            if body:
                try:
                    rec.json = json.loads(body)
                except ValueError:
                    rec.json = body.decode(errors="replace")
        self.requests.append(rec)
        return rec

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request, request.match_info["tail"])
        try:
            reply = await self._answer(rec)
        except Exception:
            # Never a 5xx: discord.py would retry it for ~25 s and hide the bug.
            trace = traceback.format_exc()
            self.handler_errors.append(f"{rec.method} {rec.path}\n{trace}")
            log.error("fake Discord handler crashed on %s %s\n%s", rec.method, rec.path, trace)
            reply = (400, error_body(0, f"fake Discord handler crashed: {trace.splitlines()[-1]}"))
        status, body = reply[0], reply[1]
        headers = dict(reply[2]) if len(reply) > 2 else {}  # type: ignore[misc]
        rec.status, rec.response = status, body
        await self._notify()
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        if isinstance(body, bytes | str):
            return web.Response(status=status, body=body, headers=headers)
        return web.Response(
            status=status, body=json.dumps(body).encode(), headers={**JSON_HEADERS, **headers}
        )

    async def _answer(self, rec: RecordedRequest) -> Reply:
        for ov in list(self._overrides):
            if ov.method not in ("*", rec.method):
                continue
            match = ov.pattern.fullmatch(rec.path)
            if match is None:
                continue
            result = ov.handler(rec, match)
            if inspect.isawaitable(result):
                result = await result
            if result is None:
                continue
            ov.calls += 1
            if ov.times is not None and ov.calls >= ov.times:
                ov.remove()
            return result
        for method, pattern, handler, needs_auth in self._routes:
            if method != rec.method:
                continue
            match = pattern.fullmatch(rec.path)
            if match is None:
                continue
            if needs_auth and rec.header("Authorization") != f"Bot {self.token}":
                return 401, error_body(0, "401: Unauthorized")
            return await handler(rec, match)
        return 404, error_body(0, "404: Not Found")

    def _route_table(
        self,
    ) -> list[tuple[str, re.Pattern[str], Callable[..., Awaitable[Reply]], bool]]:
        s = r"(?P<%s>\d+)"
        token = r"(?P<token>[^/]+)"
        table: list[tuple[str, str, Callable[..., Awaitable[Reply]], bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/users/" + s % "uid", self._get_user, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/channels/" + s % "cid", self._get_channel, True),
            ("POST", "/channels/" + s % "cid" + "/typing", self._typing, True),
            ("GET", "/channels/" + s % "cid" + "/messages", self._history, True),
            ("POST", "/channels/" + s % "cid" + "/messages", self._create_message, True),
            ("GET", "/channels/" + s % "cid" + "/messages/" + s % "mid", self._get_message, True),
            (
                "PATCH",
                "/channels/" + s % "cid" + "/messages/" + s % "mid",
                self._edit_message,
                True,
            ),
            (
                "DELETE",
                "/channels/" + s % "cid" + "/messages/" + s % "mid",
                self._delete_message,
                True,
            ),
            ("GET", "/guilds/" + s % "gid", self._get_guild, True),
            ("GET", "/guilds/" + s % "gid" + "/channels", self._get_guild_channels, True),
            ("GET", "/guilds/" + s % "gid" + "/members/" + s % "uid", self._get_member, True),
            ("GET", "/applications/" + s % "app" + "/commands", self._get_commands, True),
            ("PUT", "/applications/" + s % "app" + "/commands", self._put_commands, True),
            (
                "GET",
                "/applications/" + s % "app" + "/guilds/" + s % "gid" + "/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/" + s % "app" + "/guilds/" + s % "gid" + "/commands",
                self._put_commands,
                True,
            ),
            # Interaction callbacks and webhooks are authenticated by the token in the path.
            (
                "POST",
                "/interactions/" + s % "iid" + "/" + token + "/callback",
                self._callback,
                False,
            ),
            ("POST", "/webhooks/" + s % "app" + "/" + token, self._followup, False),
            (
                "GET",
                "/webhooks/" + s % "app" + "/" + token + r"/messages/(?P<mid>@original|\d+)",
                self._webhook_get,
                False,
            ),
            (
                "PATCH",
                "/webhooks/" + s % "app" + "/" + token + r"/messages/(?P<mid>@original|\d+)",
                self._webhook_edit,
                False,
            ),
            (
                "DELETE",
                "/webhooks/" + s % "app" + "/" + token + r"/messages/(?P<mid>@original|\d+)",
                self._webhook_delete,
                False,
            ),
        ]
        return [(m, re.compile(pat), h, auth) for m, pat, h, auth in table]

    # -- REST handlers: identity ---------------------------------------------------------

    async def _get_me(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        return 200, {**self.bot_user, "verified": True, "mfa_enabled": False, "locale": "en-US"}

    def application_payload(self) -> dict[str, Any]:
        """`GET /oauth2/applications/@me` (discord.py reads `id`, `flags`, `owner`, ...)."""
        return {
            "id": self.application_id,
            "name": "PaperScout",
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner,
            "team": None,
            "flags": 0,
            "bot": self.bot_user,
            "guild_id": None,
            "tags": [],
            "redirect_uris": [],
            # Set, it would mean interactions go to a URL, not the gateway (discord.py warns).
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
        }

    async def _get_application(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        return 200, self.application_payload()

    async def _get_gateway(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        return 200, {"url": self.gateway_url.rstrip("/")}

    async def _get_gateway_bot(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url.rstrip("/"), "shards": 1, "session_start_limit": limit}

    async def _get_user(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        user = self.users.get(m["uid"])
        return (200, user) if user else (404, error_body(10013, "Unknown User"))

    # -- REST handlers: guilds and channels ----------------------------------------------

    async def _get_guild(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        guild = self.guilds.get(m["gid"])
        if guild is None:
            return 404, error_body(10004, "Unknown Guild")
        return 200, {k: v for k, v in guild.items() if k not in ("channels", "members", "threads")}

    async def _get_guild_channels(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        guild = self.guilds.get(m["gid"])
        return (200, guild["channels"]) if guild else (404, error_body(10004, "Unknown Guild"))

    async def _get_member(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        member = self.member_of(m["gid"], m["uid"])
        if member is None:
            return 404, error_body(10007, "Unknown Member")
        return 200, {**member, "user": self.users[m["uid"]]}

    async def _get_channel(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        channel = self.channels.get(m["cid"])
        return (200, channel) if channel else (404, error_body(10003, "Unknown Channel"))

    async def _typing(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        return 204, None

    async def _create_dm(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        recipient = str((rec.json or {}).get("recipient_id", ""))
        if recipient not in self.users:
            return 400, error_body(50033, "Invalid Recipient(s)")
        return 200, self.dm_channel_for(recipient)

    # -- REST handlers: messages ---------------------------------------------------------

    def _attachments(
        self,
        body: Mapping[str, Any],
        files: Sequence[RecordedFile],
        keep: Sequence[Mapping[str, Any]] = (),
    ) -> list[dict[str, Any]]:
        """The message's attachments: kept ones (by id) plus the uploaded files."""
        result = [dict(a) for a in keep]
        by_index = {f.field: f for f in files}
        declared = body.get("attachments")
        uploads: list[tuple[RecordedFile, Mapping[str, Any]]] = []
        if declared is not None:
            kept_ids = {str(a.get("id")) for a in declared}
            result = [a for a in result if a["id"] in kept_ids]
            for spec in declared:
                upload = by_index.pop(f"files[{spec.get('id')}]", None)
                if upload is not None:
                    uploads.append((upload, spec))
        uploads.extend((f, {}) for f in by_index.values())
        for upload, spec in uploads:
            filename = str(spec.get("filename") or upload.filename or "file")
            item = p.attachment(filename, upload.data, url_base=f"{self.base_url}/attachments")
            item["content_type"] = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            if spec.get("description"):
                item["description"] = spec["description"]
            self.attachment_bytes[item["id"]] = upload.data
            result.append(item)
        return result

    def _new_message(
        self,
        channel_id: str,
        body: Mapping[str, Any],
        files: Sequence[RecordedFile],
        *,
        author: Mapping[str, Any],
        message_type: int = 0,
        flags: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        content = str(body.get("content") or "")
        message: dict[str, Any] = {
            "id": p.new_id(),
            "channel_id": channel_id,
            "type": message_type,
            "content": content,
            "author": dict(author),
            "timestamp": p.iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": self._mentions_everyone(content, body.get("allowed_mentions")),
            "mentions": self._mentioned_users(content),
            "mention_roles": [],
            "attachments": self._attachments(body, files),
            "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
            "components": list(body.get("components") or []),
            "pinned": False,
            "flags": (int(body.get("flags") or 0) & _SENDABLE_FLAGS) if flags is None else flags,
            "sticker_items": [],
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if body.get("message_reference"):
            message["message_reference"] = {"channel_id": channel_id, **body["message_reference"]}
            message["type"] = 19
        message.update(extra or {})
        self.messages[message["id"]] = message
        if not message["flags"] & FLAG_EPHEMERAL:
            self.channel_message_ids.setdefault(channel_id, []).append(message["id"])
        return message

    def _edit(
        self, message: dict[str, Any], body: Mapping[str, Any], files: Sequence[RecordedFile]
    ) -> None:
        if "content" in body:
            message["content"] = str(body["content"] or "")
            message["mentions"] = self._mentioned_users(message["content"])
        if "embeds" in body:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"] or []]
        if "components" in body:
            message["components"] = list(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            keep = message["flags"] & ~FLAG_SUPPRESS_EMBEDS & ~FLAG_LOADING
            message["flags"] = keep | (int(body["flags"]) & FLAG_SUPPRESS_EMBEDS)
        if "attachments" in body or files:
            message["attachments"] = self._attachments(body, files, keep=message["attachments"])
        message["flags"] &= ~FLAG_LOADING
        message["edited_timestamp"] = p.iso_now()

    def _mentioned_users(self, content: str) -> list[dict[str, Any]]:
        ids = dict.fromkeys(re.findall(r"<@!?(\d+)>", content))
        return [self.users[i] for i in ids if i in self.users]

    @staticmethod
    def _mentions_everyone(content: str, allowed: Mapping[str, Any] | None) -> bool:
        """Whether @everyone/@here in the content would really ping (allowed_mentions permits)."""
        if "@everyone" not in content and "@here" not in content:
            return False
        return allowed is None or "everyone" in (allowed.get("parse") or [])

    @staticmethod
    def _check_message(
        body: Any, files: Sequence[RecordedFile], *, editing: bool = False
    ) -> Reply | None:
        """Discord's answer to a message payload it refuses, or None when it accepts it."""
        problems = message_problems(body if isinstance(body, dict) else {}, files, editing=editing)
        if ("", "Cannot send an empty message") in problems:
            return 400, error_body(50006, "Cannot send an empty message")
        if problems:
            return invalid_form(problems)
        if sum(len(f.data) for f in files) > p.ATTACHMENT_SIZE_LIMIT:
            return 413, error_body(40005, "Request entity too large")
        return None

    async def _create_message(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        channel_id = m["cid"]
        channel = self.channels.get(channel_id)
        if channel is None:
            return 404, error_body(10003, "Unknown Channel")
        if channel["type"] == 1 and any(
            u["id"] in self.dms_closed for u in channel.get("recipients", [])
        ):
            return 403, error_body(50007, "Cannot send messages to this user")
        rejected = self._check_message(rec.json, rec.files)
        if rejected:
            return rejected
        body = rec.json if isinstance(rec.json, dict) else {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (str(self.bot_user["id"]), channel_id, str(nonce))
            existing = self.nonces.get(key)
            if existing is not None and existing in self.messages:
                return 200, self.messages[existing]  # Discord's dedupe: the same message again
        message = self._new_message(channel_id, body, rec.files, author=self.bot_user)
        message["flags"] &= ~FLAG_EPHEMERAL  # only interaction replies can be ephemeral
        if nonce is not None and body.get("enforce_nonce"):
            self.nonces[(str(self.bot_user["id"]), channel_id, str(nonce))] = message["id"]
        channel["last_message_id"] = message["id"]
        return 200, message

    def _channel_message(self, m: re.Match[str]) -> dict[str, Any] | None:
        if m["cid"] not in self.channels:
            return None
        message = self.messages.get(m["mid"])
        return message if message and message["channel_id"] == m["cid"] else None

    async def _get_message(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        if m["cid"] not in self.channels:
            return 404, error_body(10003, "Unknown Channel")
        message = self._channel_message(m)
        if message is None or message["flags"] & FLAG_EPHEMERAL:
            return 404, error_body(10008, "Unknown Message")
        return 200, message

    async def _edit_message(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        message = self._channel_message(m)
        if message is None:
            return 404, error_body(10008, "Unknown Message")
        if message["author"]["id"] != self.bot_user["id"]:
            return 403, error_body(50005, "Cannot edit a message authored by another user")
        rejected = self._check_message(rec.json, rec.files, editing=True)
        if rejected:
            return rejected
        self._edit(message, rec.json if isinstance(rec.json, dict) else {}, rec.files)
        return 200, message

    async def _delete_message(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        message = self._channel_message(m)
        if message is None:
            return 404, error_body(10008, "Unknown Message")
        self._forget(message["id"])
        return 204, None

    def _forget(self, message_id: str) -> None:
        message = self.messages.pop(message_id, None)
        if message is not None:
            with contextlib.suppress(ValueError):
                self.channel_message_ids.get(message["channel_id"], []).remove(message_id)

    async def _history(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        if m["cid"] not in self.channels:
            return 404, error_body(10003, "Unknown Channel")
        limit = max(1, min(100, int(rec.query.get("limit", 50))))
        messages = self.channel_messages(m["cid"])  # oldest first
        before, after, around = (rec.query.get(k) for k in ("before", "after", "around"))
        if around:
            ordered = sorted(messages, key=lambda msg: abs(int(msg["id"]) - int(around)))[:limit]
            return 200, sorted(ordered, key=lambda msg: int(msg["id"]), reverse=True)
        if before:
            messages = [msg for msg in messages if int(msg["id"]) < int(before)]
        if after:
            messages = [msg for msg in messages if int(msg["id"]) > int(after)]
            return 200, list(reversed(messages[:limit]))  # the oldest after `after`, newest first
        return 200, list(reversed(messages[-limit:]))

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachment_bytes.get(request.match_info["aid"])
        if data is None:
            return web.Response(status=404)
        content_type = (
            mimetypes.guess_type(request.match_info["filename"])[0] or "application/octet-stream"
        )
        return web.Response(body=data, content_type=content_type)

    # -- REST handlers: commands ---------------------------------------------------------

    async def _get_commands(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        if m["app"] != self.application_id:
            return 403, error_body(50001, "Missing Access")
        gid = m.groupdict().get("gid")
        return 200, self.registered_commands(gid)

    async def _put_commands(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        if m["app"] != self.application_id:
            return 403, error_body(50001, "Missing Access")
        gid = m.groupdict().get("gid")
        if gid is not None and gid not in self.guilds:
            return 403, error_body(50001, "Missing Access")
        commands = rec.json if isinstance(rec.json, list) else []
        problems = command_schema_problems(commands)
        if problems:
            return invalid_form(problems)
        stored = []
        for command in commands:
            key = (gid, int(command.get("type", 1)), command["name"])
            # Discord keeps a command's id across overwrites as long as name and type stay.
            cid = self._command_ids.setdefault(key, p.new_id())
            entry = {
                "id": cid,
                "application_id": self.application_id,
                "version": p.new_id(),
                "type": 1,
                "default_member_permissions": None,
                "nsfw": False,
                **command,
            }
            if gid is not None:
                entry["guild_id"] = gid
            stored.append(entry)
        if gid is None:
            self.global_commands = stored
        else:
            self.guild_commands[gid] = stored
        return 200, stored

    # -- interaction callbacks and webhooks ----------------------------------------------

    def _interaction_message(
        self,
        state: InteractionState,
        body: Mapping[str, Any],
        files: Sequence[RecordedFile],
        *,
        flags: int | None = None,
    ) -> dict[str, Any]:
        message_type = 20 if state.type == p.INTERACTION_COMMAND else 0
        return self._new_message(
            state.channel_id,
            body,
            files,
            author=self.bot_user,
            message_type=message_type,
            flags=flags,
            extra={
                "webhook_id": self.application_id,
                "application_id": self.application_id,
                "interaction_metadata": p.message_interaction_metadata(state.payload),
            },
        )

    async def _callback(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        state = self.interactions.get(m["token"])
        if state is None or state.id != m["iid"] or state.expired:
            return 404, error_body(10062, "Unknown interaction")
        if state.ack_type is not None:
            return 400, error_body(40060, "Interaction has already been acknowledged.")
        body = rec.json if isinstance(rec.json, dict) else {}
        rtype = body.get("type")
        if rtype not in _ALLOWED_CALLBACKS.get(state.type, set()):
            return invalid_form(
                [("type", f"Callback type {rtype} is not valid for interaction type {state.type}")]
            )
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": rtype}
        if rtype == 4:
            rejected = self._check_message(data, rec.files)
            if rejected:
                return rejected
            message = self._interaction_message(state, data, rec.files)
            state.original_id, resource["message"] = message["id"], message
        elif rtype == 5:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._interaction_message(state, {}, [], flags=flags)
            state.original_id, state.loading, resource["message"] = message["id"], True, message
        elif rtype in (6, 7):
            if not state.payload.get("message"):
                return invalid_form([("type", "There is no message to update")])
            target = self._component_message(state)
            if rtype == 7:
                rejected = self._check_message(data, rec.files, editing=True)
                if rejected:
                    return rejected
                self._edit(target, data, rec.files)
                resource["message"] = target
            state.original_id = target["id"]
        elif rtype == 8:
            problems = self._choice_problems(state, data)
            if problems:
                return invalid_form(problems)
            state.choices = list(data.get("choices") or [])
        elif rtype == 9:
            problems = []
            if not 1 <= len(str(data.get("title", ""))) <= 45:
                problems.append(("data.title", "Must be between 1 and 45 in length."))
            if not 1 <= len(str(data.get("custom_id", ""))) <= 100:
                problems.append(("data.custom_id", "Must be between 1 and 100 in length."))
            if not 1 <= len(data.get("components") or []) <= 5:
                problems.append(("data.components", "Must be between 1 and 5 in length."))
            if problems:
                return invalid_form(problems)
            state.modal = dict(data)
        state.ack_type = rtype
        original = self.messages.get(state.original_id or "")
        interaction = {
            "id": state.id,
            "type": state.type,
            "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(original and original["flags"] & FLAG_EPHEMERAL),
        }
        if "message" in resource:
            interaction["response_message_id"] = resource["message"]["id"]
        return 200, {"interaction": interaction, "resource": resource}

    def _component_message(self, state: InteractionState) -> dict[str, Any]:
        """The message a component sits on (adopted from the payload if the fake never saw it)."""
        sent = state.payload.get("message") or {}
        message = self.messages.get(str(sent.get("id")))
        if message is None:
            message = {**sent}
            self.messages[message["id"]] = message
        return message

    def _choice_problems(
        self, state: InteractionState, data: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        choices = data.get("choices")
        if not isinstance(choices, list):
            return [("data.choices", "This field is required")]
        problems: list[tuple[str, str]] = []
        if len(choices) > 25:
            problems.append(("data.choices", "Must be 25 or fewer in length."))
        focused = _focused_option(state.payload.get("data") or {})
        for i, choice in enumerate(choices):
            name, value = str(choice.get("name", "")), choice.get("value")
            if not 1 <= len(name) <= 100:
                problems.append((f"data.choices.{i}.name", "Must be between 1 and 100 in length."))
            opt_type = focused.get("type") if focused else p.OPT_STRING
            if opt_type == p.OPT_STRING and (not isinstance(value, str) or len(value) > 100):
                problems.append(
                    (f"data.choices.{i}.value", "Must be a string of 100 or fewer characters.")
                )
            if opt_type == p.OPT_INTEGER and (
                isinstance(value, bool) or not isinstance(value, int)
            ):
                problems.append((f"data.choices.{i}.value", "Must be an integer."))
            if opt_type == p.OPT_NUMBER and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                problems.append((f"data.choices.{i}.value", "Must be a number."))
        return problems

    def _webhook_state(self, m: re.Match[str]) -> tuple[InteractionState | None, Reply | None]:
        state = self.interactions.get(m["token"])
        if state is None or m["app"] != self.application_id:
            return None, (404, error_body(10015, "Unknown Webhook"))
        if state.expired:
            return None, (401, error_body(50027, "Invalid Webhook Token"))
        if state.ack_type is None:
            return None, (404, error_body(10015, "Unknown Webhook"))  # not acknowledged yet
        return state, None

    async def _followup(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        state, error = self._webhook_state(m)
        if state is None:
            assert error is not None
            return error
        rejected = self._check_message(rec.json, rec.files)
        if rejected:
            return rejected
        body = rec.json if isinstance(rec.json, dict) else {}
        if state.ack_type == 5 and state.loading and state.original_id in self.messages:
            # Discord: the first followup after a thinking defer *is* the original response;
            # its `flags` are ignored (ephemeral or not was decided by the defer).
            message = self.messages[state.original_id]
            self._edit(message, {k: v for k, v in body.items() if k != "flags"}, rec.files)
            message["edited_timestamp"] = None
            state.loading = False
        else:
            message = self._interaction_message(state, body, rec.files)
            state.followup_ids.append(message["id"])
        if rec.query.get("wait") not in ("1", "true", "True"):
            return 204, None
        return 200, message

    def _webhook_message(self, state: InteractionState, mid: str) -> dict[str, Any] | None:
        message_id = state.original_id if mid == "@original" else mid
        if message_id is None or (
            message_id != state.original_id and message_id not in state.followup_ids
        ):
            return None
        return self.messages.get(message_id)

    async def _webhook_get(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        state, error = self._webhook_state(m)
        if state is None:
            assert error is not None
            return error
        message = self._webhook_message(state, m["mid"])
        return (200, message) if message else (404, error_body(10008, "Unknown Message"))

    async def _webhook_edit(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        state, error = self._webhook_state(m)
        if state is None:
            assert error is not None
            return error
        message = self._webhook_message(state, m["mid"])
        if message is None:
            return 404, error_body(10008, "Unknown Message")
        rejected = self._check_message(rec.json, rec.files, editing=True)
        if rejected:
            return rejected
        self._edit(message, rec.json if isinstance(rec.json, dict) else {}, rec.files)
        if message["id"] == state.original_id:
            state.loading = False
        return 200, message

    async def _webhook_delete(self, rec: RecordedRequest, m: re.Match[str]) -> Reply:
        state, error = self._webhook_state(m)
        if state is None:
            assert error is not None
            return error
        message = self._webhook_message(state, m["mid"])
        if message is None:
            return 404, error_body(10008, "Unknown Message")
        self._forget(message["id"])
        return 204, None

    # -- gateway -------------------------------------------------------------------------

    def ready_payload(self, session_id: str, shard: Sequence[int] | None = None) -> dict[str, Any]:
        """READY: the bot user, its guilds (unavailable until GUILD_CREATE), the application."""
        guilds = [g for g in self.guilds.values() if _on_shard(g["id"], shard)]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.bot_user, "verified": True, "mfa_enabled": False},
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url,
            "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "application": {"id": self.application_id, "flags": 0},
        }
        if shard is not None:
            ready["shard"] = list(shard)
        return ready

    def guild_create_payloads(
        self, *, intents: int = 0, shard: Sequence[int] | None = None
    ) -> list[dict[str, Any]]:
        """GUILD_CREATE per guild. Without GUILD_MEMBERS only the bot's own member is listed."""
        events = []
        for guild in self.guilds.values():
            if not _on_shard(guild["id"], shard):
                continue
            members = self.members.get(guild["id"], {})
            listed = (
                members
                if intents & (1 << 1)
                else {k: v for k, v in members.items() if k == self.bot_user["id"]}
            )
            event = {
                **guild,
                "unavailable": False,
                "members": [{**mem, "user": self.users[uid]} for uid, mem in listed.items()],
                "member_count": len(members),
            }
            events.append(event)
        return events

    async def send_event(self, name: str, data: Any) -> int:
        """Push a dispatch event (op 0) to every identified session; returns how many got it."""
        sent = 0
        for session in list(self.sessions):
            if session.identify is not None and not session.ws.closed:
                await session.send_event(name, data)
                sent += 1
        return sent

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(
            ws=ws, query=dict(request.query), session_id=f"fake-session-{next(self._seq)}"
        )
        self.sessions.append(session)
        try:
            await session.send(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.gateway_frames.append(frame)
                await self._notify()
                op = frame.get("op")
                if op == 1:
                    await session.send({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    await self._identify(session, frame.get("d") or {})
                elif op == 3:
                    self.presences.append(frame.get("d") or {})
                elif op == 6:
                    await session.send({"op": 9, "d": False, "s": None, "t": None})  # not resumable
        finally:
            with contextlib.suppress(ValueError):
                self.sessions.remove(session)
        return ws

    async def _identify(self, session: GatewaySession, identify: dict[str, Any]) -> None:
        if identify.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(identify.get("intents", 0))
        disallowed = [
            n
            for bit, n in PRIVILEGED_INTENTS.items()
            if intents & bit and n not in self.privileged_intents
        ]
        self.identify_payloads.append(identify)
        if disallowed:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            await self._notify()
            return
        session.identify = identify
        shard = identify.get("shard")
        await session.send_event("READY", self.ready_payload(session.session_id, shard))
        for event in self.guild_create_payloads(intents=intents, shard=shard):
            await session.send_event("GUILD_CREATE", event)
        await self._notify()


def _on_shard(guild_id: str, shard: Sequence[int] | None) -> bool:
    """Discord's shard formula: (guild_id >> 22) % shard_count == shard_id."""
    if not shard:
        return True
    return (int(guild_id) >> 22) % int(shard[1]) == int(shard[0])


def _focused_option(data: Mapping[str, Any]) -> dict[str, Any] | None:
    options = list(data.get("options") or [])
    while options:
        option = options.pop(0)
        if option.get("focused"):
            return dict(option)
        options.extend(option.get("options") or [])
    return None
