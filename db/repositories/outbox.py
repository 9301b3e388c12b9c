"""The delivery outbox: planned once by dedupe key, claimed with a lease, marked per part.

Status flow: pending -> sending (claimed, leased) -> sent | pending (retry) | failed | dead.
A `sending` row whose lease expired is claimable again, so a crashed sender loses nothing;
`sent`, `failed` and `dead` rows are never claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OUTBOX_DESTINATION_KINDS, OUTBOX_KINDS, OUTBOX_STATUSES, OutboxEntry
from db.repositories._dialect import short_error, upsert_insert
from db.types import require_aware

log = logging.getLogger(__name__)

OutboxKind = Literal["digest", "alert", "notice", "citation"]
DestinationKind = Literal["channel", "user"]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One delivery for `OutboxRepository.enqueue_many` (same fields as `enqueue`)."""

    kind: OutboxKind
    dedupe_key: str
    destination_kind: DestinationKind
    destination_id: int
    payload: Any  # JSON: message parts, or an alert's {"paper_id": ..., "author_ids": [...]}
    guild_id: int | None = None


class OutboxRepository:
    """Reads and writes `OutboxEntry` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(
        self,
        *,
        kind: OutboxKind,
        dedupe_key: str,
        destination_kind: DestinationKind,
        destination_id: int,
        payload: list[Any],
        now: datetime,
        not_before: datetime | None = None,
        schedule_id: int | None = None,
        guild_id: int | None = None,
    ) -> int | None:
        """Plan one delivery; returns its id, or None when `dedupe_key` was already planned.

        `payload` is the rendered snapshot (a list of message parts, JSON-serialisable).
        `not_before` defaults to `now`. INSERT ... ON CONFLICT DO NOTHING: two planners, or
        a re-run, never create a second row for the same key.
        """
        if kind not in OUTBOX_KINDS:
            raise ValueError(f"kind must be one of {OUTBOX_KINDS}, not {kind!r}")
        if destination_kind not in OUTBOX_DESTINATION_KINDS:
            raise ValueError(f"destination_kind must be one of {OUTBOX_DESTINATION_KINDS}")
        now = require_aware(now, "now")
        table = OutboxEntry.__table__
        stmt = (
            upsert_insert(self.session, table)
            .values(
                kind=kind,
                dedupe_key=dedupe_key,
                destination_kind=destination_kind,
                destination_id=destination_id,
                guild_id=guild_id,
                schedule_id=schedule_id,
                payload=payload,
                status="pending",
                attempts=0,
                not_before=require_aware(not_before, "not_before") if not_before else now,
                message_ids=[],
                parts_sent=0,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def enqueue_many(self, entries: Sequence[OutboxRow], *, now: datetime) -> list[str]:
        """Plan many deliveries in one statement; returns the dedupe keys actually created.

        Same rules as `enqueue` for each row (`not_before` = `now`); rows whose key was already
        planned (or that repeat a key within `entries`) are skipped.
        """
        now = require_aware(now, "now")
        rows: dict[str, dict[str, Any]] = {}
        for entry in entries:
            if entry.kind not in OUTBOX_KINDS:
                raise ValueError(f"kind must be one of {OUTBOX_KINDS}, not {entry.kind!r}")
            if entry.destination_kind not in OUTBOX_DESTINATION_KINDS:
                raise ValueError(f"destination_kind must be one of {OUTBOX_DESTINATION_KINDS}")
            rows.setdefault(
                entry.dedupe_key,
                {
                    "kind": entry.kind,
                    "dedupe_key": entry.dedupe_key,
                    "destination_kind": entry.destination_kind,
                    "destination_id": entry.destination_id,
                    "guild_id": entry.guild_id,
                    "schedule_id": None,
                    "payload": entry.payload,
                    "status": "pending",
                    "attempts": 0,
                    "not_before": now,
                    "message_ids": [],
                    "parts_sent": 0,
                    "created_at": now,
                },
            )
        if not rows:
            return []
        table = OutboxEntry.__table__
        stmt = (
            upsert_insert(self.session, table)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.dedupe_key)
        )
        created = set((await self.session.execute(stmt, list(rows.values()))).scalars())
        return [key for key in rows if key in created]

    async def get(self, entry_id: int) -> OutboxEntry | None:
        """The entry with this id (fresh from the database), or None."""
        return await self.session.get(OutboxEntry, entry_id, populate_existing=True)

    async def get_by_dedupe_key(self, dedupe_key: str) -> OutboxEntry | None:
        """The entry planned under this key, or None."""
        result = await self.session.execute(
            select(OutboxEntry).where(OutboxEntry.dedupe_key == dedupe_key)
        )
        return result.scalar_one_or_none()

    async def latest_destinations(
        self, kind: OutboxKind, dedupe_prefix: str
    ) -> list[tuple[str, int, int | None]]:
        """(destination_kind, destination_id, guild_id) of the rows of `kind` whose dedupe key
        starts with `dedupe_prefix` and that were planned last (the same `created_at`, as one
        `enqueue_many` plans them), by id; [] when there are none."""
        matching = (OutboxEntry.kind == kind) & OutboxEntry.dedupe_key.startswith(
            dedupe_prefix, autoescape=True
        )
        latest = select(func.max(OutboxEntry.created_at)).where(matching).scalar_subquery()
        result = await self.session.execute(
            select(OutboxEntry.destination_kind, OutboxEntry.destination_id, OutboxEntry.guild_id)
            .where(matching, OutboxEntry.created_at == latest)
            .order_by(OutboxEntry.id)
        )
        return [(k, int(d), g) for k, d, g in result]

    async def claim(
        self, worker_id: str, *, limit: int, lease_seconds: float, now: datetime
    ) -> list[OutboxEntry]:
        """Claim up to `limit` deliverable rows for `worker_id`, oldest first.

        Deliverable: pending with `not_before` <= now, or sending with an expired lease.
        Claimed rows become sending, leased until now + lease_seconds, attempts + 1.
        PostgreSQL: `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`,
        so concurrent claimers never get the same row. SQLite: the same statement without
        the row locks (SQLite drops them) inside the BEGIN IMMEDIATE write transaction,
        which serialises claimers. Commit the claim before sending.
        """
        now = require_aware(now, "now")
        claimable = (
            select(OutboxEntry.id)
            .where(
                or_(
                    and_(OutboxEntry.status == "pending", OutboxEntry.not_before <= now),
                    and_(OutboxEntry.status == "sending", OutboxEntry.lease_until < now),
                )
            )
            .order_by(OutboxEntry.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(claimable.scalar_subquery()))
            .values(
                status="sending",
                claimed_by=worker_id,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=OutboxEntry.attempts + 1,
            )
            .returning(OutboxEntry)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        result = await self.session.execute(stmt)
        claimed = sorted(result.scalars(), key=lambda e: e.id)
        if claimed:
            log.debug("outbox: %s claimed %d rows", worker_id, len(claimed))
        return claimed

    async def exists(self, entry_id: int) -> bool:
        """Whether the row is still there (gone: its destination's data was deleted)."""
        found = await self.session.scalar(select(OutboxEntry.id).where(OutboxEntry.id == entry_id))
        return found is not None

    async def mark_part_sent(
        self, entry_id: int, message_id: int | str, *, lease_until: datetime | None = None
    ) -> int | None:
        """Record one more part as sent (its Discord message id); returns parts_sent, or None
        when the row is gone (its destination's data was deleted meanwhile: send no more).

        A retry resumes at part `parts_sent`. Pass `lease_until` to extend the lease at the
        same time.
        """
        result = await self.session.execute(
            select(OutboxEntry.message_ids, OutboxEntry.parts_sent)
            .where(OutboxEntry.id == entry_id)
            .with_for_update()
        )
        row = result.one_or_none()
        if row is None:
            return None
        message_ids, parts_sent = row
        values: dict[str, Any] = {
            "message_ids": [*message_ids, str(message_id)],
            "parts_sent": parts_sent + 1,
        }
        if lease_until is not None:
            values["lease_until"] = require_aware(lease_until, "lease_until")
        await self._set(entry_id, None, **values)
        return parts_sent + 1

    async def mark_sent(self, entry_id: int, *, now: datetime) -> bool:
        """The whole delivery went out: sent, never claimed again."""
        return await self._set(
            entry_id, None, status="sent", sent_at=require_aware(now, "now"), lease_until=None
        )

    async def mark_retry(
        self, entry_id: int, error: str | BaseException, *, not_before: datetime
    ) -> bool:
        """A transient failure (5xx, timeout): pending again, not before `not_before`."""
        return await self._set(
            entry_id,
            None,
            status="pending",
            last_error=short_error(error),
            not_before=require_aware(not_before, "not_before"),
            claimed_by=None,
            lease_until=None,
        )

    async def mark_failed(self, entry_id: int, error: str | BaseException) -> bool:
        """A permanent failure (403/404: no access): failed, never retried."""
        return await self._set(
            entry_id, None, status="failed", last_error=short_error(error), lease_until=None
        )

    async def mark_dead(self, entry_id: int, error: str | BaseException) -> bool:
        """Too many attempts: dead, never retried; worth an operator alert."""
        return await self._set(
            entry_id, None, status="dead", last_error=short_error(error), lease_until=None
        )

    async def _set(self, entry_id: int, condition: Any, **values: Any) -> bool:
        stmt = update(OutboxEntry).where(OutboxEntry.id == entry_id)
        if condition is not None:
            stmt = stmt.where(condition)
        result = await self.session.execute(
            stmt.values(**values).execution_options(synchronize_session="fetch")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def pending_count(self) -> int:
        """Rows waiting to be sent (the (status, not_before) index answers it)."""
        found = await self.session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")
        )
        return int(found or 0)

    async def counts_by_status(self) -> dict[str, int]:
        """Rows per status, every status present (0 when none): queue sizes for /status."""
        counts = dict.fromkeys(OUTBOX_STATUSES, 0)
        result = await self.session.execute(
            select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
        )
        for status, count in result:
            counts[status] = int(count)
        return counts
