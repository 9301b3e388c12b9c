"""Members' and servers' data: what is stored about one member, deleting it, and deleting a
server's data (at once, or after the bot left it: `guild_departures`).

Every function runs in the caller's session; the service gives each read or delete its own
transaction, so a deletion is all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    CitationFollow,
    DigestSchedule,
    Follow,
    GuildDeparture,
    OutboxEntry,
    SuggestionVote,
    TopicFollow,
)
from db.repositories._dialect import chunked, unique, upsert_insert
from db.types import require_aware

FOLLOW_MODELS: tuple[type[Follow] | type[CitationFollow] | type[TopicFollow], ...] = (
    Follow,
    CitationFollow,
    TopicFollow,
)


@dataclass(frozen=True, slots=True)
class VoteRow:
    """A 👍 / 👎 a member cast, and on which digest (their own, or a channel's)."""

    arxiv_id: str
    vote: str
    voted_at: datetime
    target_kind: str
    target_id: int
    guild_id: int | None


@dataclass(slots=True)
class MemberRows:
    """Every row that names one member: theirs, or carrying their id as its creator."""

    follows: list[Follow] = field(default_factory=list)
    citation_follows: list[CitationFollow] = field(default_factory=list)
    topic_follows: list[TopicFollow] = field(default_factory=list)
    dm_schedule: DigestSchedule | None = None
    votes: list[VoteRow] = field(default_factory=list)
    channel_follows: list[Follow] = field(default_factory=list)
    channel_citation_follows: list[CitationFollow] = field(default_factory=list)
    channel_topic_follows: list[TopicFollow] = field(default_factory=list)
    channel_schedules: list[DigestSchedule] = field(default_factory=list)
    # Deliveries to their DMs, by status (pending, sending, sent, failed, dead).
    dms_by_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemberDeletion:
    """What `delete_member` removed (counts) and how many channel rows it un-named."""

    follows: int = 0
    citation_follows: int = 0
    topic_follows: int = 0
    dm_schedules: int = 0
    votes: int = 0
    outbox: int = 0
    creator_cleared: int = 0


@dataclass(frozen=True, slots=True)
class GuildDeletion:
    """What `delete_guild` removed."""

    follows: int = 0
    citation_follows: int = 0
    topic_follows: int = 0
    schedules: int = 0
    outbox: int = 0

    @property
    def total(self) -> int:
        return (
            self.follows + self.citation_follows + self.topic_follows + self.schedules + self.outbox
        )


@dataclass(frozen=True, slots=True)
class GuildRows:
    """How much one server has stored (channel follows of each kind, schedules, queued)."""

    follows: int = 0
    citation_follows: int = 0
    topic_follows: int = 0
    schedules: int = 0
    queued: int = 0


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class PrivacyRepository:
    """Reads and deletes, per member and per server, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- a member ------------------------------------------------------------------------

    async def member_rows(self, user_id: int) -> MemberRows:
        """Everything stored that names `user_id` (their follows, digest, votes, DMs, and the
        channel follows and digests they set up)."""
        rows = MemberRows()
        rows.follows = list(await self._follows(Follow, "user", user_id))
        rows.citation_follows = list(await self._follows(CitationFollow, "user", user_id))
        rows.topic_follows = list(await self._follows(TopicFollow, "user", user_id))
        rows.channel_follows = list(await self._follows(Follow, "channel", user_id))
        rows.channel_citation_follows = list(
            await self._follows(CitationFollow, "channel", user_id)
        )
        rows.channel_topic_follows = list(await self._follows(TopicFollow, "channel", user_id))
        rows.dm_schedule = await self.session.scalar(
            select(DigestSchedule).where(
                DigestSchedule.target_kind == "dm", DigestSchedule.target_id == user_id
            )
        )
        rows.channel_schedules = list(
            await self.session.scalars(
                select(DigestSchedule)
                .where(
                    DigestSchedule.target_kind == "channel", DigestSchedule.created_by == user_id
                )
                .order_by(DigestSchedule.id)
            )
        )
        votes = await self.session.execute(
            select(
                SuggestionVote.arxiv_id,
                SuggestionVote.vote,
                SuggestionVote.voted_at,
                DigestSchedule.target_kind,
                DigestSchedule.target_id,
                DigestSchedule.guild_id,
            )
            .join(DigestSchedule, DigestSchedule.id == SuggestionVote.schedule_id)
            .where(SuggestionVote.voted_by == user_id)
            .order_by(SuggestionVote.voted_at.desc(), SuggestionVote.arxiv_id)
        )
        rows.votes = [VoteRow(*row) for row in votes]
        counts = await self.session.execute(
            select(OutboxEntry.status, func.count())
            .where(*self._dms_of(user_id))
            .group_by(OutboxEntry.status)
        )
        rows.dms_by_status = {status: int(count) for status, count in counts}
        return rows

    async def _follows(
        self,
        model: type[Follow] | type[CitationFollow] | type[TopicFollow],
        scope: str,
        user_id: int,
    ) -> Sequence[Follow | CitationFollow | TopicFollow]:
        # Scope user: the member's own (its target is them); scope channel: set up by them.
        who = model.target_id if scope == "user" else model.user_id
        result = await self.session.scalars(
            select(model).where(model.scope == scope, who == user_id).order_by(model.id)
        )
        return result.all()

    @staticmethod
    def _dms_of(user_id: int) -> tuple[object, ...]:
        return (OutboxEntry.destination_kind == "user", OutboxEntry.destination_id == user_id)

    async def delete_member(self, user_id: int) -> MemberDeletion:
        """Delete the member's own rows (follows of every kind, their digest with what it
        recorded, the votes they cast anywhere, every delivery to their DMs, queued or in
        flight or sent) and forget them as the creator of a channel's follows and digests,
        which stay the channel's."""
        counts: dict[str, int] = {}
        for key, model in zip(
            ("follows", "citation_follows", "topic_follows"), FOLLOW_MODELS, strict=True
        ):
            result = await self.session.execute(
                delete(model).where(model.scope == "user", model.target_id == user_id)
            )
            counts[key] = _rowcount(result)
        # Their votes on any digest (a channel's included); those on their own digest would go
        # with it anyway.
        result = await self.session.execute(
            delete(SuggestionVote).where(SuggestionVote.voted_by == user_id)
        )
        counts["votes"] = _rowcount(result)
        # Their digest: its items and citation items cascade; outbox rows are deleted below.
        result = await self.session.execute(
            delete(DigestSchedule).where(
                DigestSchedule.target_kind == "dm", DigestSchedule.target_id == user_id
            )
        )
        counts["dm_schedules"] = _rowcount(result)
        result = await self.session.execute(delete(OutboxEntry).where(*self._dms_of(user_id)))
        counts["outbox"] = _rowcount(result)
        cleared = 0
        for model in FOLLOW_MODELS:
            result = await self.session.execute(
                update(model)
                .where(model.scope == "channel", model.user_id == user_id)
                .values(user_id=None)
            )
            cleared += _rowcount(result)
        result = await self.session.execute(
            update(DigestSchedule)
            .where(DigestSchedule.target_kind == "channel", DigestSchedule.created_by == user_id)
            .values(created_by=None)
        )
        cleared += _rowcount(result)
        return MemberDeletion(**counts, creator_cleared=cleared)

    # -- a server ------------------------------------------------------------------------

    async def guild_rows(self, guild_id: int) -> GuildRows:
        """How much `delete_guild` would delete."""
        counts = []
        for model in FOLLOW_MODELS:
            counts.append(
                int(
                    await self.session.scalar(
                        select(func.count())
                        .select_from(model)
                        .where(model.scope == "channel", model.guild_id == guild_id)
                    )
                    or 0
                )
            )
        schedules = await self.session.scalar(
            select(func.count())
            .select_from(DigestSchedule)
            .where(DigestSchedule.target_kind == "channel", DigestSchedule.guild_id == guild_id)
        )
        queued = await self.session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(
                *self._channels_of(guild_id),
                OutboxEntry.status.in_(("pending", "sending")),
            )
        )
        return GuildRows(*counts, schedules=int(schedules or 0), queued=int(queued or 0))

    @staticmethod
    def _channels_of(guild_id: int) -> tuple[object, ...]:
        return (OutboxEntry.destination_kind == "channel", OutboxEntry.guild_id == guild_id)

    async def delete_guild(self, guild_id: int) -> GuildDeletion:
        """Delete the server's channel follows (every kind), its channels' digests (with their
        items and votes) and every delivery to its channels; members' own follows stay."""
        counts: dict[str, int] = {}
        for key, model in zip(
            ("follows", "citation_follows", "topic_follows"), FOLLOW_MODELS, strict=True
        ):
            result = await self.session.execute(
                delete(model).where(model.scope == "channel", model.guild_id == guild_id)
            )
            counts[key] = _rowcount(result)
        result = await self.session.execute(delete(OutboxEntry).where(*self._channels_of(guild_id)))
        counts["outbox"] = _rowcount(result)
        result = await self.session.execute(
            delete(DigestSchedule).where(
                DigestSchedule.target_kind == "channel", DigestSchedule.guild_id == guild_id
            )
        )
        counts["schedules"] = _rowcount(result)
        await self.session.execute(
            delete(GuildDeparture).where(GuildDeparture.guild_id == guild_id)
        )
        return GuildDeletion(**counts)

    async def guilds_with_data(self) -> set[int]:
        """Every server that has channel follows, channel digests or channel deliveries."""
        found: set[int] = set()
        for model in FOLLOW_MODELS:
            found.update(
                await self.session.scalars(
                    select(model.guild_id)
                    .where(model.scope == "channel", model.guild_id.is_not(None))
                    .distinct()
                )
            )
        found.update(
            await self.session.scalars(
                select(DigestSchedule.guild_id)
                .where(
                    DigestSchedule.target_kind == "channel", DigestSchedule.guild_id.is_not(None)
                )
                .distinct()
            )
        )
        found.update(
            await self.session.scalars(
                select(OutboxEntry.guild_id)
                .where(OutboxEntry.destination_kind == "channel", OutboxEntry.guild_id.is_not(None))
                .distinct()
            )
        )
        return {int(g) for g in found}

    # -- departures ----------------------------------------------------------------------

    async def record_departure(self, guild_id: int, *, now: datetime) -> None:
        """The bot left `guild_id` now; an earlier departure still recorded is kept."""
        stmt = (
            upsert_insert(self.session, GuildDeparture.__table__)
            .values(guild_id=guild_id, left_at=require_aware(now, "now"))
            .on_conflict_do_nothing(index_elements=["guild_id"])
        )
        await self.session.execute(stmt)

    async def clear_departures(self, guild_ids: Sequence[int]) -> int:
        """The bot is in these servers (again): their data is kept."""
        cleared = 0
        for chunk in chunked(unique(guild_ids)):
            result = await self.session.execute(
                delete(GuildDeparture).where(GuildDeparture.guild_id.in_(chunk))
            )
            cleared += _rowcount(result)
        return cleared

    async def departure(self, guild_id: int) -> datetime | None:
        return await self.session.scalar(
            select(GuildDeparture.left_at).where(GuildDeparture.guild_id == guild_id)
        )

    async def departed_before(self, cutoff: datetime) -> list[int]:
        """Servers the bot left before `cutoff`, oldest departure first."""
        result = await self.session.scalars(
            select(GuildDeparture.guild_id)
            .where(GuildDeparture.left_at < require_aware(cutoff, "cutoff"))
            .order_by(GuildDeparture.left_at, GuildDeparture.guild_id)
        )
        return [int(g) for g in result]
