"""Building arXiv query URLs and packing author names into as few requests as fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.sources.arxiv_query import (
    MAX_OFFSET,
    author_term,
    chunk_ids_for_url,
    date_clause,
    id_list_url,
    plan_author_queries,
    request_line_length,
    search_url,
)
from tests.harness.fake_upstream import realistic_names

BASE = "https://export.arxiv.org/api/query"
SINCE = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
UNTIL = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def test_author_term_folds_and_strips_query_syntax() -> None:
    assert author_term("André Müller") == 'au:"Andre Muller"'
    assert author_term("Benjamin R\\'emy") == 'au:"Benjamin Remy"'
    assert author_term('Evil" OR all:"x') == 'au:"Evil OR all x"'
    assert author_term("  ") == ""


def test_date_clause_is_gmt_minutes() -> None:
    zurich = timezone(timedelta(hours=1))
    since = datetime(2026, 11, 20, 1, 30, tzinfo=zurich)
    assert date_clause(since, UNTIL) == "submittedDate:[202611200030 TO 202611280000]"
    assert date_clause(SINCE, UNTIL, "lastUpdatedDate").startswith("lastUpdatedDate:[")
    with pytest.raises(ValueError):
        date_clause(datetime(2026, 11, 20), UNTIL)  # naive
    with pytest.raises(ValueError):
        date_clause(SINCE, UNTIL, "published")


def test_search_url_encoding_round_trips() -> None:
    url = search_url(
        BASE, '(au:"A B" OR au:"C") AND submittedDate:[1 TO 2]', start=10, max_results=50
    )
    query = parse_qs(urlsplit(url).query)
    assert query["search_query"] == ['(au:"A B" OR au:"C") AND submittedDate:[1 TO 2]']
    assert query["start"] == ["10"] and query["max_results"] == ["50"]
    assert query["sortBy"] == ["submittedDate"]
    assert " " not in url and '"' not in url


def test_request_line_length_counts_method_path_query_and_version() -> None:
    assert request_line_length("http://h:1/api/query?a=1") == len("GET /api/query?a=1 HTTP/1.1")


def test_one_author_one_query_with_window() -> None:
    (query,) = plan_author_queries(["Adrian Del Maestro"], base_url=BASE, since=SINCE, until=UNTIL)
    assert query == 'au:"Adrian Del Maestro" AND submittedDate:[202611200000 TO 202611280000]'


def test_names_are_deduplicated_case_insensitively_in_order() -> None:
    (query,) = plan_author_queries(
        ["Kaiming He", "KAIMING HE", "Andreas Steiner"], base_url=BASE, since=SINCE, until=UNTIL
    )
    assert query.startswith('(au:"Kaiming He" OR au:"Andreas Steiner")')


@pytest.mark.parametrize(("count", "most"), [(10, 1), (100, 5), (1000, 60)])
def test_batches_fit_the_request_line_and_cover_every_name(count: int, most: int) -> None:
    names = realistic_names(count)
    queries = plan_author_queries(names, base_url=BASE, since=SINCE, until=UNTIL, page_size=200)
    assert len(queries) <= most
    for query in queries:
        url = search_url(BASE, query, start=MAX_OFFSET, max_results=200)
        assert request_line_length(url) <= 4000
        assert query.endswith("AND submittedDate:[202611200000 TO 202611280000]")
    sent = "".join(queries)
    assert all(author_term(n) in sent for n in names)


def test_lower_budget_means_more_queries_and_max_terms_caps_a_batch() -> None:
    names = realistic_names(200)
    loose = plan_author_queries(names, base_url=BASE, since=SINCE, until=UNTIL)
    tight = plan_author_queries(
        names, base_url=BASE, since=SINCE, until=UNTIL, max_request_line=1000
    )
    capped = plan_author_queries(names, base_url=BASE, since=SINCE, until=UNTIL, max_terms=20)
    assert len(tight) > len(loose)
    assert len(capped) == 10
    assert all(q.count("au:") <= 20 for q in capped)


def test_a_name_too_long_for_any_query_is_skipped() -> None:
    queries = plan_author_queries(
        ["x" * 5000, "Ada Lovelace"], base_url=BASE, since=SINCE, until=UNTIL
    )
    assert queries == ['au:"Ada Lovelace" AND submittedDate:[202611200000 TO 202611280000]']


def test_id_chunks_fit_the_request_line() -> None:
    ids = [f"2411.{i:05d}" for i in range(1000)] + ["astro-ph/0601001"]
    chunks = chunk_ids_for_url(ids, base_url=BASE)
    assert sum(len(c) for c in chunks) == len(ids)
    assert [i for c in chunks for i in c] == ids
    assert len(chunks) > 1
    for chunk in chunks:
        assert request_line_length(id_list_url(BASE, chunk, max_results=2000)) <= 4000
