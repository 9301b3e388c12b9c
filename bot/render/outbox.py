"""Outbox parts as Discord messages, each carrying the marker a retry looks for.

Every message a delivery posts carries `marker_for(outbox id, part)`, e.g. `ref 12.0`, so that a
retry after a crash between posting and marking can recognise it in the channel's recent history
(read-before-retry, docs/operations.md#the-outbox, which says why not the nonce). Where it goes:

* a part with components (a compact digest's "show a card" menu, an alert's buttons): at the
  end of the components' custom ids, `digest:card:ref 12.0`, `alert:mute:42:ref 12.0`, which
  nobody sees;
* a part with paper cards: at the end of the **last** embed's footer,
  `arXiv:2412.03555v1 · ref 12.0`; the content and the other embeds are unchanged;
* a text-only part (outage notices, the empty-week line): one more line of Discord subtext,
  `-# ref 12.0`, which Discord shows small and grey under the text.

`carries_marker` recognises exactly these places, for exactly that marker (`ref 12.0` is not
found in `ref 112.0` or `ref 12.01`).
"""

from __future__ import annotations

from typing import Any

import discord

from bot.render.alerts import alert_buttons
from bot.render.citations import citations_embed
from bot.render.digest_compact import card_picker, compact_embeds
from bot.render.paper import paper_embed
from bot.render.published import published_lines
from bot.render.suggestions import suggestions_embed, vote_buttons
from bot.render.text import safe_cut
from bot.services.cards import MessagePart

CONTENT_LIMIT = 2000
FOOTER_SEPARATOR = " · "
SUBTEXT = "-# "


def message_kwargs(part: MessagePart, marker: str | None = None) -> dict[str, Any]:
    """`content`, `embeds` (and `view`: a compact digest's menu, an alert's buttons) of one
    message as posted; with `marker`, marked as above."""
    view = None
    if part.style == "compact" and part.cards:
        embeds = compact_embeds(part.cards)
        view = card_picker(part.cards, marker)
        marker = None if view.children else marker  # in the menu's custom id
    elif part.alert is not None and part.cards:
        embeds = [paper_embed(card, why=False) for card in part.cards]
        view = alert_buttons(part.cards[0], part.alert, marker)
        marker = None if part.alert.authors else marker  # in the buttons' custom ids
    else:
        embeds = [paper_embed(card) for card in part.cards]
    if part.citations:
        embeds.append(citations_embed(part.citations))
    if part.suggestions:  # the marker stays in the footer: the buttons' ids name the votes
        embeds.append(suggestions_embed(part.suggestions))
        view = vote_buttons(part.suggestions, part.schedule_id)
    line = SUBTEXT + marker if marker is not None and not embeds else ""
    if embeds and marker is not None:
        last = embeds[-1]
        footer = last.footer.text
        last.set_footer(text=f"{footer}{FOOTER_SEPARATOR}{marker}" if footer else marker)
    room = CONTENT_LIMIT - (len(line) + 1 if line else 0)
    text = safe_cut(part.content, room)
    if part.published:
        room -= len(text) + 1 if text else 0
        text = "\n".join(t for t in (text, published_lines(part.published, room)) if t)
    kwargs: dict[str, Any] = {"content": "\n".join(t for t in (text, line) if t) or None}
    kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    return kwargs


def carries_marker(message: discord.Message, marker: str) -> bool:
    """Whether `message` is the one marked with `marker` (see the module docstring)."""
    for row in message.components:
        for component in getattr(row, "children", (row,)):
            if (getattr(component, "custom_id", None) or "").endswith(":" + marker):
                return True
    for embed in message.embeds:
        footer = embed.footer.text or ""
        if footer == marker or footer.endswith(FOOTER_SEPARATOR + marker):
            return True
    lines = (message.content or "").rstrip().splitlines()
    return bool(lines) and lines[-1].strip() == SUBTEXT + marker
