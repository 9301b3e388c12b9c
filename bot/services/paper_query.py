"""What a member typed to name a paper: an arXiv id, a DOI, a PubMed id, an OpenAlex work id,
or a link to any of them. Pure: checked before the command defers."""

from __future__ import annotations

import re

from bot.errors import BadInput
from bot.sources.arxiv_ids import arxiv_id_from_doi, split_version
from bot.sources.dois import normalise_doi

MAX_LENGTH = 300
_PMID_RE = re.compile(
    r"^(?:pmid:?\s*|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/)"
    r"?(\d{1,9})/?$",
    re.I,
)
_PMCID_RE = re.compile(r"^(?:https?://\S+/)?(PMC\d{1,9})/?$", re.I)
_OPENALEX_RE = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:works/)?)?(W\d{2,12})$", re.I)

HOW = (
    "Give an arXiv id (`2411.17700`), a DOI (`10.1038/s41586-024-07487-w`), a PubMed id "
    "(`PMID 29456894`), an OpenAlex work id (`W2741809807`) or a link to one of them."
)


def parse_paper_query(text: str | None) -> tuple[str, str]:
    """(scheme, value) as stored in `paper_identifiers`; `BadInput` saying what works."""
    raw = " ".join((text or "").split())
    if not raw or len(raw) > MAX_LENGTH:
        raise BadInput(HOW)
    if doi := normalise_doi(raw):
        arxiv = arxiv_id_from_doi(doi)
        return ("arxiv", arxiv) if arxiv else ("doi", doi)
    if match := _PMID_RE.match(raw):
        return ("pmid", match.group(1))
    if match := _PMCID_RE.match(raw):
        return ("pmcid", match.group(1).upper())
    if match := _OPENALEX_RE.match(raw):
        return ("openalex", match.group(1).upper())
    try:
        return ("arxiv", split_version(raw)[0])
    except ValueError:
        raise BadInput(f"That is not a paper id I know. {HOW}") from None
