"""`OutageNotifier`: which health transitions plan which notices, on SQLite and PostgreSQL.

The first test drives real poll cycles against the fake upstream (the arXiv API answering
500), so the failures are counted the way production counts them; the others write health
records directly to pin the edge cases.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.notices import OutageNotifier, notice_text
from bot.services.polling import PollingService
from db.database import Database
from db.models import OutboxEntry
from db.repositories.digests import DigestScheduleRepository
from db.repositories.health import SourceHealthRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, Fault
from tests.services.conftest import Dest, follow_author

NOW = datetime(2024, 11, 28, 6, 0, tzinfo=UTC)
CHANNEL_A, CHANNEL_B, CHANNEL_LATE = 501, 502, 503


async def channel_digest(db: Database, channel_id: int, *, now: datetime = NOW) -> int:
    async with db.transaction() as session:
        schedule = await DigestScheduleRepository(session).upsert(
            target_kind="channel",
            target_id=channel_id,
            guild_id=9,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=now + timedelta(days=3),
            now=now,
        )
        return schedule.id


async def notice_rows(db: Database) -> list[OutboxEntry]:
    async with db.reader() as session:
        rows = await session.execute(
            select(OutboxEntry).where(OutboxEntry.kind == "notice").order_by(OutboxEntry.id)
        )
        return list(rows.scalars())


async def fail(db: Database, source: str, at: datetime, times: int = 1) -> None:
    for n in range(times):
        async with db.transaction() as session:
            await SourceHealthRepository(session).record_failure(
                source, at + timedelta(minutes=n), "HTTP 503"
            )


async def succeed(db: Database, source: str, at: datetime) -> None:
    async with db.transaction() as session:
        await SourceHealthRepository(session).record_success(source, at)


async def test_real_poll_failures_announce_the_outage_and_the_recovery(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    clock.set(NOW)
    await follow_author(
        db, "Andreas Steiner", created_at=NOW - timedelta(days=20), destinations=(Dest(),)
    )
    await channel_digest(db, CHANNEL_A)
    notifier = OutageNotifier(db, clock)
    upstream.add_fault("/api/query", Fault.http_status(500))

    planned = []
    for _ in range(3):
        summary = await service.run_cycle()
        assert summary.errors, "the API answers 500: the cycle must record an error"
        planned.append((await notifier.check()).enqueued)
        clock.advance(timedelta(days=1))  # past any backoff
    (outage,) = await notice_rows(db)

    upstream.clear_faults()
    upstream.add_route(
        "GET",
        "/api/query",
        fixture="arxiv_api/legacy2024_query_empty.atom.xml",
        query={"search_query": re.compile(r"^au:")},
    )
    assert (await service.run_cycle()).errors == []
    report = await notifier.check()
    _, recovered = await notice_rows(db)

    assert planned == [0, 0, 1]
    assert outage.destination_id == CHANNEL_A and outage.payload["source"] == "arxiv_api"
    assert outage.payload["kind"] == "outage" and outage.payload["failures"] == 3
    assert "500" in outage.payload["last_error"] and outage.payload["since"] is None
    assert notice_text(outage.payload).startswith("arXiv API has failed 3 times in a row (")
    assert report.recoveries == ["arxiv_api"] and report.enqueued == 1
    assert recovered.destination_id == CHANNEL_A and recovered.payload["kind"] == "recovered"


async def test_only_sources_that_feed_digests_are_announced(
    db: Database, clock: ManualClock
) -> None:
    clock.set(NOW)
    await channel_digest(db, CHANNEL_A)
    await fail(db, "semantic_scholar", NOW, times=5)
    await fail(db, "openalex", NOW, times=5)
    await fail(db, "pubmed", NOW, times=5)

    report = await OutageNotifier(db, clock).check()
    everything = await OutageNotifier(db, clock, sources=None).check()

    # OpenAlex and PubMed feed digests (their works feeds); Semantic Scholar serves profiles.
    assert report.outages == ["openalex", "pubmed"] and report.enqueued == 2
    assert everything.outages == ["semantic_scholar"] and everything.enqueued == 1


async def test_recovery_goes_to_the_channels_told_of_the_outage_that_still_have_a_digest(
    db: Database, clock: ManualClock
) -> None:
    clock.set(NOW)
    await channel_digest(db, CHANNEL_A)
    paused_later = await channel_digest(db, CHANNEL_B)
    notifier = OutageNotifier(db, clock)
    await succeed(db, "arxiv_rss", NOW - timedelta(days=1))
    await fail(db, "arxiv_rss", NOW, times=3)
    first = await notifier.check()
    clock.advance(timedelta(hours=1))
    await channel_digest(db, CHANNEL_LATE, now=clock.now())  # set up during the outage
    async with db.transaction() as session:
        await DigestScheduleRepository(session).pause(paused_later, "no access", now=clock.now())
    await succeed(db, "arxiv_rss", clock.now())
    second = await notifier.check()
    third = await notifier.check()
    rows = await notice_rows(db)

    assert first.outages == ["arxiv_rss"] and first.enqueued == 2
    assert second.recoveries == ["arxiv_rss"] and second.enqueued == 1
    assert third.enqueued == 0 and third.recoveries == []
    assert [(r.payload["kind"], r.destination_id) for r in rows] == [
        ("outage", CHANNEL_A),
        ("outage", CHANNEL_B),
        ("recovered", CHANNEL_A),
    ]
    since = (NOW - timedelta(days=1)).isoformat()
    assert rows[0].dedupe_key == f"notice:outage:arxiv_rss:{since}:{CHANNEL_A}"
    assert rows[2].dedupe_key.startswith("notice:recovered:arxiv_rss:")


async def test_an_outage_with_no_digest_channel_is_remembered_and_recovers_silently(
    db: Database, clock: ManualClock
) -> None:
    clock.set(NOW)
    notifier = OutageNotifier(db, clock)
    await fail(db, "arxiv_api", NOW, times=3)
    down = await notifier.check()
    async with db.reader() as session:
        flagged = await SourceHealthRepository(session).get("arxiv_api")
        assert flagged is not None and flagged.outage_notified
    await channel_digest(db, CHANNEL_A)
    await fail(db, "arxiv_api", NOW + timedelta(hours=1))
    still_down = await notifier.check()  # already announced: not again for a new channel
    await succeed(db, "arxiv_api", NOW + timedelta(hours=2))
    up = await notifier.check()
    async with db.reader() as session:
        cleared = await SourceHealthRepository(session).get("arxiv_api")

    assert down.outages == ["arxiv_api"] and down.enqueued == 0
    assert still_down.outages == [] and still_down.enqueued == 0
    assert up.recoveries == ["arxiv_api"] and up.enqueued == 0  # nobody was told it was down
    assert cleared is not None and not cleared.outage_notified
    assert await notice_rows(db) == []


async def test_a_second_outage_told_to_nobody_does_not_recover_to_the_first_ones_channels(
    db: Database, clock: ManualClock
) -> None:
    clock.set(NOW)
    channel = await channel_digest(db, CHANNEL_A)
    notifier = OutageNotifier(db, clock)
    await succeed(db, "arxiv_api", NOW - timedelta(days=1))
    await fail(db, "arxiv_api", NOW, times=3)
    down_1 = await notifier.check()
    async with db.reader() as session:
        flagged = await SourceHealthRepository(session).get("arxiv_api")
    back_1_at = NOW + timedelta(hours=1)
    await succeed(db, "arxiv_api", back_1_at)
    up_1 = await notifier.check()
    async with db.reader() as session:
        cleared = await SourceHealthRepository(session).get("arxiv_api")

    async with db.transaction() as session:  # no active digest channel during outage 2
        await DigestScheduleRepository(session).pause(channel, "no access", now=back_1_at)
    await fail(db, "arxiv_api", NOW + timedelta(hours=2), times=3)
    down_2 = await notifier.check()
    async with db.reader() as session:
        flagged_2 = await SourceHealthRepository(session).get("arxiv_api")
    async with db.transaction() as session:  # the channel is back before outage 2 ends
        await DigestScheduleRepository(session).resume(channel, now=NOW + timedelta(hours=3))
    await succeed(db, "arxiv_api", NOW + timedelta(hours=4))
    up_2 = await notifier.check()
    rows = await notice_rows(db)

    since_1 = (NOW - timedelta(days=1)).isoformat()
    assert down_1.outages == ["arxiv_api"] and down_1.enqueued == 1
    assert flagged is not None and flagged.outage_key == since_1
    assert up_1.recoveries == ["arxiv_api"] and up_1.enqueued == 1
    assert cleared is not None and not cleared.outage_notified and cleared.outage_key is None
    assert down_2.outages == ["arxiv_api"] and down_2.enqueued == 0
    assert flagged_2 is not None and flagged_2.outage_key == back_1_at.isoformat()
    assert up_2.recoveries == ["arxiv_api"] and up_2.enqueued == 0  # told of outage 1 only
    assert [(r.payload["kind"], r.destination_id) for r in rows] == [
        ("outage", CHANNEL_A),
        ("recovered", CHANNEL_A),
    ]
    assert rows[0].dedupe_key == f"notice:outage:arxiv_api:{since_1}:{CHANNEL_A}"


async def test_a_flag_without_an_outage_key_recovers_silently(
    db: Database, clock: ManualClock
) -> None:
    """A row flagged before migration 0002 has no key: its recovery goes to nobody."""
    clock.set(NOW)
    await channel_digest(db, CHANNEL_A)
    notifier = OutageNotifier(db, clock)
    await fail(db, "arxiv_api", NOW, times=3)
    await notifier.check()  # outage to CHANNEL_A
    async with db.transaction() as session:
        await SourceHealthRepository(session).set_outage_notified("arxiv_api", True, at=NOW)
    await succeed(db, "arxiv_api", NOW + timedelta(hours=1))
    up = await notifier.check()

    assert up.recoveries == ["arxiv_api"] and up.enqueued == 0
    assert [r.payload["kind"] for r in await notice_rows(db)] == ["outage"]


def test_notice_texts() -> None:
    outage = {
        "kind": "outage",
        "source": "arxiv_rss",
        "failures": 1,
        "last_error": "timeout",
        "since": "2024-11-28T06:05:00+00:00",
    }
    assert notice_text(outage) == (
        "arXiv listing feed has failed 1 time in a row since 28 Nov 06:05 UTC (last error: "
        "timeout). New papers may arrive late; I will say when it works again."
    )
    assert notice_text({"kind": "recovered", "source": "arxiv_api"}) == (
        "arXiv API works again; papers missed meanwhile will be caught up."
    )
    with pytest.raises(ValueError):
        notice_text({"kind": "gone", "source": "arxiv_api"})
    with pytest.raises(ValueError):
        notice_text([1, 2])
