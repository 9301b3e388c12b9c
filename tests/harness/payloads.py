"""Builders for the JSON objects Discord sends: users, members, guilds, channels, interactions.

Every builder returns a plain dict in Discord's wire format (API v10), with every field that
discord.py 2.7 reads with `data[...]` (a missing one is a `KeyError` deep inside discord.py, see
docs/testing.md#the-fake-discord). The fake Discord uses them for its state and the harness for
INTERACTION_CREATE payloads; a subprocess test can use them to drive a bot in another process.

Ids are snowflakes as strings, like Discord's. The default world's ids are fixed (see the
`*_ID` constants) so a test in another process knows what to send.
"""

from __future__ import annotations

import enum
import itertools
import mimetypes
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import discord

DISCORD_EPOCH_MS = 1_420_070_400_000
# 2024-01-01T00:00:00Z as a snowflake: the fixed ids below look like real, aged accounts.
_FIXED_BASE = (1_704_067_200_000 - DISCORD_EPOCH_MS) << 22

APP_ID = _FIXED_BASE + 1
BOT_USER_ID = APP_ID  # a bot user's id is its application's id
GUILD_ID = _FIXED_BASE + 100
TEXT_CHANNEL_ID = _FIXED_BASE + 101
OWNER_ID = _FIXED_BASE + 200
MEMBER_ID = _FIXED_BASE + 201

# 10 MiB: the upload limit of an unboosted guild (and of DMs).
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# What a freshly joined member may do in a plain text channel: no moderation or admin bits.
MEMBER_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    use_application_commands=True,
    change_nickname=True,
    connect=True,
    speak=True,
)
# A moderator: a member who may also manage the server.
MODERATOR_PERMISSIONS = discord.Permissions(
    MEMBER_PERMISSIONS.value | discord.Permissions(manage_guild=True).value
)
# What the bot's role grants it (the invite asks for exactly these).
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
)

INTERACTION_PING = 1
INTERACTION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

CONTEXT_GUILD = 0
CONTEXT_BOT_DM = 1

# Option types (AppCommandOptionType) by wire number.
OPT_SUBCOMMAND = 1
OPT_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

_SNOWFLAKE_OPTIONS = frozenset({OPT_USER, OPT_CHANNEL, OPT_ROLE, OPT_MENTIONABLE, OPT_ATTACHMENT})

_last_id = 0
_sequence = itertools.count(1)


def new_id() -> str:
    """A fresh snowflake for now, strictly increasing within the process (so history sorts)."""
    global _last_id
    candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
    _last_id = max(candidate, _last_id + 1)
    return str(_last_id)


def new_token() -> str:
    """An interaction token: opaque, unique, URL-safe like Discord's."""
    return f"itok-{next(_sequence)}-{secrets.token_urlsafe(18)}"


def iso_now() -> str:
    """Discord's timestamp format (ISO 8601 with microseconds and an offset)."""
    return datetime.now(UTC).isoformat()


def permissions_value(permissions: discord.Permissions | int | str | None) -> int:
    """Permission bits from whatever a test passes; None means none."""
    if permissions is None:
        return 0
    if isinstance(permissions, discord.Permissions):
        return permissions.value
    return int(permissions)


