"""`PubMedSource` against the fake upstream: recorded (and marked synthetic) E-utilities bodies,
request shapes, batching, the request budget of a poll, politeness and faults."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.sources.errors import (
    AccessDenied,
    BadRequest,
    MalformedResponse,
    RateLimited,
    ResponseTooLarge,
    UpstreamUnavailable,
)
from bot.sources.factory import build_sources
from bot.sources.http_policy import HttpOptions
from bot.sources.limiter import RateLimiter
from bot.sources.pubmed import MAX_GET_REQUEST_LINE, PubMedSource
from bot.sources.pubmed_query import author_terms, orcid_term
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault, RecordedRequest
from tests.harness.health import InMemoryHealthRecorder
from tests.sources.conftest import CONTACT, NCBI_KEY
from tests.sources.pubmed_upstream import (
    EFETCH,
    ESEARCH,
    ORCID_IN_TERM,
    efetch_body,
    fields,
    orcids,
    route_efetch,
    route_esearch,
)

EUTILS = "/entrez/eutils"
SYNTHETIC = ["99000001", "99000002", "99000003"]


def eutils_requests(upstream: FakeUpstream) -> list[RecordedRequest]:
    return upstream.requests_to(EUTILS)


# --- efetch --------------------------------------------------------------------------------


async def test_fetch_two_recorded_records_by_get_with_tool_email_and_key(
    pubmed: PubMedSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    articles = await pubmed.fetch(["11748933", "11700088"])
    assert [a.pmid for a in articles] == ["11748933", "11700088"]
    assert articles[0].doi == "10.1006/cryo.2001.2328"
    assert articles[1].journal_abbreviation == "J Magn Reson"
    (request,) = eutils_requests(upstream)
    assert (request.method, request.path) == ("GET", EFETCH)
    assert request.query == {
        "db": "pubmed",
        "id": "11748933,11700088",
        "retmode": "xml",
        "tool": "paperscout",
        "email": CONTACT,
        "api_key": NCBI_KEY,
    }
    assert request.header("User-Agent").endswith(f"(+mailto:{CONTACT})")
    assert health.get("pubmed").last_success_at is not None


async def test_fetch_the_synthetic_records_with_orcids_pmc_and_the_preprint_link(
    pubmed: PubMedSource,
) -> None:
    article, preprint, old = await pubmed.fetch(SYNTHETIC)
    assert article.orcids == {"0000-0002-1642-628X", "0000-0002-1825-0097"}
    assert (article.pmcid, article.doi) == ("PMC9000001", "10.1002/ece3.2314")
    (update_of,) = article.related("UpdateOf")
    assert (update_of.pmid, update_of.doi) == ("99000002", "10.1101/014852")
    assert preprint.is_preprint and preprint.related("UpdateIn")[0].pmid == "99000001"
    assert str(old.published) == "1975-11"  # a MedlineDate, before arXiv existed


async def test_fetch_keeps_the_order_asked_and_leaves_unknown_pmids_out(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    route_efetch(upstream, known=lambda pmid: pmid != "41000002")
    articles = await pubmed.fetch(["41000003", "41000002", "41000001", "41000003"])
    assert [a.pmid for a in articles] == ["41000003", "41000001"]
    (request,) = eutils_requests(upstream)
    assert fields(request)["id"] == "41000003,41000002,41000001"  # each once


async def test_fetch_batches_200_and_posts_what_a_url_cannot_hold(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    route_efetch(upstream)
    pmids = [str(40000000 + i) for i in range(450)]
    articles = await pubmed.fetch(pmids)
    assert [a.pmid for a in articles] == pmids
    sent = eutils_requests(upstream)
    assert [len(fields(r)["id"].split(",")) for r in sent] == [200, 200, 50]
    assert [r.method for r in sent] == ["POST", "POST", "GET"]
    for request in sent:
        assert request.request_line_bytes <= MAX_GET_REQUEST_LINE
        assert fields(request)["tool"] == "paperscout" and fields(request)["api_key"] == NCBI_KEY
    posted = sent[0]
    assert posted.query == {}  # everything, the key included, is in the form body
    assert posted.header("Content-Type") == "application/x-www-form-urlencoded"


async def test_a_pmid_that_is_not_digits_is_refused_before_sending(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    with pytest.raises(ValueError, match="not a PMID"):
        await pubmed.fetch(["11748933", "PMC5994433"])
    assert await pubmed.fetch(["", "  "]) == []
    assert eutils_requests(upstream) == []


async def test_a_batch_too_large_for_the_body_cap_is_fetched_in_halves(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    ncbi_limiter: RateLimiter,
    options: HttpOptions,
) -> None:
    capped = dataclasses.replace(options, max_body_bytes=1024 * 1024)
    source = PubMedSource(session, upstream.pubmed_url, ncbi_limiter, email=CONTACT, options=capped)
    route_efetch(upstream)
    upstream.add_fault(EFETCH, Fault.huge(4 * 1024 * 1024, times=1))
    pmids = ["41000001", "41000002", "41000003", "41000004"]
    assert [a.pmid for a in await source.fetch(pmids)] == pmids
    assert [fields(r)["id"] for r in eutils_requests(upstream)] == [
        "41000001,41000002,41000003,41000004",
        "41000001,41000002",
        "41000003,41000004",
    ]
    upstream.add_fault(EFETCH, Fault.huge(4 * 1024 * 1024))
    with pytest.raises(ResponseTooLarge):
        await source.fetch(["41000001"])


# --- esearch -------------------------------------------------------------------------------


async def test_search_sends_the_entrez_date_window_and_returns_the_pmids(
    pubmed: PubMedSource, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.add_route(
        "GET",
        ESEARCH,
        fixture="pubmed/esearch_term-cancer_reldate60_edat_retmax100_usehistory.xml",
        content_type="text/xml; charset=UTF-8",
        query={"term": "cancer"},
    )
    pmids = await pubmed.search(
        "cancer", since=date(2025, 9, 27), until=date(2025, 11, 26), max_results=100
    )
    assert len(pmids) == 100 and pmids[0] == "41297076"
    (request,) = eutils_requests(upstream)
    assert request.query == {
        "db": "pubmed",
        "term": "cancer",
        "retmode": "xml",
        "retmax": "100",
        "datetype": "edat",
        "mindate": "2025/09/27",
        "maxdate": "2025/11/26",
        "tool": "paperscout",
        "email": CONTACT,
        "api_key": NCBI_KEY,
    }
    assert "found 42249 records; 100 returned" in caplog.text


async def test_search_without_dates_has_no_window_and_until_defaults_to_today(
    pubmed: PubMedSource, upstream: FakeUpstream, clock: ManualClock
) -> None:
    route_esearch(upstream, lambda term: [])
    assert await pubmed.search("hart rk[au]") == []
    await pubmed.search("hart rk[au]", since=date(2026, 11, 1))
    plain, windowed = (fields(r) for r in eutils_requests(upstream))
    assert not {"datetype", "mindate", "maxdate"} & set(plain)
    assert plain["retmax"] == "10000"  # PubMed's own ceiling
    assert windowed["maxdate"] == clock.now().strftime("%Y/%m/%d")


async def test_a_search_that_finds_nothing(pubmed: PubMedSource, upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        ESEARCH,
        fixture="pubmed/esearch_no-results_phrase-not-found.xml",
        content_type="text/xml; charset=UTF-8",
        query={"term": "abcXYZ"},
    )
    assert await pubmed.search("abcXYZ") == []


@pytest.mark.parametrize(
    ("since", "until"),
    [(None, date(2026, 1, 1)), (date(2026, 2, 1), date(2026, 1, 1))],
    ids=["until-alone", "reversed"],
)
async def test_a_window_esearch_cannot_take_is_refused_before_sending(
    pubmed: PubMedSource, upstream: FakeUpstream, since: date | None, until: date
) -> None:
    with pytest.raises(ValueError):
        await pubmed.search("cancer", since=since, until=until)
    with pytest.raises(ValueError, match="empty PubMed query"):
        await pubmed.search("  ")
    assert eutils_requests(upstream) == []


async def test_an_eutilities_error_document_is_a_bad_request_not_retried(
    pubmed: PubMedSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    body = b'<?xml version="1.0" ?>\n<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>'
    upstream.add_route("GET", ESEARCH, body=body, query={"term": "(("})
    with pytest.raises(BadRequest, match="Invalid query"):
        await pubmed.search("((")
    assert len(eutils_requests(upstream)) == 1
    assert health.get("pubmed").last_error_kind == "bad_request"


async def test_search_batched_names_and_orcids_in_one_query(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    seen: list[str] = []

    def found(term: str) -> list[str]:
        seen.append(term)
        return ["40455089", "40211185"]

    route_esearch(upstream, found)
    terms = [orcid_term("https://orcid.org/0000-0002-1642-628X"), *author_terms("R. K. Hart")]
    result = await pubmed.search_batched(terms, since=date(2026, 11, 1), until=date(2026, 11, 28))
    assert seen == ['(0000-0002-1642-628X[auid] OR "hart rk"[au])']
    assert (result.pmids, result.queries, result.truncated) == (("40455089", "40211185"), 1, False)
    assert await pubmed.search_batched([], since=date(2026, 11, 1)) == dataclasses.replace(
        result, pmids=(), queries=0
    )
    assert len(eutils_requests(upstream)) == 1  # nothing to search: nothing sent


async def test_1000_authors_with_orcids_cost_at_most_60_requests_a_cycle(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    """The issue's budget: ~0.1 new papers per author (every 10th author has one)."""
    authors = orcids(1000)
    papers = {orcid: str(45000000 + i) for i, orcid in enumerate(authors) if i % 10 == 0}

    def found(term: str) -> list[str]:
        return [papers[o] for o in ORCID_IN_TERM.findall(term) if o in papers]

    route_esearch(upstream, found)
    route_efetch(upstream)
    result = await pubmed.search_batched(
        [orcid_term(o) for o in authors], since=date(2026, 11, 27), until=date(2026, 11, 28)
    )
    articles = await pubmed.fetch(result.pmids)

    sent = eutils_requests(upstream)
    searches = [r for r in sent if r.path == ESEARCH]
    assert len(sent) <= 60
    assert (len(searches), len(sent) - len(searches)) == (25, 1)  # 40 ORCIDs a query; 1 efetch
    assert result.queries == 25 and len(articles) == len(papers) == 100
    asked = [o for r in searches for o in ORCID_IN_TERM.findall(fields(r)["term"])]
    assert sorted(asked) == sorted(authors)  # every author once
    assert all(r.method == "GET" and r.request_line_bytes <= MAX_GET_REQUEST_LINE for r in searches)
    assert all(fields(r)["mindate"] == "2026/11/27" for r in searches)


