"""OutboxRepository: idempotent planning, exclusive claims with leases, marking parts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from db.database import Database
from db.migrate import upgrade_to_head_async
from db.repositories.outbox import OutboxRepository

LEASE = 120


async def enqueue_many(db: Database, t0: datetime, n: int, **extra: object) -> list[int]:
    ids: list[int] = []
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        for i in range(n):
            entry_id = await repo.enqueue(
                kind="digest",
                dedupe_key=f"digest:{i}:2025-W02",
                destination_kind="channel",
                destination_id=1000 + i,
                payload=[{"content": f"part {i}"}],
                now=t0,
                **extra,  # type: ignore[arg-type]
            )
            assert entry_id is not None
            ids.append(entry_id)
    return ids


async def claim(db: Database, worker: str, now: datetime, limit: int = 10) -> list[int]:
    async with db.transaction() as session:
        entries = await OutboxRepository(session).claim(
            worker, limit=limit, lease_seconds=LEASE, now=now
        )
    return [e.id for e in entries]


async def test_enqueue_twice_is_one_row(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        kwargs = {
            "kind": "alert",
            "dedupe_key": "alert:user:42:7",
            "destination_kind": "user",
            "destination_id": 42,
            "now": t0,
        }
        first = await repo.enqueue(payload=[{"content": "v1"}], **kwargs)  # type: ignore[arg-type]
        second = await repo.enqueue(payload=[{"content": "v2"}], **kwargs)  # type: ignore[arg-type]
    assert first is not None
    assert second is None
    async with db.reader() as session:
        repo = OutboxRepository(session)
        assert await repo.counts_by_status() == {
            "pending": 1,
            "sending": 0,
            "sent": 0,
            "failed": 0,
            "dead": 0,
        }
        entry = await repo.get_by_dedupe_key("alert:user:42:7")
    assert entry is not None and entry.id == first
    assert entry.payload == [{"content": "v1"}]  # the first plan wins
    assert (entry.status, entry.attempts, entry.not_before, entry.created_at) == (
        "pending",
        0,
        t0,
        t0,
    )


async def test_claim_leases_and_expired_leases_come_back(db: Database, t0: datetime) -> None:
    ids = await enqueue_many(db, t0, 3)
    later = await enqueue_many(db, t0, 0)
    async with db.transaction() as session:
        deferred = await OutboxRepository(session).enqueue(
            kind="notice",
            dedupe_key="notice:later",
            destination_kind="channel",
            destination_id=1,
            payload=[],
            now=t0,
            not_before=t0 + timedelta(hours=1),
        )
    assert later == []

    async with db.transaction() as session:
        claimed = await OutboxRepository(session).claim("w1", limit=2, lease_seconds=LEASE, now=t0)
    assert [e.id for e in claimed] == ids[:2]
    assert {(e.status, e.claimed_by, e.attempts) for e in claimed} == {("sending", "w1", 1)}
    assert {e.lease_until for e in claimed} == {t0 + timedelta(seconds=LEASE)}

    assert await claim(db, "w2", t0) == [ids[2]]  # the rest; leased rows are not re-claimed
    assert await claim(db, "w2", t0 + timedelta(seconds=LEASE)) == []  # lease not yet expired

    # w1 crashed: its lease expires and the rows come back, with the deferred notice now due.
    after_lease = t0 + timedelta(hours=1)
    assert await claim(db, "w3", after_lease) == [*ids, deferred]
    async with db.reader() as session:
        entry = await OutboxRepository(session).get(ids[0])
    assert entry is not None and (entry.claimed_by, entry.attempts) == ("w3", 2)


async def test_finished_rows_are_never_claimed(db: Database, t0: datetime) -> None:
    sent, failed, dead, retry = await enqueue_many(db, t0, 4)
    assert await claim(db, "w1", t0) == [sent, failed, dead, retry]
    async with db.transaction() as session:
        repo = OutboxRepository(session)
        assert await repo.mark_part_sent(sent, 1234567890123456789) == 1
        assert await repo.mark_part_sent(sent, "1234567890123456790") == 2
        assert await repo.mark_sent(sent, now=t0 + timedelta(seconds=5))
        assert await repo.mark_failed(failed, "403 Forbidden (50013): Missing Permissions")
        assert await repo.mark_dead(dead, RuntimeError("too many attempts"))
        assert await repo.mark_retry(retry, "x" * 5000, not_before=t0 + timedelta(minutes=5))
        assert not await repo.mark_sent(99999, now=t0)
        assert await repo.mark_part_sent(99999, "1") is None  # gone: nothing more to send

    far_future = t0 + timedelta(days=365)
    assert await claim(db, "w2", t0 + timedelta(minutes=4)) == []  # retry backs off
    assert await claim(db, "w2", far_future) == [retry]
    assert await claim(db, "w3", far_future + timedelta(days=1)) == [retry]  # lease expired

    async with db.reader() as session:
        repo = OutboxRepository(session)
        done = await repo.get(sent)
        assert done is not None
        assert (done.status, done.parts_sent, done.lease_until) == ("sent", 2, None)
        assert done.message_ids == ["1234567890123456789", "1234567890123456790"]
        assert done.sent_at == t0 + timedelta(seconds=5)
        gone = await repo.get(failed)
        assert gone is not None and gone.last_error == "403 Forbidden (50013): Missing Permissions"
        dead_entry = await repo.get(dead)
        assert dead_entry is not None
        assert dead_entry.last_error == "RuntimeError: too many attempts"
        retried = await repo.get(retry)
        assert retried is not None and retried.last_error is not None
        assert len(retried.last_error) <= 1000 and retried.attempts == 3
        assert await repo.counts_by_status() == {
            "pending": 0,
            "sending": 1,
            "sent": 1,
            "failed": 1,
            "dead": 1,
        }


async def test_concurrent_claimers_never_share_a_row(db: Database, t0: datetime) -> None:
    ids = await enqueue_many(db, t0, 20)
    batches = await asyncio.gather(*(claim(db, f"w{i}", t0, limit=3) for i in range(5)))
    claimed = [entry_id for batch in batches for entry_id in batch]
    assert len(claimed) == len(set(claimed)) == 15
    assert set(claimed) <= set(ids)
    assert sorted(claimed + await claim(db, "w9", t0, limit=20)) == ids


async def test_postgres_claim_skips_rows_locked_by_an_open_claim(
    postgres_url: str, t0: datetime
) -> None:
    """FOR UPDATE SKIP LOCKED: a claimer never waits for, nor takes, another's rows."""
    await upgrade_to_head_async(postgres_url)
    db = Database(postgres_url)
    try:
        ids = await enqueue_many(db, t0, 5)
        async with db.transaction() as first:
            got_first = await OutboxRepository(first).claim(
                "A", limit=3, lease_seconds=LEASE, now=t0
            )
            # A has not committed: its three rows are still locked while B claims.
            async with db.transaction() as second:
                got_second = await asyncio.wait_for(
                    OutboxRepository(second).claim("B", limit=10, lease_seconds=LEASE, now=t0), 10
                )
        assert [e.id for e in got_first] == ids[:3]
        assert [e.id for e in got_second] == ids[3:]
    finally:
        await db.dispose()


async def test_pending_count_is_the_pending_queue(db: Database, t0: datetime) -> None:
    await enqueue_many(db, t0, 3)
    async with db.reader() as session:
        assert await OutboxRepository(session).pending_count() == 3
    await claim(db, "w1", t0, limit=2)  # two of them are being sent: no longer waiting
    async with db.reader() as session:
        repo = OutboxRepository(session)
        assert await repo.pending_count() == 1 == (await repo.counts_by_status())["pending"]
