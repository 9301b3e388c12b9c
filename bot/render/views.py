"""The bases of PaperScout's views: greyed out on timeout, failures answered like commands, and
the one invoker-only guard."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.tree import reply_error

log = logging.getLogger(__name__)


def ran_by_someone_else(command: str) -> str:
    """The refusal of a view that belongs to whoever ran `command`."""
    return f"Only the person who ran {command} can use this. Run it yourself to get your own."


class ComponentsOnly(discord.ui.View):
    """Components sent with a message and never dispatched through this object: discord.py
    keeps no copy of it per message, and a dynamic item registered by a cog answers them
    (whenever they are used, also after a restart)."""

    def is_dispatchable(self) -> bool:
        return False


class ExpiringView(discord.ui.View):
    """Buttons and selects are disabled when the view times out (`message`, the one carrying
    the view, is edited to show it), and an exception in a callback reaches the user through
    the tree's error path."""

    def __init__(self, *, timeout: float | None) -> None:
        super().__init__(timeout=timeout)
        self.message: discord.Message | discord.WebhookMessage | None = None

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def show_disabled(self) -> None:
        if self.message is not None:
            await self.message.edit(view=self)

    def error_context(self, item: discord.ui.Item[Any]) -> str:
        """What the incident log says failed."""
        custom_id = getattr(item, "custom_id", None) or type(item).__name__
        return f"{type(self).__name__} {custom_id}"

    async def on_timeout(self) -> None:
        self.disable_all()
        try:
            await self.show_disabled()
        except discord.HTTPException as error:
            log.info("could not disable an expired %s: %s", type(self).__name__, error)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error, self.error_context(item))


class InvokerOnlyView(ExpiringView):
    """A view only `invoker_id` may use: anyone else reads `refusal`, privately."""

    def __init__(self, invoker_id: int, refusal: str, *, timeout: float | None) -> None:
        super().__init__(timeout=timeout)
        self.invoker_id = invoker_id
        self.refusal = refusal

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.invoker_id:
            return True
        await interaction.response.send_message(self.refusal, ephemeral=True)
        return False
