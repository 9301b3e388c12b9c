"""`SemanticScholarSource` against the fake upstream serving recorded S2 bodies."""

from __future__ import annotations

import json

import pytest

from bot.sources.errors import BadRequest, NotFound
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, RecordedRequest, Reply
from tests.harness.health import InMemoryHealthRecorder
from tests.sources.conftest import S2_KEY


async def test_search_authors_many_homonyms(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream, clock: ManualClock
) -> None:
    records = await semantic_scholar.search_authors("turing", limit=100)
    assert len(records) == 59
    assert records[0].external_ids == {"s2": "2262347"}
    assert records[0].as_of == clock.now()
    (request,) = upstream.requests_to("/graph/v1/author/search")
    assert request.header("x-api-key") == S2_KEY
    assert request.query["offset"] == "0"


async def test_hyphens_become_spaces_in_search(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET",
        "/graph/v1/author/search",
        body=b'{"total": 0, "offset": 0, "data": []}',
        content_type="application/json",
    )
    assert await semantic_scholar.search_authors("Kai-Ming  He") == []
    assert upstream.requests_to("/graph/v1/author/search")[0].query["query"] == "Kai Ming He"


async def test_author_batch_keeps_order_and_nulls(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream
) -> None:
    records = await semantic_scholar.get_authors(["0", "3234559", "1726629", "1711844"])
    assert records[0] is None
    assert [r.display_name for r in records[1:] if r is not None] == [
        "E. Dijkstra",
        "D. Parnas",
        "I. Sommerville",
    ]
    (request,) = upstream.requests_to("/graph/v1/author/batch")
    assert request.method == "POST"
    assert request.json() == {"ids": ["0", "3234559", "1726629", "1711844"]}
    assert "hIndex" in request.query["fields"]  # fields go in the query, not the body


async def test_author_batch_chunks_by_1000(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream
) -> None:
    def nulls(request: RecordedRequest) -> Reply:
        return Reply(
            json.dumps([None] * len(request.json()["ids"])).encode(),
            content_type="application/json",
        )

    upstream.add_route("POST", "/graph/v1/author/batch", body=nulls)
    ids = [str(10_000 + i) for i in range(1500)]
    records = await semantic_scholar.get_authors(ids)
    assert records == [None] * 1500
    sizes = [len(r.json()["ids"]) for r in upstream.requests_to("/graph/v1/author/batch")]
    assert sizes == [1000, 500]


async def test_author_papers_paged_with_next(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream, clock: ManualClock
) -> None:
    papers = await semantic_scholar.author_papers("1723755")
    assert len(papers) == 102
    offsets = [r.query["offset"] for r in upstream.requests_to("/graph/v1/author/1723755/papers")]
    assert offsets == ["0", "100"]
    assert papers[-1].title == "Another synthetic paper"
    assert clock.sleeps == [1.0]  # S2's 1 request/second, on the fake clock


async def test_author_papers_since_filter_and_cap(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream
) -> None:
    from datetime import date

    papers = await semantic_scholar.author_papers("1723755", since=date(2026, 11, 1), max_papers=30)
    assert len(papers) == 30
    (request,) = upstream.requests_to("/graph/v1/author/1723755/papers")
    assert request.query["publicationDateOrYear"] == "2026-11-01:"
    assert request.query["limit"] == "30"


async def test_get_author_full_and_not_found(
    semantic_scholar: SemanticScholarSource, health: InMemoryHealthRecorder
) -> None:
    record = await semantic_scholar.get_author("2262347")
    assert record.h_index == 23 and record.external_ids["dblp"] == "Alan M. Turing"
    with pytest.raises(NotFound, match="Author with id 0 not found"):
        await semantic_scholar.get_author("0")
    assert health.get("semantic_scholar").consecutive_failures == 0


async def test_400_carries_the_upstream_message(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    upstream.add_route(
        "GET",
        "/graph/v1/author/2262347",
        fixture="semanticscholar/error_400_unrecognized-fields.json",
        status=400,
        content_type="application/json",
        query={"fields": "unknown"},
    )
    with pytest.raises(BadRequest, match=r"Unrecognized or unsupported fields: \[unknown\]"):
        await semantic_scholar.get_author("2262347", fields="unknown")
    assert len(upstream.requests_to("/graph/v1/author/2262347")) == 1  # a 400 is not retried
    assert health.get("semantic_scholar").last_error_kind == "bad_request"
