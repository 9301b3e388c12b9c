"""Author names: the one normaliser that decides whether an author string is a followed author.

arXiv names are strings ("A. Del Maestro", "Benjamin R\\'emy", "Kai-Ming He"); the only way to
match them to a followed author is by comparing normalised keys. Everything here is pure and
deterministic, so the same name always yields the same keys wherever it is computed.

How a name becomes keys (`name_keys`):

1. Invisible format characters (soft hyphen, zero-width space) are deleted, TeX accents are
   decoded (`R\\'emy` -> `Rémy`, `{\\"u}` -> `ü`, `\\c{c}` -> `ç`, `{\\l}` -> `ł`),
   parenthesised affiliations dropped, accents folded (`André` -> `andre`, `ł` -> `l`,
   `ß` -> `ss`), case folded, apostrophes removed (`O'Brien` -> `obrien`), other punctuation
   turned into spaces.
2. The name is split into given names and a surname. `Surname, Given` order is understood;
   suffixes (Jr, Sr, II, III, IV) are dropped; particles (van, von, de, del, della, der, da, di,
   le, la, du, ...) stay in the surname (`del maestro`, `van der waals`), except that a particle
   which is the only candidate for a given name is taken as a given name (`Di Wang`, `Le Song`,
   `Van Nguyen`), unless it can only be a particle (`del`, `der`, `von`...).
   Initials are recognised from dots (`A.`, `J.C.`, `K.-M.`, `Yu.`), single letters, and short
   all-capital groups in a mixed-case name (`JF Smith`), except that a capital group ending a
   mixed-case name is a surname (`Jun LIU`, `Andrew NG`; so `Smith JF` has the surname `jf`).
3. Keys, lower-case and accent-free, `"<given> <surname>"`:
   - `full`: every full given word (initials dropped) + surname, with hyphenated or multi-part
     given names both spaced and joined: `Kai-Ming He` -> {`kai ming he`, `kaiming he`}.
     Hyphenated or particle surnames also get a joined form (`delmaestro`). A lone weak particle
     taken into the surname after a full given name also keys the reading where it is a
     given-name syllable: `Jia Bin Huang` -> {`jia bin huang`, `jia binhuang`, `jiabin huang`}.
   - `first`: the first given name only (`John Frank Smith` -> `john smith`).
   - `initial`: first initial + surname (`Andreas Steiner` and `A. Steiner` -> `a steiner`).

Matching (`NameIndex.match`):

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
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")

# --- TeX ---------------------------------------------------------------------------------------

_TEX_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_TEX_LETTERS = {
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    # Dotless i/j only exist in TeX to carry an accent: decode them to plain i/j.
    "i": "i",
    "j": "j",
}
# `\l`, `{\l}`, `\l{}`, `\ss e`: a space after a letter command is TeX's delimiter, swallowed
# only when a lower-case letter follows (so `Pawe\l Niedbalski` keeps its word break).
_TEX_LETTER_RE = re.compile(
    r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])(?:\{\}|\s(?=[a-z]))?"
)
_TEX_SYMBOL_ACCENT_RE = re.compile(r"\\([`'^\"~=.])\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))")
_TEX_WORD_ACCENT_RE = re.compile(r"\\([uvHckrdb])(?:\s*\{\s*([A-Za-z])\s*\}|\s+([A-Za-z]))")
_TEX_OTHER_COMMAND_RE = re.compile(r"\\([A-Za-z]+)\s?|\\(.)")


def _accent(match: re.Match[str]) -> str:
    return (match.group(2) or match.group(3)) + _TEX_ACCENTS[match.group(1)]


def decode_tex(text: str) -> str:
    """Decode TeX accents and special letters into Unicode (NFC); drop grouping braces.

    `Benjamin R\\'emy` -> `Benjamin Rémy`, `J\\"urgen` -> `Jürgen`, `Fran\\c{c}ois` -> `François`,
    `Przemys{\\l}aw` -> `Przemysław`, `\\.Zygierewicz` -> `Żygierewicz`. A `~` (TeX's
    non-breaking space) becomes a space. Text without `\\`, `{` or `~` is returned unchanged.
    """
    if "\\" not in text and "{" not in text and "~" not in text:
        return text
    text = _TEX_LETTER_RE.sub(lambda m: _TEX_LETTERS[m.group(1)], text)
    text = _TEX_SYMBOL_ACCENT_RE.sub(_accent, text)
    text = _TEX_WORD_ACCENT_RE.sub(_accent, text)
    # Any other command: keep an escaped symbol (`\&` -> `&`), drop a named one (`\emph`).
    text = _TEX_OTHER_COMMAND_RE.sub(lambda m: m.group(2) or "", text)
    text = text.replace("{", "").replace("}", "").replace("~", " ")
    return unicodedata.normalize("NFC", text)


# --- Unicode folding ---------------------------------------------------------------------------

# Letters that do not decompose into base + combining mark under NFKD.
_SPECIAL_FOLD = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "Th",
        "ŋ": "ng",
        "Ŋ": "Ng",
        "ſ": "s",
    }
)


def fold_accents(text: str) -> str:
    """Strip accents, map special letters to ASCII, keep case (`Łukasz` -> `Lukasz`)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- Parsing -----------------------------------------------------------------------------------

