"""Buttons and forms of the author commands: profile actions, paper pages, the compare form.

Paper pages disable their buttons when they time out (the message stays, the buttons grey
out) and answer only the person who ran the command (`interaction_check`). Profile buttons are
persistent: each one's custom id carries its action and the stored author id
(`profile:papers:42`), so they keep working for anyone, at any time and across restarts, with
nothing kept in memory per message (Follow follows for the presser, Papers and Compare answer
the presser privately). An error in a button or the form answers the presser privately: a
domain error's message, or the incident id the command tree's handler would show
(`bot.tree.reply_error`).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import UserFacingError
from bot.render.profile import papers_page_embed
from bot.render.views import ExpiringView
from bot.services.profile_types import PaperPage
from bot.tree import reply_error

if TYPE_CHECKING:
    from cogs.authors import Authors

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 600.0  # 10 minutes; the interaction token (for the edit) lives 15


class TimeoutDisablingView(ExpiringView):
    """A view that greys its buttons out on timeout by editing the interaction's message."""

    def __init__(self, *, timeout: float | None) -> None:
        super().__init__(timeout=timeout)
        self.interaction: discord.Interaction | None = None  # whose message carries the view
        self.message_id: int | None = None

    async def show_disabled(self) -> None:
        if self.interaction is None:
            return
        if self.message_id is not None:
            await self.interaction.followup.edit_message(self.message_id, view=self)
        else:
            await self.interaction.edit_original_response(view=self)


class PapersView(TimeoutDisablingView):
    """Previous / Next over an author's papers; only the invoker can turn pages."""

    def __init__(self, cog: Authors, page: PaperPage, owner_id: int) -> None:
        super().__init__(timeout=cog.view_timeout)
        self.cog = cog
        self.page = page
        self.owner_id = owner_id
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page.page <= 0
        self.next.disabled = self.page.page >= self.page.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the person who opened this list can turn its pages. Run `/author papers` "
            "to get your own.",
            ephemeral=True,
        )
        return False

    async def _turn(self, interaction: discord.Interaction, delta: int) -> None:
        await interaction.response.defer()  # the page is read from the database first
        self.page = await self.cog.services.profile.papers_page(
            self.page.author_id, sort=self.page.sort, page=self.page.page + delta
        )
        self._sync_buttons()
        await interaction.edit_original_response(embed=papers_page_embed(self.page), view=self)

    @discord.ui.button(
        label="◀ Previous", style=discord.ButtonStyle.secondary, custom_id="papers:prev"
    )
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary, custom_id="papers:next")
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, +1)


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

    def __init__(self, cog: Authors, first_author_id: int) -> None:
        super().__init__()
        self.cog = cog
        self.first_author_id = first_author_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # The first author is the profile already shown in this channel: compared by stored id,
        # not resolved again for the presser (who may not follow them).
        await self.cog.send_comparison(
            interaction, self.first_author_id, str(self.second.value), ephemeral=True
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await reply_error(interaction, error, "the Compare form")


PROFILE_ACTIONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "follow": ("Follow", discord.ButtonStyle.primary),
    "papers": ("Papers", discord.ButtonStyle.secondary),
    "compare": ("Compare...", discord.ButtonStyle.secondary),
}


class ProfileAction(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"profile:(?P<action>follow|papers|compare):(?P<author_id>[0-9]{1,19})",
):
    """One button under a profile card: Follow, Papers or Compare... for a stored author."""

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

    async def callback(self, interaction: discord.Interaction) -> None:
        # discord.py only logs an exception raised by a dynamic item: answer it here.
        try:
            cog: Authors | None = interaction.client.get_cog("Authors")  # type: ignore[attr-defined]
            if cog is None:
                raise UserFacingError("Author profiles are unavailable right now.")
            if self.action == "follow":
                await cog.follow_for(interaction, self.author_id)
            elif self.action == "papers":
                await interaction.response.defer(ephemeral=True, thinking=True)
                page = await cog.services.profile.papers_page(self.author_id, sort="recent", page=0)
                await cog.send_papers_page(interaction, page, ephemeral=True)
            else:
                await interaction.response.send_modal(CompareModal(cog, self.author_id))
        except Exception as error:
            await reply_error(interaction, error, f"the profile's {self.action} button")


class ProfileButtons(discord.ui.View):
    """The buttons under one author's profile card: persistent (no timeout, nothing stored)."""

    def __init__(self, author_id: int) -> None:
        super().__init__(timeout=None)
        for action in PROFILE_ACTIONS:
            self.add_item(ProfileAction(action, author_id))
