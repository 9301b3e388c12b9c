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
        self._queries = dict(queries)
        self._by_key: dict[str, list[K]] = {}
        for key, query in self._queries.items():
            for trigger in query.trigger():
                self._by_key.setdefault(trigger, []).append(key)

    def __len__(self) -> int:
        return len(self._queries)

    def match(self, paper: PaperText) -> dict[K, tuple[str, ...]]:
        """The queries the paper matches, with the terms that matched in each."""
        index = self._by_key
        woken: set[K] = set()
        for word in paper.vocabulary:
            found = index.get("w:" + word)
            if found:
                woken.update(found)
        for category in paper.categories:
            woken.update(index.get("c:" + category, ()))
        for archive in paper.archives:
            woken.update(index.get("a:" + archive, ()))
        matched: dict[K, tuple[str, ...]] = {}
        for key in woken:
            hits = self._queries[key].match(paper)
            if hits is not None:
                matched[key] = hits
        return matched
