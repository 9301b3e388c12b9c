"""Feed state: the poll cursor and conditional-GET validators of each source/query."""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FeedState
from db.repositories._dialect import upsert_insert
from db.types import require_aware

log = logging.getLogger(__name__)


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET
"""Default of `FeedStateRepository.upsert` arguments: leave the stored value as it is."""


class FeedStateRepository:
    """Reads and writes `FeedState` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> FeedState | None:
        """The state of feed `key` (e.g. 'arxiv_api:batch:3', 'arxiv_rss:cs.CV'), or None."""
        return await self.session.get(FeedState, key, populate_existing=True)

    async def list_all(self) -> list[FeedState]:
        """Every feed's state, by key."""
        result = await self.session.execute(select(FeedState).order_by(FeedState.key))
        return list(result.scalars())

    async def due(self, now: datetime) -> list[FeedState]:
        """Feeds whose `next_poll_at` is unset or <= now, by key."""
        now = require_aware(now, "now")
        result = await self.session.execute(
            select(FeedState)
            .where(or_(FeedState.next_poll_at.is_(None), FeedState.next_poll_at <= now))
            .order_by(FeedState.key)
        )
        return list(result.scalars())

    async def upsert(
        self,
        key: str,
        *,
        now: datetime,
        last_success_at: datetime | _Unset | None = UNSET,
        etag: str | _Unset | None = UNSET,
        last_modified: str | _Unset | None = UNSET,
        next_poll_at: datetime | _Unset | None = UNSET,
    ) -> FeedState:
        """Create or update feed `key`. Only the fields passed are written (None clears one);
        `updated_at` is set to `now`. Returns the stored row."""
        now = require_aware(now, "now")
        given: dict[str, Any] = {
            name: value
            for name, value in (
                ("last_success_at", last_success_at),
                ("etag", etag),
                ("last_modified", last_modified),
                ("next_poll_at", next_poll_at),
            )
            if value is not UNSET
        }
        for name in ("last_success_at", "next_poll_at"):
            if given.get(name) is not None:
                given[name] = require_aware(given[name], name)
        values = {**given, "updated_at": now}
        stmt = (
            upsert_insert(self.session, FeedState)
            .values(key=key, **values)
            .on_conflict_do_update(index_elements=[FeedState.key], set_=values)
            .returning(FeedState)
        )
        result = await self.session.execute(stmt, execution_options={"populate_existing": True})
        return result.scalar_one()
