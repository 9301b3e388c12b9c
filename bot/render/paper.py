"""Paper cards as Discord embeds, within Discord's limits, external text escaped."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.arxiv_categories import category_label
from bot.render.text import cut, safe, safe_cut
from bot.services.cards import PaperCard
from bot.services.profile_types import PaperView

TITLE_LIMIT = 256
ABSTRACT_EXCERPT = 300
SHOWN_AUTHORS = 3


def field_text(card: PaperCard) -> str:
    """The arXiv category with its name (`cs.DL · Digital Libraries`), else the venue (a
    journal has no arXiv category)."""
    if card.primary_category:
        return category_label(card.primary_category)
    return safe_cut(card.venue, 100) if card.venue else "n/a"


def authors_line(card: PaperCard, shown: int = SHOWN_AUTHORS) -> str:
    """Up to `shown` authors, followed ones in bold and always included, then `et al.`."""
    followed = [a for a in card.authors if a.followed]
    others = [a for a in card.authors if not a.followed]
    picked = set(map(id, (followed + others)[: max(shown, len(followed))]))
    names = [
        f"**{safe(a.name)}**" if a.followed else safe(a.name)
        for a in card.authors
        if id(a) in picked
    ]
    line = ", ".join(names)
    return line + (" et al." if len(card.authors) > len(names) else "")


def paper_embed(card: PaperCard, *, footer: str | None = None, why: bool = True) -> discord.Embed:
    """One paper: title link, authors, category, date, abstract excerpt, and why it is here
    (not in an alert, whose text already names the author)."""
    embed = discord.Embed(
        title=safe_cut(card.title, TITLE_LIMIT),
        url=card.url,
        description=safe_cut(card.abstract, ABSTRACT_EXCERPT),
        colour=discord.Colour.dark_teal(),
    )
    embed.add_field(name="Authors", value=cut(authors_line(card), 1024), inline=False)
    if card.primary_category:
        embed.add_field(name="Category", value=field_text(card))
    else:
        embed.add_field(name="Venue", value=field_text(card))
    embed.add_field(name="Published", value=discord.utils.format_dt(card.published, "D"))
    if why and card.why:
        embed.add_field(name="Why", value=cut(", ".join(safe(n) for n in card.why), 1024))
    embed.set_footer(text=footer or card.label)
    return embed


def paper_footer(card: PaperCard, followed_here: Sequence[str], linked: int) -> str:
    """Why the paper is tracked, in the footer of `/paper show`."""
    text = card.label
    if followed_here:
        return text
    if linked:
        return text + " · tracked for an author not followed here"
    return text + " · not linked to a followed author"


def paper_view_embed(view: PaperView) -> discord.Embed:
    """A looked-up paper's card (`/paper show`, a digest's card menu), footer saying why."""
    card = view.card
    return paper_embed(card, footer=paper_footer(card, view.followed_here, view.linked_authors))
