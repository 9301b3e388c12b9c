"""The Crossref JSON parser on every recorded body, the synthetic one, and small works built
here (each says what it changes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.sources.crossref_parsing import (
    error_detail,
    parse_work,
    parse_work_list,
    parse_work_message,
)
from bot.sources.errors import MalformedResponse
from bot.sources.models import CrossrefAuthor, PartialDate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crossref"
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_recorded_single_work() -> None:
    work = parse_work_message(load("work_10.1371-journal.pone.0033693.json"), now=NOW)
    assert work.doi == "10.1371/journal.pone.0033693"
    assert work.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert (work.type, work.subtype, work.institution) == ("journal-article", None, None)
    assert work.container_title == "PLoS ONE"
    assert work.publisher == "Public Library of Science (PLoS)"
    assert len(work.authors) == 6 and work.authors[-1] == CrossrefAuthor(
        name="Smeyne, Richard J.", given="Richard J.", family="Smeyne"
    )
    assert work.issued == work.published == PartialDate(2012, 3, 21)
    assert (work.posted, work.has_preprint, work.is_preprint_of) == (None, (), ())


def test_recorded_work_list_with_preprints_and_a_pair() -> None:
    works = parse_work_list(load("works_query-ecology_query.author-carl-boettiger_trimmed.json"))
    by_doi = {w.doi: w for w in works}
    assert list(by_doi) == [
        "10.1111/ele.14024",
        "10.1101/055319",
        "10.1111/2041-210x.14013",  # `10.1111/2041-210X.14013` in the record
        "10.1002/ece3.2314",
        "10.1101/014852",
    ]
    article, preprint = by_doi["10.1002/ece3.2314"], by_doi["10.1101/014852"]
    assert article.has_preprint == ("10.1101/014852",) and not article.is_preprint
    assert preprint.is_preprint and preprint.is_preprint_of == ()  # the record has no link back
    assert (preprint.institution, preprint.posted) == ("bioRxiv", PartialDate(2015, 2, 4))
    assert preprint.container_title is None
    assert article.title == (
        "After the games are over: life\u2010history trade\u2010offs drive dispersal "
        "attenuation following range expansion"
    )
    boettiger = article.authors[1]
    assert boettiger.affiliations == (  # `&amp;` in the record
        "Department of Environmental Science, Policy, & Management University of California, "
        "Berkeley Berkeley California",
    )
    first = by_doi["10.1111/ele.14024"]
    assert first.authors[0].orcid == "0000-0002-1642-628X"
    assert first.has_preprint == ()  # `has-review` links are not versions


def test_synthetic_preprint_names_its_publication() -> None:
    work = parse_work_message(load("synthetic_work_10.1101-014852_is-preprint-of.json"), now=NOW)
    assert work.is_preprint and work.is_preprint_of == ("10.1002/ece3.2314",)
    assert work.authors[0].name == "Alex Perkins, T."  # as deposited


def test_relations_keep_dois_only_normalised_and_once() -> None:
    work = parse_work(
        {
            "DOI": "10.1101/2020.01.01.000001",
            "relation": {
                "is-preprint-of": [
                    {"id-type": "doi", "id": "https://doi.org/10.1000/ABC"},
                    {"id-type": "doi", "id": "10.1000/abc"},
                    {"id-type": "uri", "id": "https://example.org/published"},
                    {"id-type": "doi", "id": "not a doi"},
                ]
            },
        },
        now=NOW,
    )
    assert work.is_preprint_of == ("10.1000/abc",)


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        ({"date-parts": [[2016, 8, 18]]}, PartialDate(2016, 8, 18)),
        ({"date-parts": [[2016, 8]]}, PartialDate(2016, 8)),
        ({"date-parts": [[2016]]}, PartialDate(2016)),
        ({"date-parts": [[None]]}, None),
        ({"date-parts": [[2016, 13]]}, None),
        ({"date-parts": [["2016"]]}, None),
        ({"date-parts": [[2016, True]]}, None),
        ({"date-parts": [[9999, 1, 1]]}, None),  # implausible: unknown
        ({"date-parts": [[1975, 11]]}, PartialDate(1975, 11)),  # not an arXiv work: fine
        ({}, None),
        ("2016-08-18", None),
    ],
)
def test_dates(issued: Any, expected: PartialDate | None) -> None:
    assert parse_work({"DOI": "10.1000/x", "issued": issued}, now=NOW).issued == expected


def test_markup_and_entities_are_cleaned_and_organisations_kept() -> None:
    work = parse_work(
        {
            "DOI": "10.1000/x",
            "title": ["The <i>E. coli</i>  genome at p&lt;0.05 &amp; more"],
            "author": [
                {"name": "The <b>Study</b> Group", "sequence": "first"},
                {"given": "Ana", "sequence": "additional"},
                {"family": "Nguyen", "affiliation": [{"name": "A &amp; B"}, {"name": "A & B"}]},
            ],
        },
        now=NOW,
    )
    assert work.title == "The E. coli genome at p<0.05 & more"
    assert [a.name for a in work.authors] == ["The Study Group", "Nguyen"]  # no family: skipped
    assert work.authors[1].affiliations == ("A & B",)


@pytest.mark.parametrize(
    ("parse", "data", "error"),
    [
        (parse_work_message, {"message-type": "work-list", "message": {}}, "expected a work"),
        (parse_work_message, {"message-type": "work", "message": []}, "without a `message`"),
        (parse_work_message, [], "expected a work"),
        (parse_work_list, {"message-type": "work-list", "message": {}}, "message.items"),
        (parse_work_message, {"message-type": "work", "message": {"DOI": 5}}, "without a DOI"),
    ],
    ids=["wrong-type", "message-not-object", "not-object", "no-items", "no-doi"],
)
def test_answers_that_are_not_works_are_malformed(parse: Any, data: Any, error: str) -> None:
    with pytest.raises(MalformedResponse, match=error):
        parse(data)


def test_a_list_item_without_a_doi_is_skipped() -> None:
    items = [{"title": ["x"]}, {"DOI": "10.1000/y"}]
    data = {"message-type": "work-list", "message": {"items": items}}
    assert [w.doi for w in parse_work_list(data)] == ["10.1000/y"]


def test_error_detail() -> None:
    assert error_detail(load("error_400_field-query-on-doi-route.json")) == (
        "This route does not support field query parameters"
    )
    assert error_detail({"message": "Resource not found."}) == "Resource not found."
    assert error_detail("Resource not found.") == ""
