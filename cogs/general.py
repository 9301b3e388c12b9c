"""General commands: /help and /status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.render.help import HelpEntry, help_embed, metrics_embed
from bot.render.status import member_status_embed, status_embed
from bot.telemetry import interaction_done

if TYPE_CHECKING:
    from bot.app import PaperScoutBot


def _help_entries(bot: commands.Bot) -> list[HelpEntry]:
    """Every slash command the loaded cogs define, grouped by cog."""
    entries = []
    for cog in bot.cogs.values():
        for command in cog.walk_app_commands():
            if isinstance(command, app_commands.Command):
                entries.append(
                    HelpEntry(cog.qualified_name, command.qualified_name, command.description)
                )
    return entries


class General(commands.Cog, name="General"):
    """Help and the bot's health."""

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="help", description="What PaperScout can do, and how its metrics work"
    )
    @app_commands.describe(topic="commands (default) or how the metrics are computed")
    async def help(
        self, interaction: discord.Interaction, topic: Literal["commands", "metrics"] = "commands"
    ) -> None:
        embed = metrics_embed() if topic == "metrics" else help_embed(_help_entries(self.bot))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="status", description="Is PaperScout finding papers, and since when")
    async def status(self, interaction: discord.Interaction) -> None:
        """Members read one health line; Manage Server also the internals (sources, queue)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.services.status.report(interaction.guild_id)
        operator = interaction.guild is not None and interaction.permissions.manage_guild
        render = status_embed if operator else member_status_embed
        await interaction.followup.send(embed=render(report, self.bot.clock.now()), ephemeral=True)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[..., object]
    ) -> None:
        interaction_done(interaction.extras, command.qualified_name)  # METRICS_PORT


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(General(bot))
