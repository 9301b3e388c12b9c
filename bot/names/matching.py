"""Matching name keys (`NameIndex.match`) and comparing typed names.

- STRONG when a `full` key is shared: `Andreas Steiner` = `ANDREAS  STEINER` = `Steiner, Andreas`;
  `André` = `Andre`; `Kai-Ming He` = `Kaiming He` = `Kai Ming He`; `John F. Smith` = `John Smith`
  (middle initials are ignored, so `John F. Smith` also equals `John G. Smith`: a known limit).
- PROBABLE when only a `first` key is shared (`John Frank Smith` vs `John Smith`), or the
  `initial` key is shared and at least one side gives only an initial (`A. Steiner` vs
  `Andreas Steiner`). Two different full first names (`Anna` vs `Andreas Steiner`) never match.
- A name with no given name (`Del Maestro`) has no keys and matches nothing. A single word
  (`Mausam`, `王小明`) has one `full` key without a space, so it equals only the same word.

So do not add "F. Surname" variants to a followed author: the `initial` key already covers
them, and adding one would let every `F-anything Surname` match.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from typing import Generic, TypeVar

from bot.names.keys import NameKeys, name_keys
from bot.names.text import normalize_text

log = logging.getLogger(__name__)

K = TypeVar("K")


class MatchStrength(enum.IntEnum):
    """How sure a name match is. Compare with `>`: STRONG > PROBABLE."""

    PROBABLE = 1
    STRONG = 2

    def __str__(self) -> str:
        return self.name.lower()


class NameIndex(Generic[K]):
    """Followed authors' name variants, indexed by key, for O(1) lookups of author strings.

    `K` is whatever identifies a followed author for the caller (a database id, an OpenAlex id).
    Add every name variant of every followed author, then call `match` with each author string
    of a paper.
    """

    def __init__(self) -> None:
        self._full: dict[str, set[K]] = {}
        self._first: dict[str, set[K]] = {}
        self._initial_any: dict[str, set[K]] = {}
        self._initial_abbreviated: dict[str, set[K]] = {}
        self._owners: set[K] = set()

    def __len__(self) -> int:
        return len(self._owners)

    def add(self, owner: K, name: str) -> NameKeys:
        """Index one name variant of `owner`; returns its keys (empty keys are ignored)."""
        keys = name_keys(name)
        self.add_keys(owner, keys)
        return keys

    def add_keys(self, owner: K, keys: NameKeys) -> None:
        """Index precomputed keys (e.g. loaded from the database) for `owner`."""
        if keys.empty:
            log.debug("name variant %r has no usable keys; ignored", keys.canonical)
            return
        self._owners.add(owner)
        for key in keys.full:
            self._full.setdefault(key, set()).add(owner)
        for key in keys.first:
            self._first.setdefault(key, set()).add(owner)
        for key in keys.initial:
            self._initial_any.setdefault(key, set()).add(owner)
            if keys.abbreviated:
                self._initial_abbreviated.setdefault(key, set()).add(owner)

    def match(self, name: str) -> dict[K, MatchStrength]:
        """Followed authors that `name` may be, each with the strongest match found."""
        return self.match_keys(name_keys(name))

    def match_keys(self, keys: NameKeys) -> dict[K, MatchStrength]:
        """Like `match`, for keys already computed."""
        found: dict[K, MatchStrength] = {}
        for key in keys.full:
            for owner in self._full.get(key, ()):
                found[owner] = MatchStrength.STRONG
        for key in keys.first:
            for owner in self._first.get(key, ()):
                found.setdefault(owner, MatchStrength.PROBABLE)
        # An initial only counts when one side gives no more than an initial.
        initial_map = self._initial_any if keys.abbreviated else self._initial_abbreviated
        for key in keys.initial:
            for owner in initial_map.get(key, ()):
                found.setdefault(owner, MatchStrength.PROBABLE)
        return found


# --- Equality for typed names ----------------------------------------------------------------


def same_person_name(a: str, b: str) -> bool:
    """True when two names are written forms of one name: a shared `full` key, or same folded text.

    `Rémy Dupont` = `Remy Dupont` = `Dupont, Rémy` = `R\\'emy Dupont`; a name without a given
    name (`Dupont`) only equals the same folded text. The one equality the follow, profile and
    autocomplete code use for "is this typed name that author's name".
    """
    if name_keys(a).full & name_keys(b).full:
        return True
    folded = normalize_text(a)
    return bool(folded) and folded == normalize_text(b)


def names_match(query: str, names: Iterable[str]) -> bool:
    """True when `query` is the same name (`same_person_name`) as one of `names`."""
    return any(same_person_name(query, name) for name in names)


def matches_query(query: str, names: Iterable[str]) -> bool:
    """Autocomplete's test: the folded `query` is part of one of the folded `names`.

    Accents, case, TeX and punctuation are folded on both sides, so `remy` finds `Rémy Dupont`
    and `dupont r` finds `Dupont, R.`. An empty query matches everything.
    """
    folded = normalize_text(query)
    if not folded:
        return True
    return any(folded in normalize_text(name) for name in names)
