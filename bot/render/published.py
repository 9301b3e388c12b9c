"""The "now published" lines of a digest: papers of earlier digests that gained a venue.

One line each, the title, the venue and the DOI link, rather than a second card: the paper
was already shown; what is new is where it appeared.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from bot.render.text import safe_cut
from bot.services.cards import PaperCard

HEADING = "**Now published**, listed in an earlier digest as a preprint:"
TITLE_CHARS = 150
VENUE_CHARS = 100


def published_line(card: PaperCard) -> str:
    """`- Title in Venue: <https://doi.org/...>` (outside text escaped; no DOI: no link)."""
    where = f" in {safe_cut(card.venue, VENUE_CHARS)}" if card.venue else ""
    link = f": <https://doi.org/{quote(card.doi, safe='/:;()._-')}>" if card.doi else ""
    return f"- {safe_cut(card.title, TITLE_CHARS)}{where}{link}"


def published_lines(cards: Sequence[PaperCard], limit: int) -> str:
    """The heading and a line per paper within `limit` characters, "and N more" when they
    do not all fit."""
    lines = [HEADING]
    used = len(HEADING)
    for index, card in enumerate(cards):
        line = published_line(card)
        after = len(cards) - index - 1  # room is kept for "and N more" while any follow
        reserve = len(f"\n- and {after} more") if after else 0
        if used + 1 + len(line) + reserve > limit:
            lines.append(f"- and {len(cards) - index} more")
            break
        lines.append(line)
        used += 1 + len(line)
    return "\n".join(lines)
