"""Digest schedules, what each digest already contained, and the papers due in the next one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DIGEST_STYLES,
    DIGEST_TARGET_KINDS,
    AuthorPaper,
    CitationFollow,
    DigestCitationItem,
    DigestItem,
    DigestSchedule,
    Follow,
    OutboxEntry,
    Paper,
    TopicFollow,
)
from db.repositories._dialect import IN_CHUNK, chunked, dialect_name, unique, upsert_insert
from db.types import require_aware

log = logging.getLogger(__name__)

TargetKind = Literal["channel", "dm"]


@dataclass(frozen=True, slots=True)
class DigestCandidate:
    """A paper due in a schedule's next digest, and one followed author that brought it."""

    schedule_id: int
    paper_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class DigestPlanRow:
    """One planned digest for `DigestScheduleRepository.record_plans`.

    `payload` None means nothing is posted this time (an empty week with posting off): the
    schedule only advances. The schedule advances only while its `next_digest_at` still
    equals `expected_next_digest_at`, so a planner that lost a race changes nothing.
    """

    schedule_id: int
    dedupe_key: str
    destination_kind: Literal["channel", "user"]
    destination_id: int
    guild_id: int | None
    payload: list[Any] | None
    paper_ids: Sequence[int]
    expected_next_digest_at: datetime
    next_digest_at: datetime
    last_cutoff_at: datetime
    citing_paper_ids: Sequence[int] = ()  # its "New citations": never in a later digest


