"""Author commands: `/author profile`, `/author papers`, `/author compare`, and `/paper show`.

Each command checks what was typed (a bad name is answered at once, privately), defers before
anything that may reach an upstream, calls one service, renders, and sends. Errors reach the
user through the tree's handler, which replaces the public "thinking..." with a private message.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from functools import partial
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.plain_text import plain
from bot.render.chart import ChartCache, compare_chart_png, profile_chart_png
from bot.render.follows import follow_message
from bot.render.paginator import Page, Paginator
from bot.render.paper import paper_view_embed
from bot.render.profile import (
    CHART_FILENAME,
    ProfileCards,
    compare_embed,
    id_links,
    papers_page,
)
from bot.services.author_resolver import Viewer
from bot.services.profile_types import PaperPage, Profile
from cogs._author_views import CompareModal, profile_action_type, profile_buttons

if TYPE_CHECKING:
    from bot.app import PaperScoutBot
    from bot.runtime import Services

log = logging.getLogger(__name__)

# Discord wants a first answer within 3 seconds: a lookup done by then is answered as it is
# (in public when found), a slower one first with a private "thinking…".
QUICK_ANSWER_SECONDS = 1.5

MAX_PROFILE_BUTTONS = 500
PAGES_TIMEOUT = 600.0  # 10 minutes; the interaction token (for the edit) lives 15
PAGES_REFUSAL = (
    "Only the person who opened this list can turn its pages. Run `/author papers` to get your own."
)


def viewer_of(interaction: discord.Interaction) -> Viewer:
    """Who asks: a typed name finds the stored authors they may see, as `/follow` does."""
    return Viewer(interaction.guild_id, interaction.user.id)


class Authors(commands.Cog, name="Authors"):
    """Author profiles with metrics and a chart, paper lists, comparisons, paper cards."""

    author = app_commands.Group(name="author", description="Author profiles, papers, comparisons")
    paper = app_commands.Group(name="paper", description="Tracked arXiv papers")

    def __init__(self, bot: PaperScoutBot) -> None:
        self.bot = bot
        self.charts = ChartCache()
        self.cards = ProfileCards()  # the card of a hot profile is built once, then reused
        self.profile_action = profile_action_type(self.profile_button_pressed)
        self.quick_answer_seconds = QUICK_ANSWER_SECONDS
        # One persistent view per author, shared by all their cards: it holds nothing per
        # message (no timeout, dynamic items only), so sending it again costs no rebuilding.
        # Keyed by author and their pages elsewhere (an ORCID learnt later gets its button).
        self._profile_buttons: OrderedDict[
            tuple[int, tuple[tuple[str, str], ...]], discord.ui.View
        ] = OrderedDict()

    @property
    def services(self) -> Services:
        return self.bot.services

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(self.profile_action)  # profile buttons of any age

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(self.profile_action)

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
                view=self.profile_buttons(hot),
            )
            return
        lookup = asyncio.ensure_future(
            self.services.profile.profile(name, viewer=viewer_of(interaction))
        )
        await asyncio.wait({lookup}, timeout=self.quick_answer_seconds)
        if lookup.done():
            # Known now: an unknown author's error goes to the tree's handler unanswered, so
            # it is private from the start; a found one is posted for the channel.
            profile = lookup.result()
            await interaction.response.defer(thinking=True)
            await self.send_profile(interaction, profile)
            return
        # Still looking after the time Discord allows for a first answer: "thinking…" to the
        # asker alone, so an unknown author's error never shows in public first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        profile = await lookup
        await interaction.followup.send(
            f"Found **{plain(profile.name)}**: the profile is posted in the channel.",
            ephemeral=True,
        )
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
        page = await self.services.profile.papers(name, sort=sort, viewer=viewer_of(interaction))
        await self.send_papers(interaction, page, ephemeral=False)

    @author.command(name="compare", description="Two authors' metrics side by side, one chart")
    @app_commands.describe(first="The first author", second="The second author")
    @app_commands.autocomplete(first=author_autocomplete, second=author_autocomplete)
    async def compare(self, interaction: discord.Interaction, first: str, second: str) -> None:
        self.services.profile.check_query(first)
        self.services.profile.check_query(second)
        await interaction.response.defer(thinking=True)
        pair = await self.services.profile.compare(first, second, viewer=viewer_of(interaction))
        await self.send_comparison(interaction, *pair, ephemeral=False)

    @paper.command(name="show", description="A tracked paper's card and why it is tracked")
    @app_commands.describe(
        arxiv_id="An arXiv id (2411.17700), a DOI, a PubMed id, an OpenAlex work id or a link"
    )
    @app_commands.rename(arxiv_id="id")
    async def paper_show(self, interaction: discord.Interaction, arxiv_id: str) -> None:
        await interaction.response.defer(thinking=True)  # the id is checked, then looked up
        view = await self.services.papers.paper(
            arxiv_id, guild_id=interaction.guild_id, user_id=interaction.user.id
        )
        await interaction.followup.send(embed=paper_view_embed(view))
        if view.you_follow:  # personal follows are private: named to the invoker alone
            await interaction.followup.send(
                "You follow: " + ", ".join(f"**{plain(n)}**" for n in view.you_follow),
                ephemeral=True,
            )

    # --- the buttons under a profile -------------------------------------------------------

    async def profile_button_pressed(
        self, interaction: discord.Interaction, action: str, author_id: int
    ) -> None:
        """Follow follows for the presser; Papers and Compare answer the presser privately."""
        if action == "follow":
            await interaction.response.defer(ephemeral=True, thinking=True)
            result = await self.services.follows.follow_stored_author(
                author_id, user_id=interaction.user.id, guild_id=interaction.guild_id
            )
            await interaction.followup.send(follow_message(result), ephemeral=True)
        elif action == "papers":
            await interaction.response.defer(ephemeral=True, thinking=True)
            page = await self.services.profile.papers_page(author_id, sort="recent", page=0)
            await self.send_papers(interaction, page, ephemeral=True)
        else:
            await interaction.response.send_modal(
                CompareModal(partial(self.compare_with_shown, author_id))
            )

    async def compare_with_shown(
        self, first_author_id: int, interaction: discord.Interaction, second: str
    ) -> None:
        """The Compare form. The first author is the profile already shown in this channel:
        compared by stored id, not resolved again for the presser (who may not follow them)."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        pair = await self.services.profile.compare_with(
            first_author_id, second, viewer=viewer_of(interaction)
        )
        await self.send_comparison(interaction, *pair, ephemeral=True)

    # --- sending ---------------------------------------------------------------------------

    def profile_buttons(self, profile: Profile) -> discord.ui.View:
        links = tuple(id_links(profile))
        key = (profile.author_id, links)
        view = self._profile_buttons.get(key)
        if view is None:
            view = self._profile_buttons[key] = profile_buttons(
                self.profile_action, profile.author_id, links
            )
            while len(self._profile_buttons) > MAX_PROFILE_BUTTONS:
                self._profile_buttons.popitem(last=False)
        else:
            self._profile_buttons.move_to_end(key)
        return view

    async def send_profile(self, interaction: discord.Interaction, profile: Profile) -> None:
        png = await self.charts.get(
            profile.chart_key, partial(profile_chart_png, profile.name, profile.years)
        )
        await interaction.followup.send(
            embed=self.cards.card(profile),
            file=discord.File(io.BytesIO(png), filename=CHART_FILENAME),
            view=self.profile_buttons(profile),
        )

    async def send_papers(
        self, interaction: discord.Interaction, first: PaperPage, *, ephemeral: bool
    ) -> None:
        """The first page, with Previous / Next for the invoker (pages read when turned)."""

        async def read(number: int) -> Page:
            return papers_page(
                await self.services.profile.papers_page(
                    first.author_id, sort=first.sort, page=number
                )
            )

        pager = Paginator(
            papers_page(first),
            read,
            name="papers",
            invoker_id=interaction.user.id,
            refusal=PAGES_REFUSAL,
            timeout=PAGES_TIMEOUT,
            slow=True,
        )
        pager.message = await interaction.followup.send(
            embed=pager.page.embed, view=pager, ephemeral=ephemeral, wait=True
        )

    async def send_comparison(
        self, interaction: discord.Interaction, a: Profile, b: Profile, *, ephemeral: bool
    ) -> None:
        png = await self.charts.get(
            f"compare:{a.chart_key}|{b.chart_key}",
            partial(compare_chart_png, [(a.name, a.years), (b.name, b.years)]),
        )
        await interaction.followup.send(
            embed=compare_embed(a, b),
            file=discord.File(io.BytesIO(png), filename=CHART_FILENAME),
            ephemeral=ephemeral,
        )


async def setup(bot: PaperScoutBot) -> None:
    await bot.add_cog(Authors(bot))
