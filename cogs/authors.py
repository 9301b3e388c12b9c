"""Author commands: `/author profile`, `/author papers`, `/author compare`, and `/paper`.

Each command checks what was typed (a bad name is answered at once, privately), defers before
anything that may reach an upstream, calls one service, renders, and sends. Errors the service
raises for the user after the (public) defer replace the "thinking" message with a private one.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from functools import partial
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.plain_text import plain
from bot.render.chart import ChartCache, compare_chart_png, profile_chart_png
from bot.render.follows import follow_message
from bot.render.paper import paper_embed
from bot.render.profile import (
    CHART_FILENAME,
    ProfileCards,
    compare_embed,
    paper_footer,
    papers_page_embed,
)
from bot.services.author_resolver import Viewer
from bot.services.profile_types import PaperPage, Profile
from cogs._author_views import (
    VIEW_TIMEOUT,
    PapersView,
    ProfileAction,
    ProfileButtons,
    TimeoutDisablingView,
)

if TYPE_CHECKING:
    from bot.app import PaperScoutBot
    from bot.runtime import Services

log = logging.getLogger(__name__)

MAX_TRACKED_VIEWS = 500


def viewer_of(interaction: discord.Interaction) -> Viewer:
    """Who asks: a typed name finds the stored authors they may see, as `/follow` does."""
    return Viewer(interaction.guild_id, interaction.user.id)


class Authors(commands.Cog, name="Authors"):
    """Author profiles with metrics and a chart, paper lists, comparisons, paper cards."""

    author = app_commands.Group(name="author", description="Author profiles, papers, comparisons")

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot
        self.charts = ChartCache()
        self.cards = ProfileCards()  # the card of a hot profile is built once, then reused
        self.view_timeout: float = VIEW_TIMEOUT
        # The live views by message id (bounded): lets tests and shutdown reach them.
        self.open_views: OrderedDict[int, TimeoutDisablingView] = OrderedDict()
        self._profile_buttons: OrderedDict[int, ProfileButtons] = OrderedDict()

    @property
    def services(self) -> Services:
        return self.bot.services

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ProfileAction)  # profile buttons of any age find their way

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ProfileAction)

    # --- autocomplete ----------------------------------------------------------------------

    async def author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's authors and the invoker's first, then OpenAlex (the follow service)."""
        try:
            found = await self.services.follows.suggest(
                interaction.guild_id, interaction.user.id, current
            )
        except Exception:  # autocomplete must always answer; the log keeps the cause
            log.exception("author autocomplete failed for %r", current[:100])
            return []
        return [app_commands.Choice(name=c.name, value=c.value) for c in found][:25]

    # --- commands --------------------------------------------------------------------------

    @author.command(
        name="profile", description="An author's profile: metrics, recent papers, chart"
    )
    @app_commands.describe(name="The author: start typing and pick, or an OpenAlex id or ORCID")
    @app_commands.autocomplete(name=author_autocomplete)
    async def profile(self, interaction: discord.Interaction, name: str) -> None:
        query = self.services.profile.check_query(name)  # bad input: answered privately
        hot = self.services.profile.cached(query, viewer=viewer_of(interaction))
        png = self.charts.peek(hot.chart_key) if hot is not None else None
        if hot is not None and png is not None:  # all in memory: answer at once, one request
            await interaction.response.send_message(
                embed=self.cards.card(hot),
                file=discord.File(io.BytesIO(png), filename=CHART_FILENAME),
                view=self.profile_buttons(hot.author_id),
            )
            return
        await interaction.response.defer(thinking=True)
        try:
            profile = await self.services.profile.profile(name, viewer=viewer_of(interaction))
        except UserFacingError as error:
            await self.fail(interaction, error.user_message)
            return
        await self.send_profile(interaction, profile)

    @author.command(name="papers", description="An author's tracked papers, five per page")
    @app_commands.describe(
        name="The author: start typing and pick", sort="newest or most cited first"
    )
    @app_commands.autocomplete(name=author_autocomplete)
    async def papers(
        self,
        interaction: discord.Interaction,
        name: str,
        sort: Literal["recent", "cited"] = "recent",
    ) -> None:
        self.services.profile.check_query(name)
        await interaction.response.defer(thinking=True)
        try:
            page = await self.services.profile.papers(
                name, sort=sort, viewer=viewer_of(interaction)
            )
        except UserFacingError as error:
            await self.fail(interaction, error.user_message)
            return
        await self.send_papers_page(interaction, page, ephemeral=False)

    @author.command(name="compare", description="Two authors' metrics side by side, one chart")
    @app_commands.describe(first="The first author", second="The second author")
    @app_commands.autocomplete(first=author_autocomplete, second=author_autocomplete)
    async def compare(self, interaction: discord.Interaction, first: str, second: str) -> None:
        self.services.profile.check_query(first)
        self.services.profile.check_query(second)
        await self.send_comparison(interaction, first, second, ephemeral=False)

    @app_commands.command(name="paper", description="A tracked paper's card and why it is tracked")
    @app_commands.describe(arxiv_id="The arXiv id, e.g. 2411.17700 or astro-ph/0601001")
    @app_commands.rename(arxiv_id="id")
    async def paper(self, interaction: discord.Interaction, arxiv_id: str) -> None:
        await interaction.response.defer(thinking=True)  # the id is checked, then looked up
        try:
            view = await self.services.papers.paper(
                arxiv_id, guild_id=interaction.guild_id, user_id=interaction.user.id
            )
        except UserFacingError as error:
            await self.fail(interaction, error.user_message)
            return
        card = view.card
        footer = paper_footer(card.arxiv_id, card.version, view.followed_here, view.linked_authors)
        await interaction.followup.send(embed=paper_embed(card, footer=footer))
        if view.you_follow:  # personal follows are private: named to the invoker alone
            await interaction.followup.send(
                "You follow: " + ", ".join(f"**{plain(n)}**" for n in view.you_follow),
                ephemeral=True,
            )

    # --- shared steps (also used by the views) -----------------------------------------------

    async def fail(self, interaction: discord.Interaction, message: str) -> None:
        """Replace a public "thinking..." with a private message (errors are the asker's only)."""
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the deferred reply of interaction %s", interaction.id)
        await interaction.followup.send(message, ephemeral=True)

    def track(
        self, view: TimeoutDisablingView, interaction: discord.Interaction, message_id: int
    ) -> None:
        view.interaction = interaction
        view.message_id = message_id
        self.open_views[message_id] = view
        while len(self.open_views) > MAX_TRACKED_VIEWS:
            self.open_views.popitem(last=False)

    def profile_buttons(self, author_id: int) -> ProfileButtons:
        """One persistent view per author, shared by all their cards: it holds nothing per
        message (no timeout, dynamic items only), so sending it again costs no rebuilding."""
        view = self._profile_buttons.get(author_id)
        if view is None:
            view = self._profile_buttons[author_id] = ProfileButtons(author_id)
            while len(self._profile_buttons) > MAX_TRACKED_VIEWS:
                self._profile_buttons.popitem(last=False)
        else:
            self._profile_buttons.move_to_end(author_id)
        return view

    async def send_profile(self, interaction: discord.Interaction, profile: Profile) -> None:
        png = await self.charts.get(
            profile.chart_key, partial(profile_chart_png, profile.name, profile.years)
        )
        await interaction.followup.send(
            embed=self.cards.card(profile),
            file=discord.File(io.BytesIO(png), filename=CHART_FILENAME),
            view=self.profile_buttons(profile.author_id),
        )

    async def send_papers_page(
        self, interaction: discord.Interaction, page: PaperPage, *, ephemeral: bool
    ) -> None:
        view = PapersView(self, page, interaction.user.id)
        message = await interaction.followup.send(
            embed=papers_page_embed(page), view=view, ephemeral=ephemeral, wait=True
        )
        self.track(view, interaction, message.id)

    async def send_comparison(
        self,
        interaction: discord.Interaction,
        first: str | int,
        second: str,
        *,
        ephemeral: bool,
    ) -> None:
        """Two authors side by side; `first` is what was typed, or a stored author id.

        An id is the author of a profile already shown (its Compare button): not resolved again.
        """
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        profiles = self.services.profile
        viewer = viewer_of(interaction)
        try:
            if isinstance(first, int):
                a, b = await profiles.compare_with(first, second, viewer=viewer)
            else:
                a, b = await profiles.compare(first, second, viewer=viewer)
        except UserFacingError as error:
            await self.fail(interaction, error.user_message)
            return
        png = await self.charts.get(
            f"compare:{a.chart_key}|{b.chart_key}",
            partial(compare_chart_png, [(a.name, a.years), (b.name, b.years)]),
        )
        await interaction.followup.send(
            embed=compare_embed(a, b),
            file=discord.File(io.BytesIO(png), filename=CHART_FILENAME),
            ephemeral=ephemeral,
        )

    async def follow_for(self, interaction: discord.Interaction, author_id: int) -> None:
        """The Follow button: the presser follows the author for themselves (scope me).

        A domain error reaches the button's error path, which answers the presser privately.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.services.follows.follow_stored_author(
            author_id, user_id=interaction.user.id, guild_id=interaction.guild_id
        )
        await interaction.followup.send(follow_message(result), ephemeral=True)


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(Authors(bot))
