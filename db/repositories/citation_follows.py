"""Citation follows: who follows the citations of which author, for themselves or a channel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from db.models import Author, CitationFollow
from db.repositories._dialect import chunked, unique
from db.repositories._follow_rows import upsert_follow

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
        return await upsert_follow(
            self.session,
            CitationFollow,
            followed={"author_id": author_id},
            scope=scope,
            user_id=user_id,
            now=now,
            channel_id=channel_id,
            guild_id=guild_id,
            notify=notify,
            include_self=include_self,
        )

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
