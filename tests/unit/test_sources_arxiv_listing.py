"""`parse_arxiv_listing` and `split_creators` on the recorded listing feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sources.arxiv_listing import parse_arxiv_listing, split_creators
from bot.sources.errors import FeedError, MalformedResponse
from bot.sources.models import PaperAuthor
from tests.harness.fake_upstream import rss_feed, rss_item

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "arxiv_rss"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_commas_inside_parentheses_do_not_split_authors() -> None:
    birmingham = "University of Birmingham, School of Physics, Birmingham, United Kingdom"
    authors = split_creators(
        f"Tianliang Yan ({birmingham}), "
        "Yubao Liu (Center for Gravitational Experiment, Wuhan, China), Jiri Smetana"
    )
    assert authors == [
        PaperAuthor("Tianliang Yan", (birmingham,)),
        PaperAuthor("Yubao Liu", ("Center for Gravitational Experiment, Wuhan, China",)),
        PaperAuthor("Jiri Smetana"),
    ]


def test_tex_accents_are_decoded_in_names_and_affiliations() -> None:
    authors = split_creators(
        "Benjamin R\\'emy (LEMTA), Przemys{\\l}aw Olbratowski, Jaros{\\l}aw \\.Zygierewicz, "
        "Fran\\c{c}ois Fleuret (Universit\\'e de Gen\\`eve)"
    )
    assert [a.name for a in authors] == [
        "Benjamin Rémy",
        "Przemysław Olbratowski",
        "Jarosław Żygierewicz",
        "François Fleuret",
    ]
    assert authors[3].affiliations == ("Université de Genève",)


def test_nested_parentheses_and_several_groups() -> None:
    authors = split_creators("A. Author (Dept. of Physics (DESY), Hamburg) (CERN), B. Author")
    assert authors == [
        PaperAuthor("A. Author", ("Dept. of Physics (DESY), Hamburg", "CERN")),
        PaperAuthor("B. Author"),
    ]


def test_hundreds_of_names() -> None:
    names = [f"Author{i} Surname{i}" for i in range(400)]
    creators = ", ".join(
        f"{n} (Lab {i % 7}, Somewhere, Earth)" if i % 5 == 0 else n for i, n in enumerate(names)
    )
    authors = split_creators(creators)
    assert [a.name for a in authors] == names
    assert authors[5].affiliations == ("Lab 5, Somewhere, Earth",)


def test_empty_and_blank_creators() -> None:
    assert split_creators("") == []
    assert split_creators(" , ,") == []


def test_real_all_archives_feed() -> None:
    listing = parse_arxiv_listing(load("rss_all-archives_2024-11-28_trimmed.xml"))
    assert len(listing.papers) == 36
    assert listing.announced == datetime(2024, 11, 28, 5, 0, tzinfo=UTC)
    types = [p.announce_type for p in listing.papers]
    assert types.count("new") == 15 and types.count("cross") == 9 and types.count("replace") == 12
    first = listing.papers[0]
    assert (first.arxiv_id, first.version, first.announce_type) == ("2411.17700", 1, "new")
    assert first.abstract.startswith("This study investigates")
    assert "Announce Type" not in first.abstract
    assert first.categories == ("cs.CY",) and first.primary_category == "cs.CY"
    assert first.published is None and first.announced == listing.announced
    assert first.abs_url == "https://arxiv.org/abs/2411.17700"
    assert first.pdf_url == "https://arxiv.org/pdf/2411.17700v1"
    remy = next(p for p in listing.papers if p.arxiv_id == "2411.17748")
    assert PaperAuthor("Benjamin Rémy", ("LEMTA",)) in remy.authors
    replaced = next(p for p in listing.papers if p.arxiv_id == "1712.07645")
    assert replaced.version == 2 and replaced.announce_type == "replace"
    assert replaced.doi == "10.1134/S1547477118030159"
    assert replaced.journal_ref == "Phys. Part. Nucl. Lett. 15(3), 225-229 (2018)"
    big = next(p for p in listing.papers if p.arxiv_id == "2411.17817")
    assert len(big.authors) == 8
    assert all(a.affiliations for a in big.authors)


def test_replace_cross_single_category_feed() -> None:
    listing = parse_arxiv_listing(load("synthetic_rss_cs-CV_replace-cross.xml"))
    assert [p.announce_type for p in listing.papers] == ["new", "cross", "replace", "replace-cross"]
    assert listing.papers[3].arxiv_id == "2407.05678" and listing.papers[3].version == 2


def test_weekend_feed_is_an_empty_listing_not_an_error() -> None:
    listing = parse_arxiv_listing(load("rss_test_empty-weekend-style.xml"))
    assert listing.papers == ()
    assert listing.title == "test updates on arXiv.org"
    assert not listing.possibly_truncated


def test_error_feed_is_a_feed_error() -> None:
    with pytest.raises(FeedError, match="Bad archive 'astroph'"):
        parse_arxiv_listing(load("rss_error_bad-archive-astroph.xml"))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!DOCTYPE html><html><head><title>Oops</title></head><body>down</body></html>",
        load("rss_all-archives_2024-11-28_trimmed.xml")[:20000],
        b"not xml at all",
    ],
    ids=["empty", "html", "truncated", "text"],
)
def test_broken_feeds_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_arxiv_listing(body)


def test_full_feed_is_flagged_possibly_truncated() -> None:
    items = [rss_item(f"2411.{i:05d}") for i in range(2000)]
    listing = parse_arxiv_listing(rss_feed(["cs"], items))  # synthetic: 2,000 generated items
    assert len(listing.papers) == 2000
    assert listing.possibly_truncated