def user(
    user_id: int | str | None = None,
    username: str = "alice",
    *,
    global_name: str | None = None,
    bot: bool = False,
) -> dict[str, Any]:
    """A user object; `discriminator` is "0" like every migrated account."""
    return {
        "id": str(user_id or new_id()),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def member(
    member_user: Mapping[str, Any],
    *,
    permissions: discord.Permissions | int | str | None = MEMBER_PERMISSIONS,
    roles: Iterable[int | str] = (),
    nick: str | None = None,
    joined_at: str = "2024-01-02T10:00:00.000000+00:00",
) -> dict[str, Any]:
    """A guild member with `user` and the `permissions` string Discord adds in interactions.

    `permissions` is what `interaction.permissions` (and so `has_permissions`) reads: the
    member's computed permissions in the channel of the interaction. `flags` is required by
    `discord.Member.__init__`.
    """
    return {
        "user": dict(member_user),
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "permissions": str(permissions_value(permissions)),
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }


def role(
    guild_id: int | str,
    name: str = "@everyone",
    *,
    role_id: int | str | None = None,
    permissions: discord.Permissions | int | str | None = MEMBER_PERMISSIONS,
    position: int = 0,
) -> dict[str, Any]:
    """A role; the @everyone role's id is the guild's id."""
    return {
        "id": str(role_id or (guild_id if name == "@everyone" else new_id())),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions_value(permissions)),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(
    guild_id: int | str,
    name: str = "general",
    *,
    channel_id: int | str | None = None,
    position: int = 0,
    topic: str | None = None,
) -> dict[str, Any]:
    """A guild text channel (type 0)."""
    return {
        "id": str(channel_id or new_id()),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": topic,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
        "default_thread_rate_limit_per_user": 0,
    }


def dm_channel(
    recipient: Mapping[str, Any], *, channel_id: int | str | None = None
) -> dict[str, Any]:
    """The DM channel (type 1) between the bot and `recipient`."""
    return {
        "id": str(channel_id or new_id()),
        "type": 1,
        "recipients": [dict(recipient)],
        "last_message_id": None,
        "flags": 0,
    }


def guild(
    guild_id: int | str | None = None,
    name: str = "PaperScout Test Lab",
    *,
    owner_id: int | str,
    channels: Sequence[Mapping[str, Any]] = (),
    roles: Sequence[Mapping[str, Any]] = (),
    members: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A full guild object as GUILD_CREATE sends it (channels, roles, members included)."""
    gid = str(guild_id or new_id())
    all_roles = list(roles) or [role(gid)]
    return {
        "id": gid,
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "application_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "features": [],
        "roles": [dict(r) for r in all_roles],
        "emojis": [],
        "stickers": [],
        "channels": [dict(c) for c in channels],
        "threads": [],
        "members": [dict(m) for m in members],
        "member_count": len(members),
        "large": False,
        "unavailable": False,
        "joined_at": "2024-01-02T10:00:00.000000+00:00",
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "incidents_data": None,
    }


def attachment(
    filename: str = "file.txt",
    data: bytes = b"hello",
    *,
    attachment_id: int | str | None = None,
    url_base: str = "https://cdn.discordapp.invalid/attachments",
    content_type: str | None = None,
) -> dict[str, Any]:
    """An attachment object (for attachment options, or messages the fake builds)."""
    aid = str(attachment_id or new_id())
    url = f"{url_base}/{aid}/{filename}"
    return {
        "id": aid,
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": content_type or mimetypes.guess_type(filename)[0],
        "ephemeral": False,
    }


# --- interactions -------------------------------------------------------------------------


def interaction(
    *,
    interaction_type: int,
    data: Mapping[str, Any] | None,
    invoker: Mapping[str, Any],
    channel: Mapping[str, Any],
    guild: Mapping[str, Any] | None = None,
    member_permissions: discord.Permissions | int | str | None = MEMBER_PERMISSIONS,
    member_roles: Iterable[int | str] = (),
    nick: str | None = None,
    app_permissions: discord.Permissions | int | str | None = BOT_PERMISSIONS,
    application_id: int | str = APP_ID,
    locale: str = "en-US",
    message: Mapping[str, Any] | None = None,
    interaction_id: int | str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload with every field discord.py 2.7 requires.

    In a guild the invoker is a `member` (with the `permissions` string that
    `interaction.permissions` reads); in a DM (`guild=None`) it is a `user`. The `channel`
    object matters: discord.py takes `interaction.channel` from `channel.id`, not `channel_id`.
    """
    payload: dict[str, Any] = {
        "id": str(interaction_id or new_id()),
        "application_id": str(application_id),
        "type": interaction_type,
        "token": token or new_token(),
        "version": 1,
        "locale": locale,
        "app_permissions": str(permissions_value(app_permissions)),
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "channel_id": str(channel["id"]),
        "channel": _interaction_channel(channel, member_permissions if guild else None),
    }
    if data is not None:
        payload["data"] = dict(data)
    if guild is not None:
        gid = str(guild["id"])
        payload.update(
            guild_id=gid,
            guild_locale=guild.get("preferred_locale", "en-US"),
            guild={"id": gid, "locale": guild.get("preferred_locale", "en-US"), "features": []},
            member=member(invoker, permissions=member_permissions, roles=member_roles, nick=nick),
            context=CONTEXT_GUILD,
            authorizing_integration_owners={"0": gid},
        )
    else:
        # A guild-installed bot used in its own DM: Discord says "0" for the guild install.
        payload.update(
            user=dict(invoker), context=CONTEXT_BOT_DM, authorizing_integration_owners={"0": "0"}
        )
    if message is not None:
        payload["message"] = dict(message)
    return payload


def _interaction_channel(
    channel: Mapping[str, Any], permissions: discord.Permissions | int | str | None
) -> dict[str, Any]:
    """The partial channel Discord embeds in an interaction (with the invoker's permissions)."""
    partial = {k: v for k, v in channel.items() if k != "permission_overwrites"}
    if permissions is not None:
        partial["permissions"] = str(permissions_value(permissions))
    return partial


def command_interaction(
    data: Mapping[str, Any],
    *,
    invoker: Mapping[str, Any],
    channel: Mapping[str, Any],
    **kwargs: Any,
) -> dict[str, Any]:
    """A slash command (type 2) INTERACTION_CREATE; `data` from `command_data`."""
    return interaction(
        interaction_type=INTERACTION_COMMAND, data=data, invoker=invoker, channel=channel, **kwargs
    )


def autocomplete_interaction(
    data: Mapping[str, Any],
    *,
    invoker: Mapping[str, Any],
    channel: Mapping[str, Any],
    **kwargs: Any,
) -> dict[str, Any]:
    """An autocomplete (type 4) INTERACTION_CREATE; `data` from `command_data(focused=...)`."""
    return interaction(
        interaction_type=INTERACTION_AUTOCOMPLETE,
        data=data,
        invoker=invoker,
        channel=channel,
        **kwargs,
    )


def component_interaction(
    custom_id: str,
    *,
    message: Mapping[str, Any],
    invoker: Mapping[str, Any],
    channel: Mapping[str, Any],
    component_type: int | None = None,
    values: Sequence[str] | None = None,
    resolved: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A component (type 3) INTERACTION_CREATE: a button press or a select choice.

    `component_type` defaults to what the message says about `custom_id` (button 2, string
    select 3, ...); `values` are the chosen option values (selects only).
    """
    if component_type is None:
        found = find_component(message.get("components", []), custom_id)
        if found is None:
            raise LookupError(f"message {message.get('id')} has no component {custom_id!r}")
        component_type = int(found["type"])
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = list(values)
    if resolved:
        data["resolved"] = dict(resolved)
    return interaction(
        interaction_type=INTERACTION_COMPONENT,
        data=data,
        invoker=invoker,
        channel=channel,
        message=message,
        **kwargs,
    )


def modal_submit_components(
    modal: Mapping[str, Any], values: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The `data.components` of a modal submit: the modal's layout with the typed values.

    `modal` is the modal as the bot sent it (callback type 9 `data`); `values` maps each text
    input's `custom_id` to what the user typed. Rows (type 1) and labels (type 18) keep their
    shape, as Discord sends them back.
    """

    def submitted(component: Mapping[str, Any]) -> dict[str, Any]:
        if component.get("type") == 1:
            return {"type": 1, "components": [submitted(c) for c in component["components"]]}
        if component.get("type") == 18:
            return {"type": 18, "component": submitted(component["component"])}
        result = {"type": component["type"], "custom_id": component.get("custom_id")}
        if component.get("type") == 4:
            result["value"] = values.get(str(component.get("custom_id")), "")
        return result

    return [submitted(c) for c in modal.get("components", [])]


def modal_submit_interaction(
    custom_id: str,
    components: Sequence[Mapping[str, Any]],
    *,
    invoker: Mapping[str, Any],
    channel: Mapping[str, Any],
    message: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A modal submit (type 5) INTERACTION_CREATE; `components` from `modal_submit_components`.

    `message` is the message whose component opened the modal, if one did.
    """
    return interaction(
        interaction_type=INTERACTION_MODAL_SUBMIT,
        data={"custom_id": custom_id, "components": [dict(c) for c in components]},
        invoker=invoker,
        channel=channel,
        message=message,
        **kwargs,
    )


def walk_components(components: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """Every component in a message's tree (action rows, containers, sections included)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components", []))
        accessory = component.get("accessory")
        if accessory:
            yield accessory
        inner = component.get("component")  # a label (type 18) wraps one component
        if inner:
            yield from walk_components([inner])


def find_component(
    components: Iterable[Mapping[str, Any]], custom_id: str
) -> Mapping[str, Any] | None:
    """The component with `custom_id` in a message's components, or None."""
    for component in walk_components(components):
        if component.get("custom_id") == custom_id:
            return component
    return None


# --- command data from the registered schema ------------------------------------------------

EntityLookup = Callable[[int, Any], tuple[str, dict[str, Any]]]
"""`(option_type, value) -> (snowflake, {resolved-section: {id: object}})` for entity options."""


def command_data(
    schema: Mapping[str, Any],
    *,
    path: Sequence[str],
    values: Mapping[str, Any],
    command_id: int | str | None = None,
    guild_id: int | str | None = None,
    focused: str | None = None,
    resolve_entity: EntityLookup | None = None,
) -> dict[str, Any]:
    """The `data` of a command or autocomplete interaction, built from a command's schema.

    `schema` is the command as registered (`Command.to_dict(tree)`), `path` the subcommand
    names after the root (`["sub"]` or `["group", "sub"]`), `values` the option values by
    Discord name (Python values: `Choice` and `Enum` become their value, entities their id).
    `focused` marks the option being typed (autocomplete); its value is sent as the string the
    user typed, as Discord does. A None value is an option left empty (omitted). An unknown
    option keeps a type guessed from its Python value, so that validation can report it.
    """
    leaf = schema
    for name in path:
        leaf = _child(leaf, name)
    resolved: dict[str, dict[str, Any]] = {}
    options: list[dict[str, Any]] = []
    declared = {
        o["name"]: o
        for o in leaf.get("options", [])
        if o["type"] not in (OPT_SUBCOMMAND, OPT_GROUP)
    }
    order = list(declared) + [n for n in values if n not in declared]
    for name in order:
        value = values.get(name)
        if value is None and name != focused:
            continue  # None means "left empty": Discord omits the option
        opt_type = int(declared[name]["type"]) if name in declared else _guess_type(value)
        option: dict[str, Any] = {"name": name, "type": opt_type}
        if name == focused:
            option["value"] = "" if value is None else str(_plain(value))
            option["focused"] = True
        elif opt_type in _SNOWFLAKE_OPTIONS and resolve_entity is not None:
            snowflake, sections = resolve_entity(opt_type, value)
            option["value"] = snowflake
            for section, objects in sections.items():
                resolved.setdefault(section, {}).update(objects)
        else:
            option["value"] = _plain(value)
        options.append(option)
    if focused is not None and focused not in order:
        ftype = int(declared[focused]["type"]) if focused in declared else OPT_STRING
        options.append({"name": focused, "type": ftype, "value": "", "focused": True})
    for name in reversed(path):
        options = [{"name": name, "type": _child_type(schema, path, name), "options": options}]
    data: dict[str, Any] = {
        "id": str(command_id or new_id()),
        "name": schema["name"],
        "type": int(schema.get("type", 1)),
        "options": options,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if resolved:
        data["resolved"] = resolved
    return data


def _child(node: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    for option in node.get("options", []):
        if option["name"] == name and option["type"] in (OPT_SUBCOMMAND, OPT_GROUP):
            return option
    raise LookupError(f"/{node['name']} has no subcommand or group {name!r}")


def _child_type(schema: Mapping[str, Any], path: Sequence[str], name: str) -> int:
    node = schema
    for step in path:
        node = _child(node, step)
        if step == name:
            return int(node["type"])
    raise LookupError(name)


def _plain(value: Any) -> Any:
    """The JSON value for a Python option value (Choice and Enum unwrap to their value)."""
    if isinstance(value, discord.app_commands.Choice):
        return value.value
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str | int | float) else value.name
    if isinstance(value, discord.abc.Snowflake):
        return str(value.id)
    return value


def _guess_type(value: Any) -> int:
    value = _plain(value)
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    return OPT_STRING


def message_interaction_metadata(
    payload: Mapping[str, Any], *, original_response_message_id: str | None = None
) -> dict[str, Any]:
    """`interaction_metadata` of a message sent in answer to the interaction `payload`."""
    invoker = payload.get("member", {}).get("user") or payload.get("user") or {}
    meta: dict[str, Any] = {
        "id": payload["id"],
        "type": payload["type"],
        "user": invoker,
        "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
    }
    if payload["type"] == INTERACTION_COMMAND:
        meta["name"] = payload.get("data", {}).get("name")
        meta["command_type"] = payload.get("data", {}).get("type", 1)
    if original_response_message_id is not None:
        meta["original_response_message_id"] = original_response_message_id
    if payload["type"] == INTERACTION_COMPONENT and payload.get("message"):
        meta["interacted_message_id"] = payload["message"]["id"]
    return meta
