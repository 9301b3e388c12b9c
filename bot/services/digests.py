"""The `/digest` commands as plain async Python: set up, preview, send now, turn off.

No discord import: cogs call these and render the results. Bad input raises `BadInput`
before anything is written; an unknown destination raises `NotFoundError`. The planner
(`digest_planner`) and delivery share the content rules in `digest_content`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.errors import BadInput, NotFoundError
from bot.services.cards import MessagePart
from bot.services.cutoff_fence import CutoffFence
from bot.services.digest_content import CardBook, DigestEntry, Measure, parts_from_payload
from bot.services.digest_planner import digest_range, fill_book, load_contents, plan_row
from bot.services.digest_times import (
    manual_period_key,
    next_occurrence,
    parse_local_time,
    resolve_timezone,
    weekday_index,
)
from bot.services.digest_views import (
    DigestPreview,
    ScheduleView,
    SendNowResult,
    SetupResult,
    TargetKind,
)
from bot.services.suggestions import SuggestionSource
from db.database import Database
from db.models import DIGEST_STYLES, DigestSchedule
from db.repositories.digests import DigestScheduleRepository
from db.repositories.suggestions import SuggestionRepository

log = logging.getLogger(__name__)

OFF_REASON = "turned off with /digest off"


def _schedule_input(weekday: int | str, time_text: str, timezone: str) -> tuple[int, str, str]:
    """Validate all three before anything is written; `BadInput` names the first bad one."""
    return weekday_index(weekday), parse_local_time(time_text), resolve_timezone(timezone)


@dataclass(frozen=True)
class _Options:
    """What a setup may change besides the time; None keeps the stored value."""

    post_when_empty: bool | None
    style: str | None
    suggestions: bool | None = None


class DigestService:
    """Digest destinations: one per channel, and one per user for their personal digest."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        measure: Measure,
        *,
        fence: CutoffFence,
    ) -> None:
        self._database = database
        self._clock = clock
        self._measure = measure
        self._fence = fence  # send-now cuts off like the planner

    async def setup_channel(
        self,
        *,
        guild_id: int,
        channel_id: int,
        weekday: int | str,
        time_text: str,
        timezone: str,
        user_id: int,
        post_when_empty: bool | None = None,
        style: str | None = None,
        suggestions: bool | None = None,
    ) -> SetupResult:
        """Create or change a channel's weekly digest; resumes it when it was paused."""
        return await self._setup(
            "channel",
            channel_id,
            guild_id,
            weekday,
            time_text,
            timezone,
            user_id,
            _Options(post_when_empty, style, suggestions),
        )

    async def setup_personal(
        self,
        *,
        user_id: int,
        weekday: int | str,
        time_text: str,
        timezone: str,
        post_when_empty: bool | None = None,
        style: str | None = None,
        suggestions: bool | None = None,
    ) -> SetupResult:
        """Create or change a user's weekly DM digest of their weekly follows."""
        return await self._setup(
            "dm",
            user_id,
            None,
            weekday,
            time_text,
            timezone,
            user_id,
            _Options(post_when_empty, style, suggestions),
        )

    async def _setup(
        self,
        target_kind: TargetKind,
        target_id: int,
        guild_id: int | None,
        weekday: int | str,
        time_text: str,
        timezone: str,
        user_id: int,
        options: _Options,
    ) -> SetupResult:
        day, local_time, zone = _schedule_input(weekday, time_text, timezone)
        if options.style is not None and options.style not in DIGEST_STYLES:
            raise BadInput(f"Unknown digest style {options.style!r}: use compact or full.")
        now = self._clock.now()
        async with self._database.transaction() as session:
            repo = DigestScheduleRepository(session)
            before = await repo.get_for_target(target_kind, target_id)
            if before is not None and target_kind == "channel" and before.guild_id != guild_id:
                raise NotFoundError("That channel belongs to another server.")
            was_paused = before is not None and before.paused
            schedule = await repo.upsert(
                target_kind=target_kind,
                target_id=target_id,
                guild_id=guild_id,
                weekday=day,
                local_time=local_time,
                timezone=zone,
                next_digest_at=next_occurrence(day, local_time, zone, now),
                post_when_empty=options.post_when_empty,
                style=options.style,
                suggestions=options.suggestions,
                created_by=user_id,
                now=now,
            )
            requeued = await repo.requeue_failed(schedule.id, now=now) if was_paused else 0
        log.info(
            "digest %s:%s set to weekday %d %s %s (resumed=%s, requeued=%d)",
            target_kind,
            target_id,
            day,
            local_time,
            zone,
            was_paused,
            requeued,
        )
        return SetupResult(ScheduleView.of(schedule), before is None, was_paused, requeued)

    async def turn_off(
        self, *, target_kind: TargetKind, target_id: int, guild_id: int | None = None
    ) -> ScheduleView:
        """Pause a digest (history and cut-off kept: `/digest setup` resumes without repeats)."""
        now = self._clock.now()
        async with self._database.transaction() as session:
            repo = DigestScheduleRepository(session)
            schedule = await self._get(repo, target_kind, target_id, guild_id)
            await repo.pause(schedule.id, OFF_REASON, now=now)
            await session.refresh(schedule)
        return ScheduleView.of(schedule)

    async def get(
        self, *, target_kind: TargetKind, target_id: int, guild_id: int | None = None
    ) -> ScheduleView:
        """The destination's schedule, or `NotFoundError`."""
        async with self._database.reader() as session:
            schedule = await self._get(
                DigestScheduleRepository(session), target_kind, target_id, guild_id
            )
            return ScheduleView.of(schedule)

    async def preview(
        self, *, target_kind: TargetKind, target_id: int, guild_id: int | None = None
    ) -> DigestPreview:
        """Exactly the messages the next digest would post if it were planned now."""
        now = self._clock.now()
        async with self._database.reader() as session:
            repo = DigestScheduleRepository(session)
            schedule = await self._get(repo, target_kind, target_id, guild_id)
            book = CardBook(self._measure)
            contents = await load_contents(session, repo, book, [schedule.id], now)
            suggested = await SuggestionSource(now).for_schedules(session, [schedule])
            entries = contents.papers.get(schedule.id, [])
            range_text = digest_range(schedule, schedule.next_digest_at, book, entries)
            composed = book.compose(
                entries,
                range_text,
                post_when_empty=schedule.post_when_empty,
                published=contents.published.get(schedule.id, []),
                style=schedule.style,
                citations=contents.citations.get(schedule.id, []),
                suggestions=suggested.get(schedule.id, []),
                schedule_id=schedule.id,
            )
        parts = message_parts(book, composed.parts) if composed is not None else []
        return DigestPreview(
            ScheduleView.of(schedule),
            parts,
            composed.paper_count if composed is not None else 0,
            range_text,
        )

    async def send_now(self, *, guild_id: int, channel_id: int) -> SendNowResult:
        """Plan the channel's digest now (cut-off now); its weekly time does not change.

        Nothing is posted when there is nothing new. The deliver tick posts it.
        """
        async with self._database.transaction() as session:
            now = await self._fence.cut(session)
            repo = DigestScheduleRepository(session)
            schedule = await self._get(repo, "channel", channel_id, guild_id)
            if schedule.paused:
                raise BadInput(
                    f"This digest is paused ({schedule.paused_reason}). "
                    "Run /digest setup to resume it first."
                )
            book = CardBook(self._measure)
            contents = await load_contents(session, repo, book, [schedule.id], now)
            suggested = await SuggestionSource(now).for_schedules(session, [schedule])
            entries = contents.papers.get(schedule.id, [])
            range_text = digest_range(schedule, now, book, entries)
            composed = book.compose(
                entries,
                range_text,
                post_when_empty=False,
                published=contents.published.get(schedule.id, []),
                style=schedule.style,
                citations=contents.citations.get(schedule.id, []),
                suggestions=suggested.get(schedule.id, []),
                schedule_id=schedule.id,
            )
            if composed is None:
                return SendNowResult(False, 0, 0, range_text)
            row = plan_row(
                schedule,
                composed,
                dedupe_key=f"digest:{schedule.id}:{manual_period_key(now)}",
                next_digest_at=schedule.next_digest_at,
                cutoff=now,
            )
            created = await repo.record_plans([row], now=now)
        if not created:
            raise BadInput("A digest was just queued for this channel: wait a few seconds.")
        return SendNowResult(True, composed.paper_count, len(composed.parts), range_text)

    async def vote(
        self,
        schedule_id: int,
        arxiv_id: str,
        vote: str,
        *,
        user_id: int,
        channel_id: int | None,
    ) -> None:
        """Record a 👍 or 👎 on a suggestion of the digest `schedule_id`: by the member whose
        DM digest it is, or by anyone in the channel whose digest it is (`channel_id`: where
        it was pressed, None in DMs)."""
        if vote not in ("up", "down"):
            raise BadInput("Unknown vote.")
        async with self._database.transaction() as session:
            schedule = await DigestScheduleRepository(session).get(schedule_id)
            if schedule is None:
                raise NotFoundError("This digest is gone: its suggestions take no votes.")
            # A member's DM digest is theirs wherever they press (its preview is in a server);
            # a channel's takes the votes of those in that channel.
            mine = schedule.target_kind == "dm" and schedule.target_id == user_id
            here = schedule.target_kind == "channel" and channel_id == schedule.target_id
            if not (mine or here):
                raise BadInput("Only the digest's own destination can vote on its suggestions.")
            await SuggestionRepository(session).vote(
                schedule_id, arxiv_id, vote, user_id=user_id, now=self._clock.now()
            )
        log.info("suggestion vote %s on %s for schedule %s", vote, arxiv_id, schedule_id)

    async def _get(
        self,
        repo: DigestScheduleRepository,
        target_kind: TargetKind,
        target_id: int,
        guild_id: int | None,
    ) -> DigestSchedule:
        schedule = await repo.get_for_target(target_kind, target_id)
        if schedule is None or (target_kind == "channel" and schedule.guild_id != guild_id):
            if target_kind == "dm":
                raise NotFoundError(
                    "You have no personal digest: set one up with /digest me weekday time timezone."
                )
            raise NotFoundError(
                "No digest is set up for that channel: a moderator can run "
                "/digest setup channel weekday time timezone."
            )
        return schedule


