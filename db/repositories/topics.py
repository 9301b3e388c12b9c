"""Topic follows and the papers they matched."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DigestItem,
    DigestSchedule,
    Paper,
    TopicFollow,
    TopicPaper,
)
from db.repositories._dialect import chunked, unique, upsert_insert
from db.repositories._follow_rows import upsert_follow
from db.repositories.digests import destination_rows
from db.types import require_aware


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """Paper `paper_id` matched topic follow `topic_id` through the terms `matched`."""

    topic_id: int
    paper_id: int
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopicCandidate:
    """A paper due in a schedule's next digest through a topic follow."""

    schedule_id: int
    paper_id: int
    topic_id: int


class TopicRepository:
    """Reads and writes `TopicFollow` and `TopicPaper` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        scope: str,
        user_id: int,
        now: datetime,
        query: str,
        query_key: str,
        categories: Sequence[str],
        channel_id: int | None = None,
        guild_id: int | None = None,
        notify: str = "weekly",
    ) -> tuple[TopicFollow, bool]:
        """Follow a topic; returns (follow, created). The same query (`query_key`) again keeps
        the follow's start and takes the new `notify`."""
        return await upsert_follow(
            self.session,
            TopicFollow,
            followed={"query_key": query_key},
            scope=scope,
            user_id=user_id,
            now=now,
            channel_id=channel_id,
            guild_id=guild_id,
            notify=notify,
            created_with={"query": query, "categories": list(categories)},
        )

    async def find(self, *, scope: str, target_id: int, query_key: str) -> TopicFollow | None:
        result = await self.session.execute(
            select(TopicFollow).where(
                TopicFollow.scope == scope,
                TopicFollow.target_id == target_id,
                TopicFollow.query_key == query_key,
            )
        )
        return result.scalar_one_or_none()

    async def count_for_target(self, scope: str, target_id: int) -> int:
        result = await self.session.execute(
            select(func.count()).where(
                TopicFollow.scope == scope, TopicFollow.target_id == target_id
            )
        )
        return int(result.scalar_one())

    async def list_for_target(self, scope: str, target_id: int) -> list[TopicFollow]:
        """A member's own topics (scope 'user') or a channel's, oldest first."""
        result = await self.session.execute(
            select(TopicFollow)
            .where(TopicFollow.scope == scope, TopicFollow.target_id == target_id)
            .order_by(TopicFollow.created_at, TopicFollow.id)
        )
        return list(result.scalars())

    async def remove(self, topic_id: int) -> bool:
        result = await self.session.execute(delete(TopicFollow).where(TopicFollow.id == topic_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def all_follows(self) -> list[TopicFollow]:
        """Every topic follow (what the poll matches listings against), by id."""
        result = await self.session.execute(select(TopicFollow).order_by(TopicFollow.id))
        return list(result.scalars())

    async def instant_of(self, topic_ids: Iterable[int]) -> list[TopicFollow]:
        follows: list[TopicFollow] = []
        for chunk in chunked(unique(topic_ids)):
            result = await self.session.execute(
                select(TopicFollow)
                .where(TopicFollow.id.in_(chunk), TopicFollow.notify == "instant")
                .order_by(TopicFollow.id)
            )
            follows.extend(result.scalars())
        return follows

    async def add_links(self, matches: Sequence[TopicMatch], *, now: datetime) -> list[TopicMatch]:
        """Store topic matches; returns those that were new."""
        now = require_aware(now, "now")
        matches = list({(m.topic_id, m.paper_id): m for m in matches}.values())
        if not matches:
            return []
        table = TopicPaper.__table__
        stmt = (
            upsert_insert(self.session, table)
            .on_conflict_do_nothing(index_elements=["topic_follow_id", "paper_id"])
            .returning(table.c.topic_follow_id, table.c.paper_id)
        )
        new: set[tuple[int, int]] = set()
        for chunk in chunked(matches, 1000):
            rows = await self.session.execute(
                stmt,
                [
                    {
                        "topic_follow_id": m.topic_id,
                        "paper_id": m.paper_id,
                        "matched": list(m.matched),
                        "linked_at": now,
                    }
                    for m in chunk
                ],
            )
            new.update((t, p) for t, p in rows)
        return [m for m in matches if (m.topic_id, m.paper_id) in new]

    async def matched_terms(
        self, pairs: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], tuple[str, ...]]:
        """(topic id, paper id) -> the terms that matched, for the pairs stored."""
        wanted = unique(pairs)
        found: dict[tuple[int, int], tuple[str, ...]] = {}
        for chunk in chunked(unique(t for t, _ in wanted)):
            rows = await self.session.execute(
                select(TopicPaper.topic_follow_id, TopicPaper.paper_id, TopicPaper.matched).where(
                    TopicPaper.topic_follow_id.in_(chunk)
                )
            )
            keep = set(wanted)
            for topic_id, paper_id, matched in rows:
                if (topic_id, paper_id) in keep:
                    found[topic_id, paper_id] = tuple(matched or ())
        return found

    async def queries(self, topic_ids: Iterable[int]) -> dict[int, str]:
        """Topic follow id -> the query as typed (the ones still followed)."""
        found: dict[int, str] = {}
        for chunk in chunked(unique(topic_ids)):
            rows = await self.session.execute(
                select(TopicFollow.id, TopicFollow.query).where(TopicFollow.id.in_(chunk))
            )
            found.update({topic_id: query for topic_id, query in rows})
        return found

    async def candidates(
        self, schedule_ids: Iterable[int], *, until: datetime
    ) -> list[TopicCandidate]:
        """Papers due in each schedule's next digest through its topic follows (channel
        schedules: the channel's; DM schedules: the member's weekly ones): matched after the
        last cut-off and at or before `until`, published not before the follow, not already
        a digest item. Ordered by schedule, then first seen."""
        until = require_aware(until, "until")
        s, f, tp, p = DigestSchedule, TopicFollow, TopicPaper, Paper
        already = exists().where(DigestItem.schedule_id == s.id, DigestItem.paper_id == p.id)

        def branch(targets: Sequence[int], target_kind: str, *follow_filter: Any) -> Any:
            return (
                select(
                    s.id.label("schedule_id"),
                    p.id.label("paper_id"),
                    f.id.label("topic_id"),
                    p.first_seen_at.label("first_seen_at"),
                )
                .select_from(f)
                .join(s, and_(s.target_kind == target_kind, s.target_id == f.target_id))
                .join(tp, tp.topic_follow_id == f.id)
                .join(p, p.id == tp.paper_id)
                .where(
                    f.target_id.in_(targets),
                    *follow_filter,
                    tp.linked_at <= until,
                    or_(s.last_cutoff_at.is_(None), tp.linked_at > s.last_cutoff_at),
                    p.published >= f.created_at,
                    ~already,
                )
            )

        rows = await destination_rows(
            self.session,
            schedule_ids,
            branch,
            f,
            ("schedule_id", "paper_id", "topic_id"),
            ("schedule_id", "first_seen_at", "paper_id", "topic_id"),
        )
        return [TopicCandidate(*row) for row in rows]


__all__ = ["TopicCandidate", "TopicMatch", "TopicRepository"]
