"""The command tree with the bot's one error handler.

Domain errors (`UserFacingError`) and Discord-side check failures become a short ephemeral
message. Anything else is logged with an incident id, and the user sees only that id.
"""

from __future__ import annotations

import logging
import uuid

import discord
from discord import app_commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)

_PERMISSION_NAMES = {"manage_guild": "Manage Server"}


def _user_message(error: app_commands.AppCommandError) -> str | None:
    """The message for errors that are the user's or Discord's doing; None for our bugs."""
    original = getattr(error, "original", None)
    if isinstance(original, UserFacingError):
        return original.user_message
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(
            _PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in error.missing_permissions
        )
        return f"You need the {names} permission to do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing the {names} permission here."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"I could not understand {error.value!r}: {error}"[:300]
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    return None


async def reply_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Answer privately, whether or not the interaction was already answered or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True)
    else:
        await interaction.response.send_message(content, ephemeral=True)


class PaperScoutTree(app_commands.CommandTree):
    """A command tree whose `on_error` is the single place errors reach the user."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        message = _user_message(error)
        if message is None:
            incident = uuid.uuid4().hex[:8]
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "incident %s: /%s failed for user %s in guild %s",
                incident,
                command,
                interaction.user.id,
                interaction.guild_id,
                exc_info=getattr(error, "original", error),
            )
            message = (
                f"Something went wrong on my side (incident `{incident}`). It has been logged."
            )
        try:
            await reply_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not deliver the error reply for interaction %s", interaction.id)
