"""arXiv identifiers: split versions, recognise old and new ids, find them in URLs and DOIs."""

from __future__ import annotations

import re

# New style `2411.17700` (4 or 5 digits after the dot since 2015), old style `astro-ph/0601001`
# or `math.CO/0601001` (archive, optional subject class, 7 digits).
_ID_BODY = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7})"
_VERSIONED_RE = re.compile(rf"^(?P<id>{_ID_BODY})(?:v(?P<version>\d+))?$", re.IGNORECASE)
_ABS_URL_RE = re.compile(
    rf"arxiv\.org/(?:abs|pdf)/(?P<id>{_ID_BODY})(?:v(?P<version>\d+))?", re.IGNORECASE
)
_DOI_RE = re.compile(rf"10\.48550/arxiv\.(?P<id>{_ID_BODY})(?:v\d+)?$", re.IGNORECASE)


def split_version(raw: str) -> tuple[str, int | None]:
    """`2202.12139v1` -> (`2202.12139`, 1); `astro-ph/0601001` -> (`astro-ph/0601001`, None).

    Also accepts an abs/pdf URL or an `oai:arXiv.org:` / `arXiv:` prefix. Raises ValueError for
    anything that is not an arXiv id.
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
    if match is None:
        raise ValueError(f"not an arXiv id: {raw[:80]!r}")
    version = match.group("version")
    return _canonical(match.group("id")), int(version) if version else None


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


def is_arxiv_id(raw: str) -> bool:
    """True for `2411.17700`, `2411.17700v2`, `astro-ph/0601001`, `math.CO/0601001v1`."""
    return _VERSIONED_RE.match(raw.strip()) is not None


def arxiv_id_from_doi(doi: str | None) -> str | None:
    """`https://doi.org/10.48550/arxiv.2108.04680` -> `2108.04680` (None if not an arXiv DOI)."""
    if not doi:
        return None
    match = _DOI_RE.search(doi.strip())
    return _canonical(match.group("id")) if match else None


def arxiv_id_from_url(url: str | None) -> str | None:
    """`https://arxiv.org/abs/2108.04680v2` -> `2108.04680` (None if not an arXiv abs/pdf URL)."""
    if not url:
        return None
    match = _ABS_URL_RE.search(url)
    return _canonical(match.group("id")) if match else None
