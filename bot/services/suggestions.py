"""Digest suggestions: up to 3 papers of the week's listings that no follow of a destination
matched but that read most like the papers of the authors it follows
(docs/product.md#suggestions).

The text preparation is Novelty's (`bot.services.metrics`: tokens of two or more characters,
English stop words out, TF-IDF with tf = 1 + ln(count) and smoothed idf, l2 norm), the idf
fitted once per run on the week's listing items. Per destination:

1. Its taste: the followed authors' newest papers (`SuggestionRepository.tastes`); fewer than
   `MIN_FOLLOWED_PAPERS` gives no suggestion. Items it voted 👍 join them.
2. Every item of the week in its usual categories is scored by cosine against the sum of those
   papers' vectors (one sparse product over the whole week, numpy);
3. the best `SHORTLIST` that no follow of it matched, not voted 👎 and by none of its followed
   authors (names through `bot.names`) are compared with each followed paper: the closest one
   is the *why* ("close to <title> by <author>") and its cosine the similarity;
4. those at `MIN_SIMILARITY` or more, most similar first, up to `MAX_SUGGESTIONS`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from bot.names import NameIndex
from bot.services.metrics import cosine, tokenize
from db.models import DigestSchedule
from db.repositories.suggestions import FollowedPaper, ListedItem, SuggestionRepository, Taste

MIN_FOLLOWED_PAPERS = 3
MAX_SUGGESTIONS = 3
MIN_SIMILARITY = 0.1
SHORTLIST = 20
PAPERS_PER_AUTHOR = 20
WINDOW = timedelta(days=7)  # the listing items a digest may suggest: the last week's


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A suggested paper and why: the followed paper it reads most like, and how much."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    category: str | None
    similarity: float
    close_to_title: str
    close_to_author: str

    def payload(self) -> dict[str, object]:
        return {
            "arxiv_id": self.arxiv_id,
            "title": self.title,
            "authors": list(self.authors[:3]),
            "category": self.category,
            "similarity": round(self.similarity, 2),
            "close_to": self.close_to_title,
            "by": self.close_to_author,
        }

    @classmethod
    def from_payload(cls, data: dict[str, object]) -> Suggestion:
        return cls(
            arxiv_id=str(data["arxiv_id"]),
            title=str(data.get("title") or ""),
            authors=tuple(str(a) for a in data.get("authors") or ()),  # type: ignore[union-attr]
            category=str(data["category"]) if data.get("category") else None,
            similarity=float(data.get("similarity") or 0.0),  # type: ignore[arg-type]
            close_to_title=str(data.get("close_to") or ""),
            close_to_author=str(data.get("by") or ""),
        )


def _weights(text: str, idf: dict[str, float], unseen: float) -> dict[str, float]:
    """TF-IDF of one text; a term no listing item has gets `unseen` (the idf of df = 0)."""
    counts = Counter(tokenize(text))
    weights = {t: (1 + math.log(c)) * idf.get(t, unseen) for t, c in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


class SuggestionRanker:
    """The week's listing items, vectorised once, ranked for any number of destinations."""

    def __init__(self, items: Sequence[ListedItem]) -> None:
        """The idf is fitted on the week's items (the corpus suggestions are drawn from)."""
        self.items = list(items)
        texts = [f"{i.title} {i.abstract}" for i in self.items]
        frequency: Counter[str] = Counter()
        for text in texts:
            frequency.update(set(tokenize(text)))
        n = len(texts)
        self.idf = {t: math.log((1 + n) / (1 + df)) + 1 for t, df in frequency.items()}
        self.unseen = math.log(1 + n) + 1
        self.vocabulary = {t: i for i, t in enumerate(self.idf)}
        self.item_vectors = [_weights(text, self.idf, self.unseen) for text in texts]
        rows, columns, values = [], [], []
        for row, vector in enumerate(self.item_vectors):
            for term, weight in vector.items():
                rows.append(row)
                columns.append(self.vocabulary[term])
                values.append(weight)
        self._rows = np.asarray(rows, dtype=np.int64)
        self._columns = np.asarray(columns, dtype=np.int64)
        self._values = np.asarray(values, dtype=np.float64)
        self._by_category: dict[str, list[int]] = {}
        for row, item in enumerate(self.items):
            for category in item.categories:
                self._by_category.setdefault(category, []).append(row)
        self._index = {item.arxiv_id: row for row, item in enumerate(self.items)}
        self._paper_vectors: dict[int, dict[str, float]] = {}

    def rank(self, taste: Taste) -> list[Suggestion]:
        """Up to `MAX_SUGGESTIONS` items for a destination with this taste, best first."""
        if len(taste.papers) < MIN_FOLLOWED_PAPERS or not self.items:
            return []
        candidates = sorted({r for c in taste.categories for r in self._by_category.get(c, ())})
        if not candidates:
            return []
        papers = [
            (p, self._paper_vector(p.paper_id, f"{p.title} {p.abstract}")) for p in taste.papers
        ]
        # Items voted 👍 here are part of the taste (`author_name` "": the why names no author).
        papers += [
            (FollowedPaper(0, item.arxiv_id, item.title, item.abstract, ""), self.item_vectors[row])
            for arxiv_id in sorted(taste.up)
            if (row := self._index.get(arxiv_id)) is not None
            for item in (self.items[row],)
        ]
        centroid = np.zeros(len(self.vocabulary))
        for _, vector in papers:
            for term, weight in vector.items():
                column = self.vocabulary.get(term)
                if column is not None:  # a term no item has adds nothing to any score
                    centroid[column] += weight
        scores = np.bincount(
            self._rows, weights=self._values * centroid[self._columns], minlength=len(self.items)
        )
        chosen = np.asarray(candidates)
        order = chosen[np.argsort(-scores[chosen], kind="stable")]
        own = NameIndex[int]()
        for name in taste.author_names:
            own.add(0, name)
        found: list[Suggestion] = []
        for row in order:
            if len(found) >= SHORTLIST or scores[row] <= 0:
                break
            item = self.items[row]
            if item.arxiv_id in taste.matched | taste.down | taste.up:
                continue
            if any(own.match(name) for name in item.authors):
                continue
            vector = self.item_vectors[row]
            paper, similarity = max(
                ((p, cosine(vector, v)) for p, v in papers), key=lambda pair: pair[1]
            )
            if similarity < MIN_SIMILARITY:
                continue
            found.append(
                Suggestion(
                    item.arxiv_id,
                    item.title,
                    item.authors,
                    item.categories[0] if item.categories else None,
                    similarity,
                    paper.title,
                    paper.author_name,
                )
            )
        found.sort(key=lambda s: (-s.similarity, s.arxiv_id))
        return found[:MAX_SUGGESTIONS]

    def _paper_vector(self, paper_id: int, text: str) -> dict[str, float]:
        vector = self._paper_vectors.get(paper_id)
        if vector is None:
            vector = self._paper_vectors[paper_id] = _weights(text, self.idf, self.unseen)
        return vector


class SuggestionSource:
    """Suggestions for the schedules of one planning run or preview: the week's listing items
    are read and vectorised once, however many batches of schedules ask."""

    def __init__(self, now: datetime, window: timedelta = WINDOW) -> None:
        self.now = now
        self.window = window
        self._ranker: SuggestionRanker | None = None

    async def for_schedules(
        self, session: AsyncSession, schedules: Sequence[DigestSchedule]
    ) -> dict[int, list[Suggestion]]:
        wanted = [s.id for s in schedules if s.suggestions]
        if not wanted:
            return {}
        repo = SuggestionRepository(session)
        if self._ranker is None:
            items = await repo.announced_between(self.now - self.window, self.now)
            self._ranker = SuggestionRanker(items)
        if not self._ranker.items:
            return {}
        tastes = await repo.tastes(wanted, per_author=PAPERS_PER_AUTHOR)
        return {schedule_id: self._ranker.rank(taste) for schedule_id, taste in tastes.items()}


__all__ = ["MAX_SUGGESTIONS", "Suggestion", "SuggestionRanker", "SuggestionSource"]
