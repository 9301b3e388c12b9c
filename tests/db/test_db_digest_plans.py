"""DigestScheduleRepository.record_plans / requeue_failed: the planner's bulk writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from db.database import Database
from db.models import DigestItem, OutboxEntry
from db.repositories.digests import DigestPlanRow, DigestScheduleRepository
from db.repositories.outbox import OutboxRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository

DAY = timedelta(days=1)


def plan(
    schedule_id: int, key: str, t0: datetime, papers: list[int], **kw: object
) -> DigestPlanRow:
    values: dict[str, object] = {
        "schedule_id": schedule_id,
        "dedupe_key": key,
        "destination_kind": "channel",
        "destination_id": 5000 + schedule_id,
        "guild_id": 1,
        "payload": [{"content": "hi", "cards": [{"paper": p, "why": []} for p in papers]}],
        "paper_ids": papers,
        "expected_next_digest_at": t0,
        "next_digest_at": t0 + 7 * DAY,
        "last_cutoff_at": t0,
    }
    values.update(kw)
    return DigestPlanRow(**values)  # type: ignore[arg-type]


async def test_record_plans_writes_outbox_items_and_advances_once(
    db: Database, t0: datetime, make_paper: Callable[..., PaperRecord]
) -> None:
    async with db.transaction() as session:
        papers = await PaperRepository(session).upsert_many(
            [make_paper("2501.00001"), make_paper("2501.00002")], now=t0
        )
        p1, p2 = papers.ids["2501.00001"], papers.ids["2501.00002"]
        repo = DigestScheduleRepository(session)
        ids = []
        for target in (5001, 5002, 5003):
            row = await repo.upsert(
                target_kind="channel",
                target_id=target,
                guild_id=1,
                weekday=0,
                local_time="09:00",
                timezone="UTC",
                next_digest_at=t0,
                now=t0 - DAY,
            )
            ids.append(row.id)
        a, b, c = ids
        created = await repo.record_plans(
            [
                plan(a, "digest:a:1", t0, [p1, p2]),
                plan(b, "digest:b:1", t0, [], payload=None),  # empty week, posting off
                plan(c, "digest:c:1", t0, [p2], expected_next_digest_at=t0 - DAY),  # stale
            ],
            now=t0,
        )
    assert set(created) == {a, c}
    async with db.transaction() as session:
        repo = DigestScheduleRepository(session)
        # A second planner with the same keys changes nothing at all.
        again = await repo.record_plans(
            [plan(a, "digest:a:1", t0, [p1], last_cutoff_at=t0 + DAY)], now=t0 + DAY
        )
        assert again == {}
        sa, sb, sc = [await repo.get(i) for i in (a, b, c)]
        items = (await session.execute(select(DigestItem))).scalars().all()
        rows = (await session.execute(select(OutboxEntry).order_by(OutboxEntry.id))).scalars().all()
    assert sa is not None and (sa.next_digest_at, sa.last_cutoff_at) == (t0 + 7 * DAY, t0)
    assert sb is not None and (sb.next_digest_at, sb.last_cutoff_at) == (t0 + 7 * DAY, t0)
    assert sc is not None and (sc.next_digest_at, sc.last_cutoff_at) == (t0, None)  # guard
    assert sorted((i.schedule_id, i.paper_id) for i in items) == sorted([(a, p1), (a, p2), (c, p2)])
    assert [(r.dedupe_key, r.kind, r.schedule_id, r.status) for r in rows] == [
        ("digest:a:1", "digest", a, "pending"),
        ("digest:c:1", "digest", c, "pending"),
    ]
    assert rows[0].payload[0]["cards"] == [{"paper": p1, "why": []}, {"paper": p2, "why": []}]


async def test_requeue_failed_makes_failed_digests_pending(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = DigestScheduleRepository(session)
        schedule = await repo.upsert(
            target_kind="channel",
            target_id=5001,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=t0,
            now=t0,
        )
        created = await repo.record_plans([plan(schedule.id, "digest:x", t0, [])], now=t0)
        outbox = OutboxRepository(session)
        await outbox.claim("w", limit=1, lease_seconds=60, now=t0)
        await outbox.mark_part_sent(created[schedule.id], "m1")
        await outbox.mark_failed(created[schedule.id], "HTTP 403")
    async with db.transaction() as session:
        assert (
            await DigestScheduleRepository(session).requeue_failed(schedule.id, now=t0 + DAY) == 1
        )
        entry = await OutboxRepository(session).get(created[schedule.id])
    assert entry is not None
    assert (entry.status, entry.attempts, entry.not_before) == ("pending", 0, t0 + DAY)
    assert (entry.parts_sent, entry.message_ids) == (1, ["m1"])  # resumes after the sent part
