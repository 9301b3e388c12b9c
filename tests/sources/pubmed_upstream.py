"""Synthetic E-utilities answers built from the recorded ones, and the fake upstream's view of
an E-utilities request (GET query or POST form: the source picks by length).

`esearch_body` keeps the recorded answer's prolog and DOCTYPE (`esearch_term-hart-rk-author_
usehistory.xml`) around new ids; `efetch_body` clones the recorded record 29915538 (the whole
`PubmedArticle`, reference list included) under new PMIDs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from tests.harness.fake_upstream import FIXTURES_DIR, FakeUpstream, RecordedRequest, Reply

ESEARCH = "/entrez/eutils/esearch.fcgi"
EFETCH = "/entrez/eutils/efetch.fcgi"
_XML = "text/xml; charset=UTF-8"
_RECORDED_PMID = b"29915538"


def fields(request: RecordedRequest) -> dict[str, str]:
    """The E-utilities parameters of a request, from its query (GET) or form body (POST)."""
    if request.method == "POST":
        return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    return dict(request.query)


def esearch_body(pmids: Iterable[str], *, count: int | None = None) -> bytes:
    ids = list(pmids)
    recorded = (FIXTURES_DIR / "pubmed/esearch_term-hart-rk-author_usehistory.xml").read_bytes()
    prolog = recorded[: recorded.index(b"<eSearchResult>")]
    id_list = "".join(f"<Id>{pmid}</Id>\n" for pmid in ids)
    total = len(ids) if count is None else count
    return (
        prolog
        + (
            f"<eSearchResult><Count>{total}</Count><RetMax>{len(ids)}</RetMax><RetStart>0</RetStart>"
            f"<IdList>\n{id_list}</IdList><TranslationSet/></eSearchResult>\n"
        ).encode()
    )


def efetch_body(pmids: Iterable[str]) -> bytes:
    recorded = (FIXTURES_DIR / "pubmed/efetch_pubmed_29915538.xml").read_bytes()
    start = recorded.index(b"<PubmedArticle>")
    end = recorded.index(b"</PubmedArticleSet>")
    record = recorded[start:end]
    records = b"".join(record.replace(_RECORDED_PMID, pmid.encode()) for pmid in pmids)
    return recorded[:start] + records + recorded[end:]


# `match=` makes these routes more specific than the recorded POST ones (manifest.json).


def route_esearch(upstream: FakeUpstream, found: Callable[[str], list[str]]) -> None:
    """Answer every esearch (GET or POST) with `found(term)`."""

    def answer(request: RecordedRequest) -> Reply:
        return Reply(esearch_body(found(fields(request)["term"])), content_type=_XML)

    for method in ("GET", "POST"):
        upstream.add_route(method, ESEARCH, body=answer, match=lambda r: True)


def route_efetch(upstream: FakeUpstream, known: Callable[[str], bool] = lambda pmid: True) -> None:
    """Answer every efetch (GET or POST) with a record per requested PMID that is `known`."""

    def answer(request: RecordedRequest) -> Reply:
        asked = fields(request)["id"].split(",")
        return Reply(efetch_body(p for p in asked if known(p)), content_type=_XML)

    for method in ("GET", "POST"):
        upstream.add_route(method, EFETCH, body=answer, match=lambda r: True)


def orcids(count: int) -> list[str]:
    """`count` distinct well-formed ORCIDs (the checksum is not checked anywhere)."""
    return [f"0000-0002-{i // 10000:04d}-{i % 10000:04d}" for i in range(count)]


ORCID_IN_TERM = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\[auid\]")
