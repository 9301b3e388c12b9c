"""The buttons under an alert: the paper's PDF, *Mute this author* and *Unfollow*.

Persistent like the profile buttons: each custom id carries the action and the followed author
(`alert:mute:42`) and the delivery marker (`alert:mute:42:ref 12.0`), so they work at any time,
after restarts, with nothing kept per message, and the marker a retry looks for is in the
message without being shown (`bot/render/outbox.py`). The cog's dynamic item (matching
`ALERT_TEMPLATE`) answers them (`cogs/_alert_views.py`).

*Mute* is offered in DMs only (a member's own follow): the author's papers then wait for the
member's weekly digest instead of a DM each. *Unfollow* stops the follow the alert came from:
the member's own in a DM, the channel's in a channel (Manage Server).
"""

from __future__ import annotations

import discord

from bot.plain_text import web_url
from bot.render.text import cut
from bot.render.views import ComponentsOnly
from bot.services.cards import AlertFor, PaperCard

ALERT_TEMPLATE = (
    r"alert:(?P<action>mute|unfollow):(?P<author_id>[0-9]{1,19})"
    r"(?::(?P<marker>ref [0-9]{1,19}\.[0-9]{1,4}))?"
)
ARXIV_PDF = "https://arxiv.org/pdf/"
MAX_AUTHORS = 2  # buttons for the first two followed authors of a paper (rows stay short)


def alert_id(action: str, author_id: int, marker: str | None) -> str:
    return f"alert:{action}:{author_id}" + (f":{marker}" if marker else "")


def read_link(card: PaperCard) -> tuple[str, str] | None:
    """(label, URL): the arXiv PDF, else the paper's page (a journal's, a DOI, PubMed); None
    when the page a source gave is not a web address Discord accepts for a link button (it
    would refuse the whole message)."""
    if card.arxiv_id:
        return "PDF", f"{ARXIV_PDF}{card.arxiv_id}"
    url = web_url(card.url)
    return ("Open", url) if url else None


def alert_buttons(card: PaperCard, about: AlertFor, marker: str | None) -> discord.ui.View:
    """PDF (a link), then per followed author Mute (DMs only) and Unfollow."""
    view = ComponentsOnly(timeout=None)
    link = read_link(card)
    if link is not None:
        view.add_item(discord.ui.Button(label=link[0], url=link[1]))
    authors = about.authors[:MAX_AUTHORS]
    for author_id, name in authors:
        whom = "" if len(authors) == 1 else f" {name}"
        if about.personal:
            view.add_item(
                discord.ui.Button(
                    label=cut("Mute this author" if not whom else f"Mute{whom}", 80),
                    style=discord.ButtonStyle.secondary,
                    custom_id=alert_id("mute", author_id, marker),
                )
            )
        view.add_item(
            discord.ui.Button(
                label=cut(f"Unfollow{whom}", 80),
                style=discord.ButtonStyle.secondary,
                custom_id=alert_id("unfollow", author_id, marker),
            )
        )
    return view
