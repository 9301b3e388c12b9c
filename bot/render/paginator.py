"""The one paginator: Previous / Next over numbered pages, for the invoker only, greyed out when
it expires (`bot.render.views`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.render.views import InvokerOnlyView

PREVIOUS = "\N{BLACK LEFT-POINTING TRIANGLE}"
NEXT = "\N{BLACK RIGHT-POINTING TRIANGLE}"


@dataclass(frozen=True, slots=True)
class Page:
    embed: discord.Embed
    number: int  # 0-based
    count: int


ReadPage = Callable[[int], Awaitable[Page]]  # page n, clamped to the pages there are


class Paginator(InvokerOnlyView):
    """Previous / Next buttons (custom ids `<name>:previous`, `<name>:next`) over `read`'s pages.

    With `slow` (a database read) the press is acknowledged first and the message edited after;
    otherwise the page is shown in the press's own answer.
    """

    def __init__(
        self,
        first: Page,
        read: ReadPage,
        *,
        name: str,
        invoker_id: int,
        refusal: str,
        timeout: float,
        slow: bool,
    ) -> None:
        super().__init__(invoker_id, refusal, timeout=timeout)
        self.page = first
        self.read = read
        self.slow = slow
        self.previous = self._button("Previous", PREVIOUS, f"{name}:previous", -1)
        self.next = self._button("Next", NEXT, f"{name}:next", +1)
        self._sync_buttons()

    @classmethod
    def over(
        cls,
        embeds: Sequence[discord.Embed],
        *,
        name: str,
        invoker_id: int,
        refusal: str,
        timeout: float,
    ) -> Paginator:
        """Pages already rendered (at least one)."""
        pages = list(embeds)

        async def read(number: int) -> Page:
            number = max(0, min(len(pages) - 1, number))
            return Page(pages[number], number, len(pages))

        first = Page(pages[0], 0, len(pages))
        return cls(
            first,
            read,
            name=name,
            invoker_id=invoker_id,
            refusal=refusal,
            timeout=timeout,
            slow=False,
        )

    def _button(self, label: str, emoji: str, custom_id: str, step: int) -> discord.ui.Button[Any]:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, emoji=emoji, custom_id=custom_id
        )

        async def turn(interaction: discord.Interaction) -> None:
            await self._turn(interaction, step)

        button.callback = turn  # type: ignore[method-assign]
        self.add_item(button)
        return button

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page.number <= 0
        self.next.disabled = self.page.number >= self.page.count - 1

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        if self.slow:
            await interaction.response.defer()
        self.page = await self.read(self.page.number + step)
        self._sync_buttons()
        if self.slow:
            await interaction.edit_original_response(embed=self.page.embed, view=self)
        else:
            await interaction.response.edit_message(embed=self.page.embed, view=self)
