"""Follows: who follows which author, for themselves or for a channel's digest."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from db.models import Author, Follow
from db.repositories._dialect import chunked, unique
from db.repositories._follow_rows import upsert_follow

log = logging.getLogger(__name__)

Scope = Literal["user", "channel"]
Notify = Literal["weekly", "instant"]


class FollowRepository:
    """Reads and writes `Follow` rows in the caller's session."""

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
    ) -> tuple[Follow, bool]:
        """Follow an author; returns (follow, created).

        scope 'user': `user_id` follows for themselves (target = user_id). scope 'channel':
        for the digest of `channel_id` (target = channel_id), `user_id` is who set it up.
        Following again is not an error: the existing follow is returned with created False,
        its `created_at` (the priming point) kept and only `notify` changed to the new value.
        """
        return await upsert_follow(
            self.session,
            Follow,
            followed={"author_id": author_id},
            scope=scope,
            user_id=user_id,
            now=now,
            channel_id=channel_id,
            guild_id=guild_id,
            notify=notify,
        )

    async def remove(self, *, author_id: int, scope: Scope, target_id: int) -> bool:
        """Stop a follow (target = user id or channel id); False when there was none."""
        result = await self.session.execute(
            delete(Follow).where(
                Follow.author_id == author_id,
                Follow.scope == scope,
                Follow.target_id == target_id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, follow_id: int) -> Follow | None:
        """The follow with this id (author loaded), or None."""
        return await self.session.get(Follow, follow_id)

    async def list_for_user(self, user_id: int) -> list[Follow]:
        """The user's personal follows (scope user), authors loaded, by author name."""
        return await self._list(Follow.scope == "user", Follow.target_id == user_id)

    async def list_for_channel(self, channel_id: int) -> list[Follow]:
        """The follows feeding a channel's digest (scope channel), by author name."""
        return await self._list(Follow.scope == "channel", Follow.target_id == channel_id)

    async def list_for_target(self, scope: str, target_id: int) -> list[Follow]:
        """A user's personal follows (scope 'user') or a channel's (scope 'channel')."""
        return await self._list(Follow.scope == scope, Follow.target_id == target_id)

    async def find(self, *, author_id: int, scope: str, target_id: int) -> Follow | None:
        """The one follow of `author_id` by this target (the unique key), or None."""
        result = await self.session.execute(
            select(Follow).where(
                Follow.author_id == author_id, Follow.scope == scope, Follow.target_id == target_id
            )
        )
        return result.scalar_one_or_none()

    async def list_for_guild(self, guild_id: int) -> list[Follow]:
        """The channel follows of a server, by author name.

        Personal follows (scope 'user') carry the server they were made in, but they are
        private: no member may see another's, so they are never part of a server's list.
        """
        return await self._list(Follow.scope == "channel", Follow.guild_id == guild_id)

    async def _list(self, *conditions: object) -> list[Follow]:
        result = await self.session.execute(
            select(Follow)
            .join(Follow.author)
            .options(contains_eager(Follow.author))
            .where(*conditions)  # type: ignore[arg-type]
            .order_by(Author.display_name, Follow.id)
        )
        return list(result.scalars().unique())

    async def followed_authors(self) -> list[Author]:
        """Every author with at least one follow (what the poller must watch), by id."""
        followed = select(Follow.author_id).where(Follow.author_id == Author.id).exists()
        result = await self.session.execute(select(Author).where(followed).order_by(Author.id))
        return list(result.scalars())

    async def earliest_follow_at(self) -> datetime | None:
        """When the oldest follow still in place was made (None when nobody follows anyone).

        The poller's first window starts there: nothing older can be announced anyway.
        """
        result = await self.session.execute(select(func.min(Follow.created_at)))
        return result.scalar_one_or_none()

    async def instant_followers_of(self, author_ids: Iterable[int]) -> list[Follow]:
        """The follows with notify 'instant' of these authors (for alerts), by id."""
        ids = unique(author_ids)
        follows: list[Follow] = []
        for chunk in chunked(ids):
            result = await self.session.execute(
                select(Follow)
                .where(Follow.author_id.in_(chunk), Follow.notify == "instant")
                .order_by(Follow.id)
            )
            follows.extend(result.scalars().unique())
        return follows

    async def authors_in_guild(self, guild_id: int, limit: int = 1000) -> list[Author]:
        """The authors a server's channels follow, by name (for autocomplete), at most `limit`.

        Only this server's channel follows are considered: no other server's data, and no
        member's personal follows (those are private; the caller adds the invoker's own).
        Names are matched by the caller on folded keys (`bot.names.matches_query`), not in
        SQL: `lower() LIKE` does not fold accents, and a server follows few authors.
        """
        in_guild = (
            select(Follow.author_id)
            .where(
                Follow.author_id == Author.id,
                Follow.scope == "channel",
                Follow.guild_id == guild_id,
            )
            .exists()
        )
        stmt = select(Author).where(in_guild).order_by(Author.display_name, Author.id)
        result = await self.session.execute(stmt.limit(limit))
        return list(result.scalars())

    async def follows_of(self, author_ids: Iterable[int]) -> list[Follow]:
        """Every follow (any scope, any target) of these authors, by id: who may see them."""
        ids = unique(author_ids)
        follows: list[Follow] = []
        for chunk in chunked(ids):
            result = await self.session.execute(
                select(Follow).where(Follow.author_id.in_(chunk)).order_by(Follow.id)
            )
            follows.extend(result.scalars().unique())
        return follows
