"""The Discord half of `paperscout doctor`, over REST only (no gateway connection): the token,
the privileged intents, the slash commands Discord has against the bot's own, and the bot's
permissions in every channel it posts to (computed from the server's roles, the bot's roles and
the channel's overwrites, as Discord does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import discord

from bot.checks import Check

# What a channel PaperScout posts to must allow the bot (README: the invite's permissions).
NEEDED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("attach_files", "Attach Files"),
    ("read_message_history", "Read Message History"),
)
# Privileged intents (Developer Portal, Bot tab): PaperScout needs none of them.
PRIVILEGED = (
    ("gateway_presence", "Presence Intent"),
    ("gateway_guild_members", "Server Members Intent"),
    ("gateway_message_content", "Message Content Intent"),
)
PORTAL = "https://discord.com/developers/applications"


def intents_check(flags: discord.ApplicationFlags) -> Check:
    enabled = [
        name
        for attribute, name in PRIVILEGED
        if getattr(flags, attribute) or getattr(flags, f"{attribute}_limited")
    ]
    if enabled:
        return Check.failed(
            "privileged intents",
            f"on but not needed: {', '.join(enabled)}",
            f"turn them off in {PORTAL} -> your app -> Bot (PaperScout asks for none)",
        )
    return Check.passed("privileged intents", "all off (PaperScout needs none)")


def _shape(command: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two command payloads the same to a member: names, types, options."""
    options = command.get("options") or []
    return (
        command["name"],
        command.get("type", 1),
        bool(command.get("required", False)),
        tuple(sorted((_shape(o) for o in options), key=repr)),
    )


def commands_check(
    local: Sequence[Mapping[str, Any]], remote: Sequence[Mapping[str, Any]], where: str
) -> Check:
    """The bot's commands against what Discord has registered `where` (global or a server)."""
    mine = {c["name"]: _shape(c) for c in local}
    theirs = {c["name"]: _shape(c) for c in remote}
    missing = sorted(set(mine) - set(theirs))
    stale = sorted(n for n in set(mine) & set(theirs) if mine[n] != theirs[n])
    extra = sorted(set(theirs) - set(mine))
    if not (missing or stale or extra):
        return Check.passed("commands", f"{len(mine)} synced ({where})")
    found = []
    if missing:
        found.append(f"missing: /{', /'.join(missing)}")
    if stale:
        found.append(f"out of date: /{', /'.join(stale)}")
    if extra:
        found.append(f"no longer the bot's: /{', /'.join(extra)}")
    fix = (
        "`paperscout run` syncs them to DEV_GUILD_ID at start"
        if where.startswith("server")
        else "run `paperscout sync` (Discord may take an hour to show global commands)"
    )
    return Check.failed("commands", f"{'; '.join(found)} ({where})", fix)


def channel_permissions(
    guild: Mapping[str, Any], member: Mapping[str, Any], channel: Mapping[str, Any]
) -> discord.Permissions:
    """The member's permissions in the channel, from REST payloads (Discord's algorithm: the
    @everyone role and the member's roles, administrator, then the channel's overwrites for
    @everyone, the member's roles, the member)."""
    user_id = str(member["user"]["id"])
    if str(guild.get("owner_id")) == user_id:
        return discord.Permissions.all()
    guild_id = str(guild["id"])
    roles = {str(r["id"]): int(r["permissions"]) for r in guild.get("roles", [])}
    member_roles = [str(r) for r in member.get("roles", [])]
    value = roles.get(guild_id, 0)
    for role in member_roles:
        value |= roles.get(role, 0)
    if value & discord.Permissions(administrator=True).value:
        return discord.Permissions.all()
    overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites", [])}

    def apply(allow: int, deny: int) -> None:
        nonlocal value
        value = (value & ~deny) | allow

    everyone = overwrites.get(guild_id)
    if everyone is not None:
        apply(int(everyone["allow"]), int(everyone["deny"]))
    allow = deny = 0
    for role in member_roles:
        overwrite = overwrites.get(role)
        if overwrite is not None:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    apply(allow, deny)
    own = overwrites.get(user_id)
    if own is not None:
        apply(int(own["allow"]), int(own["deny"]))
    return discord.Permissions(value)


async def channel_check(
    http: discord.http.HTTPClient,
    bot_id: int,
    guild_id: int | None,
    channel_id: int,
    uses: Sequence[str],
) -> Check:
    """Whether the bot may post in the channel what PaperScout posts there."""
    label = f"channel {channel_id}"
    what = " and ".join(uses)
    try:
        channel = await http.get_channel(channel_id)
        label = f"#{channel.get('name', channel_id)} ({channel_id})"
        guild_id = int(channel.get("guild_id") or guild_id or 0)
        guild = await http.get_guild(guild_id, with_counts=False)
        member = await http.get_member(guild_id, bot_id)
    except discord.NotFound as error:
        return Check.failed(
            label,
            f"{what}: Discord does not know it ({error.text or 'not found'})",
            "the channel or the server is gone, or the bot was removed: set the digest up "
            "again elsewhere, or unfollow there",
        )
    except discord.Forbidden as error:
        return Check.failed(
            label,
            f"{what}: the bot cannot see it ({error.text or 'forbidden'})",
            "give the bot's role View Channel there, or add the bot back to the server",
        )
    permissions = channel_permissions(guild, member, channel)
    lacking = [name for attribute, name in NEEDED if not getattr(permissions, attribute)]
    if lacking:
        return Check.failed(
            label,
            f"{what}: the bot lacks {', '.join(lacking)}",
            "in the channel's settings -> Permissions, allow them for the bot's role",
        )
    return Check.passed(label, f"{what}: the bot may post there")
