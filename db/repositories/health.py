"""Source health: last success and failure of each upstream source, for backoff and /status."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SourceHealth
from db.repositories._dialect import short_error, upsert_insert
from db.types import require_aware

log = logging.getLogger(__name__)


class SourceHealthRepository:
    """Reads and writes `SourceHealth` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, source: str) -> SourceHealth | None:
        """The health record of `source` (e.g. 'arxiv_api'), or None if never used."""
        return await self.session.get(SourceHealth, source, populate_existing=True)

    async def list_all(self) -> list[SourceHealth]:
        """Every source's record, by name."""
        result = await self.session.execute(select(SourceHealth).order_by(SourceHealth.source))
        return list(result.scalars())

    async def record_success(self, source: str, at: datetime) -> SourceHealth:
        """A request to `source` succeeded: failures reset to 0, no backoff.

        `last_error` and `outage_notified` are kept: if `outage_notified` is still True on the
        returned row, a recovery notice is due (then call `set_outage_notified(..., False)`);
        `outage_key` says which outage it recovers from.
        """
        at = require_aware(at, "at")
        return await self._upsert(
            source,
            insert={"last_success_at": at, "consecutive_failures": 0, "updated_at": at},
            update={
                "last_success_at": at,
                "consecutive_failures": 0,
                "next_try_at": None,
                "updated_at": at,
            },
        )

    async def record_failure(
        self,
        source: str,
        at: datetime,
        error: str | BaseException,
        next_try_at: datetime | None = None,
    ) -> SourceHealth:
        """A request to `source` failed: one more consecutive failure, the error (short), and
        when to try again. Returns the updated row (check `consecutive_failures`)."""
        at = require_aware(at, "at")
        next_try = require_aware(next_try_at, "next_try_at") if next_try_at else None
        message = short_error(error)
        return await self._upsert(
            source,
            insert={
                "last_failure_at": at,
                "consecutive_failures": 1,
                "last_error": message,
                "next_try_at": next_try,
                "updated_at": at,
            },
            update={
                "last_failure_at": at,
                "consecutive_failures": SourceHealth.__table__.c.consecutive_failures + 1,
                "last_error": message,
                "next_try_at": next_try,
                "updated_at": at,
            },
        )

    async def set_outage_notified(
        self, source: str, notified: bool, *, at: datetime, outage_key: str | None = None
    ) -> bool:
        """Remember that the outage notice (True, with the `outage_key` naming that outage) or
        the recovery notice (False: the key is cleared) went out. False if `source` is unknown."""
        if outage_key is not None and not notified:
            raise ValueError("outage_key goes with notified=True only")
        result = await self.session.execute(
            update(SourceHealth)
            .where(SourceHealth.source == source)
            .values(
                outage_notified=notified,
                outage_key=outage_key,
                updated_at=require_aware(at, "at"),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _upsert(
        self, source: str, *, insert: dict[str, Any], update: dict[str, Any]
    ) -> SourceHealth:
        stmt = (
            upsert_insert(self.session, SourceHealth)
            .values(source=source, **insert)
            .on_conflict_do_update(index_elements=[SourceHealth.source], set_=update)
            .returning(SourceHealth)
        )
        result = await self.session.execute(stmt, execution_options={"populate_existing": True})
        return result.scalar_one()
