"""What users type for an author, and which arXiv papers of a name search are theirs."""

from __future__ import annotations

import pytest

from bot.errors import BadInput
from bot.services.author_fetch import author_papers, match_keys, match_variants, paper_record
from bot.services.author_query import AuthorQuery, parse_author_query
from bot.sources.models import Paper
from tests.harness.papers import built_paper


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Heather Piwowar", AuthorQuery("name", "Heather Piwowar")),
        ("  André   Susano Pinto ", AuthorQuery("name", "André Susano Pinto")),
        ("O'Brien, Ann-Marie", AuthorQuery("name", "O'Brien, Ann-Marie")),
        ("openalex:A5048491430", AuthorQuery("openalex", "A5048491430")),
        ("a5048491430", AuthorQuery("openalex", "A5048491430")),
        ("https://openalex.org/A5048491430", AuthorQuery("openalex", "A5048491430")),
        ("https://orcid.org/0000-0003-1613-598x", AuthorQuery("orcid", "0000-0003-1613-598X")),
        ("author:17", AuthorQuery("local", "17")),
    ],
)
def test_queries_are_understood(text: str, expected: AuthorQuery) -> None:
    assert parse_author_query(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("x" * 201, "at most 200"),
        ("@here", "mentions"),
        ("Ann <@123>", "mentions"),
        ("Ann_Smith", "formatting"),
        ("[x](http://evil)", "formatting"),
        ("Ann\u200bSmith", "invisible"),
        ("openalex:W123", "not an OpenAlex author id"),
        ("author:abc", "not valid"),
        ("1234", "needs letters"),
    ],
)
def test_bad_queries_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        parse_author_query(text)


def test_full_name_matches_are_kept_and_initials_only_in_the_same_category() -> None:
    papers = [
        built_paper("1", ["Heather Piwowar", "Jason Priem"], "cs.DL"),
        built_paper("2", ["H. A. Piwowar"], "cs.DL"),  # initial, same category as a full match
        built_paper("3", ["H. Piwowar"], "astro-ph.GA"),  # initial, elsewhere: a homonym
        built_paper("4", ["Hannah Piwowarska"], "cs.DL"),  # another person
        built_paper("5", ["Heather A. Piwowar"], "cs.CY"),  # full name with middle initial
    ]
    kept = author_papers(papers, ["Heather Piwowar"]).papers
    assert [p.arxiv_id for p in kept] == ["1", "2", "5"]


def test_variants_drop_initial_only_forms_and_keys_cover_them() -> None:
    variants = match_variants("Heather Piwowar", ["H. Piwowar", "Heather A. Piwowar", ""])
    assert variants == ("Heather Piwowar", "Heather A. Piwowar")
    assert "h piwowar" in match_keys(variants) and "heather piwowar" in match_keys(variants)


def test_a_paper_without_a_date_or_category_is_not_stored() -> None:
    good = built_paper("2401.00001", ["A B"], "cs.CL")
    assert paper_record(good) is not None and paper_record(good).primary_category == "cs.CL"  # type: ignore[union-attr]
    undated = Paper("2401.00002", None, "t", "", (), None, (), None, None)
    assert paper_record(undated) is None
