"""The words of a paper as topic queries see them: case- and accent-folded, split at word
boundaries (no stemming: "transformer" does not match "transformers"; docs/product.md says so)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

_WORD_RE = re.compile(r"[^\W_]+")
# Every ASCII character that is not a letter or digit, as a space.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def fold(text: str) -> str:
    """Lower case without accents: `Réseaux` -> `reseaux`."""
    if text.isascii():  # most titles and abstracts: nothing to take apart
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> tuple[str, ...]:
    """The folded words of `text`, in order (letters and digits; anything else separates)."""
    folded = fold(text)
    if folded.isascii():  # the same words, found twice as fast (benchmarks/bench_topics.py)
        return tuple(folded.translate(_ASCII_SEPARATORS).split())
    return tuple(_WORD_RE.findall(folded))


@dataclass(frozen=True)
class PaperText:
    """One paper's words (title and abstract) and arXiv categories, ready for matching: its
    words and adjacent word pairs as sets, so a word or a two-word phrase is one lookup."""

    tokens: tuple[str, ...]
    categories: frozenset[str]
    vocabulary: frozenset[str] = field(init=False)
    pairs: frozenset[tuple[str, str]] = field(init=False)
    archives: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocabulary", frozenset(self.tokens))
        object.__setattr__(self, "pairs", frozenset(pairwise(self.tokens)))
        object.__setattr__(self, "archives", frozenset(c.split(".", 1)[0] for c in self.categories))

    @classmethod
    def of(cls, title: str, abstract: str, categories: Iterable[str]) -> PaperText:
        return cls(words(f"{title}\n{abstract}"), frozenset(categories))

    def has_phrase(self, phrase: tuple[str, ...]) -> bool:
        """Whether the words of `phrase` stand next to each other, in order."""
        if len(phrase) == 1:
            return phrase[0] in self.vocabulary
        if len(phrase) == 2:
            return phrase in self.pairs
        if not all(pair in self.pairs for pair in pairwise(phrase)):
            return False
        return f" {' '.join(phrase)} " in self._spaced

    @cached_property
    def _spaced(self) -> str:
        """The words joined by single spaces, with one at each end: a phrase of three or more
        words is a substring search (words hold no spaces, so it stops at word boundaries)."""
        return f" {' '.join(self.tokens)} "
