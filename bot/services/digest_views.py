"""What the digest commands answer, as plain data (no database): a destination's schedule,
a setup, a preview, a send-now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.services.cards import MessagePart

if TYPE_CHECKING:
    from db.models import DigestSchedule

TargetKind = Literal["channel", "dm"]


@dataclass(frozen=True)
class ScheduleView:
    """A digest destination as the user sees it."""

    target_kind: str
    target_id: int
    guild_id: int | None
    weekday: int
    local_time: str
    timezone: str
    next_digest_at: datetime
    last_cutoff_at: datetime | None
    paused: bool
    paused_reason: str | None
    post_when_empty: bool
    style: str = "compact"  # or "full": a card per paper

    @classmethod
    def of(cls, schedule: DigestSchedule) -> ScheduleView:
        return cls(
            target_kind=schedule.target_kind,
            target_id=schedule.target_id,
            guild_id=schedule.guild_id,
            weekday=schedule.weekday,
            local_time=schedule.local_time,
            timezone=schedule.timezone,
            next_digest_at=schedule.next_digest_at,
            last_cutoff_at=schedule.last_cutoff_at,
            paused=schedule.paused,
            paused_reason=schedule.paused_reason,
            post_when_empty=schedule.post_when_empty,
            style=schedule.style,
        )


@dataclass(frozen=True)
class SetupResult:
    schedule: ScheduleView
    created: bool
    resumed: bool  # it was paused (an error, or /digest off) and is running again
    requeued: int  # digests that had failed and are sent again now


@dataclass(frozen=True)
class DigestPreview:
    """What the next digest of a destination would post if it were due now."""

    schedule: ScheduleView
    parts: list[MessagePart]  # empty: nothing would be posted
    paper_count: int
    range_text: str


@dataclass(frozen=True)
class SendNowResult:
    queued: bool
    paper_count: int
    message_count: int
    range_text: str
