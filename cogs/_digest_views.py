"""The "show a card" menu under a compact digest message.

Persistent like the profile buttons: the menu's custom id matches `PICKER_TEMPLATE` (it also
carries the delivery marker), and the picked option's value is a stored paper id, so a pick
works for anyone, at any time and across restarts, with nothing kept in memory per message. A
pick goes to the callback the cog binds the menu to (`card_pick_type`); an error answers the
picker privately (`bot.tree.reply_error`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.render.digest_compact import PICKER_TEMPLATE, picker_id
from bot.render.suggestions import VOTE_TEMPLATE, vote_id
from bot.tree import answered

OnPick = Callable[[discord.Interaction, int], Awaitable[None]]  # the picked paper id
# (interaction, vote "up"|"down", schedule id, arXiv id)
OnVote = Callable[[discord.Interaction, str, int, str], Awaitable[None]]


class CardPick(discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICKER_TEMPLATE):
    """The menu under one compact digest message; `card_pick_type` binds it."""

    def __init__(self, marker: str | None) -> None:
        super().__init__(discord.ui.Select(custom_id=picker_id(marker)))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Select[Any],
        match: re.Match[str],
    ) -> CardPick:
        return cls(match["marker"])

    async def picked(self, interaction: discord.Interaction, paper_id: int) -> None:
        raise NotImplementedError  # a bound subclass's

    async def callback(self, interaction: discord.Interaction) -> None:
        await answered(interaction, self._pick(interaction), "the digest's card menu")

    async def _pick(self, interaction: discord.Interaction) -> None:
        (value,) = self.item.values  # one option at a time
        await self.picked(interaction, int(value))


def card_pick_type(on_pick: OnPick) -> type[CardPick]:
    """The menu class whose picks go to `on_pick` (one per cog, registered as a dynamic item)."""

    class BoundCardPick(CardPick, template=PICKER_TEMPLATE):
        async def picked(self, interaction: discord.Interaction, paper_id: int) -> None:
            await on_pick(interaction, paper_id)

    return BoundCardPick


class SuggestionVoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    """A 👍 / 👎 under a digest's suggestions; `vote_type` binds it."""

    def __init__(self, vote: str, schedule_id: int, arxiv_id: str) -> None:
        super().__init__(discord.ui.Button(custom_id=vote_id(vote, schedule_id, arxiv_id)))
        self.vote, self.schedule_id, self.arxiv_id = vote, schedule_id, arxiv_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> SuggestionVoteButton:
        return cls(match["vote"], int(match["schedule"]), match["arxiv"])

    async def voted(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError  # a bound subclass's

    async def callback(self, interaction: discord.Interaction) -> None:
        await answered(interaction, self.voted(interaction), "a suggestion's vote")


def vote_type(on_vote: OnVote) -> type[SuggestionVoteButton]:
    """The vote button class whose presses go to `on_vote` (one per cog)."""

    class BoundVote(SuggestionVoteButton, template=VOTE_TEMPLATE):
        async def voted(self, interaction: discord.Interaction) -> None:
            await on_vote(interaction, self.vote, self.schedule_id, self.arxiv_id)

    return BoundVote
