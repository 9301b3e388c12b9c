"""The match keys of an author string (`name_keys`), lower-case and accent-free.

Each key is `"<given> <surname>"`:

- `full`: every full given word (initials dropped) + surname, with hyphenated or multi-part
  given names both spaced and joined: `Kai-Ming He` -> {`kai ming he`, `kaiming he`}.
  Hyphenated or particle surnames also get a joined form (`delmaestro`). A lone weak particle
  taken into the surname after a full given name also keys the reading where it is a
  given-name syllable: `Jia Bin Huang` -> {`jia bin huang`, `jia binhuang`, `jiabin huang`}.
- `first`: the first given name only (`John Frank Smith` -> `john smith`).
- `initial`: first initial + surname (`Andreas Steiner` and `A. Steiner` -> `a steiner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.names.parsing import parse_name, words_of


@dataclass(frozen=True, slots=True)
class NameKeys:
    """The match keys of one author string (see the module docstring for their meaning).

    `canonical` is a readable normal form (`a del maestro`, `john f smith`) for de-duplicating
    name variants; `surname` is the folded surname with particles (`del maestro`);
    `abbreviated` is True when the first given name is only an initial.
    """

    full: frozenset[str]
    first: frozenset[str]
    initial: frozenset[str]
    abbreviated: bool
    surname: str
    canonical: str

    @property
    def empty(self) -> bool:
        """True when the string has no usable given name + surname (it can match nothing)."""
        return not (self.full or self.initial)


def _forms(words: tuple[str, ...]) -> tuple[str, ...]:
    """Spaced and joined forms of a multi-word part: (kai ming, kaiming)."""
    if len(words) > 1:
        return (" ".join(words), "".join(words))
    return (words[0],) if words else ()


@lru_cache(maxsize=131072)
def name_keys(raw: str) -> NameKeys:
    """The match keys of an author string. Cached: arXiv repeats the same names a lot."""
    parsed = parse_name(raw)
    surname_forms = _forms(parsed.surname)
    surname = " ".join(parsed.surname)
    canonical = " ".join([*(words_of(parsed.given)), *parsed.surname])
    if parsed.single_word:
        # No space, unlike every two-part key: equals only the same single word.
        lone = frozenset({"".join(parsed.surname)})
        return NameKeys(lone, frozenset(), frozenset(), False, surname, canonical)
    if not parsed.given or not surname_forms:
        return NameKeys(frozenset(), frozenset(), frozenset(), False, surname, canonical)
    words = tuple(p.text for parts in parsed.given for p in parts if not p.initial)
    first_token_words = tuple(p.text for p in parsed.given[0] if not p.initial)
    abbreviated = parsed.given[0][0].initial
    full = frozenset(f"{g} {s}" for g in _forms(words) for s in surname_forms)
    if parsed.maybe_given:
        # Only the full keys of the other reading: `Jia Bin Huang` = `Jiabin Huang`, while
        # `Ludwig van Beethoven` gains no `L. Beethoven` or `Ludwig Beethoven` match.
        alt_given = _forms((*words, parsed.maybe_given))
        full |= {f"{g} {s}" for g in alt_given for s in _forms(parsed.surname[1:])}
    first = (
        frozenset(f"{g} {s}" for g in _forms(first_token_words) for s in surname_forms)
        if not abbreviated
        else frozenset()
    )
    initial = frozenset(f"{parsed.given[0][0].text[0]} {s}" for s in surname_forms)
    return NameKeys(full, first, initial, abbreviated, surname, canonical)


def normalize_name(raw: str) -> str:
    """The canonical folded form of a name: `Benjamin R\\'emy` -> `benjamin remy`."""
    return name_keys(raw).canonical