# --- politeness ----------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "gap"), [(None, 0.34), ("k-ncbi", 0.1)], ids=["no-key", "key"])
async def test_the_ncbi_limiter_spaces_requests_3_a_second_or_10_with_a_key(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    clock: ManualClock,
    key: str | None,
    gap: float,
) -> None:
    settings = Settings(
        discord_token="x",
        contact_email="lab@example.org",
        pubmed_api_url=upstream.pubmed_url,
        ncbi_api_key=key,
        _env_file=None,
    )
    sources = build_sources(settings, session, clock=clock, sleep=clock.sleep)
    route_esearch(upstream, lambda term: [])
    for _ in range(3):
        await sources.pubmed.search("hart rk[au]")
    # The clock stood still during the requests, so each later one waited the whole gap.
    assert clock.sleeps == [pytest.approx(gap), pytest.approx(gap)]
    requests = eutils_requests(upstream)
    assert all(fields(r)["email"] == "lab@example.org" for r in requests)
    assert all(("api_key" in fields(r)) is (key is not None) for r in requests)


async def test_the_key_never_reaches_errors_logs_health_or_repr(
    pubmed: PubMedSource,
    upstream: FakeUpstream,
    health: InMemoryHealthRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = b'{"error":"API rate limit exceeded","api-key":"%s","count":"11","limit":"10"}'
    upstream.add_fault(ESEARCH, Fault.http_status(429, body=echo % NCBI_KEY.encode()))
    with pytest.raises(RateLimited) as caught:
        await pubmed.search("hart rk[au]")
    route_efetch(upstream)
    upstream.add_fault(EFETCH, Fault.http_status(403, body=echo % NCBI_KEY.encode()))
    with pytest.raises(AccessDenied) as denied:
        await pubmed.fetch([str(40000000 + i) for i in range(200)])  # a POST
    assert NCBI_KEY in upstream.requests[0].raw_path  # it was really sent...
    assert NCBI_KEY.encode() in upstream.requests[-1].body
    texts = [
        str(caught.value),
        repr(caught.value),
        str(denied.value),
        caplog.text,
        repr(pubmed),
        health.get("pubmed").last_error or "",
    ]
    assert "API rate limit exceeded" in str(caught.value)  # ...NCBI's reason is kept
    for text in texts:
        assert NCBI_KEY not in text


# --- faults --------------------------------------------------------------------------------


async def test_5xx_and_429_are_retried_after_the_server_s_wait(
    pubmed: PubMedSource, upstream: FakeUpstream, clock: ManualClock
) -> None:
    upstream.add_fault(EFETCH, Fault.http_status(429, retry_after=3, times=1))
    upstream.add_fault(EFETCH, Fault.http_status(502, times=1))
    assert [a.pmid for a in await pubmed.fetch(SYNTHETIC)] == SYNTHETIC
    assert len(eutils_requests(upstream)) == 3
    assert clock.backoffs[0] == 3.0


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.http_status(503), UpstreamUnavailable),
        (Fault.html(), MalformedResponse),
        (Fault.truncated(), MalformedResponse),
        (Fault.empty(), MalformedResponse),
    ],
    ids=["503", "html", "truncated", "empty"],
)
async def test_broken_answers_end_in_typed_errors_after_retries(
    pubmed: PubMedSource,
    upstream: FakeUpstream,
    health: InMemoryHealthRecorder,
    fault: Fault,
    error: type[Exception],
) -> None:
    upstream.add_fault(EFETCH, fault)
    with pytest.raises(error) as caught:
        await pubmed.fetch(SYNTHETIC)
    assert type(caught.value) is error
    assert len(eutils_requests(upstream)) == 3  # the options' three attempts
    assert health.get("pubmed").consecutive_failures == 1


