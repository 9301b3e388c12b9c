"""Novelty % and AI Score, exactly as docs/product.md#metrics defines them (and /help metrics says).

Pure functions on plain values, so they are unit-tested on hand-computed examples.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.stop_words import ENGLISH_STOP_WORDS

TOKEN = re.compile(r"\b\w\w+\b")
NEW_TOPIC_BELOW = 0.15
NOVELTY_MIN_PAPERS = 3

H_INDEX_CAP = 150
CITATIONS_LAST_YEAR_CAP = 50_000
RECENT_PAPERS_CAP = 60


@dataclass(frozen=True)
class Score:
    """An integer score, or `None` with the reason it is not available."""

    value: int | None
    reason: str | None = None

    def __str__(self) -> str:
        return str(self.value) if self.value is not None else f"n/a ({self.reason})"


def round_half_up(x: float) -> int:
    """Round .5 up (Python's round() goes to even, which surprises a reader checking by hand)."""
    return math.floor(x + 0.5)


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens of two or more word characters, English stop words removed."""
    return [t for t in TOKEN.findall(text.lower()) if t not in ENGLISH_STOP_WORDS]


def tfidf_vectors(documents: Sequence[str]) -> list[dict[str, float]]:
    """TF-IDF fitted on `documents`: tf = 1 + ln(count), idf = ln((1+n)/(1+df)) + 1, l2 norm."""
    counts = [Counter(tokenize(doc)) for doc in documents]
    n = len(documents)
    document_frequency: Counter[str] = Counter()
    for count in counts:
        document_frequency.update(count.keys())
    idf = {term: math.log((1 + n) / (1 + df)) + 1 for term, df in document_frequency.items()}
    vectors = []
    for count in counts:
        weights = {term: (1 + math.log(c)) * idf[term] for term, c in count.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        vectors.append({t: w / norm for t, w in weights.items()} if norm else {})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two l2-normalised sparse vectors (an empty vector is 0 to all)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def novelty(texts_in_publication_order: Sequence[str]) -> Score:
    """Novelty %: the share of papers after the first whose text is unlike every earlier one.

    Each text is "title abstract". A paper opens a new topic when its highest cosine similarity
    to any earlier paper of the author is below 0.15. Fewer than 3 papers: n/a.
    """
    n = len(texts_in_publication_order)
    if n < NOVELTY_MIN_PAPERS:
        return Score(None, f"needs {NOVELTY_MIN_PAPERS} papers, has {n}")
    vectors = tfidf_vectors(texts_in_publication_order)
    new_topics = sum(
        1
        for i in range(1, n)
        if max(cosine(vectors[i], vectors[j]) for j in range(i)) < NEW_TOPIC_BELOW
    )
    return Score(round_half_up(100 * new_topics / (n - 1)))


def impact_part(x: float, cap: float) -> float:
    """100 × ln(1+x) / ln(1+cap), clipped to [0, 100]."""
    return min(100.0, max(0.0, 100 * math.log1p(max(x, 0)) / math.log1p(cap)))


def ai_score(
    h_index: int | None, citations_last_year: int | None, papers_last_24_months: int | None
) -> Score:
    """AI Score (Academic Impact, 0-100): the mean of the known parts; none known: n/a."""
    parts = [
        impact_part(value, cap)
        for value, cap in (
            (h_index, H_INDEX_CAP),
            (citations_last_year, CITATIONS_LAST_YEAR_CAP),
            (papers_last_24_months, RECENT_PAPERS_CAP),
        )
        if value is not None
    ]
    if not parts:
        return Score(None, "no h-index, citations or papers known")
    return Score(round_half_up(sum(parts) / len(parts)))
