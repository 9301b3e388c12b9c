"""DOIs: one normal form for every source, so the same work has the same DOI everywhere.

The normal form is the bare DOI in lower case (`10.1002/ece3.2314`): DOIs are case-insensitive
(ASCII), and sources write them as `10.1002/ECE3.2314`, `doi:10.1002/...`,
`https://doi.org/10.1002/...` or `http://dx.doi.org/...`, sometimes with the sentence's own
punctuation after them (`... doi: 10.1101/014852.`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# `10.` + a registrant code of digits (dotted sub-codes allowed) + `/` + a non-empty suffix.
_DOI_RE = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
_PREFIX_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.IGNORECASE)
_TRAILING = ".,;:'\""
_CLOSERS = {")": "(", "]": "["}


def normalise_doi(text: str | None) -> str | None:
    """The bare lower-case DOI in `text` (a DOI, `doi:` DOI or doi.org URL), else None.

    `text` must be the DOI alone (its prefix and trailing punctuation aside): a sentence that
    merely contains one is for `find_doi`. Not a string (a JSON number, say): None.
    """
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().strip("<>\"'")
    prefix = _PREFIX_RE.match(value)
    if prefix:
        url = prefix.group(0).lower().startswith("http")
        value = value[prefix.end() :]
        if url:
            value = unquote(value)  # `10.1000%2F182` in a resolver URL
    value = _strip_trailing(value)
    return value.lower() if _DOI_RE.fullmatch(value) else None


def find_doi(text: str | None) -> str | None:
    """The first DOI written anywhere in `text` (`bioRxiv. 2015. doi: 10.1101/014852.`)."""
    if not isinstance(text, str) or not text:
        return None
    match = _DOI_RE.search(text)
    return normalise_doi(match.group(0)) if match else None


def _strip_trailing(doi: str) -> str:
    """Drop punctuation that ended the sentence, not the DOI: `.` `,` `;` and a `)` or `]`
    without its opening bracket (`10.1016/S0140-6736(20)30183-5` keeps its own)."""
    while doi:
        last = doi[-1]
        if last in _TRAILING:
            doi = doi[:-1]
        elif last in _CLOSERS and doi.count(last) > doi.count(_CLOSERS[last]):
            doi = doi[:-1]
        else:
            break
    return doi