_PARENS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_APOSTROPHES_RE = re.compile(r"['’‘`ʼ´]")
_PUNCT_RE = re.compile(r"[^\w\s.,\-]|_|\d")
_DASHES_RE = re.compile(r"[‐‑‒–—−]")
_SPACES_RE = re.compile(r"\s+")

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})
# Particles that are (practically) never a given name: kept in the surname even when nothing
# else is left for a given name ("Del Maestro" is a surname).
_STRONG_PARTICLES = frozenset(
    {
        "del",
        "della",
        "delle",
        "dello",
        "degli",
        "dei",
        "der",
        "den",
        "von",
        "vom",
        "zum",
        "zur",
        "ter",
        "ten",
    }
)
# Particles that are also given names in some languages ("Di Wang", "Le Song", "Van Nguyen").
_WEAK_PARTICLES = frozenset(
    {
        "van",
        "de",
        "da",
        "di",
        "do",
        "dos",
        "das",
        "du",
        "des",
        "la",
        "le",
        "lo",
        "el",
        "al",
        "dal",
        "dalla",
        "bin",
        "ibn",
        "st",
        "zu",
        "af",
        "av",
        "y",
    }
)
_PARTICLES = _STRONG_PARTICLES | _WEAK_PARTICLES


@dataclass(frozen=True, slots=True)
class NamePart:
    """One part of a name: a word (`andreas`) or an initial (`a`)."""

    text: str
    initial: bool


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name split into given-name tokens (each a group of hyphen/dot parts) and surname words."""

    given: tuple[tuple[NamePart, ...], ...]
    surname: tuple[str, ...]
    # A weak particle taken into the surname right after a full given name (`Jia Bin Huang`):
    # it may be a given-name syllable instead, so `name_keys` also keys that reading.
    maybe_given: str = ""
    # The whole name was one word (`Mausam`, `王小明`), not a surname without a given name.
    single_word: bool = False


def _drop_format_chars(text: str) -> str:
    """Delete invisible format characters (soft hyphen, zero-width space, BOM: category Cf).

    They would otherwise become word breaks (`Stei\u00adner` -> `stei ner`).
    """
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _clean(raw: str) -> tuple[str, bool]:
    """Decode, fold and strip a raw name; also say whether it was written in all capitals."""
    text = decode_tex(_drop_format_chars(raw))
    text = _PARENS_RE.sub(" ", text)
    text = fold_accents(text)
    text = _APOSTROPHES_RE.sub("", text)
    text = _DASHES_RE.sub("-", text)
    text = _PUNCT_RE.sub(" ", text)
    text = _SPACES_RE.sub(" ", text).strip(" ,-.")
    letters = [ch for ch in text if ch.isalpha()]
    all_caps = bool(letters) and all(ch.isupper() for ch in letters)
    return text, all_caps


def _split_token(token: str, caps_are_initials: bool) -> tuple[NamePart, ...]:
    """`Kai-Ming` -> (kai, ming); `J.C.` -> (j., c.); `K.-M.` -> (k., m.); `JF` -> (j., f.).

    A short undotted capital group (`JF`) is initials only when `caps_are_initials`.
    """
    parts: list[NamePart] = []
    for piece in token.split("-"):
        if not piece:
            continue
        if "." in piece:
            groups = piece.split(".")
            for index, group in enumerate(groups):
                if not group:
                    continue
                dotted = index < len(groups) - 1
                if dotted or len(group) == 1:
                    parts.append(NamePart(group[0].lower(), True))
                else:
                    parts.append(NamePart(group.lower(), False))
        elif len(piece) == 1:
            parts.append(NamePart(piece.lower(), True))
        elif caps_are_initials and len(piece) <= 3 and piece.isupper():
            parts.extend(NamePart(ch.lower(), True) for ch in piece)
        else:
            parts.append(NamePart(piece.lower(), False))
    return tuple(parts)


def _is_suffix(token: str) -> bool:
    return token.lower().rstrip(".") in _SUFFIXES


def _is_particle(parts: tuple[NamePart, ...]) -> bool:
    return len(parts) == 1 and not parts[0].initial and parts[0].text in _PARTICLES


def _all_initials(parts: tuple[NamePart, ...]) -> bool:
    return bool(parts) and all(part.initial for part in parts)


def _words(tokens: Iterable[tuple[NamePart, ...]]) -> tuple[str, ...]:
    return tuple(part.text for parts in tokens for part in parts)


def _caps_are_initials(raw_tokens: list[str], index: int, all_caps: bool) -> bool:
    """Whether a short capital group at `index` is initials (`JF Smith`) or a word (`Jun LIU`).

    In a mixed-case name, a capital group after the first token, in the trailing run written in
    capitals, is a surname word when it is the last token or a particle (`Jean LE GALL`); real
    initials there are dotted or single letters. So `Smith JF` reads as a surname `jf`.
    """
    if all_caps:
        return False
    if index == 0 or any(ch.islower() for tok in raw_tokens[index + 1 :] for ch in tok):
        return True
    last = index == len(raw_tokens) - 1
    return not (last or raw_tokens[index].lower() in _PARTICLES)


def _split_surname(
    tokens: list[tuple[NamePart, ...]],
) -> tuple[list[tuple[NamePart, ...]], list[tuple[NamePart, ...]]]:
    """Split `Given ... Surname` tokens; particles before the last word join the surname."""
    head = len(tokens) - 1
    start = head
    while start > 0:
        candidate = tokens[start - 1]
        if not _is_particle(candidate):
            break
        word = candidate[0].text
        given_left = any(not _is_particle(t) for t in tokens[: start - 1])
        follows_particle = start < head  # "van der Waals": `van` before an absorbed `der`
        if word in _STRONG_PARTICLES or given_left or follows_particle:
            start -= 1
        else:
            break
    return tokens[:start], tokens[start:]


@lru_cache(maxsize=65536)
def parse_name(raw: str) -> ParsedName:
    """Split an author string into given names and surname (see the module docstring)."""
    text, all_caps = _clean(raw)
    if not text:
        return ParsedName((), ())
    chunks = [c.strip() for c in text.split(",")]
    chunks = [c for c in chunks if c]
    # "Smith, Jr., John" / "John Smith, Jr.": suffix chunks carry nothing for matching.
    chunks = [c for c in chunks if not _is_suffix(c)] or chunks
    if len(chunks) == 2:
        # Before the comma every token is a surname word, even in capitals (`LIU, Jun`).
        surname_tokens = [_split_token(t, False) for t in chunks[0].split()]
        given_tokens = [_split_token(t, not all_caps) for t in chunks[1].split()]
        surname_tokens = [t for t in surname_tokens if t]
        given_tokens = [t for t in given_tokens if t]
        return ParsedName(tuple(given_tokens), _words(surname_tokens))

    raw_tokens = " ".join(chunks).split()
    while len(raw_tokens) > 2 and _is_suffix(raw_tokens[-1]):
        raw_tokens.pop()
    split = (
        _split_token(tok, _caps_are_initials(raw_tokens, i, all_caps))
        for i, tok in enumerate(raw_tokens)
    )
    tokens = [t for t in split if t]
    if not tokens:
        return ParsedName((), ())
    if len(tokens) == 1:
        return ParsedName((), _words(tokens), single_word=not _all_initials(tokens[0]))
    # "Steiner A" / "Steiner A.B.": trailing initials after a word are the given name. An
    # undotted capital group ("Steiner AB") is not initials any more (`_caps_are_initials`):
    # "Jun LIU" is far commoner on arXiv than PubMed's "Surname AB" form, which no longer
    # matches the spelled-out name.
    if _all_initials(tokens[-1]) and not _all_initials(tokens[0]):
        cut = len(tokens) - 1
        while cut > 1 and _all_initials(tokens[cut - 1]):
            cut -= 1
        return ParsedName(tuple(tokens[cut:]), _words(tokens[:cut]))
    given, surname = _split_surname(tokens)
    maybe_given = ""
    full_given = any(not part.initial for parts in given for part in parts)
    if full_given and len(surname) == 2 and surname[0][0].text in _WEAK_PARTICLES:
        maybe_given = surname[0][0].text
    return ParsedName(tuple(given), _words(surname), maybe_given)


# --- Keys --------------------------------------------------------------------------------------


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
    canonical = " ".join([*(_words(parsed.given)), *parsed.surname])
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


def normalize_text(text: str) -> str:
    """Fold TeX, accents, case and punctuation of free text (for search and de-duplication)."""
    folded = fold_accents(decode_tex(_drop_format_chars(text))).casefold()
    folded = _APOSTROPHES_RE.sub("", folded)
    return _SPACES_RE.sub(" ", re.sub(r"[^\w\s]|_", " ", folded)).strip()


# --- Matching ----------------------------------------------------------------------------------


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
