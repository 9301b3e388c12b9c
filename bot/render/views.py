"""The one base of PaperScout's views: greyed out on timeout, failures answered like commands."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.tree import reply_error

log = logging.getLogger(__name__)


class ExpiringView(discord.ui.View):
    """Buttons and selects are disabled when the view times out (the message is edited to show
    it), and an exception in a callback reaches the user through the tree's error path."""

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def show_disabled(self) -> None:
        """Edit the message carrying this view; subclasses know which message that is."""

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
