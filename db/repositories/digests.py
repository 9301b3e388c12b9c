"""Digest schedules, what each digest already contained, and the papers due in the next one."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DIGEST_TARGET_KINDS,
    AuthorPaper,
    DigestItem,
    DigestSchedule,
    Follow,
    Paper,
)
from db.repositories._dialect import chunked, unique, upsert_insert
from db.types import require_aware

log = logging.getLogger(__name__)

TargetKind = Literal["channel", "dm"]


@dataclass(frozen=True, slots=True)
class DigestCandidate:
    """A paper due in a schedule's next digest, and one followed author that brought it."""

    schedule_id: int
    paper_id: int
    author_id: int


class DigestScheduleRepository:
    """Reads and writes `DigestSchedule` and `DigestItem` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(
        self,
        *,
        target_kind: TargetKind,
        target_id: int,
        weekday: int,
        local_time: str,
        timezone: str,
        next_digest_at: datetime,
        now: datetime,
        guild_id: int | None = None,
        post_when_empty: bool | None = None,
        dm_channel_id: int | None = None,
        created_by: int | None = None,
    ) -> DigestSchedule:
        """Create or change the schedule of a destination (channel id, or user id for 'dm').

        Setting a schedule up again un-pauses it and keeps `last_cutoff_at`, so changing the
        day or time neither skips nor repeats papers. `post_when_empty` (default True) and
        `dm_channel_id` keep their stored value when passed None; `created_by` is only
        written on creation. `local_time` is 'HH:MM' in the IANA `timezone`; `weekday` is
        0 (Monday) to 6. The caller computes `next_digest_at`.
        """
        if target_kind not in DIGEST_TARGET_KINDS:
            raise ValueError(f"target_kind must be one of {DIGEST_TARGET_KINDS}")
        now = require_aware(now, "now")
        values: dict[str, Any] = {
            "target_kind": target_kind,
            "target_id": target_id,
            "guild_id": guild_id,
            "weekday": weekday,
            "local_time": local_time,
            "timezone": timezone,
            "next_digest_at": require_aware(next_digest_at, "next_digest_at"),
            "paused": False,
            "post_when_empty": True if post_when_empty is None else post_when_empty,
            "dm_channel_id": dm_channel_id,
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
        }
        stmt = upsert_insert(self.session, DigestSchedule).values(**values)
        table = DigestSchedule.__table__.c
        set_: dict[str, Any] = {
            "guild_id": func.coalesce(stmt.excluded.guild_id, table.guild_id),
            "weekday": stmt.excluded.weekday,
            "local_time": stmt.excluded.local_time,
            "timezone": stmt.excluded.timezone,
            "next_digest_at": stmt.excluded.next_digest_at,
            "paused": False,
            "paused_reason": None,
            "paused_at": None,
            "dm_channel_id": func.coalesce(stmt.excluded.dm_channel_id, table.dm_channel_id),
            "updated_at": stmt.excluded.updated_at,
        }
        if post_when_empty is not None:
            set_["post_when_empty"] = stmt.excluded.post_when_empty
        stmt = stmt.on_conflict_do_update(
            index_elements=[DigestSchedule.target_kind, DigestSchedule.target_id], set_=set_
        )
        result = await self.session.execute(
            stmt.returning(DigestSchedule), execution_options={"populate_existing": True}
        )
        return result.scalar_one()

    async def get(self, schedule_id: int) -> DigestSchedule | None:
        """The schedule with this id, or None."""
        return await self.session.get(DigestSchedule, schedule_id)

    async def get_for_target(
        self, target_kind: TargetKind, target_id: int
    ) -> DigestSchedule | None:
        """The schedule of a channel ('channel', channel id) or a user ('dm', user id)."""
        result = await self.session.execute(
            select(DigestSchedule).where(
                DigestSchedule.target_kind == target_kind, DigestSchedule.target_id == target_id
            )
        )
        return result.scalar_one_or_none()

    async def list_for_guild(self, guild_id: int) -> list[DigestSchedule]:
        """The schedules of a server's channels, by next digest time."""
        result = await self.session.execute(
            select(DigestSchedule)
            .where(DigestSchedule.guild_id == guild_id)
            .order_by(DigestSchedule.next_digest_at, DigestSchedule.id)
        )
        return list(result.scalars())

    async def due(self, now: datetime, limit: int = 100) -> list[DigestSchedule]:
        """Un-paused schedules whose `next_digest_at` <= now, oldest due first."""
        now = require_aware(now, "now")
        result = await self.session.execute(
            select(DigestSchedule)
            .where(DigestSchedule.paused.is_(False), DigestSchedule.next_digest_at <= now)
            .order_by(DigestSchedule.next_digest_at, DigestSchedule.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def advance(
        self,
        schedule_id: int,
        *,
        next_digest_at: datetime,
        last_cutoff_at: datetime,
        now: datetime,
    ) -> bool:
        """After planning a digest: move the cut-off and the next due time."""
        return await self._update(
            schedule_id,
            next_digest_at=require_aware(next_digest_at, "next_digest_at"),
            last_cutoff_at=require_aware(last_cutoff_at, "last_cutoff_at"),
            updated_at=require_aware(now, "now"),
        )

    async def pause(self, schedule_id: int, reason: str, *, now: datetime) -> bool:
        """Pause a schedule (e.g. channel gone, permission lost) with a reason for /status."""
        now = require_aware(now, "now")
        return await self._update(
            schedule_id, paused=True, paused_reason=reason, paused_at=now, updated_at=now
        )

    async def resume(
        self, schedule_id: int, *, now: datetime, next_digest_at: datetime | None = None
    ) -> bool:
        """Un-pause a schedule, optionally with a new `next_digest_at`."""
        now = require_aware(now, "now")
        values: dict[str, Any] = {
            "paused": False,
            "paused_reason": None,
            "paused_at": None,
            "updated_at": now,
        }
        if next_digest_at is not None:
            values["next_digest_at"] = require_aware(next_digest_at, "next_digest_at")
        return await self._update(schedule_id, **values)

    async def set_dm_channel(self, schedule_id: int, dm_channel_id: int, *, now: datetime) -> bool:
        """Remember the DM channel of a 'dm' schedule, so it is created only once."""
        return await self._update(
            schedule_id, dm_channel_id=dm_channel_id, updated_at=require_aware(now, "now")
        )

    async def delete(self, schedule_id: int) -> bool:
        """Delete a schedule and its item history; False when it did not exist."""
        result = await self.session.execute(
            delete(DigestSchedule).where(DigestSchedule.id == schedule_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _update(self, schedule_id: int, **values: Any) -> bool:
        result = await self.session.execute(
            update(DigestSchedule).where(DigestSchedule.id == schedule_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_items(
        self,
        schedule_id: int,
        paper_ids: Iterable[int],
        *,
        now: datetime,
        outbox_id: int | None = None,
    ) -> list[int]:
        """Record papers as put into a schedule's digest; returns the ids newly recorded."""
        now = require_aware(now, "now")
        ids = unique(paper_ids)
        if not ids:
            return []
        table = DigestItem.__table__
        stmt = (
            upsert_insert(self.session, table)
            .on_conflict_do_nothing(index_elements=["schedule_id", "paper_id"])
            .returning(table.c.paper_id)
        )
        rows = await self.session.execute(
            stmt,
            [
                {"schedule_id": schedule_id, "paper_id": p, "outbox_id": outbox_id, "added_at": now}
                for p in ids
            ],
        )
        added = set(rows.scalars())
        return [p for p in ids if p in added]

    async def item_paper_ids(self, schedule_id: int) -> list[int]:
        """Every paper id already put into this schedule's digests, ascending."""
        result = await self.session.execute(
            select(DigestItem.paper_id)
            .where(DigestItem.schedule_id == schedule_id)
            .order_by(DigestItem.paper_id)
        )
        return list(result.scalars())

    async def candidates(
        self, schedule_ids: Iterable[int], *, until: datetime
    ) -> list[DigestCandidate]:
        """Papers due in the next digest of each schedule, one query per 5,000 schedules.

        A paper is due for a schedule when a follow feeding it links the paper (channel
        schedules: scope 'channel' follows of that channel; 'dm' schedules: the user's scope
        'user' follows with notify 'weekly'), it was first seen after the schedule's
        `last_cutoff_at` (if any) and at or before `until`, it was neither published nor
        first seen before the follow was created (priming), and it is not already a digest
        item of the schedule. One row per (schedule, paper, author): a paper by two followed
        authors yields two rows. Ordered by schedule, first seen, paper, author.
        """
        until = require_aware(until, "until")
        s, f, ap, p = DigestSchedule, Follow, AuthorPaper, Paper
        feeds_schedule = or_(
            and_(s.target_kind == "channel", f.scope == "channel", f.target_id == s.target_id),
            and_(
                s.target_kind == "dm",
                f.scope == "user",
                f.notify == "weekly",
                f.target_id == s.target_id,
            ),
        )
        already = exists().where(DigestItem.schedule_id == s.id, DigestItem.paper_id == p.id)
        found: list[DigestCandidate] = []
        for chunk in chunked(unique(schedule_ids)):
            stmt = (
                select(s.id, p.id, f.author_id)
                .select_from(s)
                .join(f, feeds_schedule)
                .join(ap, ap.author_id == f.author_id)
                .join(p, p.id == ap.paper_id)
                .where(
                    s.id.in_(chunk),
                    p.first_seen_at <= until,
                    or_(s.last_cutoff_at.is_(None), p.first_seen_at > s.last_cutoff_at),
                    p.first_seen_at >= f.created_at,
                    p.published >= f.created_at,
                    ~already,
                )
                .order_by(s.id, p.first_seen_at, p.id, f.author_id)
            )
            rows = await self.session.execute(stmt)
            found.extend(DigestCandidate(*row) for row in rows)
        return found
