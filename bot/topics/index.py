"""Many topic queries against many papers: an inverted index from the words and categories a
query needs to the queries, so a paper is tested only against the queries it could match."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from bot.topics.query import TopicQuery
from bot.topics.text import PaperText

K = TypeVar("K")


class TopicIndex(Generic[K]):
    """Queries by key (a topic follow's id); `match` gives the keys a paper matches."""

    def __init__(self, queries: Mapping[K, TopicQuery]) -> None:
        # One entry per distinct query (many follows share one): tested once, given to all.
        keys: dict[str, list[K]] = {}
        distinct: dict[str, TopicQuery] = {}
        for key, query in queries.items():
            keys.setdefault(query.canonical, []).append(key)
            distinct.setdefault(query.canonical, query)
        self._size = len(queries)
        # Per distinct query: its compiled matcher and the keys it stands for.
        self._entries = {c: (q.matcher, tuple(keys[c])) for c, q in distinct.items()}
        self._by_key: dict[str, list[str]] = {}
        for canonical, query in distinct.items():
            for trigger in query.trigger():
                self._by_key.setdefault(trigger, []).append(canonical)

    def __len__(self) -> int:
        return self._size

    def match(self, paper: PaperText) -> dict[K, tuple[str, ...]]:
        """The queries the paper matches, with the terms that matched in each."""
        index = self._by_key
        woken: set[str] = set()
        for word in paper.vocabulary:
            found = index.get("w:" + word)
            if found:
                woken.update(found)
        for first, second in paper.pairs:
            found = index.get(f"p:{first} {second}")
            if found:
                woken.update(found)
        for category in paper.categories:
            woken.update(index.get("c:" + category, ()))
        for archive in paper.archives:
            woken.update(index.get("a:" + archive, ()))
        matched: dict[K, tuple[str, ...]] = {}
        entries = self._entries
        for canonical in woken:
            matcher, keys = entries[canonical]
            hits = matcher(paper)
            if hits is not None:
                for key in keys:
                    matched[key] = hits
        return matched
