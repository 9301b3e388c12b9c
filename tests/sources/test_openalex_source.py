"""`OpenAlexSource` against the fake upstream serving recorded (and marked synthetic) bodies."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from bot.sources.errors import NotFound
from bot.sources.openalex import OpenAlexSource
from tests.harness.fake_upstream import FakeUpstream, RecordedRequest, Reply
from tests.harness.health import InMemoryHealthRecorder
from tests.sources.conftest import OPENALEX_KEY


async def test_get_author_full_record_with_key(
    openalex: OpenAlexSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    record = await openalex.get_author("https://openalex.org/A5048491430")
    assert record.display_name == "Heather Piwowar"
    assert record.external_ids["openalex"] == "A5048491430"
    assert record.orcid == "0000-0003-1613-5981"
    assert (record.h_index, record.citations, record.works_count) == (23, 4975, 96)
    assert record.counts_by_year[-1].year == 2025
    assert record.as_of is not None
    (request,) = upstream.requests_to("/openalex/authors")
    assert request.path == "/openalex/authors/A5048491430"
    assert request.query["api_key"] == OPENALEX_KEY
    assert health.get("openalex").last_success_at is not None


async def test_get_author_by_orcid(openalex: OpenAlexSource, upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        "/openalex/authors/orcid:0000-0003-1613-5981",
        fixture="openalex/author_A5048491430.json",
        content_type="application/json",
    )
    record = await openalex.get_author("https://orcid.org/0000-0003-1613-5981")
    assert record.openalex_id == "A5048491430"


async def test_deleted_author(openalex: OpenAlexSource) -> None:
    record = await openalex.get_author("A5317838346")
    assert record.display_name == "Deleted Author" and record.works_count == 0


async def test_unknown_author_is_not_found_and_the_source_stays_healthy(
    openalex: OpenAlexSource, health: InMemoryHealthRecorder
) -> None:
    with pytest.raises(NotFound):
        await openalex.get_author("A1")
    state = health.get("openalex")
    assert state.consecutive_failures == 0 and state.last_success_at is not None


async def test_bad_id_is_refused_locally(openalex: OpenAlexSource, upstream: FakeUpstream) -> None:
    with pytest.raises(ValueError):
        await openalex.get_author("Heather Piwowar")
    assert upstream.requests == []


async def test_search_authors_returns_homonyms(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    records = await openalex.search_authors("mearman", per_page=20)
    assert len(records) == 8
    assert records[0].display_name == "Andrew Mearman"
    assert all(r.relevance_score is not None for r in records)
    assert upstream.requests_to("/openalex/authors")[0].query["search"] == "mearman"


async def test_autocomplete(openalex: OpenAlexSource) -> None:
    candidates = await openalex.autocomplete_authors("piwowar")
    assert [(c.id, c.name, c.hint) for c in candidates][:2] == [
        ("A5048491430", "Heather Piwowar", "OpenAlex"),
        ("A5017898742", candidates[1].name, candidates[1].hint),
    ]
    assert candidates[0].works_count == 96 and candidates[0].cited_by_count == 4975


async def test_get_authors_by_ids_in_one_call(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    records = await openalex.get_authors(["A5048491430", "https://openalex.org/A5017898742"])
    assert [r.openalex_id for r in records] == ["A5048491430", "A5017898742"]
    (request,) = upstream.requests_to("/openalex/authors")
    assert request.query["filter"] == "openalex:A5048491430|A5017898742"
    assert request.query["per_page"] == "100"
    assert "summary_stats" in request.query["select"]


async def test_get_authors_chunks_by_100(openalex: OpenAlexSource, upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        "/openalex/authors",
        fixture="openalex/works_filter-cites_empty.json",  # a real empty list response
        content_type="application/json",
        query={"filter": re.compile(r"^openalex:")},
    )
    ids = [f"A{5000000000 + i}" for i in range(250)]
    assert await openalex.get_authors(ids) == []
    sent = [
        r.query["filter"].removeprefix("openalex:").split("|")
        for r in upstream.requests_to("/openalex/authors")
    ]
    assert [len(chunk) for chunk in sent] == [100, 100, 50]
    assert [i for chunk in sent for i in chunk] == ids


async def test_works_by_authors_cursor_paging_and_arxiv_mapping(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    works = await openalex.works_by_authors(["A5017898742"], since=date(2014, 1, 1), per_page=3)
    assert len(works) == 5
    cursors = [r.query["cursor"] for r in upstream.requests_to("/openalex/works")]
    assert cursors == ["*", "c2ludGhldGljLXBhZ2UtMg=="]
    first = upstream.requests_to("/openalex/works")[0]
    assert (
        first.query["filter"]
        == "authorships.author.id:A5017898742,from_publication_date:2014-01-01"
    )
    assert first.query["sort"] == "publication_date:desc"
    preprint = next(w for w in works if w.arxiv_id)
    assert (preprint.openalex_id, preprint.arxiv_id) == ("W3188841554", "2108.04680")
    assert preprint.abstract and preprint.abstract.startswith("We believe that")
    assert "A5017898742" in preprint.author_ids
    dates = [w.publication_date for w in works]
    assert dates == sorted(dates, reverse=True)


async def test_works_by_many_authors_one_filter_per_100_ids(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    seen_filters: list[str] = []

    def empty_page(request: RecordedRequest) -> Reply:
        seen_filters.append(request.query["filter"])
        body = {"meta": {"count": 0, "next_cursor": None}, "results": [], "group_by": []}
        return Reply(json.dumps(body).encode(), content_type="application/json")

    upstream.add_route(
        "GET", "/openalex/works", body=empty_page, query={"filter": re.compile("author.id")}
    )
    ids = [f"A{6000000000 + i}" for i in range(230)]
    works = await openalex.works_by_authors(
        ids,
        since=date(2026, 10, 1),
        date_filter="from_created_date",
        extra_filter="indexed_in:arxiv",
    )
    assert works == []
    assert len(seen_filters) == 3
    for text in seen_filters:
        ids_part, date_part, extra = text.split(",")
        assert len(ids_part.removeprefix("authorships.author.id:").split("|")) <= 100
        assert date_part == "from_created_date:2026-10-01" and extra == "indexed_in:arxiv"


async def test_works_rejects_unknown_date_filter(openalex: OpenAlexSource) -> None:
    with pytest.raises(ValueError):
        await openalex.works_by_authors(
            ["A1"], since=date(2026, 1, 1), date_filter="from_updated_date"
        )


async def test_no_key_means_no_api_key_param(session, upstream: FakeUpstream, options) -> None:  # type: ignore[no-untyped-def]
    source = OpenAlexSource(session, upstream.openalex_url, None, options=options)
    await source.get_author("A5048491430")
    assert "api_key" not in upstream.requests_to("/openalex")[0].query
