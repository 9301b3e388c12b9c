"""Making outside text safe and short for Discord."""

from __future__ import annotations

import discord

from bot.plain_text import cut  # re-exported: render code cuts outside text too


def safe(text: str) -> str:
    """Escape markdown and neutralise mentions in text that came from outside (titles, names)."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def fit_lines(lines: list[str], limit: int) -> str:
    """Join lines with newlines within `limit` characters, ending with "… and N more" if cut."""
    kept: list[str] = []
    used = -1  # no newline before the first line
    for index, line in enumerate(lines):
        after = len(lines) - index - 1
        room_for_tail = len(f"\n… and {after} more") if after else 0
        if used + 1 + len(line) + room_for_tail <= limit:
            kept.append(line)
            used += 1 + len(line)
            continue
        kept.append(f"… and {len(lines) - index} more")
        break
    return "\n".join(kept)


def safe_cut(text: str, limit: int) -> str:
    """Escape outside text and fit it in `limit` characters (cut before escaping, at a word)."""
    room = limit
    while True:
        escaped = safe(cut(text, room))
        if len(escaped) <= limit or room <= 1:
            return escaped[:limit]
        room -= len(escaped) - limit


def cut_lines(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` within `limit` characters, keeping its line breaks (cut at a word when possible)."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ellipsis)]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > len(head) // 2:
        head = head[:space]
    return head.rstrip() + ellipsis
