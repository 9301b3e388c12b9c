"""Many topic queries against a batch of papers (a listing): each distinct query evaluated once
over the whole batch (`bot.topics.columns`) rather than once per paper, and the terms that
matched worked out once per combination of its terms a matching paper has.

Queries of one term (a word, a phrase, a `cat:`), about half of them, are matched together in
one array operation; the others one by one. Then every (paper, follow, terms) found is grouped
by paper at once: a dense day has hundreds of thousands, too many for a Python statement each
(benchmarks/bench_topics.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar

import numpy as np

from bot.topics.columns import Term, TermColumns, leaves, term_of
from bot.topics.nodes import All, Any_, Category, Node, Phrase
from bot.topics.query import TopicQuery
from bot.topics.text import PaperText

K = TypeVar("K")
_MAX_BITS = 62  # a combination of a query's terms is numbered in an int64


@dataclass(frozen=True)
class _Compound:
    """A distinct query of several terms (follows may share one: tested once, given to all)."""

    query: TopicQuery
    key_numbers: tuple[int, ...]  # positions in TopicIndex._keys
    terms: tuple[Term, ...]
    fixed: tuple[str, ...] | None  # the terms matched when they are the same for every paper

    @classmethod
    def of(cls, query: TopicQuery, key_numbers: list[int]) -> _Compound:
        terms = tuple(leaves(query.root))
        fixed = None
        if _without_or(query.root):
            # A paper it matches has every term outside its NOTs: walk a paper with just those.
            fixed = query.match(_Has([term_of(leaf) for leaf in _outside_not(query.root)]))
        return cls(query, tuple(key_numbers), terms, fixed)


def _without_or(node: Node) -> bool:
    """Whether `node` has no OR outside its NOTs (under a NOT, nothing is a matched term)."""
    if isinstance(node, Any_):
        return False
    if isinstance(node, All):
        return all(_without_or(child) for child in node.children)
    return True


def _outside_not(node: Node) -> list[Phrase | Category]:
    if isinstance(node, Phrase | Category):
        return [node]
    if isinstance(node, All | Any_):
        return [leaf for child in node.children for leaf in _outside_not(child)]
    return []


class _Has:
    """A stand-in paper that has exactly the given terms: walking a query's tree over it gives
    the terms that matched for every real paper with that combination."""

    __slots__ = ("archives", "categories", "phrases")

    def __init__(self, terms: Sequence[Term]) -> None:
        self.phrases = {value for kind, value in terms if kind == "w"}
        self.categories = {value for kind, value in terms if kind == "c"}
        self.archives = {value for kind, value in terms if kind == "a"}

    def has_phrase(self, words: tuple[str, ...]) -> bool:
        return words in self.phrases


class _Found:
    """Every (paper, key, hits) found, as arrays: one part per query (and key)."""

    def __init__(self) -> None:
        self.papers: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []
        self.hits: list[np.ndarray] = []  # positions in `every_hits`
        self.every_hits: list[tuple[str, ...]] = []

    def add(self, papers: np.ndarray, keys: np.ndarray, hits: np.ndarray) -> None:
        self.papers.append(papers)
        self.keys.append(keys)
        self.hits.append(hits)

    def by_paper(self, size: int, keys: list[K]) -> list[dict[K, tuple[str, ...]]]:
        """Per paper of the batch (`size` papers), its keys with their hits."""
        if not self.papers:
            return [{} for _ in range(size)]
        paper_of = np.concatenate(self.papers)
        order = np.argsort(paper_of, kind="stable")
        found_keys = list(map(keys.__getitem__, np.concatenate(self.keys)[order].tolist()))
        found_hits = np.concatenate(self.hits)[order].tolist()
        hits = list(map(self.every_hits.__getitem__, found_hits))
        bounds = np.concatenate(([0], np.cumsum(np.bincount(paper_of, minlength=size))))
        return [
            dict(zip(found_keys[start:stop], hits[start:stop], strict=True))
            for start, stop in pairwise(bounds.tolist())
        ]


class TopicIndex(Generic[K]):
    """Queries by key (a topic follow's id); `match_all` gives the keys each paper matches."""

    def __init__(self, queries: Mapping[K, TopicQuery]) -> None:
        self._keys: list[K] = list(queries)
        # One-term queries: per key, its term's position in `_single_terms`.
        self._single_terms: list[Term] = []
        single_keys: list[int] = []
        term_of_key: list[int] = []
        term_number: dict[Term, int] = {}
        compound: dict[str, tuple[TopicQuery, list[int]]] = {}
        for number, query in enumerate(queries.values()):
            root = query.root
            if isinstance(root, Phrase | Category):
                term = term_of(root)
                if term not in term_number:
                    term_number[term] = len(self._single_terms)
                    self._single_terms.append(term)
                single_keys.append(number)
                term_of_key.append(term_number[term])
            else:
                compound.setdefault(query.canonical, (query, []))[1].append(number)
        self._single_keys = np.array(single_keys, dtype=np.intp)
        self._term_of_key = np.array(term_of_key, dtype=np.intp)
        self._compounds = [_Compound.of(query, numbers) for query, numbers in compound.values()]
        self._terms = set(self._single_terms)
        self._terms.update(term for entry in self._compounds for term in entry.terms)

    def __len__(self) -> int:
        return len(self._keys)

    def match_all(self, papers: Sequence[PaperText]) -> list[dict[K, tuple[str, ...]]]:
        """Per paper, the queries it matches with the terms that matched in each (as
        `TopicQuery.match` gives them)."""
        if not papers:
            return []
        columns = TermColumns(papers, self._terms)
        found = _Found()
        if self._single_keys.size:
            self._match_single(columns, found)
        for entry in self._compounds:
            matched = np.flatnonzero(columns.evaluate(entry.query.root))
            if not matched.size:
                continue
            hits, which = self._hits(entry, columns, matched)
            which += len(found.every_hits)
            found.every_hits.extend(hits)
            for key in entry.key_numbers:
                found.add(matched, np.full(matched.size, key), which)
        return found.by_paper(len(papers), self._keys)

    def _match_single(self, columns: TermColumns, found: _Found) -> None:
        """Every one-term query at once: the rows of its terms' columns, one per key."""
        table = np.stack([columns.term(term) for term in self._single_terms])
        rows, papers = np.nonzero(table[self._term_of_key])
        terms = self._term_of_key[rows]
        found.add(papers, self._single_keys[rows], terms + len(found.every_hits))
        found.every_hits.extend(_written(term) for term in self._single_terms)

    @staticmethod
    def _hits(
        entry: _Compound, columns: TermColumns, found: np.ndarray
    ) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """The distinct hit tuples of the papers `found`, and which one each paper has."""
        if entry.fixed is not None:  # every matching paper has the same terms matched
            return [entry.fixed], np.zeros(found.size, dtype=np.intp)
        if len(entry.terms) > _MAX_BITS:  # too many to number the combinations: paper by paper
            walked = [entry.query.match(columns.papers[paper]) for paper in found.tolist()]
            return walked, np.arange(found.size)  # type: ignore[return-value]
        combination = np.zeros(found.size, dtype=np.int64)
        for bit, term in enumerate(entry.terms):
            combination |= columns.term(term)[found].astype(np.int64) << bit
        codes, which = _numbered(combination, len(entry.terms))
        hits = []
        for code in codes:
            present = [term for bit, term in enumerate(entry.terms) if code >> bit & 1]
            walked = entry.query.match(_Has(present))  # type: ignore[arg-type]
            assert walked is not None, "the columns and the tree disagree"
            hits.append(walked)
        return hits, which


def _numbered(values: np.ndarray, bits: int) -> tuple[list[int], np.ndarray]:
    """The distinct values, and each value's position among them (np.unique's inverse; a
    count over the few possible values when there are few, faster than sorting)."""
    if bits > 16:
        distinct, position = np.unique(values, return_inverse=True)
        return distinct.tolist(), position
    present = np.flatnonzero(np.bincount(values, minlength=1 << bits))
    numbering = np.zeros(1 << bits, dtype=np.intp)
    numbering[present] = np.arange(present.size)
    return present.tolist(), numbering[values]


def _written(term: Term) -> tuple[str, ...]:
    """What a one-term query reports as matched: the words, or the `cat:` code."""
    kind, value = term
    return (" ".join(value),) if kind == "w" else (f"cat:{value}",)  # type: ignore[arg-type]
