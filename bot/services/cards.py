"""Paper cards and message parts: what a user is shown, as plain data (rendered in bot/render).

Nothing here loads the database: `bot/render` imports these types, and rendering must not
depend on storage (`tests/unit/test_layers.py`). `paper_card` reads a stored paper's
attributes; the model is named for type checkers only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.names import NameIndex

if TYPE_CHECKING:
    from db.models import Paper

ARXIV_ABS = "https://arxiv.org/abs/"


@dataclass(frozen=True)
class CardAuthor:
    name: str
    followed: bool
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperCard:
    """One paper as a card: title link, authors (followed ones marked), category, date, abstract."""

    arxiv_id: str
    version: int
    title: str
    url: str
    authors: tuple[CardAuthor, ...]
    primary_category: str
    published: datetime
    abstract: str
    why: tuple[str, ...] = ()  # the followed authors this paper is here for


def paper_card(paper: Paper, followed_names: Iterable[str] = ()) -> PaperCard:
    """The card of a stored paper; `followed_names` are the followed authors it is shown for.

    An author line is marked followed when it matches one of them through the name normaliser
    (so "A. Steiner" is bold for a followed "Andreas Steiner").
    """
    why = tuple(dict.fromkeys(followed_names))
    index: NameIndex[str] = NameIndex()
    for name in why:
        index.add(name, name)
    authors = tuple(
        CardAuthor(
            name=line.name,
            followed=bool(index.match(line.name)),
            affiliations=tuple(line.affiliations or ()),
        )
        for line in paper.authors
    )
    return PaperCard(
        arxiv_id=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        url=ARXIV_ABS + paper.arxiv_id,
        authors=authors,
        primary_category=paper.primary_category,
        published=paper.published,
        abstract=paper.abstract,
        why=why,
    )


@dataclass(frozen=True)
class MessagePart:
    """One Discord message of a delivery (an alert, a digest part, a notice): text and cards."""

    content: str = ""
    cards: tuple[PaperCard, ...] = field(default_factory=tuple)
