"""arXiv id handling and filtering fetched papers down to followed authors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.names import MatchStrength
from bot.names.papers import build_index, match_papers
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.arxiv_ids import arxiv_id_from_doi, arxiv_id_from_url, split_version
from bot.sources.arxiv_listing import parse_arxiv_listing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2202.12139v1", ("2202.12139", 1)),
        ("2202.12139", ("2202.12139", None)),
        ("0801.3017v12", ("0801.3017", 12)),
        ("astro-ph/0601001v1", ("astro-ph/0601001", 1)),
        ("math.CO/0601001", ("math.CO/0601001", None)),
        ("http://arxiv.org/abs/cond-mat/0607501v2", ("cond-mat/0607501", 2)),
        ("https://arxiv.org/abs/2411.17700", ("2411.17700", None)),
        ("oai:arXiv.org:2411.17700v3", ("2411.17700", 3)),
        ("arXiv:2411.17700v1", ("2411.17700", 1)),
    ],
)
def test_split_version(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_version(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "", "2411", "https://example.org/abs/x", "W3188841554"])
def test_not_arxiv_ids(raw: str) -> None:
    with pytest.raises(ValueError):
        split_version(raw)


def test_ids_from_dois_and_urls() -> None:
    assert arxiv_id_from_doi("https://doi.org/10.48550/arxiv.2108.04680") == "2108.04680"
    assert arxiv_id_from_doi("10.48550/arXiv.2108.04680") == "2108.04680"
    assert arxiv_id_from_doi("10.48550/arXiv.math/0601001") == "math/0601001"
    assert arxiv_id_from_doi("https://doi.org/10.1145/2795233") is None
    assert arxiv_id_from_doi(None) is None
    assert arxiv_id_from_url("http://arxiv.org/pdf/2108.04680v2") == "2108.04680"
    assert arxiv_id_from_url("https://research.example/abs/2108.04680") is None


def test_match_api_papers_to_followed_authors() -> None:
    page = parse_arxiv_atom(
        (FIXTURES / "arxiv_api/legacy2024_query_au-A-Del-Maestro_max10.atom.xml").read_bytes()
    )
    index = build_index([("adm", "Adrian Del Maestro"), ("nobody", "Zaphod Beeblebrox")])
    matches = match_papers(page.papers, index)
    assert {m.owner for m in matches} == {"adm"}
    assert len(matches) == len({m.paper.arxiv_id for m in matches})  # one per (paper, owner)
    assert all(
        m.strength == MatchStrength.PROBABLE for m in matches
    )  # arXiv writes "A. Del Maestro"
    first = next(m for m in matches if m.paper.arxiv_id == "1303.6954")
    assert (first.author_index, first.author_name) == (2, "A. Del Maestro")
    assert match_papers(page.papers, index, min_strength=MatchStrength.STRONG) == []


def test_match_listing_papers_with_tex_names() -> None:
    listing = parse_arxiv_listing(
        (FIXTURES / "arxiv_rss/rss_all-archives_2024-11-28_trimmed.xml").read_bytes()
    )
    index = build_index(
        [
            ("remy", "Benjamin Rémy"),
            ("jost", "Jürgen Jost"),
            ("olbra", "Przemyslaw Olbratowski"),
            ("ginzel", "Florian Ginzel"),
        ]
    )
    found = {(m.owner, m.paper.arxiv_id, m.strength) for m in match_papers(listing.papers, index)}
    assert ("remy", "2411.17748", MatchStrength.STRONG) in found
    assert ("jost", "2105.02567", MatchStrength.STRONG) in found
    assert ("olbra", "2411.17709", MatchStrength.STRONG) in found
    assert sum(1 for owner, _, _ in found if owner == "ginzel") == 3


@pytest.mark.parametrize(
    "raw",
    ["2413.99999", "2400.00001", "1501.1234", "1412.12345", "astro-ph/0613001", "hep-th/9900001"],
)
def test_ids_arxiv_would_refuse_are_not_ids(raw: str) -> None:
    """A month 13 or a digit count of the wrong era: arXiv answers its error feed for these."""
    assert arxiv_id_from_doi(f"10.48550/arXiv.{raw}") is None
    assert arxiv_id_from_url(f"https://arxiv.org/abs/{raw}") is None
    with pytest.raises(ValueError):
        split_version(raw)


@pytest.mark.parametrize("raw", ["0704.0001", "1412.9999", "1501.00001", "hep-th/9901001"])
def test_ids_of_every_era_are_ids(raw: str) -> None:
    assert split_version(raw) == (raw, None)
