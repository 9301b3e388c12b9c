"""A digest preview for a terminal (`paperscout digest preview`): plain text or JSON.

The same `DigestPreview` that `/digest preview` renders as Discord messages, here as readable
lines: the header of each message, then its cards (title, arXiv link, authors with the followed
ones marked, category, date, why). The authors shown follow the embed's rule (followed ones
always, then up to three in all, then `et al.`). Outside text (titles, names) is put on one line
and stripped of control characters, so a title cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.plain_text import one_line
from bot.render.paper import SHOWN_AUTHORS
from bot.services.cards import CardAuthor, PaperCard
from bot.services.digest_views import DigestPreview, ScheduleView

FOLLOWED_LEGEND = "(*name* = a followed author)"


def clean(text: str) -> str:
    """Outside text on one line, without control or format characters."""
    return "".join(c for c in one_line(text) if not unicodedata.category(c).startswith("C"))


def destination_text(view: ScheduleView) -> str:
    """'channel 222 (server 333)' or 'the DMs of user 111'."""
    if view.target_kind == "channel":
        return f"channel {view.target_id} (server {view.guild_id})"
    return f"the DMs of user {view.target_id}"


def moment_text(moment: datetime, timezone: str) -> str:
    """'Mon 23 Nov 2026 09:00 Europe/Zurich (2026-11-23 08:00 UTC)'."""
    local = moment.astimezone(ZoneInfo(timezone))
    utc = moment.astimezone(ZoneInfo("UTC"))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {timezone} ({utc:%Y-%m-%d %H:%M} UTC)"


def shown_authors(card: PaperCard, shown: int = SHOWN_AUTHORS) -> tuple[list[CardAuthor], bool]:
    """The authors the card shows, in paper order, and whether some are left out (`et al.`)."""
    followed = [a for a in card.authors if a.followed]
    others = [a for a in card.authors if not a.followed]
    picked = set(map(id, (followed + others)[: max(shown, len(followed))]))
    kept = [a for a in card.authors if id(a) in picked]
    return kept, len(kept) < len(card.authors)


def authors_text(card: PaperCard) -> str:
    """'*Ada Lovelace*, Co Author et al.' (followed authors between asterisks)."""
    kept, more = shown_authors(card)
    names = [f"*{clean(a.name)}*" if a.followed else clean(a.name) for a in kept]
    return ", ".join(names) + (" et al." if more else "")


def card_lines(card: PaperCard, number: int) -> list[str]:
    """One card as an indented block of four lines."""
    indent = " " * (len(str(number)) + 2)
    facts = [card.field, f"{card.published:%Y-%m-%d}"]
    if card.why:
        facts.append("why: " + ", ".join(clean(n) for n in card.why))
    return [
        f"{number}. {clean(card.title)}",
        f"{indent}{card.url}",
        f"{indent}{authors_text(card) or 'authors unknown'}",
        f"{indent}{' · '.join(facts)}",
    ]


def intro_lines(preview: DigestPreview) -> list[str]:
    """What this is, for whom, and when it would be posted (or why it would not)."""
    view = preview.schedule
    where = destination_text(view)
    if view.paused:
        state = f"This digest is paused ({view.paused_reason}); /digest setup resumes it."
    else:
        state = f"It would be posted {moment_text(view.next_digest_at, view.timezone)}."
    if not preview.parts:
        return [
            f"Preview for {where}: no new papers since the last digest, "
            "and empty weeks post nothing there.",
            state,
        ]
    count = len(preview.parts)
    messages = "1 message" if count == 1 else f"{count} messages"
    return [f"Preview of the next digest for {where} ({messages}).", state]


def preview_text(preview: DigestPreview) -> str:
    """The whole preview: intro, then each message's text and cards, numbered in order."""
    lines = intro_lines(preview)
    if any(part.cards for part in preview.parts):
        lines.append(FOLLOWED_LEGEND)
    number = 0
    count = len(preview.parts)
    for index, part in enumerate(preview.parts, start=1):
        lines += ["", f"--- message {index} of {count} ---"]
        if part.content:
            lines.append(part.content)
        for card in part.cards:
            number += 1
            lines += ["", *card_lines(card, number)]
        for group in part.citations:
            works = f"{group.total} new work" + ("" if group.total == 1 else "s")
            lines += ["", f"New citations of {clean(group.cited.title)}: cited by {works}"]
            lines += [f"  - {clean(card.title)} ({card.url})" for card in group.citing]
            if group.total > len(group.citing):
                lines.append(f"  - and {group.total - len(group.citing)} more")
    return "\n".join(lines)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def card_json(card: PaperCard) -> dict[str, Any]:
    return {
        "arxiv_id": card.arxiv_id,
        "version": card.version,
        "title": card.title,
        "url": card.url,
        "authors": [
            {"name": a.name, "followed": a.followed, "affiliations": list(a.affiliations)}
            for a in card.authors
        ],
        "primary_category": card.primary_category,
        "published": card.published.isoformat(),
        "abstract": card.abstract,
        "why": list(card.why),
    }


def preview_json(preview: DigestPreview) -> dict[str, Any]:
    """The preview's raw parts: the schedule, then each message's content and cards."""
    view = preview.schedule
    return {
        "target_kind": view.target_kind,
        "target_id": view.target_id,
        "guild_id": view.guild_id,
        "weekday": view.weekday,
        "local_time": view.local_time,
        "timezone": view.timezone,
        "next_digest_at": _iso(view.next_digest_at),
        "last_cutoff_at": _iso(view.last_cutoff_at),
        "paused": view.paused,
        "paused_reason": view.paused_reason,
        "post_when_empty": view.post_when_empty,
        "paper_count": preview.paper_count,
        "range_text": preview.range_text,
        "parts": [
            {
                "content": part.content,
                "cards": [card_json(card) for card in part.cards],
                "citations": [
                    {
                        "cited": card_json(group.cited),
                        "citing": [card_json(card) for card in group.citing],
                        "total": group.total,
                    }
                    for group in part.citations
                ],
            }
            for part in preview.parts
        ],
    }
