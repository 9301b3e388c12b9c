"""Author names: the one normaliser that decides whether an author string is a followed author.

arXiv names are strings ("A. Del Maestro", "Benjamin R\\'emy", "Kai-Ming He"); the only way to
match them to a followed author is by comparing normalised keys. Everything here is pure and
deterministic, so the same name always yields the same keys wherever it is computed.

- `text`: TeX and accent folding (`decode_tex`, `fold_accents`, `normalize_text`).
- `parsing`: an author string split into given names and a surname (`parse_name`), after
  `affixes` dropped its titles, degrees, suffixes and nicknames (word lists in `vocabulary`).
- `keys`: the match keys of a name (`name_keys`).
- `matching`: match strengths (`NameIndex`) and typed-name equality (`same_person_name`).

docs/names.md tells the whole story: how names are parsed, keyed and matched, and the limits.
"""

from bot.names.keys import NameKeys, name_keys, normalize_name
from bot.names.matching import (
    MatchStrength,
    NameIndex,
    matches_query,
    names_match,
    same_person_name,
)
from bot.names.parsing import NamePart, ParsedName, parse_name
from bot.names.text import decode_tex, fold_accents, normalize_text

__all__ = [
    "MatchStrength",
    "NameIndex",
    "NameKeys",
    "NamePart",
    "ParsedName",
    "decode_tex",
    "fold_accents",
    "matches_query",
    "name_keys",
    "names_match",
    "normalize_name",
    "normalize_text",
    "parse_name",
    "same_person_name",
]
