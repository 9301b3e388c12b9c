"""Weekly digests: /digest setup, preview, send-now, off, me.

Thin: check, defer before any I/O, call `DigestService`, render with `bot.render.digests`.
Bad input (`BadInput`, `NotFoundError`) reaches the user ephemerally through the tree's error
handler, before anything is written.

Manage Server is checked at run time on setup, send-now and off (`require_manage_server`). It
is deliberately not the group's default permission: Discord applies default permissions to a
whole top-level command, so it would hide `/digest me` and `/digest preview` from every plain
member.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NamedTuple

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.digests import (
    message_kwargs,
    off_text,
    preview_intro,
    send_now_text,
    setup_text,
)
from bot.render.paper import paper_view_embed
from bot.render.suggestions import vote_message
from bot.services.digest_times import WEEKDAYS, timezone_suggestions
from bot.services.digest_views import TargetKind
from bot.services.digests import DigestService
from bot.tree import manage_server_only, require_manage_server
from cogs._digest_views import card_pick_type, vote_type

if TYPE_CHECKING:
    from bot.app import PaperScoutBot

log = logging.getLogger(__name__)

WEEKDAY_CHOICES = [app_commands.Choice(name=name, value=i) for i, name in enumerate(WEEKDAYS)]
TIME_HELP = "Local time, 24-hour HH:MM (e.g. 09:00)"
ZONE_HELP = "Your IANA time zone: start typing a city (e.g. Zurich)"
EMPTY_HELP = "Post a one-line note in weeks without new papers (default: yes)"
SUGGESTIONS_HELP = "add up to 3 unfollowed papers close to what is followed (default: on)"
STYLE_HELP = "compact: a line per paper, cards one click away (default); full: a card per paper"
STYLE_CHOICES = [
    app_commands.Choice(name="compact: a line per paper", value="compact"),
    app_commands.Choice(name="full: a card per paper", value="full"),
]
CHANNEL_HELP = "The channel (default: this one)"
OFF_NEEDS_MANAGE_SERVER = (
    "Turning off a channel's digest needs the Manage Server permission. "
    "Use `mine:True` to turn off your personal digest."
)


async def _zone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in timezone_suggestions(current)]


class _Target(NamedTuple):
    """The digest a command acts on, as `DigestService` names it."""

    kind: TargetKind
    id: int
    guild_id: int | None


def _target(
    interaction: discord.Interaction, channel: discord.TextChannel | None, mine: bool = False
) -> _Target:
    """The digest a command acts on: the channel argument's, or this channel's.

    The invoker's DM digest instead with `mine`, or outside a server.
    """
    if mine or interaction.guild is None:
        return _Target("dm", interaction.user.id, None)
    channel_id = channel.id if channel is not None else interaction.channel_id or 0
    return _Target("channel", channel_id, interaction.guild_id)


class Digests(commands.Cog, name="Digests"):
    """Weekly digests for a channel, or for yourself in DMs."""

    digest = app_commands.Group(name="digest", description="Weekly digests of new papers")

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot
        self.card_pick = card_pick_type(self.show_picked_card)
        self.vote = vote_type(self.suggestion_voted)

    @property
    def service(self) -> DigestService:
        return self.bot.services.digests

    async def cog_load(self) -> None:
        # The card menus and suggestion votes of digests of any age.
        self.bot.add_dynamic_items(self.card_pick, self.vote)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(self.card_pick, self.vote)

    async def suggestion_voted(
        self, interaction: discord.Interaction, vote: str, schedule_id: int, arxiv_id: str
    ) -> None:
        """A 👍 / 👎 under a digest's suggestions, for that digest's destination only."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.service.vote(
            schedule_id,
            arxiv_id,
            vote,
            user_id=interaction.user.id,
            channel_id=interaction.channel_id if interaction.guild is not None else None,
        )
        await interaction.followup.send(vote_message(vote, arxiv_id), ephemeral=True)

    async def show_picked_card(self, interaction: discord.Interaction, paper_id: int) -> None:
        """A paper picked under a compact digest: its full card, to the picker alone."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = await self.bot.services.papers.paper_by_id(
            paper_id, guild_id=interaction.guild_id, user_id=interaction.user.id
        )
        await interaction.followup.send(embed=paper_view_embed(view), ephemeral=True)

    @digest.command(name="setup", description="Post a weekly digest in a channel")
    @app_commands.describe(
        channel="Where the digest is posted",
        weekday="Day of the week",
        time=TIME_HELP,
        timezone=ZONE_HELP,
        post_empty_weeks=EMPTY_HELP,
        style=STYLE_HELP,
        suggestions=SUGGESTIONS_HELP,
    )
    @app_commands.choices(weekday=WEEKDAY_CHOICES, style=STYLE_CHOICES)
    @app_commands.autocomplete(timezone=_zone_choices)
    @manage_server_only()
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        weekday: app_commands.Choice[int],
        time: app_commands.Range[str, 1, 20],
        timezone: app_commands.Range[str, 1, 64],
        post_empty_weeks: bool | None = None,
        style: app_commands.Choice[str] | None = None,
        suggestions: bool | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.setup_channel(
            guild_id=interaction.guild_id or 0,
            channel_id=channel.id,
            weekday=weekday.value,
            time_text=time,
            timezone=timezone,
            user_id=interaction.user.id,
            post_when_empty=post_empty_weeks,
            style=style.value if style is not None else None,
            suggestions=suggestions,
        )
        await interaction.followup.send(setup_text(result), ephemeral=True)

    @digest.command(name="me", description="Get a weekly DM digest of the authors you follow")
    @app_commands.describe(
        weekday="Day of the week",
        time=TIME_HELP,
        timezone=ZONE_HELP,
        post_empty_weeks=EMPTY_HELP,
        style=STYLE_HELP,
        suggestions=SUGGESTIONS_HELP,
    )
    @app_commands.choices(weekday=WEEKDAY_CHOICES, style=STYLE_CHOICES)
    @app_commands.autocomplete(timezone=_zone_choices)
    async def me(
        self,
        interaction: discord.Interaction,
        weekday: app_commands.Choice[int],
        time: app_commands.Range[str, 1, 20],
        timezone: app_commands.Range[str, 1, 64],
        post_empty_weeks: bool | None = None,
        style: app_commands.Choice[str] | None = None,
        suggestions: bool | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.setup_personal(
            user_id=interaction.user.id,
            weekday=weekday.value,
            time_text=time,
            timezone=timezone,
            post_when_empty=post_empty_weeks,
            style=style.value if style is not None else None,
            suggestions=suggestions,
        )
        await interaction.followup.send(setup_text(result), ephemeral=True)

    @digest.command(name="preview", description="See privately what the next digest would post")
    @app_commands.describe(channel=CHANNEL_HELP, mine="Preview your personal DM digest instead")
    async def preview(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        mine: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = _target(interaction, channel, mine)
        result = await self.service.preview(
            target_kind=target.kind, target_id=target.id, guild_id=target.guild_id
        )
        await interaction.followup.send(preview_intro(result), ephemeral=True)
        for part in result.parts:  # the digest's own messages, exactly as they would be posted
            await interaction.followup.send(**message_kwargs(part), ephemeral=True)

    @digest.command(name="send-now", description="Post the channel's digest now")
    @app_commands.describe(channel=CHANNEL_HELP)
    @manage_server_only()
    async def send_now(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = _target(interaction, channel).id
        result = await self.service.send_now(guild_id=interaction.guild_id or 0, channel_id=target)
        await interaction.followup.send(send_now_text(result, target), ephemeral=True)

    @digest.command(name="off", description="Stop a weekly digest")
    @app_commands.describe(channel=CHANNEL_HELP, mine="Stop your personal DM digest instead")
    async def off(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        mine: bool = False,
    ) -> None:
        if not mine and interaction.guild is not None:  # outside a server: the DM digest
            require_manage_server(interaction, OFF_NEEDS_MANAGE_SERVER)
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = _target(interaction, channel, mine)
        view = await self.service.turn_off(
            target_kind=target.kind, target_id=target.id, guild_id=target.guild_id
        )
        await interaction.followup.send(off_text(view), ephemeral=True)


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(Digests(bot))
