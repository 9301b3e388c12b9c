"""Words around a name that are not the name: titles, degrees, generational suffixes, nicknames.

They are dropped before a name is split (`bot.names.parsing`), so that none becomes a given
name, an initial or a surname word. Each is only dropped where it cannot be the name itself:

- titles lead the given names (`Dr. John Doe`, `Prof. Dr.-Ing. Hans Müller`, `Doe, Mr. John`,
  `Dr. rer. nat. Hans Müller`);
- degrees and suffixes end the name, in a comma chunk of their own (`John Smith, Ph. D.`,
  `John Doe, CLU, CFP, LUTC`, `Doe, Jr., John`) or after the surname (`Joe Dentist D.D.S.`,
  `larry james edward johnson v`, `Smith Jr., John`, `Doe, John Jr.`). Without a comma, two
  name words must stay before them: `Smith M.D.` and `Doe, MD` are PubMed's initials, not
  degrees;
- nicknames are one quoted word inside the name (`William 'Bill' Gates`); parenthesised ones
  go with every parenthesis (`bot.names.parsing`).
"""

from __future__ import annotations

import re

from bot.names.vocabulary import (
    DEGREES,
    DOCTORATE_FIELDS,
    DOTTED_TITLES,
    NAME_LIKE_DEGREES,
    PARTICLES,
    SUFFIXES,
    TITLES,
)

_QUOTES = "\"'`“”‘’„«»"
# One quoted word after a word, with the space before it (replace with a space); never an
# apostrophe inside a word (`O'Brien`) or one opening a word (`Gerard 't Hooft`).
NICKNAME_RE = re.compile(rf"\s[{_QUOTES}]+[^\s{_QUOTES}]+[{_QUOTES}]+(?=[\s,])")


def _letters(token: str) -> str:
    """`Ph.D.` -> `phd`, `Dr.-Ing.` -> `dring`: by now a token is letters, dots and hyphens."""
    return token.replace(".", "").replace("-", "").lower()


def _title_piece(piece: str, after_title: bool) -> bool:
    word = _letters(piece)
    if word in TITLES:
        return True
    dotted = piece.endswith(".")
    return dotted and (word in DOTTED_TITLES or (after_title and word in DOCTORATE_FIELDS))


def _is_title(token: str, *, after_title: bool) -> bool:
    """`Dr.`, `Prof`, `Dr.-Ing.`: every hyphenated piece is a title; `rer.` after a title."""
    if "-" not in token:
        return _title_piece(token, after_title)
    pieces = [piece for piece in token.split("-") if piece]
    return bool(pieces) and all(_title_piece(piece, after_title) for piece in pieces)


def _affix_piece(piece: str, after_comma: bool) -> bool:
    word = _letters(piece)
    if word in DEGREES or word in SUFFIXES:
        return True
    return word in NAME_LIKE_DEGREES and (after_comma or "." in piece)


def _is_degree_or_suffix(token: str, *, after_comma: bool) -> bool:
    """`PhD`, `Ph.D.`, `D.D.S.`, `MD-PhD`, `Jr.`; `MA` only with dots or after a comma."""
    if "-" not in token:
        return _affix_piece(token, after_comma)
    pieces = [piece for piece in token.split("-") if piece]
    return bool(pieces) and all(_affix_piece(piece, after_comma) for piece in pieces)


def _spaced_degree(tokens: list[str]) -> bool:
    """`Ph. D.`, `D. D. S.`: short pieces spelling one degree."""
    words = [_letters(token) for token in tokens]
    return len(words) > 1 and all(len(word) <= 2 for word in words) and "".join(words) in DEGREES


def _name_words(tokens: list[str]) -> int:
    return sum(1 for token in tokens if _letters(token) not in PARTICLES)


def drop_leading_titles(tokens: list[str]) -> tuple[list[str], bool]:
    """`Dr. John Doe` -> `John Doe`; at least one word is left. Also says whether any was."""
    start = 0
    while start < len(tokens) - 1 and _is_title(tokens[start], after_title=start > 0):
        start += 1
    return (tokens[start:], True) if start else (tokens, False)


def _affix_size(tokens: list[str], end: int) -> int:
    """How many tokens before `end` spell one degree or suffix: `PhD` 1, `Ph. D.` 2, none 0."""
    last = tokens[end - 1]
    if _is_degree_or_suffix(last, after_comma=False):
        return 1
    if len(last) > 3:  # not the last piece of a spaced degree (`D.` of `Ph. D.`)
        return 0
    return next((k for k in (2, 3) if k < end and _spaced_degree(tokens[end - k : end])), 0)


def drop_trailing_affixes(tokens: list[str], keep: int) -> list[str]:
    """Drop the degrees and suffixes ending `tokens` while `keep` name words stay before them."""
    end = len(tokens)
    while end:
        size = _affix_size(tokens, end)
        if not size or _name_words(tokens[: end - size]) < keep:
            break
        end -= size
    return tokens[:end] if end < len(tokens) else tokens


def _is_affix_chunk(chunk: str) -> bool:
    tokens = chunk.split()
    return _spaced_degree(tokens) or all(
        _is_title(t, after_title=False) or _is_degree_or_suffix(t, after_comma=True) for t in tokens
    )


def _could_be_initials(chunk: str) -> bool:
    letters = chunk.replace(".", "").replace("-", "").replace(" ", "")
    return len(letters) <= 3 and letters.isupper()


def drop_affix_chunks(chunks: list[str]) -> list[str]:
    """Drop the comma chunks that are only degrees, suffixes or titles (`John Doe, PhD, Jr.`).

    The first chunk is the name. A second chunk that could be initials (`MD`, `CLU`) stays when
    it follows a lone surname and nothing else could be the given name: `Doe, MD` is PubMed's
    `Doe, M. D.`, while `John Doe, MD` and `SMITH, JR., JOHN` carry a degree and a suffix.
    """
    if len(chunks) < 2:
        return chunks
    affix = [index > 0 and _is_affix_chunk(chunk) for index, chunk in enumerate(chunks)]
    pubmed_initials = (
        _could_be_initials(chunks[1]) and _name_words(chunks[0].split()) < 2 and all(affix[2:])
    )
    return [
        chunk
        for index, chunk in enumerate(chunks)
        if not affix[index] or (index == 1 and pubmed_initials)
    ]