def _with_doctype(body: bytes, doctype: bytes) -> bytes:
    """The recorded body with its DOCTYPE line replaced."""
    start = body.index(b"<!DOCTYPE")
    end = body.index(b">", start) + 1
    return body[:start] + doctype + body[end:]


async def test_an_external_entity_is_never_resolved(
    pubmed: PubMedSource, upstream: FakeUpstream, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("xxe-marker-pubmed-41c7")
    forged = _with_doctype(
        efetch_body(["41000001"]),
        b'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://%s">]>' % str(secret).encode(),
    ).replace(b"<ArticleTitle>", b"<ArticleTitle>&xxe;")
    upstream.add_route("GET", EFETCH, body=forged, query={"id": "41000001"})
    with pytest.raises(MalformedResponse, match="DOCTYPE with inline declarations") as caught:
        await pubmed.fetch(["41000001"])
    assert "xxe-marker" not in str(caught.value)


async def test_a_dtd_named_by_url_is_never_fetched(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    """NCBI's own shape (a DTD by URL): read without loading the DTD."""
    upstream.add_route("GET", "/evil.dtd", body=b'<!ENTITY leak "leaked">')
    doctype = b'<!DOCTYPE PubmedArticleSet SYSTEM "%s/evil.dtd">' % upstream.base_url.encode()
    forged = _with_doctype(efetch_body(["41000001"]), doctype)
    upstream.add_route("GET", EFETCH, body=forged, query={"id": "41000001"})
    (article,) = await pubmed.fetch(["41000001"])
    assert article.title.startswith("Efficacy and Safety of Once-Weekly Semaglutide")
    assert upstream.requests_to("/evil.dtd") == []


async def test_a_parameter_entity_is_refused_and_never_fetched(
    pubmed: PubMedSource, upstream: FakeUpstream
) -> None:
    upstream.add_route("GET", "/evil.dtd", body=b'<!ENTITY leak "leaked">')
    doctype = b'<!DOCTYPE PubmedArticleSet [<!ENTITY %% ext SYSTEM "%s/evil.dtd"> %%ext;]>' % (
        upstream.base_url.encode()
    )
    forged = _with_doctype(efetch_body(["41000001"]), doctype)
    upstream.add_route("GET", EFETCH, body=forged, query={"id": "41000001"})
    with pytest.raises(MalformedResponse, match="DOCTYPE with inline declarations"):
        await pubmed.fetch(["41000001"])
    assert upstream.requests_to("/evil.dtd") == []
