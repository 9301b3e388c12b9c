"""`ArxivApiSource` against the fake upstream serving the recorded arXiv API responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot import __version__
from bot.names.papers import build_index, match_papers
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.errors import ArxivQueryError, UnexpectedEmptyPage
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault, RecordedRequest, Reply
from tests.harness.health import InMemoryHealthRecorder
from tests.sources.conftest import CONTACT

SINCE = datetime(2013, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 5, 4, tzinfo=UTC)


def legacy_second_page(upstream: FakeUpstream) -> bytes:
    """Synthetic page 2 (start=10) of the legacy Del Maestro query: 2 legacy-dialect entries."""
    first = upstream.fixture_bytes("arxiv_api/legacy2024_query_au-A-Del-Maestro_max10.atom.xml")
    head = first.split(b"<entry>", 1)[0].replace(
        b'startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0<',
        b'startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10<',
    )
    other = upstream.fixture_bytes("arxiv_api/legacy2024_query_lmm_max8.atom.xml")
    entries = re.findall(rb"<entry>.*?</entry>", other, re.S)[:2]
    return head + b"\n".join(entries) + b"\n</feed>\n"


def route_del_maestro(upstream: FakeUpstream) -> None:
    query = re.compile(r'au:"A\. Del Maestro"')
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/legacy2024_query_au-A-Del-Maestro_max10.atom.xml",
        query={"search_query": query, "start": "0"},
    )
    upstream.add_route(
        "GET",
        "/api/query",
        body=legacy_second_page(upstream),
        query={"search_query": query, "start": "10"},
    )


async def test_search_pages_through_recorded_pages(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    health: InMemoryHealthRecorder,
    clock: ManualClock,
) -> None:
    result = await arxiv_api.search("testing", max_results=20)
    assert len(result.papers) == 20
    assert result.requests == 2 and result.queries == 1
    sent = upstream.requests_to("/api/query")
    assert [r.query["start"] for r in sent] == ["0", "10"]
    assert all(r.query["max_results"] == "10" for r in sent)
    assert sent[0].header("User-Agent") == f"PaperScout/{__version__} (+mailto:{CONTACT})"
    published = [p.published for p in result.papers]
    assert published == sorted(published, reverse=True)  # newest first
    state = health.get("arxiv_api")
    assert state.last_success_at == clock.now() and state.consecutive_failures == 0


async def test_fetch_by_ids_old_style_id_keeps_every_affiliation(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    (paper,) = await arxiv_api.fetch_by_ids(["astro-ph/0601001"])
    assert (paper.arxiv_id, paper.version) == ("astro-ph/0601001", 1)
    assert [a.affiliations for a in paper.authors] == [
        ("Ohio State",),
        ("Ohio State",),
        ("CfA",),
        ("Warsaw University Observatory",),
    ]
    (request,) = upstream.requests_to("/api/query")
    assert request.query["id_list"] == "astro-ph/0601001"
    assert "id_list=astro-ph/0601001" in request.raw_path


async def test_fetch_by_ids_unknown_id_is_silently_dropped(arxiv_api: ArxivApiSource) -> None:
    papers = await arxiv_api.fetch_by_ids(["0808.05394", "1707.08567", "1707.08567"])
    assert [p.arxiv_id for p in papers] == ["1707.08567"]
    assert len(papers[0].authors) == 34


async def test_fetch_by_ids_empty_result(arxiv_api: ArxivApiSource) -> None:
    assert await arxiv_api.fetch_by_ids(["0000.0000"]) == []
    assert await arxiv_api.fetch_by_ids([]) == []


async def test_error_feed_400_is_typed_not_retried_and_recorded(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    health: InMemoryHealthRecorder,
    clock: ManualClock,
) -> None:
    with pytest.raises(ArxivQueryError) as caught:
        await arxiv_api.fetch_by_ids(["abc"])
    assert "incorrect id format for abc" in str(caught.value)
    assert caught.value.status == 400
    assert len(upstream.requests_to("/api/query")) == 1
    state = health.get("arxiv_api")
    assert state.consecutive_failures == 1
    assert state.last_error_kind == "arxiv_query_error"
    assert state.next_try_at is not None and state.next_try_at > clock.now()


async def test_legacy_error_feed_with_http_200_is_typed_too(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/error_400_incorrect-id-format.atom.xml",
        status=200,
        query={"id_list": "xyz"},
    )
    with pytest.raises(ArxivQueryError):
        await arxiv_api.fetch_by_ids(["xyz"])


async def test_search_authors_legacy_dialect_two_pages_then_local_filter(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    route_del_maestro(upstream)
    result = await arxiv_api.search_authors(["A. Del Maestro"], since=SINCE, until=UNTIL)
    assert result.requests == 2 and result.queries == 1
    assert len(result.papers) == 12
    first = upstream.requests_to("/api/query")[0]
    assert first.query["search_query"] == (
        'au:"A. Del Maestro" AND submittedDate:[201301010000 TO 202405040000]'
    )
    assert first.query["sortBy"] == "submittedDate" and first.query["sortOrder"] == "descending"
    matches = match_papers(result.papers, build_index([("adm", "Adrian Del Maestro")]))
    # Page 2 holds two unrelated papers (the `au:` hits are filtered locally).
    assert len(matches) == 10
    assert {m.paper.arxiv_id for m in matches} <= {p.arxiv_id for p in result.papers}


async def test_unexpected_empty_non_first_page_is_retried(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_del_maestro(upstream)
    empty = upstream.fixture_bytes("arxiv_api/legacy2024_query_empty.atom.xml")
    upstream.add_fault("/api/query", Fault.malformed(empty, times=1), query={"start": "10"})
    result = await arxiv_api.search_authors(["A. Del Maestro"], since=SINCE, until=UNTIL)
    assert len(result.papers) == 12
    starts = [r.query["start"] for r in upstream.requests_to("/api/query")]
    assert starts == ["0", "10", "10"]
    (backoff,) = clock.backoffs  # one backoff before the retry
    assert 1.0 <= backoff <= 1.25


async def test_empty_non_first_page_that_stays_empty_is_a_typed_error(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    route_del_maestro(upstream)
    empty = upstream.fixture_bytes("arxiv_api/legacy2024_query_empty.atom.xml")
    upstream.add_fault("/api/query", Fault.malformed(empty), query={"start": "10"})
    with pytest.raises(UnexpectedEmptyPage, match="start=10 of 12"):
        await arxiv_api.search_authors(["A. Del Maestro"], since=SINCE, until=UNTIL)
    assert len(upstream.requests_to("/api/query")) == 1 + 3  # page 1, then 3 attempts at page 2
    assert health.get("arxiv_api").last_error_kind == "unexpected_empty_page"


async def test_first_page_empty_is_simply_no_results(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/legacy2024_query_empty.atom.xml",
        query={"search_query": re.compile("Nobody")},
    )
    result = await arxiv_api.search_authors(["Nobody Atall"], since=SINCE, until=UNTIL)
    assert result.papers == () and result.requests == 1


async def test_dynamic_route_paging_stops_at_the_total(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    from tests.harness.fake_upstream import generate_arxiv_entries, paged_arxiv_handler

    entries = generate_arxiv_entries(25)  # synthetic, cloned from real entries
    upstream.add_route(
        "GET", "/api/query", body=paged_arxiv_handler(entries), query={"search_query": "cat:cs.CV"}
    )
    result = await arxiv_api.search("cat:cs.CV")
    assert len(result.papers) == 25 and result.requests == 3
    assert [r.query["start"] for r in upstream.requests_to("/api/query")] == ["0", "10", "20"]


@pytest.mark.parametrize("total", [b"-1", b"1" + b"0" * 30, b"many"])
async def test_paging_goes_on_while_pages_are_full_when_the_total_is_nonsense(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream, total: bytes
) -> None:
    from tests.harness.fake_upstream import generate_arxiv_entries, paged_arxiv_handler

    pages = paged_arxiv_handler(generate_arxiv_entries(25))  # synthetic, cloned from real

    def garbled(request: RecordedRequest) -> Reply:
        reply = pages(request)
        reply.body = re.sub(rb"(<opensearch:totalResults>)\d+", rb"\g<1>" + total, reply.body)
        return reply

    upstream.add_route("GET", "/api/query", body=garbled, query={"search_query": "cat:cs.CV"})
    result = await arxiv_api.search("cat:cs.CV")
    # Unknown total: a full page may have more behind it, the short third one is the last.
    assert len(result.papers) == 25 and result.requests == 3


async def test_query_with_a_reply_object(arxiv_api: ArxivApiSource, upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        body=lambda request: Reply(
            upstream.fixture_bytes("arxiv_api/legacy2024_query_lmm_max8.atom.xml")
        ),
        query={"search_query": "lmm"},
    )
    result = await arxiv_api.search("lmm", max_results=8)
    assert len(result.papers) == 8 and result.requests == 1
