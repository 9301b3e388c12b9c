"""Per-paper citation counts: OpenAlex works by arXiv DOI (100 per call), S2 paper batch (500
per POST). Bodies are synthetic, built in tests/sources/citation_upstream.py."""

from __future__ import annotations

from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.harness.fake_upstream import FakeUpstream
from tests.sources.citation_upstream import route_openalex_citations, route_s2_paper_batch
from tests.sources.conftest import OPENALEX_KEY, S2_KEY

IDS = [f"2411.{n:05d}" for n in range(150)] + ["astro-ph/0601001"]


async def test_openalex_counts_by_arxiv_doi_in_calls_of_100(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    known = {i: n for n, i in enumerate(IDS) if n % 3 != 0}
    route_openalex_citations(upstream, known)

    counts = await openalex.citation_counts([*IDS, IDS[1]])  # a duplicate costs nothing

    assert counts == known
    requests = upstream.requests_to("/openalex/works")
    assert len(requests) == 2  # ceil(151 / 100)
    first, second = (r.query for r in requests)
    assert first["filter"].startswith("doi:10.48550/arxiv.2411.00000|10.48550/arxiv.2411.00001|")
    assert len(first["filter"].split("|")) == 100 and len(second["filter"].split("|")) == 51
    assert second["filter"].endswith("|10.48550/arxiv.astro-ph/0601001")
    assert first["select"] == "id,doi,ids,cited_by_count" and first["per_page"] == "100"
    assert first["api_key"] == OPENALEX_KEY


async def test_openalex_counts_follow_the_cursor_past_one_page(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    known = {i: 3 for i in IDS[:100]}
    route_openalex_citations(upstream, known, page_size=60)  # as when merges spill a page

    assert await openalex.citation_counts(IDS[:100]) == known
    cursors = [r.query["cursor"] for r in upstream.requests_to("/openalex/works")]
    assert cursors == ["*", "*60"]


async def test_openalex_no_ids_no_call(openalex: OpenAlexSource, upstream: FakeUpstream) -> None:
    assert await openalex.citation_counts([]) == {}
    assert upstream.requests_to("/openalex/works") == []


async def test_s2_paper_batch_500_per_post_nulls_dropped(
    semantic_scholar: SemanticScholarSource, upstream: FakeUpstream
) -> None:
    ids = [f"2410.{n:05d}" for n in range(600)]
    known = {i: 7 for i in ids[::2]}
    route_s2_paper_batch(upstream, known)

    counts = await semantic_scholar.paper_citation_counts(ids)

    assert counts == known
    posts = upstream.requests_to("/graph/v1/paper/batch", method="POST")
    assert [len(p.json()["ids"]) for p in posts] == [500, 100]
    assert posts[0].json()["ids"][0] == "ARXIV:2410.00000"
    assert posts[0].query["fields"] == "citationCount"
    assert posts[0].header("x-api-key") == S2_KEY
