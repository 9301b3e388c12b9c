"""Digests for Discord: the size of a card as Discord counts it, previews, confirmations."""

from __future__ import annotations

from typing import Any

import discord

from bot.render import outbox
from bot.render.digest_compact import compact_size, heading_size
from bot.render.paper import paper_embed
from bot.services.cards import MessagePart, PaperCard
from bot.services.digest_times import WEEKDAYS
from bot.services.digest_views import DigestPreview, ScheduleView, SendNowResult, SetupResult


def card_size(card: PaperCard, style: str = "full") -> int:
    """Characters the paper takes toward Discord's 6,000 per message: its embed (`full`), its
    line in a compact message (`compact`), or the heading of its author there (`heading`)."""
    if style == "compact":
        return compact_size(card)
    if style == "heading":
        return heading_size(card)
    return len(paper_embed(card))


def message_kwargs(part: MessagePart) -> dict[str, Any]:
    """`content` and `embeds` of one message as `DiscordSender` posts them, without the marker."""
    return outbox.message_kwargs(part)


def destination(view: ScheduleView) -> str:
    """'<#channel>' or 'your DMs'."""
    return f"<#{view.target_id}>" if view.target_kind == "channel" else "your DMs"


def when(view: ScheduleView) -> str:
    """'every Monday at 09:00 (Europe/Zurich), next <t:...:F>'."""
    next_at = discord.utils.format_dt(view.next_digest_at, "F")
    return f"every {WEEKDAYS[view.weekday]} at {view.local_time} ({view.timezone}), next {next_at}"


def setup_text(result: SetupResult) -> str:
    """The confirmation of `/digest setup` and `/digest me`."""
    view = result.schedule
    verb = "set up" if result.created else ("resumed" if result.resumed else "changed")
    lines = [f"Weekly digest for {destination(view)} {verb}: {when(view)}."]
    if result.requeued:
        lines.append(
            f"{result.requeued} digest(s) that could not be delivered before will be sent now."
        )
    if not view.post_when_empty:
        lines.append("Weeks without new papers post nothing.")
    if view.style == "full":
        lines.append("Style: full, a card per paper.")
    else:
        lines.append("Style: compact, a line per paper; pick one under a message to see its card.")
    return "\n".join(lines)


def off_text(view: ScheduleView) -> str:
    return (
        f"Weekly digest for {destination(view)} turned off. "
        "Set it up again to resume: nothing is skipped or repeated."
    )


def preview_intro(preview: DigestPreview) -> str:
    """The line above a preview: what it is, and when it would be posted."""
    view = preview.schedule
    if view.paused:
        state = f"This digest is **paused** ({view.paused_reason}); `/digest setup` resumes it."
    else:
        state = f"It would be posted {discord.utils.format_dt(view.next_digest_at, 'F')}."
    if not preview.parts:
        return (
            f"Preview for {destination(view)}: no new papers since the last digest, and empty "
            f"weeks post nothing here. {state}"
        )
    count = len(preview.parts)
    messages = "1 message" if count == 1 else f"{count} messages"
    return f"Preview of the next digest for {destination(view)} ({messages}). {state}"


def send_now_text(result: SendNowResult, channel_id: int) -> str:
    if not result.queued:
        return (
            f"Nothing new for <#{channel_id}> since the last digest ({result.range_text}): "
            "nothing was posted."
        )
    papers = "1 paper" if result.paper_count == 1 else f"{result.paper_count} papers"
    return f"Digest with {papers} queued for <#{channel_id}>: it appears within a few seconds."
