"""The syntax tree of a topic query (`bot.topics.query` builds it): each node matches a paper
(collecting the terms that matched), names the index keys a matching paper must have, and writes
itself back in the canonical form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.topics.text import PaperText

OPERATORS = ("AND", "OR", "NOT")


class Node(Protocol):
    def matches(self, paper: PaperText, hits: list[str]) -> bool:
        """Whether the paper matches; the positive terms that matched are added to `hits`."""
        ...

    def trigger(self, negated: bool = False) -> frozenset[str] | None:
        """Index keys at least one of which a paper matching the node (`negated`: matching
        NOT the node) has; None when there is no such set."""
        ...

    def text(self) -> str:
        """The node written back in the canonical form (the query's identity)."""
        ...


@dataclass(frozen=True)
class Phrase:
    """A word or a phrase: its folded words, and how the member wrote it."""

    words: tuple[str, ...]
    written: str

    def matches(self, paper: PaperText, hits: list[str]) -> bool:
        if paper.has_phrase(self.words):
            hits.append(" ".join(self.words))
            return True
        return False

    def trigger(self, negated: bool = False) -> frozenset[str] | None:
        # A phrase by its first two words (a pair is rarer than either word); a word by itself.
        if negated:
            return None
        if len(self.words) > 1:
            return frozenset({"p:" + " ".join(self.words[:2])})
        return frozenset({"w:" + self.words[0]})

    def text(self) -> str:
        joined = " ".join(self.words)
        return f'"{joined}"' if len(self.words) > 1 or joined.upper() in OPERATORS else joined


@dataclass(frozen=True)
class Category:
    """`cat:cs.CV` (a category) or `cat:cs` (an archive)."""

    code: str
    archive: bool

    def matches(self, paper: PaperText, hits: list[str]) -> bool:
        found = self.code in (paper.archives if self.archive else paper.categories)
        if found:
            hits.append(f"cat:{self.code}")
        return found

    def trigger(self, negated: bool = False) -> frozenset[str] | None:
        return None if negated else frozenset({("a:" if self.archive else "c:") + self.code})

    def text(self) -> str:
        return f"cat:{self.code}"


@dataclass(frozen=True)
class Not:
    child: Node

    def matches(self, paper: PaperText, hits: list[str]) -> bool:
        return not self.child.matches(paper, [])

    def trigger(self, negated: bool = False) -> frozenset[str] | None:
        return self.child.trigger(not negated)  # NOT NOT x needs what x needs

    def text(self) -> str:
        return f"NOT {_wrapped(self.child)}"


@dataclass(frozen=True)
class All:
    """AND: every child matches."""

    children: tuple[Node, ...]

    def matches(self, paper: PaperText, hits: list[str]) -> bool:
        found: list[str] = []
        for child in self.children:
            if not child.matches(paper, found):
                return False
        hits.extend(found)
        return True

    def trigger(self, negated: bool = False) -> frozenset[str] | None:
        # NOT (a AND b) is NOT a OR NOT b (De Morgan).
        return _union(self.children, negated) if negated else _smallest(self.children, negated)

    def text(self) -> str:
        return " AND ".join(_wrapped(c) for c in self.children)


@dataclass(frozen=True)
class Any_:
    """OR: at least one child matches (every matching child's terms are kept as hits)."""

    children: tuple[Node, ...]

    def matches(self, paper: PaperText, hits: list[str]) -> bool:
        matched = False
        for child in self.children:
            matched = child.matches(paper, hits) or matched
        return matched

    def trigger(self, negated: bool = False) -> frozenset[str] | None:
        # NOT (a OR b) is NOT a AND NOT b (De Morgan).
        return _smallest(self.children, negated) if negated else _union(self.children, negated)

    def text(self) -> str:
        return " OR ".join(_wrapped(c) for c in self.children)


def _smallest(children: tuple[Node, ...], negated: bool) -> frozenset[str] | None:
    """All of the children must match: any one child's set will do; the smallest wakes least."""
    found = [t for child in children if (t := child.trigger(negated)) is not None]
    return min(found, key=len) if found else None


def _union(children: tuple[Node, ...], negated: bool) -> frozenset[str] | None:
    """One of the children must match: a paper has a key of one of theirs (None: one needs
    nothing)."""
    union: set[str] = set()
    for child in children:
        found = child.trigger(negated)
        if found is None:
            return None
        union |= found
    return frozenset(union)


def _wrapped(node: Node) -> str:
    return f"({node.text()})" if isinstance(node, All | Any_) else node.text()
