"""Filter fetched papers down to followed authors, by name key (the keys of this package).

arXiv `au:` queries and listing feeds are name-based, so every hit is checked locally: an
author string whose keys hit a followed author's keys is a match, STRONG (same full name) or
PROBABLE (same first name or compatible initial).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.names import MatchStrength, NameIndex, name_keys
from bot.sources.models import Paper

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class PaperMatch(Generic[K]):
    """`paper` names the followed author `owner` as its author at `author_index` (0-based)."""

    paper: Paper
    owner: K
    strength: MatchStrength
    author_index: int
    author_name: str


def build_index(variants: Iterable[tuple[K, str]]) -> NameIndex[K]:
    """A `NameIndex` from (followed-author id, name variant) pairs."""
    index: NameIndex[K] = NameIndex()
    for owner, name in variants:
        index.add(owner, name)
    return index


def match_papers(
    papers: Iterable[Paper],
    index: NameIndex[K],
    *,
    min_strength: MatchStrength = MatchStrength.PROBABLE,
) -> list[PaperMatch[K]]:
    """Every (paper, followed author) pair whose names match, at most one per pair.

    When an author appears twice in a paper's list (rare), the strongest position wins. The
    order follows `papers`, then author order. Papers without a match are dropped.
    """
    matches: list[PaperMatch[K]] = []
    for paper in papers:
        best: dict[K, PaperMatch[K]] = {}
        for position, author in enumerate(paper.authors):
            for owner, strength in index.match_keys(name_keys(author.name)).items():
                if strength < min_strength:
                    continue
                current = best.get(owner)
                if current is None or strength > current.strength:
                    best[owner] = PaperMatch(paper, owner, strength, position, author.name)
        matches.extend(best.values())
    return matches
