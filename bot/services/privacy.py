"""Members' and servers' data (docs/product.md#your-data): `/privacy show`, `/privacy delete`,
`/privacy delete-server`, and the deletion of a server's data after the bot left it.

What is deleted and what stays:

- A member's own rows go: their follows of every kind (with the topic matches recorded for
  them), their personal digest (with what it recorded), the 👍 / 👎 they cast on any digest,
  and every delivery to their DMs (queued, in flight or sent). A channel's follows and digests
  they set up are the server's: they stay, and no longer name them.
- A server's data is its channel follows of every kind, its channels' digests (with their
  votes and items) and every delivery to its channels. Members' own follows stay theirs.

Each deletion is one transaction ordered with the poll's stores and the planner's cut-offs
(`db.locks.order_first_seen`), so an alert planned by a poll running at the same moment is
either deleted with the rest or never planned. A delivery that claimed a row before the
deletion does not send it: `DeliveryService` finds the row gone (`withdrawn`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.clock import Clock
from bot.services.privacy_types import (
    MemberData,
    MemberDeleted,
    PurgeReport,
    ServerData,
    ServerDeleted,
    StoredDigest,
    StoredFollow,
    StoredVote,
)
from db.database import Database
from db.locks import order_first_seen
from db.models import CitationFollow, DigestSchedule, Follow, TopicFollow
from db.repositories.privacy import PrivacyRepository

log = logging.getLogger(__name__)

PURGE_JOB_KEY = "server_data_purge"  # the daily `PeriodicJob`'s key in feed_state


def _follow(row: Follow | CitationFollow | TopicFollow) -> StoredFollow:
    channel = row.channel_id if row.scope == "channel" else None
    if isinstance(row, TopicFollow):
        return StoredFollow("topic", row.query, row.notify, row.created_at, row.guild_id, channel)
    kind = "citations" if isinstance(row, CitationFollow) else "author"
    return StoredFollow(
        kind,
        row.author.display_name,
        row.notify,
        row.created_at,
        row.guild_id,
        channel,
        include_self=bool(getattr(row, "include_self", False)),
    )


def _digest(row: DigestSchedule) -> StoredDigest:
    channel = row.target_id if row.target_kind == "channel" else None
    return StoredDigest(
        weekday=row.weekday,
        local_time=row.local_time,
        timezone=row.timezone,
        style=row.style,
        suggestions=row.suggestions,
        paused=row.paused,
        channel_id=channel,
        guild_id=row.guild_id,
    )


class PrivacyService:
    """Shows and deletes what PaperScout stores about a member or a server."""

    def __init__(self, database: Database, clock: Clock, *, grace_days: int) -> None:
        self._database = database
        self._clock = clock
        self.grace = timedelta(days=grace_days)

    async def member_data(self, user_id: int) -> MemberData:
        """Everything stored that names `user_id`."""
        async with self._database.reader() as session:
            rows = await PrivacyRepository(session).member_rows(user_id)
            return MemberData(
                follows=tuple(
                    _follow(r) for r in (*rows.follows, *rows.citation_follows, *rows.topic_follows)
                ),
                digest=_digest(rows.dm_schedule) if rows.dm_schedule is not None else None,
                votes=tuple(
                    StoredVote(
                        v.arxiv_id,
                        v.vote,
                        v.voted_at,
                        v.target_id if v.target_kind == "channel" else None,
                    )
                    for v in rows.votes
                ),
                channel_follows=tuple(
                    _follow(r)
                    for r in (
                        *rows.channel_follows,
                        *rows.channel_citation_follows,
                        *rows.channel_topic_follows,
                    )
                ),
                channel_digests=tuple(_digest(s) for s in rows.channel_schedules),
                dms=dict(rows.dms_by_status),
            )

    async def delete_member(self, user_id: int) -> MemberDeleted:
        """Delete the member's data in one transaction (see the module's docstring)."""
        async with self._database.transaction() as session:
            await order_first_seen(session)  # after any store or plan in flight
            done = await PrivacyRepository(session).delete_member(user_id)
        log.info(
            "privacy: deleted the data of user %s (%d follows, %d digests, %d votes, %d "
            "deliveries; %d channel rows un-named)",
            user_id,
            done.follows + done.citation_follows + done.topic_follows,
            done.dm_schedules,
            done.votes,
            done.outbox,
            done.creator_cleared,
        )
        return MemberDeleted(
            follows=done.follows + done.citation_follows + done.topic_follows,
            digests=done.dm_schedules,
            votes=done.votes,
            messages=done.outbox,
            creator_cleared=done.creator_cleared,
        )

    async def server_data(self, guild_id: int) -> ServerData:
        """What `delete_server` would delete."""
        async with self._database.reader() as session:
            rows = await PrivacyRepository(session).guild_rows(guild_id)
        return ServerData(
            follows=rows.follows + rows.citation_follows + rows.topic_follows,
            digests=rows.schedules,
            queued=rows.queued,
        )

    async def delete_server(self, guild_id: int) -> ServerDeleted:
        """Delete the server's channel follows, digests and deliveries in one transaction."""
        async with self._database.transaction() as session:
            await order_first_seen(session)
            done = await PrivacyRepository(session).delete_guild(guild_id)
        log.info("privacy: deleted the data of server %s (%d rows)", guild_id, done.total)
        return ServerDeleted(
            follows=done.follows + done.citation_follows + done.topic_follows,
            digests=done.schedules,
            messages=done.outbox,
        )

    async def server_left(self, guild_id: int) -> None:
        """The bot was removed from `guild_id`: its data goes after the grace period."""
        async with self._database.transaction() as session:
            await PrivacyRepository(session).record_departure(guild_id, now=self._clock.now())
        log.info(
            "left server %s: its data is deleted in %d days unless the bot is added back",
            guild_id,
            self.grace.days,
        )

    async def servers_present(self, guild_ids: list[int]) -> int:
        """The bot is in these servers (added back, or found at start): their data stays."""
        if not guild_ids:
            return 0
        async with self._database.transaction() as session:
            cleared = await PrivacyRepository(session).clear_departures(guild_ids)
        if cleared:
            log.info("back in %d servers the bot had left: their data is kept", cleared)
        return cleared

    async def reconcile(self, present: list[int], runs_here: Callable[[int], bool]) -> int:
        """At start: the servers this process's connection is in (`present`, all of them, from
        Discord's READY) keep their data; a server with data here that is not among them
        removed the bot while it was offline, and its grace period starts now. Only servers
        `runs_here` (this process's shards) are judged: another process sees the others."""
        async with self._database.transaction() as session:
            repository = PrivacyRepository(session)
            await repository.clear_departures(present)
            gone = sorted(
                g for g in await repository.guilds_with_data() - set(present) if runs_here(g)
            )
            for guild_id in gone:
                await repository.record_departure(guild_id, now=self._clock.now())
        if gone:
            log.info(
                "%d servers with data removed the bot while it was offline: their data is "
                "deleted in %d days unless it is added back",
                len(gone),
                self.grace.days,
            )
        return len(gone)

    async def purge_departed(self) -> PurgeReport:
        """Delete the data of every server the bot left more than the grace period ago (the
        daily job); each server in its own transaction."""
        cutoff = self._clock.now() - self.grace
        async with self._database.reader() as session:
            departed = await PrivacyRepository(session).departed_before(cutoff)
        rows = servers = 0
        for guild_id in departed:
            async with self._database.transaction() as session:
                await order_first_seen(session)
                repo = PrivacyRepository(session)
                left_at = await repo.departure(guild_id)
                if left_at is None or left_at >= cutoff:  # added back meanwhile
                    continue
                rows += (await repo.delete_guild(guild_id)).total
            servers += 1
            log.info("deleted the data of server %s, left on %s", guild_id, left_at.isoformat())
        return PurgeReport(servers=servers, rows=rows)
