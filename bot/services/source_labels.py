"""How each upstream source is named to users: one table for every message."""

from __future__ import annotations

SOURCE_LABELS: dict[str, str] = {
    "arxiv_api": "arXiv API",
    "arxiv_rss": "arXiv listing feed",
    "openalex": "OpenAlex",
    "semantic_scholar": "Semantic Scholar",
    "pubmed": "PubMed",
    "crossref": "Crossref",
}


def source_label(source: str | None) -> str:
    """`openalex` -> `OpenAlex`; an unknown name is shown as it is, a missing one as `unknown`."""
    if not source:
        return "unknown"
    return SOURCE_LABELS.get(source, source)
