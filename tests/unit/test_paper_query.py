"""What a member may type to name a paper, and what is refused."""

from __future__ import annotations

import pytest

from bot.errors import BadInput
from bot.services.paper_query import parse_paper_query


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2411.17700", ("arxiv", "2411.17700")),
        ("  2411.17700v3 ", ("arxiv", "2411.17700")),
        ("arXiv:2411.17700", ("arxiv", "2411.17700")),
        ("https://arxiv.org/abs/2411.17700v2", ("arxiv", "2411.17700")),
        ("astro-ph/0601001", ("arxiv", "astro-ph/0601001")),
        ("10.48550/arXiv.2108.04680", ("arxiv", "2108.04680")),
        ("10.1038/S41586-024-07487-W", ("doi", "10.1038/s41586-024-07487-w")),
        ("https://doi.org/10.1101/2020.01.01.123456", ("doi", "10.1101/2020.01.01.123456")),
        ("doi: 10.1371/journal.pone.0163579.", ("doi", "10.1371/journal.pone.0163579")),
        ("PMID 29456894", ("pmid", "29456894")),
        ("pmid:29456894", ("pmid", "29456894")),
        ("https://pubmed.ncbi.nlm.nih.gov/29456894/", ("pmid", "29456894")),
        ("29456894", ("pmid", "29456894")),
        ("pmc5061321", ("pmcid", "PMC5061321")),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5061321/", ("pmcid", "PMC5061321")),
        ("W2741809807", ("openalex", "W2741809807")),
        ("https://openalex.org/W2741809807", ("openalex", "W2741809807")),
    ],
)
def test_ids_and_links_are_read(text: str, expected: tuple[str, str]) -> None:
    assert parse_paper_query(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", None, "not-an-id", "<@123> 2501", "10.1038", "W1", "x" * 301, "1234567890"]
)
def test_anything_else_says_what_works(text: str | None) -> None:
    with pytest.raises(BadInput, match="DOI"):
        parse_paper_query(text)
