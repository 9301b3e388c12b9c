"""Splitting an author string into given names and a surname (`parse_name`).

1. Invisible format characters (soft hyphen, zero-width space) are deleted, TeX accents are
   decoded (`R\\'emy` -> `Rémy`, `{\\"u}` -> `ü`, `\\c{c}` -> `ç`, `{\\l}` -> `ł`),
   parenthesised affiliations and quoted nicknames dropped (`William 'Bill' Gates`), accents
   folded (`André` -> `andre`, `ł` -> `l`, `ß` -> `ss`), case folded, apostrophes removed
   (`O'Brien` -> `obrien`), other punctuation turned into spaces.
2. Titles, degrees and generational suffixes are dropped where they stand (`bot.names.affixes`:
   `Dr. John Doe`, `John Smith, Ph. D.`, `Smith Jr., John`).
3. The name is split into given names and a surname. `Surname, Given` order is understood;
   particles (van, von, de, del, della, der, da, di, le, la, du, ...) stay in the surname
   (`del maestro`, `van der waals`), except that a particle which is the only candidate for a
   given name is taken as a given name (`Di Wang`, `Le Song`, `Van Nguyen`), unless it can only
   be a particle (`del`, `der`, `von`...).
   Initials are recognised from dots (`A.`, `J.C.`, `K.-M.`, `Yu.`), single letters, and short
   all-capital groups in a mixed-case name (`JF Smith`), except that a capital group ending a
   mixed-case name is a surname (`Jun LIU`, `Andrew NG`; so `Smith JF` has the surname `jf`).
   `St.` and `Ste.` after the first word are the particles Saint and Sainte (`Jill St. John`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.names.affixes import (
    NICKNAME_RE,
    drop_affix_chunks,
    drop_leading_titles,
    drop_trailing_affixes,
)
from bot.names.text import APOSTROPHES_RE, SPACES_RE, decode_tex, drop_format_chars, fold_accents
from bot.names.vocabulary import PARTICLES, STRONG_PARTICLES, WEAK_PARTICLES

_PARENS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_PUNCT_RE = re.compile(r"[^\w\s.,\-]|_|\d")
_DASHES_RE = re.compile(r"[‐‑‒–—−]")


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


def _clean(raw: str) -> tuple[str, bool]:
    """Decode, fold and strip a raw name; also say whether it was written in all capitals."""
    text = decode_tex(drop_format_chars(raw))
    text = _PARENS_RE.sub(" ", text)
    text = NICKNAME_RE.sub(" ", text)
    text = fold_accents(text)
    text = APOSTROPHES_RE.sub("", text)
    text = _DASHES_RE.sub("-", text)
    text = _PUNCT_RE.sub(" ", text)
    text = SPACES_RE.sub(" ", text).strip(" ,-.")
    letters = [ch for ch in text if ch.isalpha()]
    all_caps = bool(letters) and all(ch.isupper() for ch in letters)
    return text, all_caps


def _split_token(token: str, caps_are_initials: bool, saint: bool = False) -> tuple[NamePart, ...]:
    """`Kai-Ming` -> (kai, ming); `J.C.` -> (j., c.); `K.-M.` -> (k., m.); `JF` -> (j., f.).

    A short undotted capital group (`JF`) is initials only when `caps_are_initials`; `St.` and
    `Ste.` are the words `st` and `ste` (Saint, Sainte) when `saint`.
    """
    parts: list[NamePart] = []
    for piece in token.split("-"):
        if not piece:
            continue
        if "." in piece:
            if saint and piece.lower() in ("st.", "ste."):
                parts.append(NamePart(piece[:-1].lower(), False))
                continue
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


def _is_particle(parts: tuple[NamePart, ...]) -> bool:
    return len(parts) == 1 and not parts[0].initial and parts[0].text in PARTICLES


def _all_initials(parts: tuple[NamePart, ...]) -> bool:
    return bool(parts) and all(part.initial for part in parts)


def words_of(tokens: Iterable[tuple[NamePart, ...]]) -> tuple[str, ...]:
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
    return not (last or raw_tokens[index].lower() in PARTICLES)


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
        if word in STRONG_PARTICLES or given_left or follows_particle:
            start -= 1
        else:
            break
    return tokens[:start], tokens[start:]


@lru_cache(maxsize=65536)
def parse_name(raw: str) -> ParsedName:
    """Split an author string into given names and surname (see the module docstring)."""
    text, all_caps = _clean(raw)
    chunks = drop_affix_chunks([c for c in map(str.strip, text.split(",")) if c])
    if len(chunks) == 2:
        return _parse_surname_first(chunks[0].split(), chunks[1].split(), all_caps)
    return _parse_given_first(" ".join(chunks).split(), all_caps)


def _parse_surname_first(
    surname_raw: list[str], given_raw: list[str], all_caps: bool
) -> ParsedName:
    """`Smith Jr., Dr. John`: before the comma, every word is the surname, even in capitals."""
    surname_raw = drop_trailing_affixes(surname_raw, keep=1)
    given_raw, _ = drop_leading_titles(given_raw)
    given_raw = drop_trailing_affixes(given_raw, keep=1)
    surname_tokens = [t for t in (_split_token(t, False, True) for t in surname_raw) if t]
    given_tokens = [t for t in (_split_token(t, not all_caps) for t in given_raw) if t]
    return ParsedName(tuple(given_tokens), words_of(surname_tokens))


def _parse_given_first(raw_tokens: list[str], all_caps: bool) -> ParsedName:
    """`Dr. John A. Smith Jr.`, `Smith J.F.` (PubMed), `Mausam`."""
    raw_tokens, titled = drop_leading_titles(raw_tokens)
    raw_tokens = drop_trailing_affixes(raw_tokens, keep=2)
    split = (
        _split_token(tok, _caps_are_initials(raw_tokens, i, all_caps), i > 0)
        for i, tok in enumerate(raw_tokens)
    )
    tokens = [t for t in split if t]
    if not tokens:
        return ParsedName((), ())
    if len(tokens) == 1:
        lone_word = not titled and not _all_initials(tokens[0])
        return ParsedName((), words_of(tokens), single_word=lone_word)
    # "Steiner A" / "Steiner A.B.": trailing initials after a word are the given name. An
    # undotted capital group ("Steiner AB") is not initials any more (`_caps_are_initials`):
    # "Jun LIU" is far commoner on arXiv than PubMed's "Surname AB" form, which no longer
    # matches the spelled-out name.
    if _all_initials(tokens[-1]) and not _all_initials(tokens[0]):
        cut = len(tokens) - 1
        while cut > 1 and _all_initials(tokens[cut - 1]):
            cut -= 1
        return ParsedName(tuple(tokens[cut:]), words_of(tokens[:cut]))
    given, surname = _split_surname(tokens)
    maybe_given = ""
    full_given = any(not part.initial for parts in given for part in parts)
    if full_given and len(surname) == 2 and surname[0][0].text in WEAK_PARTICLES:
        maybe_given = surname[0][0].text
    return ParsedName(tuple(given), words_of(surname), maybe_given)
