"""The fallback for a preprint and its publication that no source links: the same title.

Sources usually state the link (a shared DOI, OpenAlex's locations, PubMed's `UpdateOf`,
arXiv's `<arxiv:doi>`). When none does, two records are taken for one work only when all hold
(conservative on purpose, docs/works.md):

- the same title once folded (accents, case, punctuation and spacing ignored), and a title
  long enough to mean something (`MIN_KEY_CHARS` characters and `MIN_WORDS` words: not
  "Introduction" or "Reply to comment");
- publication years at most `MAX_YEARS_APART` apart;
- exactly one of them is published (has a venue): a preprint and its publication, never two
  preprints (an arXiv re-submission is a new paper) nor two publications;
- a followed author on both (the records of one batch: the authors they are stored for; a
  stored work: the authors linked to it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuthorPaper, Paper
from db.repositories._dialect import chunked

MIN_KEY_CHARS = 20
MIN_WORDS = 3
MAX_YEARS_APART = 2
_NON_WORD = re.compile(r"[\W_]+")


def title_key(title: str | None) -> str | None:
    """`after the games are over life history ...` for any spelling of that title; None for a
    title too short to compare."""
    if not title:
        return None
    text = title.casefold()
    if not text.isascii():  # most titles are ASCII: only the others are decomposed
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    key = " ".join(_NON_WORD.sub(" ", text).split())
    return key if len(key) >= MIN_KEY_CHARS and key.count(" ") + 1 >= MIN_WORDS else None


@dataclass(frozen=True, slots=True)
class TitledWork:
    """What the fallback compares: the title key, the year, whether published, the authors."""

    key: str | None
    year: int
    published: bool
    authors: frozenset[int]

    @classmethod
    def of(
        cls, title: str | None, when: datetime, venue: str | None, authors: Iterable[int]
    ) -> TitledWork:
        return cls(title_key(title), when.year, bool(venue), frozenset(authors))


def same_work(a: TitledWork, b: TitledWork) -> bool:
    """Whether the fallback takes `a` and `b` for a preprint and its publication."""
    return (
        a.key is not None
        and a.key == b.key
        and abs(a.year - b.year) <= MAX_YEARS_APART
        and a.published != b.published
        and bool(a.authors & b.authors)
    )


async def stored_works_of(
    session: AsyncSession, author_ids: Collection[int]
) -> dict[int, TitledWork]:
    """The works linked to these authors, by paper id (each with every one of these authors
    linked to it). One query per 5,000 authors."""
    found: dict[int, tuple[str, datetime, str | None, set[int]]] = {}
    for chunk in chunked(sorted(author_ids)):
        rows = await session.execute(
            select(Paper.id, Paper.title, Paper.published, Paper.venue, AuthorPaper.author_id)
            .join(AuthorPaper, AuthorPaper.paper_id == Paper.id)
            .where(AuthorPaper.author_id.in_(chunk))
        )
        for paper_id, title, published, venue, author_id in rows:
            found.setdefault(paper_id, (title, published, venue, set()))[3].add(author_id)
    return {
        paper_id: TitledWork.of(title, published, venue, authors)
        for paper_id, (title, published, venue, authors) in found.items()
    }
