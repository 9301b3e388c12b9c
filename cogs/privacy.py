"""Members' data: /privacy show, /privacy delete, /privacy delete-server; and the server
departures (the bot removed from a server, or added back).

Thin: check, defer before any I/O, call `PrivacyService`, render with `bot.render.privacy`.
Every reply is ephemeral. `/privacy delete-server` needs Manage Server, checked at run time
(`require_manage_server`), both when it runs and when its button is pressed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.privacy import (
    ConfirmDeletion,
    delete_prompt,
    member_data_embed,
    member_deleted_message,
    server_deleted_message,
    server_prompt,
)
from bot.services.privacy import PrivacyService
from bot.tree import require_manage_server

if TYPE_CHECKING:
    from bot.app import PaperScoutBot

log = logging.getLogger(__name__)

NEEDS_MANAGE_SERVER = (
    "Deleting this server's PaperScout data needs the Manage Server permission. "
    "`/privacy delete` deletes your own."
)
NOTHING_TO_DELETE = "PaperScout stores nothing about you: there is nothing to delete."
SERVER_HAS_NOTHING = "PaperScout stores nothing for this server: there is nothing to delete."


class Privacy(commands.Cog, name="Privacy"):
    """What PaperScout stores about you or your server, and deleting it."""

    privacy = app_commands.Group(name="privacy", description="Your data: see it, delete it")

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot

    @property
    def service(self) -> PrivacyService:
        return self.bot.services.privacy

    @privacy.command(name="show", description="Everything PaperScout stores about you")
    async def show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.member_data(interaction.user.id)
        await interaction.followup.send(embed=member_data_embed(data), ephemeral=True)

    @privacy.command(
        name="delete", description="Delete everything PaperScout stores about you (asks first)"
    )
    async def delete(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.member_data(interaction.user.id)
        if data.is_empty:
            await interaction.followup.send(NOTHING_TO_DELETE, ephemeral=True)
            return

        async def confirmed(pressed: discord.Interaction) -> None:
            await pressed.response.defer()
            done = await self.service.delete_member(pressed.user.id)
            await pressed.edit_original_response(content=member_deleted_message(done), view=None)

        view = ConfirmDeletion(interaction.user.id, "/privacy delete", "Delete my data", confirmed)
        view.message = await interaction.followup.send(
            delete_prompt(data), view=view, ephemeral=True, wait=True
        )

    @privacy.command(
        name="delete-server",
        description="Delete this server's follows, digests and queued messages (Manage Server)",
    )
    async def delete_server(self, interaction: discord.Interaction) -> None:
        require_manage_server(interaction, NEEDS_MANAGE_SERVER)
        assert interaction.guild_id is not None  # checked above
        guild_id = interaction.guild_id
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.server_data(guild_id)
        if data.is_empty:
            await interaction.followup.send(SERVER_HAS_NOTHING, ephemeral=True)
            return

        async def confirmed(pressed: discord.Interaction) -> None:
            require_manage_server(pressed, NEEDS_MANAGE_SERVER)  # still, when pressed
            await pressed.response.defer()
            done = await self.service.delete_server(guild_id)
            await pressed.edit_original_response(content=server_deleted_message(done), view=None)

        view = ConfirmDeletion(
            interaction.user.id, "/privacy delete-server", "Delete server data", confirmed
        )
        view.message = await interaction.followup.send(
            server_prompt(data), view=view, ephemeral=True, wait=True
        )

    # --- the bot removed from a server, or added back -------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Its data is deleted after `SERVER_DATA_GRACE_DAYS` (the daily purge)."""
        try:
            await self.service.server_left(guild.id)
        except Exception:
            log.warning("could not record leaving server %s", guild.id, exc_info=True)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._present([guild.id])

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Servers that added the bot back while it was offline keep their data; those with
        data that removed it while it was offline start their grace period."""
        try:
            await self.service.reconcile([guild.id for guild in self.bot.guilds], self._runs_here)
        except Exception:
            log.warning("could not compare the servers with the stored data", exc_info=True)

    def _runs_here(self, guild_id: int) -> bool:
        """Whether this process's connection carries the server (Discord's shard formula)."""
        count = self.bot.shard_count
        shard_ids = getattr(self.bot, "shard_ids", None)
        if not count or count == 1 or shard_ids is None:
            return True
        return (guild_id >> 22) % count in shard_ids

    async def _present(self, guild_ids: list[int]) -> None:
        try:
            await self.service.servers_present(guild_ids)
        except Exception:
            log.warning(
                "could not clear the departure of %d servers", len(guild_ids), exc_info=True
            )


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(Privacy(bot))
