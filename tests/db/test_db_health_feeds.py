"""SourceHealthRepository and FeedStateRepository round trips."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from db.database import Database
from db.repositories.feeds import FeedStateRepository
from db.repositories.health import SourceHealthRepository

MINUTE = timedelta(minutes=1)


async def test_source_health_counts_failures_and_resets(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = SourceHealthRepository(session)
        first = await repo.record_failure("arxiv_api", t0, "HTTP 503", t0 + MINUTE)
        assert (first.consecutive_failures, first.last_error) == (1, "HTTP 503")
        second = await repo.record_failure(
            "arxiv_api", t0 + MINUTE, TimeoutError("read timed out"), t0 + 3 * MINUTE
        )
        assert second.consecutive_failures == 2
        assert second.last_error == "TimeoutError: read timed out"
        assert second.next_try_at == t0 + 3 * MINUTE
        assert await repo.set_outage_notified("arxiv_api", True, at=t0 + MINUTE, outage_key="never")
        with pytest.raises(ValueError):
            await repo.set_outage_notified("arxiv_api", False, at=t0, outage_key="never")
        await repo.record_success("openalex", t0)

    async with db.transaction() as session:
        repo = SourceHealthRepository(session)
        recovered = await repo.record_success("arxiv_api", t0 + 5 * MINUTE)
        assert recovered.consecutive_failures == 0
        assert recovered.next_try_at is None
        assert recovered.last_success_at == t0 + 5 * MINUTE
        assert recovered.last_failure_at == t0 + MINUTE
        assert recovered.last_error == "TimeoutError: read timed out"  # history for /status
        assert recovered.outage_notified is True  # a recovery notice is due
        assert recovered.outage_key == "never"  # ... for the outage announced under this key
        assert await repo.set_outage_notified("arxiv_api", False, at=t0 + 5 * MINUTE)
        assert not await repo.set_outage_notified("nowhere", False, at=t0)

    async with db.reader() as session:
        rows = await SourceHealthRepository(session).list_all()
    assert [(r.source, r.consecutive_failures, r.outage_notified, r.outage_key) for r in rows] == [
        ("arxiv_api", 0, False, None),
        ("openalex", 0, False, None),
    ]


async def test_feed_state_partial_upserts(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = FeedStateRepository(session)
        assert await repo.get("arxiv_rss:cs.CV") is None
        created = await repo.upsert(
            "arxiv_rss:cs.CV", etag='W/"abc"', next_poll_at=t0 + 60 * MINUTE, now=t0
        )
        assert (created.etag, created.last_modified, created.last_success_at) == (
            'W/"abc"',
            None,
            None,
        )
        await repo.upsert("arxiv_api:batch:0", now=t0)

    async with db.transaction() as session:
        repo = FeedStateRepository(session)
        updated = await repo.upsert(
            "arxiv_rss:cs.CV",
            last_success_at=t0 + MINUTE,
            last_modified="Mon, 06 Jan 2025 12:00:00 GMT",
            now=t0 + MINUTE,
        )
        assert updated.etag == 'W/"abc"'  # not passed: kept
        assert updated.last_modified == "Mon, 06 Jan 2025 12:00:00 GMT"
        assert updated.last_success_at == t0 + MINUTE
        assert updated.updated_at == t0 + MINUTE
        cleared = await repo.upsert("arxiv_rss:cs.CV", etag=None, now=t0 + MINUTE)
        assert cleared.etag is None
        assert [f.key for f in await repo.due(t0)] == ["arxiv_api:batch:0"]
        assert [f.key for f in await repo.due(t0 + 60 * MINUTE)] == [
            "arxiv_api:batch:0",
            "arxiv_rss:cs.CV",
        ]
        assert [f.key for f in await repo.list_all()] == ["arxiv_api:batch:0", "arxiv_rss:cs.CV"]
