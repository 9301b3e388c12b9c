"""The command tree with the bot's one error handler, and the one Manage Server check.

Domain errors (`UserFacingError`) and Discord-side check failures become a short ephemeral
message. Anything else is logged with an incident id, and the user sees only that id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import Choices, UserFacingError
from bot.render.text import cut_lines
from bot.telemetry import interaction_done, interaction_received

MESSAGE_LIMIT = 2000  # Discord's limit for a message's content

log = logging.getLogger(__name__)

T = TypeVar("T")

_PERMISSION_NAMES = {"manage_guild": "Manage Server"}


def require_manage_server(interaction: discord.Interaction, refusal: str | None = None) -> None:
    """In a server, with Manage Server: checked when the command runs, not registered as its
    default permission (which would hide the whole top-level command from plain members).

    `refusal` replaces the generic message where the command has an alternative to offer.
    """
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        if refusal is not None:
            raise UserFacingError(refusal)
        raise app_commands.MissingPermissions(["manage_guild"])


def manage_server_only() -> Callable[[T], T]:
    """`require_manage_server` as the command's check, made before its options are read (in a
    DM a channel option could not be read: the refusal would be about the option)."""

    def predicate(interaction: discord.Interaction) -> bool:
        require_manage_server(interaction)
        return True

    return app_commands.check(predicate)


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


def report_incident(interaction: discord.Interaction, error: BaseException, where: str) -> str:
    """Log `error` under a new incident id; return what the user reads (the id, nothing else)."""
    incident = uuid.uuid4().hex[:8]
    log.error(
        "incident %s: %s failed for user %s in guild %s",
        incident,
        where,
        interaction.user.id,
        interaction.guild_id,
        exc_info=error,
    )
    return f"Something went wrong on my side (incident `{incident}`). It has been logged."


async def reply_error(interaction: discord.Interaction, error: Exception, where: str) -> None:
    """A view's or form's one error path: a domain error's message, or an incident id."""
    if isinstance(error, UserFacingError):
        message = error.user_message
    else:
        message = report_incident(interaction, error, where)
    try:
        await reply_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not deliver the error reply for interaction %s", interaction.id)


async def answered(interaction: discord.Interaction, work: Awaitable[None], where: str) -> None:
    """Run a dynamic item's `work`; an error reaches the presser like a command's. (discord.py
    only logs an exception raised by a dynamic item: nobody would be answered.)"""
    try:
        await work
    except Exception as error:
        await reply_error(interaction, error, where)


async def reply_ephemeral(
    interaction: discord.Interaction, content: str, *, view: discord.ui.View | None = None
) -> None:
    """Answer privately, whether or not the interaction was already answered or deferred."""
    content = cut_lines(content, MESSAGE_LIMIT)
    extra: dict[str, Any] = {"view": view} if view is not None else {}
    if interaction.response.is_done():
        await _drop_public_placeholder(interaction)
        await interaction.followup.send(content, ephemeral=True, **extra)
    else:
        await interaction.response.send_message(content, ephemeral=True, **extra)


async def _drop_public_placeholder(interaction: discord.Interaction) -> None:
    """Delete a public "thinking..." still waiting for its answer: the first followup would take
    its place, in public. A message already sent in its place stays."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return
    try:
        original = await interaction.original_response()
        if original.flags.loading and not original.flags.ephemeral:
            await interaction.delete_original_response()
    except discord.DiscordException:
        log.debug("could not replace the deferred reply of interaction %s", interaction.id)


AGAIN_PARAMETER = "name"  # the option a "did you mean" choice replaces
MAX_CHOICE_BUTTONS = 5


class DidYouMean(discord.ui.View):
    """Buttons under a "did you mean": each runs the same command again, with the same options
    and the name replaced by the choice, for the person who ran it (nobody else sees the
    message: it is private)."""

    def __init__(
        self, interaction: discord.Interaction, choices: Choices, *, timeout: float = 180.0
    ) -> None:
        super().__init__(timeout=timeout)
        command = interaction.command
        assert isinstance(command, app_commands.Command)
        self.command = command
        self.options = dict(iter(interaction.namespace))
        for index, (label, value) in enumerate(choices[:MAX_CHOICE_BUTTONS]):
            button: discord.ui.Button[DidYouMean] = discord.ui.Button(
                label=cut_lines(label, 80),
                style=discord.ButtonStyle.secondary,
                custom_id=f"again:{interaction.id}:{index}",
            )
            button.callback = partial(self._again, value)  # type: ignore[method-assign]
            self.add_item(button)

    @staticmethod
    def offered(interaction: discord.Interaction, error: BaseException) -> DidYouMean | None:
        """The buttons for `error`'s choices, when the command takes a name to replace."""
        command = interaction.command
        if not isinstance(error, UserFacingError) or not error.choices:
            return None
        if not isinstance(command, app_commands.Command) or not any(
            p.name == AGAIN_PARAMETER for p in command.parameters
        ):
            return None
        return DidYouMean(interaction, error.choices)

    async def _again(self, value: str, interaction: discord.Interaction) -> None:
        options = {**self.options, AGAIN_PARAMETER: value}
        await self.command.callback(self.command.binding, interaction, **options)  # type: ignore[arg-type, misc]

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error, f"/{self.command.qualified_name} (did you mean)")


class PaperScoutTree(app_commands.CommandTree):
    """A command tree whose `on_error` is the single place errors reach the user (and where
    a command's latency starts being measured: `bot.telemetry`)."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.type is discord.InteractionType.application_command:
            interaction_received(interaction.extras)
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        interaction_done(interaction.extras, command)
        message = _user_message(error)
        if message is None:
            message = report_incident(interaction, getattr(error, "original", error), f"/{command}")
        view = DidYouMean.offered(interaction, getattr(error, "original", error))
        try:
            await reply_ephemeral(interaction, message, view=view)
        except discord.HTTPException:
            log.warning("could not deliver the error reply for interaction %s", interaction.id)
