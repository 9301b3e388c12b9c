"""`/status` after arXiv answered 429 with `Retry-After: 86400`: a red line that says the source
is backing off, until when (an hour later: the cap) and why (what was asked, what was honoured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.sources.errors import RateLimited
from tests.discord.author_support import NOW, author_bot
from tests.discord.test_general import fields
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.harness.fixtures import HarnessFactory
from tests.harness.payloads import MODERATOR_PERMISSIONS


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as server:
        yield server


@pytest.mark.parametrize("harness_mode", ["direct"], indirect=True)
async def test_status_shows_a_source_backing_off_with_the_capped_retry_after(
    harness_factory: HarnessFactory, upstream: FakeUpstream
) -> None:
    clock = ManualClock(NOW)
    async with author_bot(harness_factory, upstream, clock=clock) as h:
        upstream.add_fault("/api/query", Fault.http_status(429, retry_after=86400))
        assert h.bot.runtime is not None
        arxiv = h.bot.runtime.sources.arxiv_api
        with pytest.raises(RateLimited):
            await arxiv.fetch_by_ids(["astro-ph/0601001"])
        clock.advance(timedelta(minutes=10))
        ex = await h.slash("status", permissions=MODERATOR_PERMISSIONS)

    (embed,) = ex.followups[0].json["embeds"]
    until = int((NOW + timedelta(hours=1)).timestamp())
    assert fields(embed)["Sources"] == (
        "\N{LARGE RED CIRCLE} **arxiv\\_api**: last success never, 1 failures in a row "
        "(arxiv\\_api: rate limited (HTTP 429, GET /api/query; Retry-After 86400 s, capped "
        f"to 3600 s)), backing off until <t:{until}:f>"
    )
