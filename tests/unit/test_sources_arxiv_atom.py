"""`parse_arxiv_atom` on the recorded arXiv API responses of both dialects, and broken bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.errors import ArxivQueryError, MalformedResponse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "arxiv_api"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_new_dialect_page_header_and_entries() -> None:
    page = parse_arxiv_atom(load("query_all-testing_start0_max10.atom.xml"))
    assert (page.total_results, page.start_index, page.items_per_page) == (214881, 0, 10)
    assert len(page.papers) == 10
    first = page.papers[0]
    assert first.arxiv_id == "2202.12139"
    assert first.version == 1
    assert first.title.startswith("Testing Deep Learning Models: A First Comparative Study")
    assert first.primary_category == "cs.SE"
    assert first.categories == ("cs.SE", "cs.LG")
    assert first.published == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.journal_ref is not None and first.journal_ref.startswith("Artificial Intelligence")
    assert first.comment is not None and "ICST 2022" in first.comment
    assert first.abs_url == "https://arxiv.org/abs/2202.12139v1"
    assert first.pdf_url == "https://arxiv.org/pdf/2202.12139v1"
    assert [a.name for a in first.authors] == [
        "Mohit Kumar Ahuja",
        "Arnaud Gotlieb",
        "Helge Spieker",
    ]
    assert page.papers[1].authors[0].name == "Aurora Ramírez"  # UTF-8 names kept as is


def test_second_page_start_index() -> None:
    page = parse_arxiv_atom(load("query_all-testing_start10_max10.atom.xml"))
    assert page.start_index == 10
    revised = page.papers[0]
    assert revised.arxiv_id == "2403.16981" and revised.version == 2
    assert revised.updated is not None and revised.published is not None
    assert revised.updated > revised.published


def test_every_author_keeps_every_affiliation_in_order() -> None:
    (paper,) = parse_arxiv_atom(load("idlist_astro-ph-0601001_affiliations.atom.xml")).papers
    assert [(a.name, a.affiliations) for a in paper.authors] == [
        ("Andrew Gould", ("Ohio State",)),
        ("Susan Dorsher", ("Ohio State",)),
        ("B. Scott Gaudi", ("CfA",)),
        ("Andrzej Udalski", ("Warsaw University Observatory",)),
    ]


def test_old_style_id_and_version_split() -> None:
    (paper,) = parse_arxiv_atom(load("idlist_astro-ph-0601001_affiliations.atom.xml")).papers
    assert paper.arxiv_id == "astro-ph/0601001"
    assert paper.version == 1
    assert paper.versioned_id == "astro-ph/0601001v1"
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.primary_category == "astro-ph"


def test_many_authors_in_order() -> None:
    (paper,) = parse_arxiv_atom(load("idlist_1707.08567_34-authors.atom.xml")).papers
    assert len(paper.authors) == 34
    assert paper.authors[0].name == "Kees A. Schouhamer Immink"


def test_legacy_dialect_wrapped_text_http_links_and_old_ids() -> None:
    page = parse_arxiv_atom(load("legacy2024_query_au-A-Del-Maestro_max10.atom.xml"))
    assert (page.total_results, len(page.papers)) == (12, 10)
    first = page.papers[0]
    assert first.arxiv_id == "1303.6954" and first.version == 2
    assert first.title == "Local Superfluidity at the Nanoscale"
    assert "\n" not in first.abstract and "  " not in first.abstract
    assert first.abstract.startswith("We have performed quantum Monte Carlo simulations")
    assert first.primary_category == "cond-mat.mes-hall"
    assert first.doi == "10.1103/PhysRevB.88.064512"
    assert first.abs_url == "http://arxiv.org/abs/1303.6954v2"
    old = {p.arxiv_id: p for p in page.papers}
    assert "cond-mat/0607501" in old and old["cond-mat/0607501"].version == 2
    assert any(a.name == "A. Del Maestro" for p in page.papers for a in p.authors)


def test_legacy_dialect_affiliations_on_several_authors_and_msc_terms() -> None:
    page = parse_arxiv_atom(load("legacy2024_query_lmm_max8.atom.xml"))
    david = next(p for p in page.papers if p.arxiv_id == "math/0611846")
    assert [(a.name, a.affiliations) for a in david.authors][:2] == [
        ("Claire David", ("LMM",)),
        ("Pierre Sagaut", ("LMM",)),
    ]
    assert any("," in c for p in page.papers for c in p.categories)  # MSC "35J20, ..." kept


@pytest.mark.parametrize(
    "name", ["idlist_0000.0000_empty.atom.xml", "legacy2024_query_empty.atom.xml"]
)
def test_empty_results_in_both_dialects(name: str) -> None:
    page = parse_arxiv_atom(load(name))
    assert page.total_results == 0
    assert page.papers == ()


def test_error_feed_is_a_typed_error_never_a_paper() -> None:
    with pytest.raises(ArxivQueryError, match="incorrect id format for abc"):
        parse_arxiv_atom(load("error_400_incorrect-id-format.atom.xml"))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        load("query_all-testing_start0_max10.atom.xml")[:5000],
        b"<!DOCTYPE html><html><body><h1>503</h1></body></html>",
        b"<html><body><p>maintenance</p></body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
        b"\x00\x01garbage",
    ],
    ids=["empty", "blank", "truncated", "html-doctype", "xhtml", "rss-root", "binary"],
)
def test_malformed_bodies_are_typed_errors(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_arxiv_atom(body)


def test_entry_without_id_is_skipped_not_fatal() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>no id</title></entry>'
        b"<entry><id>http://arxiv.org/abs/2411.00001v3</id><title>ok</title></entry></feed>"
    )
    page = parse_arxiv_atom(body)
    assert [(p.arxiv_id, p.version) for p in page.papers] == [("2411.00001", 3)]
    assert page.entries == 2 and page.total_results is None  # arXiv gave no count


def test_a_feed_declaring_entities_is_refused() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x "EXPANDED">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2411.00001v1</id>'
        b"<title>&x; and more</title></entry></feed>"
    )
    # Unexpanded, the entity emptied the title: arXiv sends no DTD, so the feed is not arXiv's.
    with pytest.raises(MalformedResponse, match="DOCTYPE"):
        parse_arxiv_atom(body)


def test_an_author_with_several_affiliations_keeps_them_all() -> None:
    # Synthetic entry: no recorded response has two affiliations on one author.
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        b"<entry><id>http://arxiv.org/abs/2411.00002v1</id><title>t</title>"
        b"<author><name>A. One</name><arxiv:affiliation>ETH Zurich</arxiv:affiliation>"
        b"<arxiv:affiliation>Google DeepMind</arxiv:affiliation></author>"
        b"<author><name>B. Two</name></author></entry></feed>"
    )
    (paper,) = parse_arxiv_atom(body).papers
    assert [(a.name, a.affiliations) for a in paper.authors] == [
        ("A. One", ("ETH Zurich", "Google DeepMind")),
        ("B. Two", ()),
    ]
