"""Following authors: /follow author, /unfollow author, /following; their citations:
/follow citations, /unfollow citations; and topics: /follow topic, /unfollow topic.

Thin: check, defer before any I/O, call `FollowService`, render with `bot.render.follows`.
Domain errors (`BadInput`, `NotFoundError`, `UpstreamDown`) reach the user through the tree's
error handler (and the views' own `on_error`), ephemerally.

`scope:channel` needs Manage Server, checked here at run time (`require_manage_server`). It is
deliberately NOT the groups' default permission: Discord applies default permissions to a
whole top-level command, so it would hide `/follow` (and `scope:me`) from every plain member.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.follows import (
    VIEW_TIMEOUT_SECONDS,
    CandidatePicker,
    ambiguous_message,
    citation_follow_message,
    empty_following_message,
    follow_message,
    following_embeds,
    mute_message,
    unfollow_citations_message,
    unfollow_message,
)
from bot.render.paginator import Paginator
from bot.render.topics import (
    SaveTopic,
    preview_message,
    topic_follow_message,
    unfollow_topic_message,
)
from bot.render.views import ran_by_someone_else
from bot.services.candidates import Candidate
from bot.services.citation_follows import CitationFollowService
from bot.services.follow_types import AuthorChoice, Scope
from bot.services.follows import FollowService
from bot.services.topic_follows import TopicFollowService
from bot.tree import require_manage_server
from cogs._alert_views import alert_action_type

if TYPE_CHECKING:
    from bot.app import PaperScoutBot

log = logging.getLogger(__name__)

NEEDS_MANAGE_SERVER = (
    "Following for this channel needs the Manage Server permission. Use `scope:me` to follow "
    "for yourself."
)
NAME_HELP = "Start typing and pick the author from the list (homonyms show their affiliation)"
SCOPE_HELP = "me: for you (DM); channel: this channel's digest (needs Manage Server)"


def _require_channel_permission(interaction: discord.Interaction, scope: Scope) -> None:
    """Discord has no per-option permissions: `scope:channel` is checked here."""
    if scope == "channel":
        require_manage_server(interaction, NEEDS_MANAGE_SERVER)


async def _choices(
    command: str, current: str, suggested: Awaitable[list[AuthorChoice]]
) -> list[app_commands.Choice[str]]:
    """An autocomplete's choices; a failure gives none (autocomplete must always answer, and
    the log keeps the cause)."""
    try:
        found = await suggested
    except Exception:
        log.exception("%s autocomplete failed for %r", command, current[:100])
        return []
    return [app_commands.Choice(name=c.name, value=c.value) for c in found]


class Follows(commands.Cog, name="Follows"):
    """Follow authors for yourself or for a channel's digest."""

    follow = app_commands.Group(name="follow", description="Follow new papers", guild_only=True)
    unfollow = app_commands.Group(name="unfollow", description="Stop following", guild_only=True)

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot
        self.alert_action = alert_action_type(self.alert_button_pressed)

    @property
    def service(self) -> FollowService:
        return self.bot.services.follows

    @property
    def citation_service(self) -> CitationFollowService:
        return self.bot.services.citation_follows

    @property
    def topic_service(self) -> TopicFollowService:
        return self.bot.services.topics

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(self.alert_action)  # the buttons of alerts of any age

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(self.alert_action)

    async def alert_button_pressed(
        self, interaction: discord.Interaction, action: str, author_id: int
    ) -> None:
        """Mute (a DM alert: the presser's follow goes weekly) or Unfollow (the presser's own
        follow in a DM, the channel's in a server: Manage Server), answered privately."""
        scope: Scope = "me" if interaction.guild is None else "channel"
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if action == "mute":
            muted = await self.service.mute(author_id, user_id=interaction.user.id)
            await interaction.followup.send(mute_message(muted), ephemeral=True)
            return
        result = await self.service.unfollow_by_id(
            author_id, scope=scope, user_id=interaction.user.id, channel_id=interaction.channel_id
        )
        await interaction.followup.send(unfollow_message(result), ephemeral=True)

    # --- /follow author, /follow citations ----------------------------------------------

    async def _resolve_then(
        self,
        interaction: discord.Interaction,
        typed: str,
        scope: Scope,
        act: Callable[[discord.Interaction, Candidate], Awaitable[str]],
    ) -> None:
        """Resolve the typed name and `act` on the author it names (`act` returns what the
        user reads); several candidates get the menu, and `act` runs on the pick, replacing
        the menu. `typed` was checked and the interaction deferred by the caller."""
        resolution = await self.service.resolve(
            typed, guild_id=interaction.guild_id, user_id=interaction.user.id
        )
        if resolution.match is not None:
            text = await act(interaction, resolution.match)
            await interaction.followup.send(text, ephemeral=True)
            return

        async def picked(pressed: discord.Interaction, candidate: Candidate) -> None:
            _require_channel_permission(pressed, scope)
            await pressed.response.defer()  # the arXiv lookup may take a few seconds
            text = await act(pressed, candidate)
            await pressed.edit_original_response(content=text, view=None)

        picker = CandidatePicker(resolution.candidates, interaction.user.id, picked)
        picker.message = await interaction.followup.send(
            ambiguous_message(resolution), view=picker, ephemeral=True, wait=True
        )

    @follow.command(name="author", description="Follow an author's new arXiv papers")
    @app_commands.describe(
        name=NAME_HELP,
        scope=SCOPE_HELP,
        notify="weekly digest (default) or instant alerts",
    )
    async def follow_author(
        self,
        interaction: discord.Interaction,
        name: str,
        scope: Literal["me", "channel"] = "me",
        notify: Literal["weekly", "instant"] | None = None,
    ) -> None:
        text = self.service.check_name(name)
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def follow(acting: discord.Interaction, candidate: Candidate) -> str:
            result = await self.service.follow(
                candidate,
                scope=scope,
                user_id=acting.user.id,
                guild_id=acting.guild_id,
                channel_id=acting.channel_id,
                notify=notify,
                now=self.bot.clock.now(),
            )
            return follow_message(result)

        await self._resolve_then(interaction, text, scope, follow)

    @follow.command(name="citations", description="Follow new works citing an author's papers")
    @app_commands.describe(
        author=NAME_HELP,
        scope=SCOPE_HELP,
        notify="weekly digest (default) or instant alerts",
        self_citations="also tell about the author's own new works citing their older ones",
    )
    async def follow_citations(
        self,
        interaction: discord.Interaction,
        author: str,
        scope: Literal["me", "channel"] = "me",
        notify: Literal["weekly", "instant"] | None = None,
        self_citations: bool | None = None,
    ) -> None:
        text = self.service.check_name(author)
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def follow(acting: discord.Interaction, candidate: Candidate) -> str:
            result = await self.citation_service.follow(
                candidate,
                scope=scope,
                user_id=acting.user.id,
                guild_id=acting.guild_id,
                channel_id=acting.channel_id,
                notify=notify,
                include_self=self_citations,
                now=self.bot.clock.now(),
            )
            return citation_follow_message(result)

        await self._resolve_then(interaction, text, scope, follow)

    @follow_author.autocomplete("name")
    @follow_citations.autocomplete("author")
    async def _follow_name_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _choices(
            "follow",
            current,
            self.service.suggest(interaction.guild_id, interaction.user.id, current),
        )

    # --- /follow topic ---------------------------------------------------------------------

    @follow.command(name="topic", description="Follow new papers matching words or categories")
    @app_commands.describe(
        query='words, "phrases", cat:cs.CV; AND, OR, NOT and ( ) (at most 300 characters)',
        scope=SCOPE_HELP,
        notify="weekly digest (default) or instant alerts",
    )
    async def follow_topic(
        self,
        interaction: discord.Interaction,
        query: str,
        scope: Literal["me", "channel"] = "me",
        notify: Literal["weekly", "instant"] | None = None,
    ) -> None:
        parsed = self.topic_service.check(query)  # a bad query is answered before deferring
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self.topic_service.preview(parsed)

        async def save(pressed: discord.Interaction) -> None:
            _require_channel_permission(pressed, scope)
            await pressed.response.defer()
            result = await self.topic_service.follow(
                parsed,
                scope=scope,
                user_id=pressed.user.id,
                guild_id=pressed.guild_id,
                channel_id=pressed.channel_id,
                notify=notify,
                now=self.bot.clock.now(),
            )
            await pressed.edit_original_response(content=topic_follow_message(result), view=None)

        view = SaveTopic(interaction.user.id, save, warned=preview.needs_warning)
        view.message = await interaction.followup.send(
            preview_message(preview, scope), view=view, ephemeral=True, wait=True
        )

    # --- /unfollow author ------------------------------------------------------------------

    @unfollow.command(name="author", description="Stop following an author")
    @app_commands.describe(
        name="Pick from the authors you (or this channel) follow", scope=SCOPE_HELP
    )
    async def unfollow_author(
        self,
        interaction: discord.Interaction,
        name: str,
        scope: Literal["me", "channel"] = "me",
    ) -> None:
        text = self.service.check_name(name)
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.unfollow(
            text, scope=scope, user_id=interaction.user.id, channel_id=interaction.channel_id
        )
        await interaction.followup.send(unfollow_message(result), ephemeral=True)

    @unfollow_author.autocomplete("name")
    async def _unfollow_name_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = self.service.suggest_followed(
            interaction.user.id, interaction.channel_id, current
        )
        return await _choices("unfollow", current, choices)

    # --- /unfollow citations ---------------------------------------------------------------

    @unfollow.command(name="citations", description="Stop following an author's citations")
    @app_commands.describe(
        author="Pick from the authors whose citations you (or this channel) follow",
        scope=SCOPE_HELP,
    )
    async def unfollow_citations(
        self,
        interaction: discord.Interaction,
        author: str,
        scope: Literal["me", "channel"] = "me",
    ) -> None:
        text = self.service.check_name(author)
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.citation_service.unfollow(
            text, scope=scope, user_id=interaction.user.id, channel_id=interaction.channel_id
        )
        await interaction.followup.send(unfollow_citations_message(result), ephemeral=True)

    @unfollow_citations.autocomplete("author")
    async def _unfollow_citations_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = self.citation_service.suggest_followed(
            interaction.user.id, interaction.channel_id, current
        )
        return await _choices("unfollow citations", current, choices)

    # --- /unfollow topic -------------------------------------------------------------------

    @unfollow.command(name="topic", description="Stop following a topic")
    @app_commands.describe(
        query="Pick from the topics you (or this channel) follow", scope=SCOPE_HELP
    )
    async def unfollow_topic(
        self,
        interaction: discord.Interaction,
        query: str,
        scope: Literal["me", "channel"] = "me",
    ) -> None:
        _require_channel_permission(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.topic_service.unfollow(
            query, scope=scope, user_id=interaction.user.id, channel_id=interaction.channel_id
        )
        await interaction.followup.send(unfollow_topic_message(removed, scope), ephemeral=True)

    @unfollow_topic.autocomplete("query")
    async def _unfollow_topic_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = self.topic_service.suggest_followed(
            interaction.user.id, interaction.channel_id, current
        )
        return await _choices("unfollow topic", current, choices)

    # --- /following ------------------------------------------------------------------------

    @app_commands.command(name="following", description="The authors you or this channel follow")
    @app_commands.describe(scope="me (default): yours; channel: this channel's digest")
    @app_commands.guild_only()
    async def following(
        self, interaction: discord.Interaction, scope: Literal["me", "channel"] = "me"
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        follows = await self.service.list_follows(
            scope, interaction.user.id, interaction.channel_id
        )
        follows += await self.citation_service.list_follows(
            scope, interaction.user.id, interaction.channel_id
        )
        topics = await self.topic_service.list_follows(
            scope, interaction.user.id, interaction.channel_id
        )
        if not follows and not topics:
            await interaction.followup.send(empty_following_message(scope), ephemeral=True)
            return
        channel_name = getattr(interaction.channel, "name", None)
        pages = following_embeds(follows, scope=scope, channel_name=channel_name, topics=topics)
        if len(pages) == 1:
            await interaction.followup.send(embed=pages[0], ephemeral=True)
            return
        pager = Paginator.over(
            pages,
            name="follows",
            invoker_id=interaction.user.id,
            refusal=ran_by_someone_else("`/following`"),
            timeout=VIEW_TIMEOUT_SECONDS,
        )
        pager.message = await interaction.followup.send(
            embed=pager.page.embed, view=pager, ephemeral=True, wait=True
        )


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(Follows(bot))
