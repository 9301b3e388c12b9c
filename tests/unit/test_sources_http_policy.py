"""Pure pieces of the HTTP path: backoff, Retry-After, status mapping, redaction, User-Agent."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from bot import __version__
from bot.sources.errors import (
    AccessDenied,
    BadRequest,
    MalformedResponse,
    NotFound,
    RateLimited,
    SourceError,
    UpstreamUnavailable,
)
from bot.sources.http_policy import (
    MAX_RETRY_AFTER_SECONDS,
    HttpResponse,
    RetryPolicy,
    check_status,
    default_user_agent,
    parse_retry_after,
    redact_text,
    redact_url,
)

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def response(status: int, retry_after: float | None = None) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=CIMultiDictProxy(CIMultiDict()),
        body=b"",
        method="GET",
        path="/authors",
        url="http://x/authors?api_key=***",
        retry_after_asked=retry_after,
    )


def test_user_agent_names_project_version_and_contact() -> None:
    assert (
        default_user_agent("ops@lab.example")
        == f"PaperScout/{__version__} (+mailto:ops@lab.example)"
    )


def test_backoff_grows_exponentially_with_bounded_upward_jitter() -> None:
    policy = RetryPolicy(base_delay=2.0, max_delay=30.0, jitter=0.25)
    rng = random.Random(3)
    delays = [policy.delay(attempt, None, rng) for attempt in (1, 2, 3, 4, 5, 6)]
    for attempt, delay in enumerate(delays, start=1):
        base = min(30.0, 2.0 * 2 ** (attempt - 1))
        assert base <= delay <= base * 1.25
    assert len({round(d, 6) for d in delays}) == len(delays)  # jitter actually varies


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_delay=1.0, jitter=0.0)
    assert policy.delay(1, 7.0, random.Random(0)) == 7.0
    assert policy.delay(4, 2.0, random.Random(0)) == 8.0  # the backoff is longer: keep it


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 3 ", NOW) == 3.0
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("inf", NOW) is None and parse_retry_after("nan", NOW) is None
    assert parse_retry_after("99999999", NOW) == 99999999.0  # as asked: the cap comes later
    assert parse_retry_after("-5", NOW) == 0.0
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize("status", [429, 503])
def test_a_long_retry_after_is_capped_at_an_hour_and_the_error_says_so(status: int) -> None:
    with pytest.raises(SourceError) as caught:
        check_status(response(status, retry_after=86400.0))
    assert caught.value.retry_after == MAX_RETRY_AFTER_SECONDS == 3600.0
    assert f"HTTP {status}, GET /authors; Retry-After 86400 s, capped to 3600 s" in str(
        caught.value
    )
    with pytest.raises(SourceError) as short:
        check_status(response(status, retry_after=120.0))
    assert short.value.retry_after == 120.0
    assert str(short.value).endswith(f"(HTTP {status}, GET /authors; Retry-After 120 s)")


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (429, RateLimited, True),
        (401, AccessDenied, False),
        (403, AccessDenied, False),
        (404, NotFound, False),
        (400, BadRequest, False),
        (422, BadRequest, False),
        (500, UpstreamUnavailable, True),
        (502, UpstreamUnavailable, True),
        (503, UpstreamUnavailable, True),
        (302, MalformedResponse, True),
    ],
)
def test_status_mapping(status: int, error: type[SourceError], retryable: bool) -> None:
    with pytest.raises(error) as caught:
        check_status(response(status, retry_after=5.0))
    assert type(caught.value) is error
    assert caught.value.retryable is retryable
    assert caught.value.status == status
    assert "GET /authors" in str(caught.value)
    assert "api_key" not in str(caught.value)


def test_ok_status_passes_and_retry_after_travels_with_429() -> None:
    check_status(response(200))
    with pytest.raises(RateLimited) as caught:
        check_status(response(429, retry_after=9.0))
    assert caught.value.retry_after == 9.0
    assert caught.value.kind == "rate_limited"


def test_redaction_of_urls_and_texts() -> None:
    url = "https://api.openalex.org/works?filter=x&api_key=s3cr3t&per_page=5"
    assert redact_url(url) == "https://api.openalex.org/works?filter=x&api_key=***&per_page=5"
    assert "s3cr3t" not in redact_text("the key s3cr3t was refused", ("s3cr3t",))


def test_error_str_and_repr_are_short_and_named() -> None:
    error = RateLimited("rate limited (HTTP 429, GET /x)", source="openalex", status=429)
    assert str(error) == "openalex: rate limited (HTTP 429, GET /x)"
    assert "RateLimited" in repr(error)
