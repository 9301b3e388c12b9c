"""PubMed search terms (`orcid_term`, `author_terms`) and their OR-batching (`plan_queries`)."""

from __future__ import annotations

import pytest

from bot.sources.pubmed_query import (
    MAX_QUERY_CHARS,
    MAX_TERMS_PER_QUERY,
    author_terms,
    orcid_term,
    plan_queries,
)


def test_orcid_term_takes_a_bare_orcid_or_its_url() -> None:
    assert orcid_term("0000-0002-1825-0097") == "0000-0002-1825-0097[auid]"
    assert orcid_term("https://orcid.org/0000-0002-1642-628x") == "0000-0002-1642-628X[auid]"
    with pytest.raises(ValueError, match="not an ORCID"):
        orcid_term("Carl Boettiger")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("John Smith", ('"smith, john"[fau]',)),  # "smith j"[au] would find every J Smith
        ("John F. Smith", ('"smith, john f"[fau]', '"smith jf"[au]')),
        ("J. F. Smith", ('"smith jf"[au]',)),
        ("J. Smith", ('"smith j"[au]',)),  # initials are all there is
        ("Smith, John F", ('"smith, john f"[fau]', '"smith jf"[au]')),
        ("Kai-Ming He", ('"he, kai ming"[fau]', '"he km"[au]')),
        ("André Müller", ('"muller, andre"[fau]',)),
        ("Adrián Del Maestro", ('"del maestro, adrian"[fau]',)),
        ("Taddei, A R", ('"taddei ar"[au]',)),  # PubMed's initials-only ForeName
        ("Del Maestro", ()),  # a surname alone finds everyone of that name
        ("Mausam", ()),
        ("", ()),
    ],
)
def test_author_terms_of_one_spelling(name: str, expected: tuple[str, ...]) -> None:
    assert author_terms(name) == expected


def test_author_terms_of_a_name_and_its_variants_each_once() -> None:
    terms = author_terms(
        "Heather Piwowar", ["H. A. Piwowar", "Heather A. Piwowar", "HEATHER PIWOWAR"]
    )
    assert terms == (
        '"piwowar, heather"[fau]',
        '"piwowar ha"[au]',
        '"piwowar, heather a"[fau]',
    )


def test_plan_queries_ors_40_orcids_a_query() -> None:
    terms = [f"0000-0002-0000-{i:04d}[auid]" for i in range(100)]
    queries = plan_queries(terms)
    assert len(queries) == 3
    assert [q.count("[auid]") for q in queries] == [MAX_TERMS_PER_QUERY, MAX_TERMS_PER_QUERY, 20]
    assert queries[0].startswith("(0000-0002-0000-0000[auid] OR 0000-0002-0000-0001[auid] OR ")
    assert all(len(q) <= MAX_QUERY_CHARS for q in queries)


def test_plan_queries_stops_at_the_character_bound_and_keeps_each_term_once() -> None:
    long_terms = [f'"{"x" * 90}{i:03d}, given"[fau]' for i in range(30)]
    queries = plan_queries([*long_terms, long_terms[0].upper()])
    # 107-character terms: 13 OR-ed make 1,441 characters, 14 would make 1,552.
    assert [q.count("[fau]") for q in queries] == [13, 13, 4]  # the upper-case copy: no term
    assert all(len(q) <= MAX_QUERY_CHARS for q in queries)


def test_plan_queries_edge_cases(caplog: pytest.LogCaptureFixture) -> None:
    assert plan_queries(["smith j[au]"]) == ["smith j[au]"]  # one term: no parentheses
    assert plan_queries(["", "  "]) == []
    assert plan_queries(["x" * (MAX_QUERY_CHARS + 1), "a[au]"]) == ["a[au]"]
    assert "too long for one query" in caplog.text
