"""`dc:creator` strings and items that real arXiv feeds rarely send, but that must not lose authors.

All bodies here are synthetic, built in code with the real feed's item layout (`rss_item`).
"""

from __future__ import annotations

import pytest

from bot.sources.arxiv_listing import parse_arxiv_listing, split_creators
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.models import PaperAuthor
from tests.harness.fake_upstream import FakeUpstream, rss_feed, rss_item


def listing_with_creator_elements(*creators: str) -> bytes:
    """A one-item feed whose item has one `<dc:creator>` element per argument (synthetic)."""
    item = rss_item("2411.00001", creators="PLACEHOLDER")
    elements = "".join(f"<dc:creator>{c}</dc:creator>" for c in creators)
    return rss_feed(["cs"], [item.replace("<dc:creator>PLACEHOLDER</dc:creator>", elements)])


def test_several_creator_elements_keep_every_author_in_order() -> None:
    body = listing_with_creator_elements(
        "Alice Smith (MIT, Cambridge)", "Bob Jones, Carol King", "Dan Roe"
    )
    (paper,) = parse_arxiv_listing(body).papers
    assert paper.authors == (
        PaperAuthor("Alice Smith", ("MIT, Cambridge",)),
        PaperAuthor("Bob Jones"),
        PaperAuthor("Carol King"),
        PaperAuthor("Dan Roe"),
    )


async def test_several_creator_elements_through_the_rss_source(
    arxiv_rss: ArxivRssSource, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET", "/rss/cs.DL", body=listing_with_creator_elements("Alice Smith", "Bob Jones")
    )
    listing = await arxiv_rss.fetch_listing(["cs.DL"])
    assert [a.name for a in listing.papers[0].authors] == ["Alice Smith", "Bob Jones"]


def test_single_creator_element_is_unchanged() -> None:
    body = rss_feed(["cs"], [rss_item("2411.00001", creators="Ann Lee (ETH), Bo Li")])
    (paper,) = parse_arxiv_listing(body).papers
    assert paper.authors == (PaperAuthor("Ann Lee", ("ETH",)), PaperAuthor("Bo Li"))


@pytest.mark.parametrize(
    ("creators", "names"),
    [
        ("Alice Smith and Bob Jones", ["Alice Smith", "Bob Jones"]),
        ("Alice Smith, Bob Jones and Carol King", ["Alice Smith", "Bob Jones", "Carol King"]),
        ("Alice Smith, Bob Jones, and Carol King", ["Alice Smith", "Bob Jones", "Carol King"]),
        ("Alice Smith (MIT) and Bob Jones (CMU)", ["Alice Smith", "Bob Jones"]),
        ("Alexander Andersen, Sandra Andrews", ["Alexander Andersen", "Sandra Andrews"]),
        ("Sandra Andrews and Alexander Andersen", ["Sandra Andrews", "Alexander Andersen"]),
        ("Ferdinand Anderson, Rand Sand", ["Ferdinand Anderson", "Rand Sand"]),
    ],
)
def test_and_separates_authors_but_not_inside_names(creators: str, names: list[str]) -> None:
    assert [a.name for a in split_creators(creators)] == names


def test_and_inside_an_affiliation_does_not_split() -> None:
    assert split_creators("Ann Lee (Dept. of Physics and Astronomy, UCL) and Bo Li") == [
        PaperAuthor("Ann Lee", ("Dept. of Physics and Astronomy, UCL",)),
        PaperAuthor("Bo Li"),
    ]


def test_unclosed_parenthesis_falls_back_to_a_comma_split() -> None:
    assert split_creators("Alice Smith (MIT, Bob Jones") == [
        PaperAuthor("Alice Smith", ("MIT",)),
        PaperAuthor("Bob Jones"),
    ]


def test_stray_closing_parenthesis_is_dropped_from_the_name() -> None:
    assert split_creators("Alice Smith, Bob Jones), Carol King (CMU)") == [
        PaperAuthor("Alice Smith"),
        PaperAuthor("Bob Jones"),
        PaperAuthor("Carol King", ("CMU",)),
    ]


def test_unbalanced_list_still_splits_and_and_decodes_tex() -> None:
    authors = split_creators("Benjamin R\\'emy (LEMTA, Bob Jones and Carol King")
    assert [a.name for a in authors] == ["Benjamin Rémy", "Bob Jones", "Carol King"]
