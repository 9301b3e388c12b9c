"""The buttons under a profile card (Follow, Papers, Compare...) and the Compare form.

Profile buttons are persistent: each one's custom id carries its action and the stored author id
(`profile:papers:42`), so they keep working for anyone, at any time and across restarts, with
nothing kept in memory per message. A press goes to the callback the cog binds the buttons to
(`profile_action_type`). An error in a button or the form answers the presser privately: a
domain error's message, or the incident id the command tree's handler would show
(`bot.tree.reply_error`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.tree import answered, reply_error

OnPress = Callable[[discord.Interaction, str, int], Awaitable[None]]  # action, author id
OnSecondAuthor = Callable[[discord.Interaction, str], Awaitable[None]]  # what was typed

PROFILE_ACTIONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "follow": ("Follow", discord.ButtonStyle.primary),
    "papers": ("Papers", discord.ButtonStyle.secondary),
    "compare": ("Compare...", discord.ButtonStyle.secondary),
}
PROFILE_TEMPLATE = r"profile:(?P<action>follow|papers|compare):(?P<author_id>[0-9]{1,19})"


class CompareModal(discord.ui.Modal, title="Compare with another author"):
    """Asks for the second author of a comparison.

    No fixed `custom_id`: discord.py keys open forms by it, so two people opening the form on
    the same profile would answer each other's submission.
    """

    second: discord.ui.TextInput[CompareModal] = discord.ui.TextInput(
        label="Second author (name, OpenAlex id or ORCID)",
        placeholder="e.g. Heather Piwowar",
        min_length=1,
        max_length=200,
        custom_id="compare:second",
    )

    def __init__(self, on_second: OnSecondAuthor) -> None:
        super().__init__()
        self.on_second = on_second

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.on_second(interaction, str(self.second.value))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await reply_error(interaction, error, "the Compare form")


class ProfileAction(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PROFILE_TEMPLATE):
    """One button under a profile card, for a stored author; `profile_action_type` binds it."""

    def __init__(self, action: str, author_id: int) -> None:
        label, style = PROFILE_ACTIONS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"profile:{action}:{author_id}")
        )
        self.action = action
        self.author_id = author_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> ProfileAction:
        return cls(match["action"], int(match["author_id"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError  # a bound subclass's

    async def callback(self, interaction: discord.Interaction) -> None:
        where = f"the profile's {self.action} button"
        await answered(interaction, self.pressed(interaction), where)


def profile_action_type(on_press: OnPress) -> type[ProfileAction]:
    """The profile button class whose presses go to `on_press`.

    One class per cog (so per bot): the cog registers it as a dynamic item and builds its
    buttons from it, so a press reaches its handler without looking the cog up by name.
    """

    class BoundProfileAction(ProfileAction, template=PROFILE_TEMPLATE):
        async def pressed(self, interaction: discord.Interaction) -> None:
            await on_press(interaction, self.action, self.author_id)

    return BoundProfileAction


def profile_buttons(
    action_type: type[ProfileAction], author_id: int, links: Sequence[tuple[str, str]] = ()
) -> discord.ui.View:
    """The buttons under one author's profile card: persistent (no timeout, nothing stored),
    then a link button per page of theirs elsewhere (`links`: label, URL)."""
    view = discord.ui.View(timeout=None)
    for action in PROFILE_ACTIONS:
        view.add_item(action_type(action, author_id))
    for label, url in links:
        view.add_item(discord.ui.Button(label=label, url=url))
    return view
