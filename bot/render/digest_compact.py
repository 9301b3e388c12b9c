"""The compact digest: a line or two per paper, grouped by followed author, cards one click away.

A week of full cards was several phone screens in the channel everyone reads. A compact message
is the header (counts, dates) and one or two embeds whose description lists the papers under
the followed author each is there for:

    __**Heather Piwowar**__
    **[Open access trends in the scholarly record](https://arxiv.org/abs/2409.01234)**
    Jason Priem, **Heather Piwowar** et al. · cs.DL · Digital Libraries · 2 Sep 2024

Under it, a select menu lists the message's papers; picking one shows that paper's full card
(abstract excerpt, authors, why) to the picker alone (`cogs/digests.py` answers it). A menu
rather than a thread: it works in DMs as in channels, needs no thread permission, and adds
nothing to the channel. Its custom id carries the delivery marker (`digest:card:ref 12.0`), so
the marker a retry looks for is in the message without being shown (`bot/render/outbox.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.render.paper import authors_line, field_text
from bot.render.text import cut, safe, safe_cut
from bot.render.views import ComponentsOnly
from bot.services.cards import PaperCard

TITLE_CHARS = 100
SHOWN_AUTHORS = 2
DESCRIPTION_ROOM = 4000  # of Discord's 4,096 per embed description
PICKER_PREFIX = "digest:card"
# Discord's custom ids hold 100 characters; the marker is `ref <outbox id>.<part>`.
PICKER_TEMPLATE = r"digest:card(?::(?P<marker>ref [0-9]{1,19}\.[0-9]{1,4}))?"
PICKER_OPTIONS = 25  # Discord's limit for one select menu: the most papers of a compact message
OTHERS = "Other papers"  # a paper shown for no followed author (cannot happen in a digest)


def day_text(moment: datetime) -> str:
    """`2 Sep 2024`: short, and the same in every locale's channel."""
    return f"{moment.day} {moment:%b %Y}"


def title_link(card: PaperCard) -> str:
    """The title as a masked link (brackets in it would end the link text early)."""
    title = card.title.replace("[", "(").replace("]", ")")
    url = card.url.replace("(", "%28").replace(")", "%29")
    return f"**[{safe_cut(title, TITLE_CHARS)}]({url})**"


def paper_line(card: PaperCard) -> str:
    """The title link, then first authors (followed in bold), category with its name, date."""
    details = [authors_line(card, SHOWN_AUTHORS), field_text(card), day_text(card.published)]
    if card.matched:  # a followed topic's paper: the words that brought it
        details.append("matched: " + safe_cut(", ".join(card.matched), 120))
    return title_link(card) + "\n" + " · ".join(d for d in details if d)


def group_of(card: PaperCard) -> str:
    """The followed author a paper is listed under: the first it is there for."""
    return card.group or (card.why[0] if card.why else OTHERS)


def heading(name: str, *, continued: bool = False) -> str:
    return f"__**{safe(name)}**__" + (" (continued)" if continued else "")


def compact_size(card: PaperCard) -> int:
    """Characters the paper's line takes in a compact message (with its line break)."""
    return len(paper_line(card)) + 1


def heading_size(card: PaperCard) -> int:
    """Characters of the heading of the paper's group, at most (a continued one)."""
    return len(heading(group_of(card), continued=True)) + 1


def compact_embeds(cards: Sequence[PaperCard]) -> list[discord.Embed]:
    """The papers' lines under their followed authors, in descriptions of at most
    `DESCRIPTION_ROOM` characters (a group cut across two embeds is headed again)."""
    descriptions: list[list[str]] = [[]]
    used = 0
    group: str | None = None
    for card in cards:
        line = paper_line(card)
        name = group_of(card)
        top = heading(name) if name != group else None
        size = len(line) + 1 + (len(top) + 1 if top else 0)
        if descriptions[-1] and used + size > DESCRIPTION_ROOM:
            descriptions.append([])
            used = 0
            top = top or heading(name, continued=True)
            size = len(line) + 1 + len(top) + 1
        if top:
            descriptions[-1].append(top)
        descriptions[-1].append(line)
        used += size
        group = name
    return [
        discord.Embed(description="\n".join(lines), colour=discord.Colour.dark_teal())
        for lines in descriptions
        if lines
    ]


def _option(card: PaperCard) -> discord.SelectOption:
    first = card.authors[0].name if card.authors else ""
    more = " et al." if len(card.authors) > 1 else ""
    return discord.SelectOption(
        label=cut(card.title, 100),
        description=cut(f"{first}{more} · {day_text(card.published)}", 100),
        value=str(card.paper_id),
    )


def picker_id(marker: str | None) -> str:
    return f"{PICKER_PREFIX}:{marker}" if marker else PICKER_PREFIX


def card_picker(cards: Sequence[PaperCard], marker: str | None) -> discord.ui.View:
    """The select menu under a compact message (its papers, `PICKER_OPTIONS` at most); the
    cog's dynamic item (matching `PICKER_TEMPLATE`) answers every pick, whenever it comes."""
    shown = [c for c in cards if c.paper_id is not None][:PICKER_OPTIONS]
    view = ComponentsOnly(timeout=None)
    if shown:
        view.add_item(
            discord.ui.Select(
                custom_id=picker_id(marker),
                placeholder="Show a paper's card…",
                options=[_option(card) for card in shown],
            )
        )
    return view
