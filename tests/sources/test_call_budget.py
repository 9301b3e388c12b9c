"""A caller's time budget (`call_budget`): a typed timeout with its reason, counted in health,
except when the call never got to send anything (it queued behind our own rate limiter)."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.budget import call_budget
from bot.sources.errors import QueuedPastBudget, SourceError, UpstreamTimeout
from bot.sources.http import _transport_error
from bot.sources.http_policy import HttpOptions
from bot.sources.limiter import RateLimiter
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.health import InMemoryHealthRecorder

ID = "astro-ph/0601001"


@pytest.fixture
def source(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    options: HttpOptions,
    health: InMemoryHealthRecorder,
) -> ArxivApiSource:
    """A source whose own timeout (30 s) is far longer than the budgets below."""
    limiter = RateLimiter(0.0, name="arxiv.org")
    patient = dataclasses.replace(options, timeout_seconds=30.0)
    return ArxivApiSource(session, upstream.arxiv_api_url, limiter, options=patient, health=health)


async def test_a_hang_ends_at_the_budget_with_its_reason_and_counts_in_health(
    source: ArxivApiSource, upstream: FakeUpstream, health: InMemoryHealthRecorder
) -> None:
    upstream.add_fault("/api/query", Fault.hang())
    with pytest.raises(UpstreamTimeout) as caught, call_budget(0.2):
        await source.fetch_by_ids([ID])
    message = "arxiv_api: timed out after 0.2 s, the caller's budget (1 request sent)"
    assert str(caught.value) == message
    state = health.get("arxiv_api")
    assert (state.consecutive_failures, state.last_error_kind) == (1, "timeout")
    assert state.last_error == message


async def test_an_inner_budget_never_extends_the_outer_one(
    source: ArxivApiSource, upstream: FakeUpstream
) -> None:
    upstream.add_fault("/api/query", Fault.hang())
    with pytest.raises(UpstreamTimeout, match=r"after 0\.2 s"), call_budget(0.2):
        with call_budget(30.0):
            await source.fetch_by_ids([ID])


async def test_waiting_for_our_own_limiter_is_not_the_source_failing(
    source: ArxivApiSource, health: InMemoryHealthRecorder
) -> None:
    assert source.http.limiter is not None
    async with source.http.limiter:  # another request holds arxiv.org's one slot
        with pytest.raises(QueuedPastBudget) as caught, call_budget(0.2):
            await source.fetch_by_ids([ID])
    assert "waiting for a turn in the arxiv.org rate limiter" in str(caught.value)
    assert "arxiv_api" not in health.all()  # neither a failure nor a success


async def test_without_a_budget_nothing_changes(
    source: ArxivApiSource, health: InMemoryHealthRecorder
) -> None:
    (paper,) = await source.fetch_by_ids([ID])
    assert paper.arxiv_id == ID
    assert health.get("arxiv_api").last_success_at is not None


@pytest.mark.parametrize(
    "exception",
    [
        TimeoutError(),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError(),
        ConnectionResetError(104, ""),
        OSError(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_transport_error_has_a_message(exception: BaseException) -> None:
    error = _transport_error(exception, "GET /api/query", HttpOptions())
    assert str(error).strip() and "GET /api/query" in str(error)


def test_a_source_error_without_a_message_still_says_what_it_is() -> None:
    assert str(SourceError("", source="openalex")) == "openalex: source_error (no details)"
    assert str(UpstreamTimeout("  ")) == "timeout (no details)"


async def test_budget_nesting_keeps_the_earlier_deadline() -> None:
    with call_budget(5.0) as outer, call_budget(60.0) as inner:
        assert inner is outer
    with call_budget(60.0) as outer, call_budget(5.0) as inner:
        assert inner.deadline < outer.deadline and inner.seconds == 5.0
