"""The Mute and Unfollow buttons under an alert (`bot/render/alerts.py` draws them).

Persistent: a button's custom id carries its action and the followed author (and the delivery
marker), so a press works at any time and after restarts. A press goes to the callback the cog
binds the buttons to (`alert_action_type`); an error answers the presser privately
(`bot.tree.reply_error`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.render.alerts import ALERT_TEMPLATE, alert_id
from bot.tree import answered

OnPress = Callable[[discord.Interaction, str, int], Awaitable[None]]  # action, author id


class AlertAction(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ALERT_TEMPLATE):
    """One button under an alert; `alert_action_type` binds it."""

    def __init__(self, action: str, author_id: int, marker: str | None) -> None:
        super().__init__(discord.ui.Button(custom_id=alert_id(action, author_id, marker)))
        self.action = action
        self.author_id = author_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> AlertAction:
        return cls(match["action"], int(match["author_id"]), match["marker"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError  # a bound subclass's

    async def callback(self, interaction: discord.Interaction) -> None:
        await answered(interaction, self.pressed(interaction), f"the alert's {self.action} button")


def alert_action_type(on_press: OnPress) -> type[AlertAction]:
    """The alert button class whose presses go to `on_press` (one per cog)."""

    class BoundAlertAction(AlertAction, template=ALERT_TEMPLATE):
        async def pressed(self, interaction: discord.Interaction) -> None:
            await on_press(interaction, self.action, self.author_id)

    return BoundAlertAction
