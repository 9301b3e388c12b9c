"""Text folding shared by every name function: TeX accents, Unicode accents, format characters.

Pure and deterministic, like the whole package: the same text always folds the same way.
"""

from __future__ import annotations

import re
import unicodedata

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


APOSTROPHES_RE = re.compile(r"['’‘`ʼ´]")
SPACES_RE = re.compile(r"\s+")


def drop_format_chars(text: str) -> str:
    """Delete invisible format characters (soft hyphen, zero-width space, BOM: category Cf).

    They would otherwise become word breaks (`Stei\u00adner` -> `stei ner`).
    """
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalize_text(text: str) -> str:
    """Fold TeX, accents, case and punctuation of free text (for search and de-duplication)."""
    folded = fold_accents(decode_tex(drop_format_chars(text))).casefold()
    folded = APOSTROPHES_RE.sub("", folded)
    return SPACES_RE.sub(" ", re.sub(r"[^\w\s]|_", " ", folded)).strip()
