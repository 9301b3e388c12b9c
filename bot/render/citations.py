"""A digest's "New citations": one embed per message, the cited papers most cited first, each
with its first citing works.

    **PaliGemma: A versatile 3B VLM for transfer** · cited by 4 new works
    - **[Some citing work](https://doi.org/...)**
      Jane Doe, John Roe et al. · Nature Communications · 3 Dec 2026
    - … and 1 more

Outside text is escaped (`safe_cut`); the description is fitted to Discord's limit whatever
the titles (`fit_lines`).
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.render.digest_compact import DESCRIPTION_ROOM, SHOWN_AUTHORS, day_text, title_link
from bot.render.paper import authors_line, field_text
from bot.render.text import fit_lines, safe_cut
from bot.services.cards import CitedCards, PaperCard

TITLE = "New citations"
CITED_TITLE_CHARS = 150


def _works(count: int) -> str:
    return f"{count} new work" + ("" if count == 1 else "s")


def cited_heading(group: CitedCards) -> str:
    """`**Title** · cited by 4 new works`."""
    return f"**{safe_cut(group.cited.title, CITED_TITLE_CHARS)}** · cited by {_works(group.total)}"


def citing_lines(card: PaperCard) -> list[str]:
    """The citing work's title link, then its first authors, venue or category, and date."""
    details = [authors_line(card, SHOWN_AUTHORS), field_text(card), day_text(card.published)]
    return ["- " + title_link(card), "  " + " · ".join(d for d in details if d)]


def citations_embed(groups: Sequence[CitedCards]) -> discord.Embed:
    """One message's cited papers and their new citing works."""
    lines: list[str] = []
    for group in groups:
        if lines:
            lines.append("")
        lines.append(cited_heading(group))
        for card in group.citing:
            lines += citing_lines(card)
        if group.total > len(group.citing):
            lines.append(f"- … and {group.total - len(group.citing)} more")
    return discord.Embed(
        title=TITLE,
        description=fit_lines(lines, DESCRIPTION_ROOM),
        colour=discord.Colour.gold(),
    )
