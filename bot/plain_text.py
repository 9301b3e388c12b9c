"""Outside text made plain and short for messages built outside the render layer.

Services must not import discord, yet some of their messages (a `UserFacingError`'s
`user_message`) reach the user as they are. `plain` makes outside text in them inert: one line,
markdown characters escaped, mentions broken. `one_line` is its shortening half, for text that
Discord shows without markdown (autocomplete choices, select labels). What render builds goes
through `bot.render.text.safe` instead.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
# Characters Discord may render as markdown (and the backslash that escapes them).
_MARKDOWN_RE = re.compile(r"([\\*_`~|>\[\]#])")


def one_line(text: str, limit: int | None = None) -> str:
    """`text` on one line (whitespace runs collapsed), hard-cut to `limit` characters with `…`."""
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def plain(text: str) -> str:
    """Outside text made inert for a message: one line, markdown escaped, mentions broken."""
    return _MARKDOWN_RE.sub(r"\\\1", one_line(text)).replace("@", "@\u200b")


def cut(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` on one line, within `limit` characters, cut at a word boundary when there is one."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    head = text[:room]
    space = head.rfind(" ")
    if space > room // 2:
        head = head[:space]
    return head.rstrip(" ,.;:") + ellipsis


MAX_URL = 512  # the longest page address kept (Discord's limit for a link button's URL)


def web_url(value: object) -> str | None:
    """A web page address a message may link to (http or https, no spaces, 512 characters at
    most), else None: Discord refuses a whole message over one bad link."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url.startswith(("https://", "http://")) or len(url) > MAX_URL or " " in url:
        return None
    return url
