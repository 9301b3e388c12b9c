"""Citation follows: who follows the citations of which author, for themselves or a channel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from db.models import FOLLOW_SCOPES, NOTIFY_MODES, Author, CitationFollow
from db.repositories._dialect import chunked, unique, upsert_insert
from db.types import require_aware

Scope = Literal["user", "channel"]
Notify = Literal["weekly", "instant"]


class CitationFollowRepository:
    """Reads and writes `CitationFollow` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        author_id: int,
        scope: Scope,
        user_id: int,
        now: datetime,
        channel_id: int | None = None,
        guild_id: int | None = None,
        notify: Notify = "weekly",
        include_self: bool = False,
    ) -> tuple[CitationFollow, bool]:
        """Follow an author's citations; returns (follow, created). Following again keeps the
        priming point (`created_at`) and takes the new `notify` and `include_self`."""
        if scope not in FOLLOW_SCOPES:
            raise ValueError(f"scope must be one of {FOLLOW_SCOPES}, not {scope!r}")
        if notify not in NOTIFY_MODES:
            raise ValueError(f"notify must be one of {NOTIFY_MODES}, not {notify!r}")
        if scope == "channel" and channel_id is None:
            raise ValueError("a channel follow needs channel_id")
        now = require_aware(now, "now")
        target_id = user_id if scope == "user" else channel_id
        table = CitationFollow.__table__
        stmt = (
            upsert_insert(self.session, table)
            .values(
                author_id=author_id,
                scope=scope,
                guild_id=guild_id,
                user_id=user_id,
                channel_id=channel_id,
                target_id=target_id,
                notify=notify,
                include_self=include_self,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["author_id", "scope", "target_id"])
            .returning(table.c.id)
        )
        inserted = (await self.session.execute(stmt)).scalar_one_or_none()
        key = (
            (CitationFollow.author_id == author_id)
            & (CitationFollow.scope == scope)
            & (CitationFollow.target_id == target_id)
        )
        if inserted is None:
            await self.session.execute(
                update(CitationFollow).where(key).values(notify=notify, include_self=include_self)
            )
        result = await self.session.execute(
            select(CitationFollow).where(key).execution_options(populate_existing=True)
        )
        return result.scalar_one(), inserted is not None

    async def find(self, *, author_id: int, scope: str, target_id: int) -> CitationFollow | None:
        """The one citation follow of `author_id` by this target, or None."""
        result = await self.session.execute(
            select(CitationFollow).where(
                CitationFollow.author_id == author_id,
                CitationFollow.scope == scope,
                CitationFollow.target_id == target_id,
            )
        )
        return result.scalar_one_or_none()

    async def remove(self, *, author_id: int, scope: str, target_id: int) -> bool:
        """Stop a citation follow; False when there was none."""
        result = await self.session.execute(
            delete(CitationFollow).where(
                CitationFollow.author_id == author_id,
                CitationFollow.scope == scope,
                CitationFollow.target_id == target_id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def list_for_target(self, scope: str, target_id: int) -> list[CitationFollow]:
        """A user's own citation follows (scope 'user') or a channel's, by author name."""
        result = await self.session.execute(
            select(CitationFollow)
            .join(CitationFollow.author)
            .options(contains_eager(CitationFollow.author))
            .where(CitationFollow.scope == scope, CitationFollow.target_id == target_id)
            .order_by(Author.display_name, CitationFollow.id)
        )
        return list(result.scalars().unique())

    async def watched_authors(self) -> list[Author]:
        """Every author whose citations someone follows (what the citations job watches)."""
        watched = (
            select(CitationFollow.author_id).where(CitationFollow.author_id == Author.id).exists()
        )
        result = await self.session.execute(select(Author).where(watched).order_by(Author.id))
        return list(result.scalars())

    async def watched_since(self, author_id: int) -> datetime | None:
        """When someone first followed this author's citations (None: nobody does)."""
        result = await self.session.execute(
            select(func.min(CitationFollow.created_at)).where(CitationFollow.author_id == author_id)
        )
        return result.scalar_one_or_none()

    async def instant_of(self, author_ids: Iterable[int]) -> list[CitationFollow]:
        """The instant citation follows of these authors (for alerts), by id."""
        follows: list[CitationFollow] = []
        for chunk in chunked(unique(author_ids)):
            result = await self.session.execute(
                select(CitationFollow)
                .where(CitationFollow.author_id.in_(chunk), CitationFollow.notify == "instant")
                .order_by(CitationFollow.id)
            )
            follows.extend(result.scalars().unique())
        return follows


__all__ = ["CitationFollowRepository"]
