"""A batch of papers as columns: for every term some query uses (a word, a phrase, a category,
an archive), which papers of the batch have it, as one boolean array over the batch. A query is
then evaluated once for the whole batch with array operations (`TopicIndex.match_all`) instead
of once per paper: a day's listing against 10,000 queries (benchmarks/bench_topics.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from bot.topics.nodes import All, Any_, Category, Node, Not, Phrase
from bot.topics.text import PaperText

# A term by what it tests: ("w", words) a word or phrase, ("c", code) a category, ("a", code)
# an archive. Phrases differing only in how they were written are one term.
Term = tuple[str, object]


def term_of(leaf: Phrase | Category) -> Term:
    if isinstance(leaf, Phrase):
        return ("w", leaf.words)
    return ("a" if leaf.archive else "c", leaf.code)


def leaves(node: Node) -> dict[Term, Phrase | Category]:
    """The terms of a query, in the order written (a term named twice counted once)."""
    found: dict[Term, Phrase | Category] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Phrase | Category):
            found.setdefault(term_of(current), current)
        elif isinstance(current, Not):
            pending.append(current.child)
        elif isinstance(current, All | Any_):
            pending.extend(reversed(current.children))
    return found


class TermColumns:
    """Which papers of `papers` have each of `terms`."""

    def __init__(self, papers: Sequence[PaperText], terms: Iterable[Term]) -> None:
        phrases = [t[1] for t in terms if t[0] == "w"]
        # What is looked up in each paper's sets: single words, adjacent pairs, codes.
        rows: dict[tuple[str, object], int] = {}
        for words in phrases:
            assert isinstance(words, tuple)
            if len(words) == 1:
                rows.setdefault(("v", words[0]), len(rows))
            for pair in pairwise(words):
                rows.setdefault(("p", pair), len(rows))
        for kind, code in terms:
            if kind != "w":
                rows.setdefault((kind, code), len(rows))
        self.papers = papers
        self._present = self._table(papers, rows)
        self._rows = rows
        self._cache: dict[Term, np.ndarray] = {}

    @staticmethod
    def _table(papers: Sequence[PaperText], rows: dict[tuple[str, object], int]) -> np.ndarray:
        """rows × papers booleans, filled from each paper's sets (intersections and lookups
        in C, then one scatter) rather than a Python loop over every word of every paper."""
        by_kind: dict[str, dict[object, int]] = {kind: {} for kind in ("v", "p", "c", "a")}
        for (kind, key), row in rows.items():
            by_kind[kind][key] = row
        words, pairs = by_kind["v"], by_kind["p"]
        categories, archives = by_kind["c"], by_kind["a"]
        # Sets, not the dicts' key views: `frozenset & set` is the fastest intersection.
        word_set, pair_set = set(words), set(pairs)
        category_set, archive_set = set(categories), set(archives)
        found: list[int] = []
        counts: list[int] = []
        for paper in papers:
            before = len(found)
            found += map(words.__getitem__, paper.vocabulary & word_set)
            found += map(pairs.__getitem__, paper.pairs & pair_set)
            found += map(categories.__getitem__, paper.categories & category_set)
            found += map(archives.__getitem__, paper.archives & archive_set)
            counts.append(len(found) - before)
        table = np.zeros((len(rows), len(papers)), dtype=bool)
        table[np.array(found, dtype=np.intp), np.repeat(np.arange(len(papers)), counts)] = True
        return table

    def term(self, term: Term) -> np.ndarray:
        """The papers that have `term` (read-only)."""
        column = self._cache.get(term)
        if column is None:
            column = self._compute(term)
            self._cache[term] = column
        return column

    def _compute(self, term: Term) -> np.ndarray:
        kind, value = term
        if kind != "w":
            return self._present[self._rows[term]]
        assert isinstance(value, tuple)
        if len(value) == 1:
            return self._present[self._rows[("v", value[0])]]
        column = np.logical_and.reduce(
            [self._present[self._rows[("p", p)]] for p in pairwise(value)]
        )
        if len(value) > 2:  # every pair is there; the words may still not stand in a row
            for index in np.flatnonzero(column).tolist():
                column[index] = self.papers[index].has_phrase(value)
        return column

    def evaluate(self, node: Node) -> np.ndarray:
        """The papers that match `node` (the tree's `matches`, for the whole batch at once)."""
        if isinstance(node, Phrase | Category):
            return self.term(term_of(node))
        if isinstance(node, Not):
            return ~self.evaluate(node.child)
        combine = np.logical_and if isinstance(node, All) else np.logical_or
        children = iter(node.children)  # type: ignore[attr-defined]
        result = self.evaluate(next(children))
        for child in children:
            result = combine(result, self.evaluate(child))
        return result
