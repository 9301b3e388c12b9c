"""Writing a follow row (`Follow`, `CitationFollow`, `TopicFollow`): the shared upsert of their
repositories."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FOLLOW_SCOPES, NOTIFY_MODES, CitationFollow, Follow, TopicFollow
from db.repositories._dialect import upsert_insert
from db.types import require_aware

Row = TypeVar("Row", Follow, CitationFollow, TopicFollow)


async def upsert_follow(
    session: AsyncSession,
    model: type[Row],
    *,
    followed: Mapping[str, Any],
    scope: str,
    user_id: int,
    now: datetime,
    channel_id: int | None,
    guild_id: int | None,
    notify: str,
    created_with: Mapping[str, Any] | None = None,
    **options: Any,
) -> tuple[Row, bool]:
    """Insert a follow of what `followed` names (`{"author_id": 5}`, `{"query_key": ...}`:
    the columns that, with scope and target, are the row's unique key), or keep the existing
    one (its `created_at`, the priming point) and set its `notify` and `options`; returns
    (row, created). `created_with`: columns written only when the row is created.

    scope 'user': `user_id` follows for themselves (target = user_id); scope 'channel': for
    `channel_id` (target = channel_id), `user_id` is who set it up.
    """
    if scope not in FOLLOW_SCOPES:
        raise ValueError(f"scope must be one of {FOLLOW_SCOPES}, not {scope!r}")
    if notify not in NOTIFY_MODES:
        raise ValueError(f"notify must be one of {NOTIFY_MODES}, not {notify!r}")
    if scope == "channel" and channel_id is None:
        raise ValueError("a channel follow needs channel_id")
    now = require_aware(now, "now")
    target_id = user_id if scope == "user" else channel_id
    table = model.__table__
    stmt = (
        upsert_insert(session, table)
        .values(
            **followed,
            scope=scope,
            guild_id=guild_id,
            user_id=user_id,
            channel_id=channel_id,
            target_id=target_id,
            notify=notify,
            created_at=now,
            **(created_with or {}),
            **options,
        )
        .on_conflict_do_nothing(index_elements=[*followed, "scope", "target_id"])
        .returning(table.c.id)
    )
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    key = and_(
        *(getattr(model, column) == value for column, value in followed.items()),
        model.scope == scope,
        model.target_id == target_id,
    )
    if inserted is None:
        await session.execute(update(model).where(key).values(notify=notify, **options))
    result = await session.execute(
        select(model).where(key).execution_options(populate_existing=True)
    )
    return result.scalar_one(), inserted is not None
