"""What `/privacy` shows and deletes, as plain data (no database): `bot/render` imports these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

FollowKind = Literal["author", "citations", "topic"]


@dataclass(frozen=True, slots=True)
class StoredFollow:
    """One follow: an author's papers, an author's citations, or a topic query."""

    kind: FollowKind
    label: str  # the author's name, or the topic as typed (outside text: escape it)
    notify: str  # weekly | instant
    created_at: datetime
    guild_id: int | None = None  # the server it was made in
    channel_id: int | None = None  # scope channel: the channel it is for
    include_self: bool = False  # citations: self-citations included


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A digest schedule: the member's own (DMs), or a channel's they set up."""

    weekday: int  # 0 = Monday
    local_time: str
    timezone: str
    style: str
    suggestions: bool
    paused: bool
    channel_id: int | None = None  # a channel's digest
    guild_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredVote:
    """A 👍 / 👎 the member cast on a suggested paper, on their digest or a channel's."""

    arxiv_id: str
    vote: str  # up | down
    voted_at: datetime
    channel_id: int | None  # None: on their own digest


@dataclass(frozen=True, slots=True)
class MemberData:
    """Everything PaperScout stores that names one member."""

    follows: tuple[StoredFollow, ...]  # their own (DM alerts or their digest)
    digest: StoredDigest | None  # their personal digest
    votes: tuple[StoredVote, ...]
    channel_follows: tuple[StoredFollow, ...]  # a channel's, set up by them
    channel_digests: tuple[StoredDigest, ...]  # a channel's, set up by them
    dms: dict[str, int]  # deliveries to their DMs by status: pending, sending, sent, ...

    @property
    def queued_dms(self) -> int:
        return self.dms.get("pending", 0) + self.dms.get("sending", 0)

    @property
    def is_empty(self) -> bool:
        return not (
            self.follows
            or self.digest
            or self.votes
            or self.channel_follows
            or self.channel_digests
            or any(self.dms.values())
        )


@dataclass(frozen=True, slots=True)
class MemberDeleted:
    """What `/privacy delete` removed, and how many channel rows no longer name the member."""

    follows: int
    digests: int
    votes: int
    messages: int  # deliveries to their DMs (queued, in flight or sent)
    creator_cleared: int

    @property
    def total(self) -> int:
        return self.follows + self.digests + self.votes + self.messages


@dataclass(frozen=True, slots=True)
class ServerData:
    """What `/privacy delete-server` deletes for one server."""

    follows: int  # channel follows of every kind
    digests: int  # channel digest schedules
    queued: int  # messages waiting to be posted in its channels

    @property
    def is_empty(self) -> bool:
        return not (self.follows or self.digests or self.queued)


@dataclass(frozen=True, slots=True)
class ServerDeleted:
    follows: int
    digests: int
    messages: int  # deliveries to its channels (queued, in flight or sent)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """The daily purge: servers left more than the grace period ago, and what went."""

    servers: int = 0
    rows: int = 0