def message_parts(book: CardBook, parts: Iterable[Any]) -> list[MessagePart]:
    """Planned messages as `MessagePart`s (what the sender posts and preview shows)."""
    result = []
    for part in parts:
        cards, published = book.cards_of(part), book.published_of(part)
        citations = book.citations_of(part)
        content = part.content
        if not content and not (cards or published or citations or part.suggestions):
            content = "(The papers of this part of the digest were removed.)"
        result.append(
            MessagePart(
                content=content,
                cards=cards,
                published=published,
                style=part.style,
                citations=citations,
                suggestions=part.suggestions,
                schedule_id=part.schedule_id,
            )
        )
    return result


async def digest_message_parts(
    database: Database, payload: Iterable[Mapping[str, Any]]
) -> list[MessagePart]:
    """The messages of a planned digest (outbox payload), built from the stored papers."""
    parts = parts_from_payload(payload)
    book = CardBook()
    entries = [e for part in parts for e in part.entries]
    entries += [DigestEntry(p, ()) for part in parts for p in part.published]
    entries += [
        DigestEntry(p, ())
        for part in parts
        for g in part.citations
        for p in (g.cited_paper_id, *g.citing_paper_ids)
    ]
    async with database.reader() as session:
        await fill_book(session, book, entries)
    return message_parts(book, parts)
