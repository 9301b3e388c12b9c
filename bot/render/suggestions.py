"""A digest's suggestions: up to 3 papers no follow matched, each with why (the followed paper
it reads most like) and 👍 / 👎 buttons.

The buttons are persistent (their custom id, `suggest:down:<schedule id>:<arXiv id>`, carries
everything; `cogs/_digest_views.py: SuggestionVoteButton` answers them at any time, also after
a restart). The delivery marker goes in the embed's footer, as for a card.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.arxiv_categories import category_label
from bot.render.text import fit_lines, safe, safe_cut
from bot.render.views import ComponentsOnly

if TYPE_CHECKING:
    from bot.services.suggestions import Suggestion

TITLE = "Suggested this week"
VOTE_TEMPLATE = (
    r"suggest:(?P<vote>up|down):(?P<schedule>[0-9]{1,19}):(?P<arxiv>[A-Za-z0-9./-]{1,40})"
)
VOTES = {"up": "👍", "down": "👎"}
DESCRIPTION_ROOM = 4000
ABS = "https://arxiv.org/abs/"


def vote_id(vote: str, schedule_id: int, arxiv_id: str) -> str:
    return f"suggest:{vote}:{schedule_id}:{arxiv_id}"


def suggestion_lines(number: int, suggestion: Suggestion) -> list[str]:
    title = suggestion.title.replace("[", "(").replace("]", ")")
    link = f"**{number}. [{safe_cut(title, 150)}]({ABS}{suggestion.arxiv_id})**"
    authors = ", ".join(suggestion.authors[:2]) + (" et al." if len(suggestion.authors) > 2 else "")
    details = [safe_cut(authors, 120)] if authors else []
    if suggestion.category:
        details.append(safe(category_label(suggestion.category)))
    why = (
        f"close to “{safe_cut(suggestion.close_to_title, 100)}” by "
        f"{safe_cut(suggestion.close_to_author, 60)} (similarity {suggestion.similarity:.2f})"
    )
    return [link, " · ".join(details), why]


def suggestions_embed(suggestions: Sequence[Suggestion]) -> discord.Embed:
    lines = ["Not followed here, but close to the papers of the authors followed:"]
    for number, suggestion in enumerate(suggestions, start=1):
        lines += suggestion_lines(number, suggestion)
    return discord.Embed(
        title=TITLE,
        description=fit_lines(lines, DESCRIPTION_ROOM),
        colour=discord.Colour.teal(),
    )


def vote_buttons(suggestions: Sequence[Suggestion], schedule_id: int | None) -> ComponentsOnly:
    """A row per suggestion: 👍 n and 👎 n (none when the schedule is unknown)."""
    view = ComponentsOnly(timeout=None)
    if schedule_id is None:
        return view
    for number, suggestion in enumerate(suggestions, start=1):
        for vote, emoji in VOTES.items():
            view.add_item(
                discord.ui.Button(
                    label=str(number),
                    emoji=emoji,
                    style=discord.ButtonStyle.secondary,
                    custom_id=vote_id(vote, schedule_id, suggestion.arxiv_id),
                    row=number - 1,
                )
            )
    return view


def vote_message(vote: str, arxiv_id: str) -> str:
    """What the member who voted reads, privately."""
    if vote == "down":
        return f"Noted 👎: arXiv:{safe(arxiv_id)} will not be suggested here again."
    return "Noted 👍: papers like this one now count toward the suggestions here."
