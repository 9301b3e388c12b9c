"""Paper cards as Discord embeds, within Discord's limits, external text escaped."""

from __future__ import annotations

import discord

from bot.render.text import cut, safe, safe_cut
from bot.services.cards import PaperCard

TITLE_LIMIT = 256
ABSTRACT_EXCERPT = 300
SHOWN_AUTHORS = 3


def short_category(category: str) -> str:
    """cs.CV -> CV, stat.ML -> ML, hep-th -> hep-th (docs/product.md#primary-field)."""
    return category.split(".", 1)[1] if "." in category else category


def field_text(card: PaperCard) -> str:
    """The short arXiv category, else the venue (a journal has no arXiv category)."""
    if card.primary_category:
        return short_category(card.primary_category)
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


def paper_embed(card: PaperCard, *, footer: str | None = None) -> discord.Embed:
    """One paper: title link, authors, category, date, abstract excerpt, and why it is here."""
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
    if card.why:
        embed.add_field(name="Why", value=cut(", ".join(safe(n) for n in card.why), 1024))
    embed.set_footer(text=footer or card.label)
    return embed