async def destination_rows(
    session: AsyncSession,
    schedule_ids: Iterable[int],
    branch: Callable[..., Any],
    follow: type[Follow] | type[CitationFollow] | type[TopicFollow],
    columns: Sequence[str],
    order: Sequence[str],
) -> list[Any]:
    """What a digest's follows bring, for many schedules: per 5,000 schedules, the union of
    `branch(targets, target_kind, *follow_filter)` for the channels (their scope 'channel'
    follows) and for the users' DMs (their own scope 'user' follows with notify 'weekly'),
    as rows of `columns` ordered by `order`. A branch is driven from the follows of the
    chunk's destinations (through their (scope, target_id) index): SQLite would otherwise
    start from every recent row and probe each schedule id of the IN list per row."""
    found: list[Any] = []
    for chunk in chunked(unique(schedule_ids)):
        targets: dict[str, list[int]] = {"channel": [], "dm": []}
        rows = await session.execute(
            select(DigestSchedule.target_kind, DigestSchedule.target_id).where(
                DigestSchedule.id.in_(chunk)
            )
        )
        for target_kind, target_id in rows:
            targets[target_kind].append(target_id)
        branches = []
        if targets["channel"]:
            branches.append(branch(targets["channel"], "channel", follow.scope == "channel"))
        if targets["dm"]:
            branches.append(
                branch(targets["dm"], "dm", follow.scope == "user", follow.notify == "weekly")
            )
        if not branches:
            continue
        both = union_all(*branches).subquery()
        stmt = select(*(both.c[c] for c in columns)).order_by(*(both.c[c] for c in order))
        found.extend(await session.execute(stmt))
    return found


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
        style: str | None = None,
        suggestions: bool | None = None,
        dm_channel_id: int | None = None,
        created_by: int | None = None,
    ) -> DigestSchedule:
        """Create or change the schedule of a destination (channel id, or user id for 'dm').

        Setting a schedule up again un-pauses it and keeps `last_cutoff_at`, so changing the
        day or time neither skips nor repeats papers. `post_when_empty` (default True),
        `style` (default compact, one of `DIGEST_STYLES`), `suggestions` (default True) and
        `dm_channel_id` keep their stored
        value when passed None; `created_by` is only
        written on creation. `local_time` is 'HH:MM' in the IANA `timezone`; `weekday` is
        0 (Monday) to 6. The caller computes `next_digest_at`.
        """
        if target_kind not in DIGEST_TARGET_KINDS:
            raise ValueError(f"target_kind must be one of {DIGEST_TARGET_KINDS}")
        if style is not None and style not in DIGEST_STYLES:
            raise ValueError(f"style must be one of {DIGEST_STYLES}")
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
            "style": style or DIGEST_STYLES[0],
            "suggestions": True if suggestions is None else suggestions,
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
        if style is not None:
            set_["style"] = stmt.excluded.style
        if suggestions is not None:
            set_["suggestions"] = stmt.excluded.suggestions
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

    async def list_active(self, target_kind: TargetKind) -> list[DigestSchedule]:
        """Every un-paused schedule of this kind ('channel' or 'dm'), by id."""
        result = await self.session.execute(
            select(DigestSchedule)
            .where(DigestSchedule.target_kind == target_kind, DigestSchedule.paused.is_(False))
            .order_by(DigestSchedule.id)
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
            [{"schedule_id": schedule_id, "paper_id": p, "added_at": now} for p in ids],
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
        'user' follows with notify 'weekly'), that link was made after the schedule's
        `last_cutoff_at` (if any) and at or before `until`, the paper was neither published
        nor first seen before the follow was created (priming), and it is not already a
        digest item of the schedule. The window is on the link, not on the paper's first
        sighting: a paper stored earlier for someone else (a profile of an unfollowed
        co-author) and linked to a followed author later is due when it is linked. One row per
        (schedule, paper, author): a paper by two followed authors yields two rows. Ordered by
        schedule, first seen, paper, author.
        """
        until = require_aware(until, "until")
        s, f, ap, p = DigestSchedule, Follow, AuthorPaper, Paper
        already = exists().where(DigestItem.schedule_id == s.id, DigestItem.paper_id == p.id)

        def branch(targets: Sequence[int], target_kind: str, *follow_filter: Any) -> Any:
            return (
                select(
                    s.id.label("schedule_id"),
                    p.id.label("paper_id"),
                    f.author_id.label("author_id"),
                    p.first_seen_at.label("first_seen_at"),
                )
                .select_from(f)
                .join(s, and_(s.target_kind == target_kind, s.target_id == f.target_id))
                .join(ap, ap.author_id == f.author_id)
                .join(p, p.id == ap.paper_id)
                .where(
                    f.target_id.in_(targets),
                    *follow_filter,
                    ap.linked_at <= until,
                    or_(s.last_cutoff_at.is_(None), ap.linked_at > s.last_cutoff_at),
                    p.first_seen_at >= f.created_at,
                    p.published >= f.created_at,
                    ~already,
                )
            )

        rows = await destination_rows(
            self.session,
            schedule_ids,
            branch,
            f,
            ("schedule_id", "paper_id", "author_id"),
            ("schedule_id", "first_seen_at", "paper_id", "author_id"),
        )
        return [DigestCandidate(*row) for row in rows]

    async def now_published(
        self, schedule_ids: Iterable[int], *, until: datetime
    ) -> dict[int, list[int]]:
        """Per schedule, the papers of its earlier digests that gained a venue since its last
        cut-off and at or before `until` (oldest first): each is said once, as the windows of
        one schedule never overlap. A paper that had its venue when it went into a digest is
        not listed: that digest showed it."""
        until = require_aware(until, "until")
        s, i, p = DigestSchedule, DigestItem, Paper
        found: dict[int, list[int]] = {}
        for chunk in chunked(unique(schedule_ids)):
            rows = await self.session.execute(
                select(i.schedule_id, i.paper_id)
                .join(p, p.id == i.paper_id)
                .join(s, s.id == i.schedule_id)
                .where(
                    i.schedule_id.in_(chunk),
                    p.venue_seen_at.is_not(None),
                    p.venue_seen_at <= until,
                    p.venue_seen_at > i.added_at,
                    or_(s.last_cutoff_at.is_(None), p.venue_seen_at > s.last_cutoff_at),
                )
                .order_by(i.schedule_id, p.venue_seen_at, p.id)
            )
            for schedule_id, paper_id in rows:
                found.setdefault(schedule_id, []).append(paper_id)
        return found

    async def record_plans(
        self, plans: Sequence[DigestPlanRow], *, now: datetime
    ) -> dict[int, int]:
        """Write planned digests in bulk: outbox rows, digest items, advanced schedules.

        A constant number of statements for any number of plans (INSERT ... ON CONFLICT DO
        NOTHING RETURNING into the outbox, one executemany for the items, one for the
        schedules). A plan whose dedupe key already exists was made by another planner: it
        is skipped whole (no items, no advance). Returns schedule id -> new outbox id.
        """
        now = require_aware(now, "now")
        posting = {p.dedupe_key: p for p in plans if p.payload is not None}
        created: dict[str, int] = {}
        if posting:
            table = OutboxEntry.__table__
            stmt = (
                upsert_insert(self.session, table)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(table.c.id, table.c.dedupe_key)
            )
            rows = await self.session.execute(
                stmt,
                [
                    {
                        "kind": "digest",
                        "dedupe_key": p.dedupe_key,
                        "destination_kind": p.destination_kind,
                        "destination_id": p.destination_id,
                        "guild_id": p.guild_id,
                        "schedule_id": p.schedule_id,
                        "payload": p.payload,
                        "status": "pending",
                        "attempts": 0,
                        "not_before": now,
                        "message_ids": [],
                        "parts_sent": 0,
                        "created_at": now,
                    }
                    for p in posting.values()
                ],
            )
            created = {key: entry_id for entry_id, key in rows}
        outbox_ids = {posting[key].schedule_id: entry_id for key, entry_id in created.items()}
        items = [
            {"schedule_id": p.schedule_id, "paper_id": paper_id, "added_at": now}
            for p in plans
            if p.schedule_id in outbox_ids
            for paper_id in dict.fromkeys(p.paper_ids)
        ]
        if items:
            await self._insert_items(items, now)
        citation_items = [
            {"schedule_id": p.schedule_id, "citing_paper_id": paper_id, "added_at": now}
            for p in plans
            if p.schedule_id in outbox_ids
            for paper_id in dict.fromkeys(p.citing_paper_ids)
        ]
        for chunk in chunked(citation_items, IN_CHUNK):
            await self.session.execute(
                upsert_insert(self.session, DigestCitationItem.__table__).on_conflict_do_nothing(
                    index_elements=["schedule_id", "citing_paper_id"]
                ),
                list(chunk),
            )
        advancing = [p for p in plans if p.payload is None or p.schedule_id in outbox_ids]
        if advancing:
            schedules = DigestSchedule.__table__
            await self.session.execute(
                update(schedules)
                .where(
                    schedules.c.id == bindparam("b_id"),
                    schedules.c.next_digest_at == bindparam("b_expected"),
                )
                .values(
                    next_digest_at=bindparam("b_next"),
                    last_cutoff_at=bindparam("b_cutoff"),
                    updated_at=bindparam("b_now"),
                ),
                [
                    {
                        "b_id": p.schedule_id,
                        "b_expected": require_aware(p.expected_next_digest_at, "expected"),
                        "b_next": require_aware(p.next_digest_at, "next_digest_at"),
                        "b_cutoff": require_aware(p.last_cutoff_at, "last_cutoff_at"),
                        "b_now": now,
                    }
                    for p in advancing
                ],
            )
        return outbox_ids

    async def _insert_items(self, items: list[dict[str, Any]], now: datetime) -> None:
        """Insert digest items (existing ones kept) in one statement.

        PostgreSQL gets three arrays unnested server-side: an executemany of 240,000 rows
        cost seconds there. SQLite's executemany is already a tight loop in one call.
        """
        table = DigestItem.__table__
        if dialect_name(self.session) != "postgresql":
            await self.session.execute(
                upsert_insert(self.session, table).on_conflict_do_nothing(
                    index_elements=["schedule_id", "paper_id"]
                ),
                items,
            )
            return
        ints = postgresql.ARRAY(Integer)
        rows = select(
            func.unnest(bindparam("schedule_ids", [i["schedule_id"] for i in items], ints)),
            func.unnest(bindparam("paper_ids", [i["paper_id"] for i in items], ints)),
            bindparam("added_at", now, table.c.added_at.type),
        )
        stmt = (
            postgresql.insert(table)
            .from_select(["schedule_id", "paper_id", "added_at"], rows)
            .on_conflict_do_nothing(index_elements=["schedule_id", "paper_id"])
        )
        await self.session.execute(stmt)

    async def requeue_failed(self, schedule_id: int, *, now: datetime) -> int:
        """Make the schedule's failed digests pending again (after `/digest setup` resumes it).

        Their papers are already digest items, so without this they would be lost. Parts
        already sent are kept, so a resend continues where it stopped. Returns the row count.
        """
        result = await self.session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.schedule_id == schedule_id,
                OutboxEntry.kind == "digest",
                OutboxEntry.status == "failed",
            )
            .values(
                status="pending",
                not_before=require_aware(now, "now"),
                attempts=0,
                claimed_by=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
