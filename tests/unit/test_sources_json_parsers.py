"""OpenAlex and Semantic Scholar JSON parsers on the recorded bodies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.sources import openalex_parsing as oa
from bot.sources import semantic_scholar_parsing as s2
from bot.sources.errors import MalformedResponse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED = datetime(2026, 11, 28, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_openalex_full_author() -> None:
    record = oa.parse_author(load("openalex/author_A5048491430.json"))
    assert record.source == "openalex"
    assert record.display_name == "Heather Piwowar"
    assert record.external_ids["openalex"] == "A5048491430"
    assert record.orcid == "0000-0003-1613-5981"
    assert record.h_index == 23 and record.i10_index == 31
    assert record.two_year_mean_citedness == 16.0  # an integer in the JSON
    assert record.citations == 4975 and record.works_count == 96
    assert record.affiliations[0] == "OpenAlex"
    assert len(record.affiliations) == len(set(record.affiliations))
    assert "Heather Piwowar" in record.name_variants and len(record.name_variants) >= 2
    years = [c.year for c in record.counts_by_year]
    assert years == sorted(years) and years[-1] == 2025
    assert record.as_of == datetime(2025, 10, 13, 16, 57, 30, 883248, tzinfo=UTC)
    assert record.primary_field == "Information Systems"  # its main topic's subfield
    assert record.topics[0] == "Research Data Management Practices"


def test_openalex_deleted_author_has_zeros_not_missing() -> None:
    record = oa.parse_author(load("openalex/author_A5317838346_deleted-author.json"))
    assert record.display_name == "Deleted Author"
    assert (record.h_index, record.citations, record.works_count) == (0, 0, 0)
    assert record.affiliations == () and record.counts_by_year == () and record.orcid is None


def test_openalex_search_list_and_relevance() -> None:
    records, meta = oa.parse_author_list(load("openalex/authors_search-mearman_per_page20.json"))
    assert meta["count"] == 8 and len(records) == 8
    assert all("Mearman" in r.display_name for r in records[:1])
    assert records[0].relevance_score is not None


def test_openalex_works_arxiv_mapping_and_abstract() -> None:
    works, cursor, count = oa.parse_works_page(
        load("openalex/works_filter-author-A5017898742_per_page5.json")
    )
    assert (len(works), cursor, count) == (5, None, 9)
    preprint = next(w for w in works if w.openalex_id == "W3188841554")
    assert preprint.arxiv_id == "2108.04680"
    assert preprint.doi == "10.48550/arxiv.2108.04680"
    assert preprint.publication_date == date(2021, 1, 1) and preprint.created_date == date(
        2021, 8, 16
    )
    assert preprint.abstract is not None and preprint.abstract.startswith("We believe that")
    assert preprint.authors[0].openalex_id == "A5009341822"
    assert preprint.authors[0].raw_name == "J. C. Roberts"
    assert "A5017898742" in preprint.author_ids
    journal = next(w for w in works if w.openalex_id == "W2250748100")
    assert journal.arxiv_id is None
    no_abstract = next(w for w in works if w.openalex_id == "W3200026003")
    assert no_abstract.abstract is None


def test_rebuild_abstract_orders_by_position() -> None:
    assert (
        oa.rebuild_abstract({"world": [1], "hello": [0], "again": [3], "hello,": [2]})
        == "hello world hello, again"
    )
    assert oa.rebuild_abstract(None) is None and oa.rebuild_abstract({}) is None


def test_arxiv_id_from_location_when_doi_is_not_arxiv() -> None:
    work = oa.parse_work(
        {
            "id": "https://openalex.org/W1",
            "doi": "https://doi.org/10.1000/xyz",
            "title": "T",
            "locations": [{"landing_page_url": "https://arxiv.org/abs/2401.01234v3"}],
        }
    )
    assert work.arxiv_id == "2401.01234"


def test_openalex_autocomplete() -> None:
    candidates = oa.parse_autocomplete(
        load("openalex/synthetic_autocomplete_authors_q-piwowar.json")
    )
    assert [c.id for c in candidates] == ["A5048491430", "A5017898742", "A5099999999"]
    assert candidates[0].hint == "OpenAlex" and candidates[0].orcid == "0000-0003-1613-5981"
    assert candidates[0].works_count == 96


@pytest.mark.parametrize("body", [[], {"meta": {}}, {"results": "x"}, "text"])
def test_openalex_unexpected_shapes(body: Any) -> None:
    with pytest.raises(MalformedResponse):
        oa.parse_author_list(body)
    with pytest.raises(MalformedResponse):
        oa.parse_works_page(body)


def test_openalex_id_helpers() -> None:
    assert oa.short_openalex_id("https://openalex.org/A5048491430") == "A5048491430"
    assert oa.short_openalex_id("a5048491430") == "A5048491430"
    assert oa.short_openalex_id("nope") is None
    assert oa.bare_orcid("https://orcid.org/0000-0002-1825-009x") == "0000-0002-1825-009X"


def test_s2_full_author() -> None:
    record = s2.parse_author(
        load("semanticscholar/author_2262347_full-with-papers.json"), fetched_at=FETCHED
    )
    assert record.source == "semantic_scholar"
    assert record.external_ids == {"s2": "2262347", "dblp": "Alan M. Turing"}
    assert record.display_name == "A. Turing"
    assert "Alan M. Turing" in record.name_variants
    assert (record.h_index, record.citations, record.works_count) == (23, 12415, 60)
    assert record.as_of == FETCHED


def test_s2_batch_keeps_order_and_nulls() -> None:
    records = s2.parse_author_batch(
        load("semanticscholar/author_batch_with-unknown-id_null.json"), fetched_at=FETCHED
    )
    assert records[0] is None
    assert [r.display_name for r in records[1:] if r] == [
        "E. Dijkstra",
        "D. Parnas",
        "I. Sommerville",
    ]
    assert records[1] is not None and records[1].h_index is None  # not asked for: unknown, not 0


def test_s2_papers_page() -> None:
    items, next_offset, total = s2.parse_list_page(
        load("semanticscholar/author_1723755_papers_offset0_limit100.json")
    )
    assert (len(items), next_offset, total) == (100, 100, None)
    paper = s2.parse_paper(items[0])
    assert paper.paper_id == "01063e45d9fc9635d29d8d78aa24ed8de351f36a"
    assert paper.title.startswith("SARS-CoV-2 hijacks")


def test_s2_paper_with_arxiv_id() -> None:
    paper = s2.parse_paper(
        {
            "paperId": "abc",
            "title": "T",
            "externalIds": {"ArXiv": "2106.15928v2", "DOI": "10.1/X"},
            "publicationDate": "2021-06-30",
            "authors": [{"authorId": "1", "name": "A"}, {"authorId": None, "name": "B"}],
        }
    )
    assert paper.arxiv_id == "2106.15928" and paper.doi == "10.1/x"
    assert paper.publication_date == date(2021, 6, 30)
    assert paper.authors == (("1", "A"), (None, "B"))


def test_s2_bad_shapes() -> None:
    with pytest.raises(MalformedResponse):
        s2.parse_author_batch({"data": []}, fetched_at=FETCHED)
    with pytest.raises(MalformedResponse):
        s2.parse_author({"name": "no id"}, fetched_at=FETCHED)
    assert (
        s2.error_detail(load("semanticscholar/error_404_author-not-found.json"))
        == "Author with id 0 not found"
    )


def test_a_works_landing_page_is_kept_only_when_a_message_may_link_to_it() -> None:
    from bot.plain_text import web_url

    assert web_url("https://doi.org/10.1101/014852") == "https://doi.org/10.1101/014852"
    assert web_url("  http://example.org/a  ") == "http://example.org/a"
    for odd in (
        "ftp://example.org/a",
        "doi:10.1/x",
        "https://a b",
        42,
        None,
        "https://" + "x" * 600,
    ):
        assert web_url(odd) is None
