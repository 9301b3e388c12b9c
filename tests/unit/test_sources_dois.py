"""`normalise_doi` and `find_doi`: one spelling of a DOI for every source."""

from __future__ import annotations

import pytest

from bot.sources.dois import find_doi, normalise_doi


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1002/ece3.2314", "10.1002/ece3.2314"),
        ("10.1002/ECE3.2314", "10.1002/ece3.2314"),
        ("doi:10.1002/ece3.2314", "10.1002/ece3.2314"),
        ("DOI: 10.1002/ece3.2314", "10.1002/ece3.2314"),
        ("https://doi.org/10.1002/ece3.2314", "10.1002/ece3.2314"),
        ("http://dx.doi.org/10.1002/ece3.2314", "10.1002/ece3.2314"),
        ("HTTPS://DOI.ORG/10.48550/arXiv.2108.04680", "10.48550/arxiv.2108.04680"),
        ("https://doi.org/10.1000%2F182", "10.1000/182"),
        ("info:doi/10.1000/182", "10.1000/182"),
        ("  10.1101/014852.  ", "10.1101/014852"),
        ("10.1101/014852;", "10.1101/014852"),
        ("<10.1101/014852>", "10.1101/014852"),
        ("10.1016/S0140-6736(20)30183-5", "10.1016/s0140-6736(20)30183-5"),
        ("10.1016/S0140-6736(20)30183-5).", "10.1016/s0140-6736(20)30183-5"),
        ("10.1000.10/abc", "10.1000.10/abc"),
    ],
)
def test_every_spelling_gives_the_bare_lower_case_doi(text: str, expected: str) -> None:
    assert normalise_doi(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        5,
        "",
        "   ",
        "not a doi",
        "10.12/short-registrant",
        "10.1234/",
        "10.1234/.",
        "11.1234/abc",
        "https://example.org/10.1002/ece3.2314",
        "see 10.1002/ece3.2314",
        "10.1002/ece3 2314",
    ],
)
def test_anything_else_is_none(text: object) -> None:
    assert normalise_doi(text) is None  # type: ignore[arg-type]


def test_find_doi_reads_the_doi_written_in_a_citation() -> None:
    assert find_doi("bioRxiv. 2015 Feb 4:014852. doi: 10.1101/014852.") == "10.1101/014852"
    assert find_doi("Lancet (doi:10.1016/S0140-6736(20)30183-5)") == (
        "10.1016/s0140-6736(20)30183-5"
    )
    assert find_doi("Am Nat. 2015;185(3):E69-E83") is None
    assert find_doi(None) is None
