"""Fake-upstream routes answering per-paper citation lookups (bodies built in code: synthetic).

OpenAlex: `/works?filter=doi:10.48550/arxiv.<id>|...` answers one Work per known id, each a
copy of the real arXiv Work W3188841554 of `openalex/works_filter-author-A5017898742_per_page5`
(fixtures README) with its DOI, id and `cited_by_count` replaced. Semantic Scholar:
`POST /paper/batch` answers `{paperId, citationCount}` or `null` per id, in request order, the
shape docs/sources.md#semantic-scholar gives for the batch endpoints. No recording of either exists.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from tests.harness.fake_upstream import FakeUpstream, RecordedRequest, Reply

REAL_WORKS = "openalex/works_filter-author-A5017898742_per_page5.json"
DOI_PREFIX = "10.48550/arxiv."


def _real_arxiv_work(upstream: FakeUpstream) -> dict[str, Any]:
    works = json.loads(upstream.fixture_bytes(REAL_WORKS))["results"]
    (work,) = [w for w in works if (w.get("doi") or "").endswith("10.48550/arxiv.2108.04680")]
    return dict(work)


def route_openalex_citations(
    upstream: FakeUpstream, counts: Mapping[str, int], *, page_size: int = 100
) -> None:
    """`GET /openalex/works?filter=doi:...`: a Work for each requested id in `counts`, in
    pages of `page_size` with a `next_cursor` as OpenAlex gives one."""
    template = _real_arxiv_work(upstream)

    def answer(request: RecordedRequest) -> Reply:
        values = request.query["filter"].removeprefix("doi:").split("|")
        results = []
        for n, doi in enumerate(values):
            arxiv_id = doi.removeprefix(DOI_PREFIX)
            if arxiv_id not in counts:
                continue
            work = copy.deepcopy(template)
            work["id"] = f"https://openalex.org/W9{n:09d}"
            work["doi"] = f"https://doi.org/{doi}"
            work["ids"] = {"openalex": work["id"], "doi": work["doi"]}
            work["cited_by_count"] = counts[arxiv_id]
            results.append(work)
        start = int(request.query.get("cursor", "*").removeprefix("*") or 0)
        page = results[start : start + page_size]
        more = start + page_size < len(results)
        meta = {"count": len(results), "db_response_time_ms": 5, "page": None, "per_page": 100}
        meta["next_cursor"] = f"*{start + page_size}" if more else None
        body = {"meta": {**meta, "groups_count": None}, "results": page, "group_by": []}
        return Reply(json.dumps(body).encode(), content_type="application/json")

    upstream.add_route(
        "GET",
        "/openalex/works",
        body=answer,
        query={"filter": lambda v: v.startswith("doi:")},
        name="synthetic openalex works by arXiv DOI",
    )


def route_s2_paper_batch(upstream: FakeUpstream, counts: Mapping[str, int]) -> None:
    """`POST /graph/v1/paper/batch`: `{paperId, citationCount}` per known id, else null."""

    def answer(request: RecordedRequest) -> Reply:
        slots: list[Any] = []
        for n, raw in enumerate(request.json()["ids"]):
            arxiv_id = raw.removeprefix("ARXIV:")
            known = arxiv_id in counts
            slots.append(
                {"paperId": f"{n:040x}", "citationCount": counts[arxiv_id]} if known else None
            )
        return Reply(json.dumps(slots).encode(), content_type="application/json")

    upstream.add_route(
        "POST", "/graph/v1/paper/batch", body=answer, name="synthetic S2 paper batch"
    )
