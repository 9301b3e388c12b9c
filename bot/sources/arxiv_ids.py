"""arXiv identifiers: split versions, recognise old and new ids, find them in URLs and DOIs."""

from __future__ import annotations

import re

from bot.sources.counts import count

# New style `2411.17700` (YYMM, then 4 digits until 1412 and 5 since 1501), old style
# `astro-ph/0601001` or `math.CO/0601001` (archive, optional subject class, YYMM + 3 digits).
# The month must be real: arXiv answers its error feed for `2413.00001`, failing the whole
# request it is in, so such an id (say, from another source's metadata) is not an id here.
_MONTH = r"(?:0[1-9]|1[0-2])"
_ID_BODY = (
    rf"(?:\d{{2}}{_MONTH}\.\d{{4,5}}|[a-z][a-z\-]*(?:\.[A-Za-z]{{2}})?/\d{{2}}{_MONTH}\d{{3}})"
)
_VERSIONED_RE = re.compile(rf"^(?P<id>{_ID_BODY})(?:v(?P<version>\d+))?$", re.IGNORECASE)
_ABS_URL_RE = re.compile(
    rf"arxiv\.org/(?:abs|pdf)/(?P<id>{_ID_BODY})(?:v(?P<version>\d+))?", re.IGNORECASE
)
_DOI_RE = re.compile(rf"10\.48550/arxiv\.(?P<id>{_ID_BODY})(?:v\d+)?$", re.IGNORECASE)


def split_version(raw: str) -> tuple[str, int | None]:
    """`2202.12139v1` -> (`2202.12139`, 1); `astro-ph/0601001` -> (`astro-ph/0601001`, None).

    Also accepts an abs/pdf URL or an `oai:arXiv.org:` / `arXiv:` prefix. Raises ValueError for
    anything that is not an arXiv id. A version too big to store is unknown (None).
    """
    text = raw.strip()
    for prefix in ("oai:arXiv.org:", "arXiv:", "arxiv:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    if "/abs/" in text or "/pdf/" in text:
        match = _ABS_URL_RE.search(text)
    else:
        match = _VERSIONED_RE.match(text)
    if match is None or not _plausible(match.group("id")):
        raise ValueError(f"not an arXiv id: {raw[:80]!r}")
    arxiv_id = _canonical(match.group("id"))
    version = match.group("version")
    return arxiv_id, count(int(version), f"version of arXiv {arxiv_id}") if version else None


def _plausible(arxiv_id: str) -> bool:
    """New-style ids have 4 digits after the dot until December 2014, 5 from January 2015."""
    if "/" in arxiv_id:
        return True
    yymm, number = arxiv_id.split(".", 1)
    return (len(number) == 4) == (int(yymm) <= 1412)


def _canonical(arxiv_id: str) -> str:
    # Old-style archives are lower case (`astro-ph`), subject classes upper (`math.CO`).
    if "/" in arxiv_id:
        archive, number = arxiv_id.split("/", 1)
        if "." in archive:
            name, subject = archive.split(".", 1)
            archive = f"{name.lower()}.{subject.upper()}"
        else:
            archive = archive.lower()
        return f"{archive}/{number}"
    return arxiv_id


def arxiv_id_from_doi(doi: str | None) -> str | None:
    """`https://doi.org/10.48550/arxiv.2108.04680` -> `2108.04680` (None if not an arXiv DOI)."""
    if not doi:
        return None
    match = _DOI_RE.search(doi.strip())
    return _canonical(match.group("id")) if match and _plausible(match.group("id")) else None


def arxiv_id_from_url(url: str | None) -> str | None:
    """`https://arxiv.org/abs/2108.04680v2` -> `2108.04680` (None if not an arXiv abs/pdf URL)."""
    if not url:
        return None
    match = _ABS_URL_RE.search(url)
    return _canonical(match.group("id")) if match and _plausible(match.group("id")) else None
