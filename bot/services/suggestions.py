"""Digest suggestions: up to 3 papers of the week's listings that no follow of a destination
matched but that read most like the papers of the authors it follows
(docs/product.md#suggestions).

The text preparation is Novelty's (`bot.services.metrics`: tokens of two or more characters,
English stop words out, TF-IDF with tf = 1 + ln(count) and smoothed idf, l2 norm), the idf
fitted once per run on the week's listing items. Per destination:

1. Its taste: the followed authors' newest papers (`SuggestionRepository.tastes`); fewer than
   `MIN_FOLLOWED_PAPERS` gives no suggestion. Items it voted 👍 join them.
2. Every item of the week in its usual categories is scored by cosine against the sum of those
   papers' vectors (one sparse product per category, numpy);
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
from bot.services.metrics import tokenize
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


@dataclass(frozen=True, slots=True)
class _Sparse:
    """A text's TF-IDF vector over the ranker's vocabulary: columns and weights (a term no
    listing item has counts in the norm, and nowhere else: no item shares it)."""

    columns: np.ndarray
    weights: np.ndarray


class SuggestionRanker:
    """The week's listing items, vectorised once, ranked for any number of destinations."""

    def __init__(self, items: Sequence[ListedItem]) -> None:
        """The idf is fitted on the week's items (the corpus suggestions are drawn from)."""
        self.items = list(items)
        tokens = [tokenize(f"{i.title} {i.abstract}") for i in self.items]
        frequency: Counter[str] = Counter()
        for words in tokens:
            frequency.update(set(words))
        n = len(tokens)
        self.idf = {t: math.log((1 + n) / (1 + df)) + 1 for t, df in frequency.items()}
        self.unseen = math.log(1 + n) + 1
        self.vocabulary = {t: i for i, t in enumerate(self.idf)}
        vectors = [self._sparse(words) for words in tokens]
        self._index = {item.arxiv_id: row for row, item in enumerate(self.items)}
        self.item_vectors = vectors
        # Per category: its items' rows and their vectors end to end (CSR), so a destination
        # scores only the items of its categories.
        self._by_category: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        rows_of: dict[str, list[int]] = {}
        for row, item in enumerate(self.items):
            for category in item.categories:
                rows_of.setdefault(category, []).append(row)
        for category, rows in rows_of.items():
            sizes = np.asarray([len(vectors[r].columns) for r in rows], dtype=np.int64)
            columns = np.concatenate([vectors[r].columns for r in rows])
            weights = np.concatenate([vectors[r].weights for r in rows])
            owner = np.repeat(np.arange(len(rows)), sizes)
            self._by_category[category] = (np.asarray(rows), owner, columns, weights)
        self._paper_vectors: dict[int, _Sparse] = {}

    def _sparse(self, words: Sequence[str]) -> _Sparse:
        counts = Counter(words)
        weights = {t: (1 + math.log(c)) * self.idf.get(t, self.unseen) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        kept = [(self.vocabulary[t], w / norm) for t, w in weights.items() if t in self.vocabulary]
        return _Sparse(
            np.asarray([c for c, _ in kept], dtype=np.int64),
            np.asarray([w for _, w in kept], dtype=np.float64),
        )

    def rank(self, taste: Taste) -> list[Suggestion]:
        """Up to `MAX_SUGGESTIONS` items for a destination with this taste, best first."""
        if len(taste.papers) < MIN_FOLLOWED_PAPERS or not self.items:
            return []
        parts = [self._by_category[c] for c in sorted(taste.categories) if c in self._by_category]
        if not parts:
            return []
        papers = [(p, self._paper_vector(p)) for p in taste.papers]
        # Items voted 👍 here are part of the taste (`author_name` "": the why names no author).
        papers += [
            (
                FollowedPaper(0, item.arxiv_id, item.title, item.abstract, ""),
                self.item_vectors[row],
            )
            for arxiv_id in sorted(taste.up)
            if (row := self._index.get(arxiv_id)) is not None
            for item in (self.items[row],)
        ]
        centroid = np.bincount(
            np.concatenate([v.columns for _, v in papers]),
            weights=np.concatenate([v.weights for _, v in papers]),
            minlength=len(self.vocabulary),
        )
        rows = np.concatenate([part[0] for part in parts])
        scores = np.concatenate(
            [
                np.bincount(owner, weights=weights * centroid[columns], minlength=len(part_rows))
                for part_rows, owner, columns, weights in parts
            ]
        )
        ranked = np.lexsort((rows, -scores))  # best first (an item of two categories: twice)
        why = _Closest([v for _, v in papers], len(self.vocabulary))
        own = NameIndex[int]()
        for name in taste.author_names:
            own.add(0, name)
        skipped = taste.matched | taste.down | taste.up
        found: list[Suggestion] = []
        seen: set[int] = set()
        for position in ranked.tolist():
            row = int(rows[position])
            if len(found) >= SHORTLIST or scores[position] <= 0:
                break
            if row in seen:
                continue
            seen.add(row)
            item = self.items[row]
            if item.arxiv_id in skipped or any(own.match(name) for name in item.authors):
                continue
            closest, similarity = why.of(self.item_vectors[row])
            if similarity < MIN_SIMILARITY:
                continue
            paper = papers[closest][0]
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

    def _paper_vector(self, paper: FollowedPaper) -> _Sparse:
        vector = self._paper_vectors.get(paper.paper_id)
        if vector is None:
            words = tokenize(f"{paper.title} {paper.abstract}")
            vector = self._paper_vectors[paper.paper_id] = self._sparse(words)
        return vector


class _Closest:
    """Which of a destination's papers an item reads most like: the papers as one dense matrix
    over the terms they use, so an item costs one product instead of a cosine per paper."""

    def __init__(self, papers: Sequence[_Sparse], vocabulary_size: int) -> None:
        used = np.unique(np.concatenate([p.columns for p in papers]))
        self._local = np.full(vocabulary_size, -1, dtype=np.int64)
        self._local[used] = np.arange(len(used))
        self._matrix = np.zeros((len(papers), len(used)))
        for row, paper in enumerate(papers):
            self._matrix[row, self._local[paper.columns]] = paper.weights
        self._size = len(used)

    def of(self, item: _Sparse) -> tuple[int, float]:
        """(index of the closest paper, their cosine)."""
        local = self._local[item.columns]
        shared = local >= 0
        vector = np.zeros(self._size)
        vector[local[shared]] = item.weights[shared]
        similarities = self._matrix @ vector
        best = int(np.argmax(similarities))
        return best, float(similarities[best])


class SuggestionSource:
    """Suggestions for the schedules of one planning run or preview: the week's listing items
    are read and vectorised once, however many batches of schedules ask."""

    def __init__(self, now: datetime, window: timedelta = WINDOW) -> None:
        self.now = now
        self.window = window
        self._ranker: SuggestionRanker | None = None

    async def prepare(self, session: AsyncSession) -> bool:
        """Read and vectorise the week's listing items (once); False when there are none, so
        nothing can be suggested this run."""
        if self._ranker is None:
            repo = SuggestionRepository(session)
            items = await repo.announced_between(self.now - self.window, self.now)
            self._ranker = SuggestionRanker(items)
        return bool(self._ranker.items)

    async def for_schedules(
        self, session: AsyncSession, schedules: Sequence[DigestSchedule]
    ) -> dict[int, list[Suggestion]]:
        wanted = [s.id for s in schedules if s.suggestions]
        if not wanted or not await self.prepare(session):
            return {}
        assert self._ranker is not None
        repo = SuggestionRepository(session)
        tastes = await repo.tastes(wanted, per_author=PAPERS_PER_AUTHOR)
        return {schedule_id: self._ranker.rank(taste) for schedule_id, taste in tastes.items()}


__all__ = ["MAX_SUGGESTIONS", "Suggestion", "SuggestionRanker", "SuggestionSource"]
