"""Injected faults: every call ends in parsed data or a typed error, and health is updated."""

from __future__ import annotations

import dataclasses
import logging
import traceback

import aiohttp
import pytest

from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.errors import (
    ArxivQueryError,
    MalformedResponse,
    RateLimited,
    RedirectLoop,
    ResponseTooLarge,
    SourceError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from bot.sources.http_policy import HttpOptions
from bot.sources.limiter import RateLimiter
from bot.sources.openalex import OpenAlexSource
from bot.sources.semantic_scholar import SemanticScholarSource
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.health import InMemoryHealthRecorder
from tests.sources.conftest import OPENALEX_KEY, S2_KEY

ID = "astro-ph/0601001"


def api_requests(upstream: FakeUpstream) -> int:
    return len(upstream.requests_to("/api/query"))


def assert_failed(
    health: InMemoryHealthRecorder,
    clock: ManualClock,
    kind: str,
    source: str = "arxiv_api",
    *,
    succeeded_before: bool = False,
) -> None:
    state = health.get(source)
    assert state.consecutive_failures == 1
    assert state.last_error_kind == kind
    assert (state.last_success_at is not None) is succeeded_before
    assert state.next_try_at is not None and state.next_try_at > clock.now()


async def test_429_with_retry_after_is_honoured_then_succeeds(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(429, retry_after=7, times=1))
    (paper,) = await arxiv_api.fetch_by_ids([ID])
    assert paper.arxiv_id == ID
    assert api_requests(upstream) == 2
    assert clock.backoffs == [7.0]  # exactly what the server asked (the backoff was shorter)
    assert clock.sleeps == []  # and the arXiv gap (3 s) had passed meanwhile
    assert health.get("arxiv_api").consecutive_failures == 0
    assert health.get("arxiv_api").last_success_at is not None


async def test_429_forever_ends_rate_limited_with_next_try_after_the_wait(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(429, retry_after=120))
    with pytest.raises(RateLimited) as caught:
        await arxiv_api.fetch_by_ids([ID])
    assert caught.value.retry_after == 120.0
    assert api_requests(upstream) == 3  # bounded attempts
    assert clock.backoffs == [120.0, 120.0]
    assert_failed(health, clock, "rate_limited")
    assert (health.get("arxiv_api").next_try_at - clock.now()).total_seconds() >= 120


async def test_retry_after_longer_than_the_policy_allows_is_not_slept_inside_the_call(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(429, retry_after=3600))
    with pytest.raises(RateLimited):
        await arxiv_api.fetch_by_ids([ID])
    assert api_requests(upstream) == 1
    assert clock.backoffs == []
    assert (health.get("arxiv_api").next_try_at - clock.now()).total_seconds() >= 3600


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_once_then_success_after_backoff(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream, clock: ManualClock, status: int
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(status, times=1))
    assert len(await arxiv_api.fetch_by_ids([ID])) == 1
    assert api_requests(upstream) == 2
    (backoff,) = clock.backoffs
    assert 1.0 <= backoff <= 1.25
    assert clock.sleeps == [pytest.approx(3.0 - backoff)]  # topped up to arXiv's 3 s gap


async def test_503_forever_is_upstream_unavailable_with_exponential_backoff(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault("/api/query", Fault.http_status(503))
    with pytest.raises(UpstreamUnavailable) as caught:
        await arxiv_api.fetch_by_ids([ID])
    assert caught.value.status == 503
    assert api_requests(upstream) == 3
    first, second = clock.backoffs
    assert 1.0 <= first <= 1.25 and 2.0 <= second <= 2.5
    assert_failed(health, clock, "unavailable")


async def test_consecutive_failures_grow_the_cool_down_and_success_resets(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    fault = upstream.add_fault("/api/query", Fault.http_status(500))
    cooldowns = []
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await arxiv_api.fetch_by_ids([ID])
        state = health.get("arxiv_api")
        cooldowns.append((state.next_try_at - clock.now()).total_seconds())
    assert health.get("arxiv_api").consecutive_failures == 3
    assert cooldowns == [60.0, 120.0, 240.0]
    upstream.faults.remove(fault)
    await arxiv_api.fetch_by_ids([ID])
    state = health.get("arxiv_api")
    assert state.consecutive_failures == 0 and state.next_try_at is None
    assert state.last_error is not None  # the last error stays visible for /status


async def test_timeout_is_typed_and_retried(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
    clock: ManualClock,
) -> None:
    quick = dataclasses.replace(options, timeout_seconds=0.05)
    source = ArxivApiSource(
        session, upstream.arxiv_api_url, arxiv_limiter, options=quick, health=health
    )
    upstream.add_fault("/api/query", Fault.slow(0.3))
    with pytest.raises(UpstreamTimeout, match=r"no answer within 0\.05s"):
        await source.fetch_by_ids([ID])
    assert api_requests(upstream) == 3
    assert_failed(health, clock, "timeout")


async def test_timeout_once_then_success(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> None:
    quick = dataclasses.replace(options, timeout_seconds=0.05)
    source = ArxivApiSource(
        session, upstream.arxiv_api_url, arxiv_limiter, options=quick, health=health
    )
    upstream.add_fault("/api/query", Fault.slow(0.3, times=1))
    assert len(await source.fetch_by_ids([ID])) == 1


@pytest.mark.parametrize(
    ("fault", "error", "kind"),
    [
        (Fault.truncated(), MalformedResponse, "malformed"),
        (Fault.cut_connection(), UpstreamUnavailable, "unavailable"),
        (Fault.html(), MalformedResponse, "malformed"),
        (Fault.html(status=503), UpstreamUnavailable, "unavailable"),
        (Fault.empty(), MalformedResponse, "malformed"),
        (Fault.malformed(), MalformedResponse, "malformed"),
    ],
    ids=["truncated-xml", "cut-connection", "html-200", "html-503", "empty-200", "garbage"],
)
async def test_broken_bodies_end_in_typed_errors_after_retries(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
    fault: Fault,
    error: type[SourceError],
    kind: str,
) -> None:
    upstream.add_fault("/api/query", fault)
    with pytest.raises(error) as caught:
        await arxiv_api.fetch_by_ids([ID])
    assert type(caught.value) is error
    assert api_requests(upstream) == 3
    assert_failed(health, clock, kind)


@pytest.mark.parametrize(
    "fault", [Fault.truncated(times=1), Fault.html(times=1), Fault.empty(times=1)]
)
async def test_one_broken_body_then_the_real_one(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream, fault: Fault
) -> None:
    upstream.add_fault("/api/query", fault)
    (paper,) = await arxiv_api.fetch_by_ids([ID])
    assert len(paper.authors) == 4


@pytest.mark.parametrize("declare_length", [False, True], ids=["streamed", "content-length"])
async def test_enormous_body_stops_at_the_cap_without_retry(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
    clock: ManualClock,
    declare_length: bool,
) -> None:
    capped = dataclasses.replace(options, max_body_bytes=1024 * 1024)
    source = ArxivApiSource(
        session, upstream.arxiv_api_url, arxiv_limiter, options=capped, health=health
    )
    upstream.add_fault("/api/query", Fault.huge(256 * 1024 * 1024, declare_length=declare_length))
    with pytest.raises(ResponseTooLarge, match="1048576-byte cap"):
        await source.fetch_by_ids([ID])
    assert api_requests(upstream) == 1
    assert_failed(health, clock, "too_large")


async def test_redirect_loop_is_typed_and_not_retried(
    arxiv_api: ArxivApiSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault("/api/query", Fault.redirect_loop())
    with pytest.raises(RedirectLoop):
        await arxiv_api.fetch_by_ids([ID])
    assert api_requests(upstream) == 5  # max_redirects=5 hops in all, and no retry (else 15)
    assert_failed(health, clock, "redirect_loop")


async def test_connection_refused_is_upstream_unavailable(
    session: aiohttp.ClientSession,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> None:
    closed = FakeUpstream(load_recorded=False)
    await closed.start()
    url = closed.arxiv_api_url
    await closed.close()
    source = ArxivApiSource(session, url, arxiv_limiter, options=options, health=health)
    with pytest.raises(UpstreamUnavailable, match="cannot connect"):
        await source.fetch_by_ids([ID])
    assert health.get("arxiv_api").last_error_kind == "unavailable"


async def test_rss_faults(
    arxiv_rss: ArxivRssSource,
    upstream: FakeUpstream,
    health: InMemoryHealthRecorder,
    clock: ManualClock,
) -> None:
    upstream.add_fault("/rss/cs.CV", Fault.http_status(503, retry_after=5, times=1))
    listing = await arxiv_rss.fetch_listing(["cs.CV"])
    assert len(listing.papers) == 4
    assert clock.backoffs == [5.0]
    upstream.add_fault("/rss/cs.CV", Fault.html())
    with pytest.raises(MalformedResponse):
        await arxiv_rss.fetch_listing(["cs.CV"])
    upstream.clear_faults()
    upstream.add_fault("/rss/cs.CV", Fault.truncated())
    with pytest.raises(MalformedResponse):
        await arxiv_rss.fetch_listing(["cs.CV"])
    assert health.get("arxiv_rss").consecutive_failures == 2


async def test_openalex_429_then_success_and_html_failure(
    openalex: OpenAlexSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault(
        "/openalex/authors/A5048491430", Fault.http_status(429, retry_after=2, times=1)
    )
    record = await openalex.get_author("A5048491430")
    assert record.h_index == 23
    assert clock.backoffs == [2.0]
    upstream.add_fault("/openalex/authors/A5048491430", Fault.html())
    with pytest.raises(MalformedResponse, match="not JSON"):
        await openalex.get_author("A5048491430")
    assert_failed(health, clock, "malformed", source="openalex", succeeded_before=True)


async def test_s2_500_then_success_and_empty_body_failure(
    semantic_scholar: SemanticScholarSource,
    upstream: FakeUpstream,
    clock: ManualClock,
    health: InMemoryHealthRecorder,
) -> None:
    upstream.add_fault("/graph/v1/author/search", Fault.http_status(500, times=1))
    records = await semantic_scholar.search_authors("turing", limit=100)
    assert records[0].display_name == "A. Turing"
    upstream.add_fault("/graph/v1/author/search", Fault.empty())
    with pytest.raises(MalformedResponse, match="empty body"):
        await semantic_scholar.search_authors("turing")
    assert_failed(health, clock, "malformed", source="semantic_scholar", succeeded_before=True)


async def test_secrets_never_reach_errors_logs_or_reprs(
    openalex: OpenAlexSource,
    semantic_scholar: SemanticScholarSource,
    upstream: FakeUpstream,
    health: InMemoryHealthRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    upstream.add_fault(
        "/openalex/authors/A5048491430",
        Fault.http_status(403, body=f'{{"error": "bad key {OPENALEX_KEY}"}}'.encode()),
    )
    with pytest.raises(SourceError) as oa_error:
        await openalex.get_author("A5048491430")
    upstream.add_fault(
        "/graph/v1/author/search",
        Fault.http_status(400, body=f'{{"error": "key {S2_KEY} refused"}}'.encode()),
    )
    with pytest.raises(SourceError) as s2_error:
        await semantic_scholar.search_authors("turing")
    # The keys were really sent...
    assert upstream.requests_to("/openalex")[0].query["api_key"] == OPENALEX_KEY
    assert upstream.requests_to("/graph/v1")[0].header("x-api-key") == S2_KEY
    # ...and appear nowhere else.
    texts = [
        str(oa_error.value),
        repr(oa_error.value),
        str(s2_error.value),
        caplog.text,
        repr(openalex),
        repr(semantic_scholar),
    ]
    texts += [state.last_error or "" for state in health.all().values()]
    for text in texts:
        assert OPENALEX_KEY not in text
        assert S2_KEY not in text
    assert "refused" in str(s2_error.value)  # the upstream's message itself is kept


async def test_transport_errors_are_not_chained_to_aiohttp_messages_with_the_key(
    openalex: OpenAlexSource, upstream: FakeUpstream
) -> None:
    upstream.add_fault("/openalex/authors/A5048491430", Fault.redirect_loop())
    with pytest.raises(RedirectLoop) as caught:
        await openalex.get_author("A5048491430")
    assert caught.value.__cause__ is None
    assert OPENALEX_KEY not in "".join(traceback.format_exception(caught.value))
    assert OPENALEX_KEY in upstream.requests_to("/openalex")[-1].raw_path  # it was sent


async def test_big_bodies_are_parsed_off_the_event_loop_with_the_same_result(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
) -> None:
    threaded = dataclasses.replace(options, parse_in_thread_bytes=1)
    source = ArxivApiSource(session, upstream.arxiv_api_url, arxiv_limiter, options=threaded)
    (paper,) = await source.fetch_by_ids([ID])
    assert paper.authors[3].affiliations == ("Warsaw University Observatory",)
    with pytest.raises(MalformedResponse):
        upstream.add_fault("/api/query", Fault.truncated())
        await source.fetch_by_ids([ID])


class BrokenRecorder:
    """A health recorder whose storage is down."""

    async def record_success(self, source: str, at: object) -> None:
        raise RuntimeError("database is down")

    async def record_failure(
        self, source: str, at: object, error: object, next_try_at: object
    ) -> None:
        raise RuntimeError("database is down")


async def test_a_failing_health_recorder_never_breaks_a_fetch(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
) -> None:
    source = ArxivApiSource(
        session, upstream.arxiv_api_url, arxiv_limiter, options=options, health=BrokenRecorder()
    )
    assert len(await source.fetch_by_ids([ID])) == 1
    with pytest.raises(ArxivQueryError):
        await source.fetch_by_ids(["abc"])
