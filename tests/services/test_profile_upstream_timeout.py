"""A profile whose source does not answer within the command's budget: the log line says why,
and source health counts the failure (it used to log "arXiv search failed for 'NAME': " with
nothing after, and record nothing)."""

from __future__ import annotations

import logging

import pytest

from bot.errors import UpstreamDown
from bot.sources.factory import Sources
from db.database import Database
from db.repositories.health import SourceHealthRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.services import services_for


async def test_arxiv_hanging_past_the_budget_is_a_reasoned_counted_failure(
    db: Database,
    sources: Sources,
    upstream: FakeUpstream,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream.add_fault("/api/query", Fault.hang())
    services = services_for(db, sources, clock, openalex_api_url="", semantic_scholar_api_url="")
    services.resolver.guard.budget_seconds = 0.3
    service = services.profile

    with caplog.at_level(logging.WARNING), pytest.raises(UpstreamDown):
        await service.profile("Heather Piwowar")

    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.services.paper_history"]
    assert line == (
        'arXiv search au:"Heather Piwowar" failed: '
        "arxiv_api: timed out after 0.3 s, the caller's budget (1 request sent)"
    )
    async with db.reader() as session:
        health = await SourceHealthRepository(session).get("arxiv_api")
    assert health is not None and health.consecutive_failures == 1
    assert (
        health.last_error
        == "arxiv_api: timed out after 0.3 s, the caller's budget (1 request sent)"
    )
    assert health.next_try_at is not None and health.next_try_at > clock.now()
