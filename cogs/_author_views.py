"""Buttons and forms of the author commands: profile actions, paper pages, the compare form.

Every view disables its buttons when it times out (the message stays, the buttons grey out).
An error in a button or the form answers the presser privately: a domain error's message, or
the incident id the command tree's handler would show (`bot.tree.reply_error`).
Pagination answers only the person who ran the command (`interaction_check`); profile buttons
act for whoever presses them (Follow follows for the presser, Papers and Compare answer the
presser privately).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.render.profile import papers_page_embed
from bot.render.views import ExpiringView
from bot.services.profile import PaperPage, Profile
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

    def __init__(self, cog: Authors, first: Profile) -> None:
        super().__init__()
        self.cog = cog
        self.first = first

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # The first author is the profile already shown in this channel: compared by stored id,
        # not resolved again for the presser (who may not follow them).
        await self.cog.send_comparison(
            interaction, self.first.author_id, str(self.second.value), ephemeral=True
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await reply_error(interaction, error, "the Compare form")


class ProfileView(TimeoutDisablingView):
    """Follow (scope me), Papers and Compare... under a profile card."""

    def __init__(self, cog: Authors, profile: Profile) -> None:
        super().__init__(timeout=cog.view_timeout)
        self.cog = cog
        self.profile = profile

    @discord.ui.button(
        label="Follow", style=discord.ButtonStyle.primary, custom_id="profile:follow"
    )
    async def follow(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await self.cog.follow_for(interaction, self.profile)

    @discord.ui.button(
        label="Papers", style=discord.ButtonStyle.secondary, custom_id="profile:papers"
    )
    async def papers(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        page = await self.cog.services.profile.papers_page(
            self.profile.author_id, sort="recent", page=0
        )
        await self.cog.send_papers_page(interaction, page, ephemeral=True)

    @discord.ui.button(
        label="Compare...", style=discord.ButtonStyle.secondary, custom_id="profile:compare"
    )
    async def compare(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(CompareModal(self.cog, self.profile))
