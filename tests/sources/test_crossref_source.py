"""`CrossrefSource` against the fake upstream: recorded (and marked synthetic) Crossref bodies,
request shapes, the DOI batch, politeness and faults."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest

from bot.config import Settings
from bot.sources.crossref import CrossrefSource
from bot.sources.errors import BadRequest, MalformedResponse, UpstreamUnavailable
from bot.sources.factory import build_sources
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault, RecordedRequest, Reply
from tests.harness.health import InMemoryHealthRecorder
from tests.sources.conftest import CONTACT

PLOS = "10.1371/journal.pone.0033693"
ARTICLE = "10.1002/ece3.2314"  # the journal version...
PREPRINT = "10.1101/014852"  # ...of this bioRxiv preprint
LIST = "crossref/works_query-ecology_query.author-carl-boettiger_trimmed.json"


def crossref_requests(upstream: FakeUpstream) -> list[RecordedRequest]:
    return upstream.requests_to("/crossref")


def route_doi_filter(upstream: FakeUpstream) -> None:
    """The recorded work list (5 works, the pair among them) for any DOI filter."""
    upstream.add_route(
        "GET",
        "/crossref/works",
        fixture=LIST,
        content_type="application/json",
        query={"filter": re.compile(r"^doi:")},
    )


async def test_work_by_doi_in_the_polite_pool(
    crossref: CrossrefSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    work = await crossref.work(f"https://doi.org/{PLOS.upper()}")
    assert work is not None and work.doi == PLOS
    assert (work.type, work.container_title) == ("journal-article", "PLoS ONE")
    assert work.authors[0].name == "Sadasivan, Shankar"
    assert str(work.issued) == "2012-03-21"
    (request,) = crossref_requests(upstream)
    assert request.path == f"/crossref/works/{PLOS}"
    assert request.query == {"mailto": CONTACT}
    assert request.header("User-Agent").endswith(f"(+mailto:{CONTACT})")
    assert request.header("Accept") == "application/json"
    assert health.get("crossref").last_success_at is not None


async def test_an_unknown_doi_is_none_and_the_source_stays_healthy(
    crossref: CrossrefSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    assert await crossref.work("doi:10.1371/notarealdoi") is None  # the recorded 404
    assert len(crossref_requests(upstream)) == 1  # a 404 is an answer: not retried
    state = health.get("crossref")
    assert state.consecutive_failures == 0 and state.last_success_at is not None


async def test_a_preprint_and_its_publication_name_each_other(
    crossref: CrossrefSource, upstream: FakeUpstream
) -> None:
    preprint = await crossref.work(PREPRINT)  # synthetic: the recorded item plus its relation
    assert preprint is not None and preprint.is_preprint
    assert (preprint.institution, preprint.publisher) == ("bioRxiv", "openRxiv")
    assert preprint.is_preprint_of == (ARTICLE,)
    assert str(preprint.posted) == "2015-02-04"
    route_doi_filter(upstream)
    works = await crossref.works([ARTICLE.upper(), f"https://doi.org/{PREPRINT}"])
    assert list(works) == [ARTICLE, PREPRINT]
    assert works[ARTICLE].has_preprint == (PREPRINT,) and not works[ARTICLE].is_preprint


async def test_works_asks_for_many_dois_in_one_filter_and_drops_the_rest(
    crossref: CrossrefSource, upstream: FakeUpstream
) -> None:
    route_doi_filter(upstream)
    works = await crossref.works([PREPRINT, "10.9999/unknown", ARTICLE, PREPRINT])
    assert list(works) == [PREPRINT, ARTICLE]  # the list's three other works are not asked for
    (request,) = crossref_requests(upstream)
    assert request.query == {
        "filter": f"doi:{PREPRINT},doi:10.9999/unknown,doi:{ARTICLE}",
        "rows": "3",
        "mailto": CONTACT,
    }


async def test_works_sends_50_dois_a_request_and_a_doi_with_a_comma_alone(
    crossref: CrossrefSource, upstream: FakeUpstream
) -> None:
    empty = {"status": "ok", "message-type": "work-list", "message": {"items": []}}
    upstream.add_route(
        "GET",
        "/crossref/works",
        body=lambda request: Reply(json.dumps(empty).encode(), content_type="application/json"),
        query={"filter": re.compile(r"^doi:")},
    )
    comma = "10.1002/(sici)1097-4636(199706)35:4<439::aid-jbm5>3.0.co;2-g,x"
    dois = [f"10.5555/{i}" for i in range(120)] + [comma]
    assert await crossref.works(dois) == {}
    sent = crossref_requests(upstream)
    listed = [r.query["filter"].split(",") for r in sent if r.path == "/crossref/works"]
    assert [len(chunk) for chunk in listed] == [50, 50, 20]
    assert [r.query["rows"] for r in sent[:3]] == ["50", "50", "20"]
    assert sent[-1].path.startswith("/crossref/works/10.1002/(sici)")  # by itself


async def test_a_rejected_request_keeps_crossref_s_reason_and_is_not_retried(
    crossref: CrossrefSource, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET",
        "/crossref/works",
        fixture="crossref/error_400_field-query-on-doi-route.json",
        status=400,
        content_type="application/json",
        query={"filter": re.compile(r"^doi:")},
    )
    with pytest.raises(BadRequest, match="does not support field query parameters"):
        await crossref.works([ARTICLE])
    assert len(crossref_requests(upstream)) == 1


async def test_a_string_that_is_no_doi_is_refused_before_sending(
    crossref: CrossrefSource, upstream: FakeUpstream
) -> None:
    with pytest.raises(ValueError, match="not a DOI"):
        await crossref.work("arXiv:2108.04680")
    with pytest.raises(ValueError, match="not a DOI"):
        await crossref.works([ARTICLE, "https://example.org/paper"])
    assert crossref_requests(upstream) == []


async def test_429_then_5xx_are_retried_and_html_ends_malformed(
    crossref: CrossrefSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    path = f"/crossref/works/{PLOS}"
    upstream.add_fault(path, Fault.http_status(429, retry_after=2, times=1))
    upstream.add_fault(path, Fault.http_status(503, times=1))
    assert await crossref.work(PLOS) is not None
    assert len(crossref_requests(upstream)) == 3 and clock.backoffs[0] == 2.0
    upstream.add_fault(path, Fault.html())
    with pytest.raises(MalformedResponse, match="not JSON"):
        await crossref.work(PLOS)
    upstream.clear_faults()
    upstream.add_fault(path, Fault.http_status(503))
    with pytest.raises(UpstreamUnavailable):
        await crossref.work(PLOS)
    assert health.get("crossref").consecutive_failures == 2


async def test_build_sources_gives_crossref_its_own_limiter(
    session: aiohttp.ClientSession, upstream: FakeUpstream, clock: ManualClock
) -> None:
    settings = Settings(
        discord_token="x",
        contact_email="lab@example.org",
        crossref_api_url=upstream.crossref_url,
        _env_file=None,
    )
    sources = build_sources(settings, session, clock=clock, sleep=clock.sleep)
    limiter = sources.crossref.http.limiter
    assert limiter is not None and limiter.name == "crossref"
    assert limiter is not sources.pubmed.http.limiter
    await sources.crossref.work(PLOS)
    await sources.crossref.work(PLOS)
    assert clock.sleeps == [pytest.approx(0.34)]
    assert crossref_requests(upstream)[0].query["mailto"] == "lab@example.org"
