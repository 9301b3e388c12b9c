"""DigestScheduleRepository: schedules by destination, due/pause/resume, items, candidates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.digests import DigestCandidate, DigestScheduleRepository
from db.repositories.follows import FollowRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository

CHANNEL, OTHER_CHANNEL, USER = 5001, 5002, 7001
DAY = timedelta(days=1)


async def test_upsert_by_target_keeps_cutoff_and_unpauses(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = DigestScheduleRepository(session)
        first = await repo.upsert(
            target_kind="channel",
            target_id=CHANNEL,
            guild_id=1,
            weekday=0,
            local_time="09:00",
            timezone="Europe/Zurich",
            next_digest_at=t0 + DAY,
            created_by=USER,
            now=t0,
        )
        assert first.post_when_empty is True and first.paused is False
        await repo.advance(first.id, next_digest_at=t0 + 7 * DAY, last_cutoff_at=t0, now=t0)
        await repo.pause(first.id, "Missing Access (50001)", now=t0)

    async with db.transaction() as session:
        repo = DigestScheduleRepository(session)
        paused = await repo.get(first.id)
        assert paused is not None
        assert (paused.paused, paused.paused_reason, paused.paused_at) == (
            True,
            "Missing Access (50001)",
            t0,
        )
        changed = await repo.upsert(
            target_kind="channel",
            target_id=CHANNEL,
            weekday=4,
            local_time="17:30",
            timezone="America/New_York",
            next_digest_at=t0 + 4 * DAY,
            post_when_empty=False,
            created_by=9999,
            now=t0 + DAY,
        )
    assert changed.id == first.id
    assert (changed.weekday, changed.local_time, changed.timezone) == (
        4,
        "17:30",
        "America/New_York",
    )
    assert changed.last_cutoff_at == t0  # neither skip nor repeat papers
    assert (changed.paused, changed.paused_reason, changed.paused_at) == (False, None, None)
    assert changed.post_when_empty is False
    assert changed.guild_id == 1 and changed.created_by == USER
    assert (changed.created_at, changed.updated_at) == (t0, t0 + DAY)


async def test_due_pause_resume_delete(db: Database, t0: datetime) -> None:
    async with db.transaction() as session:
        repo = DigestScheduleRepository(session)

        async def schedule(kind: str, target: int, due: datetime) -> int:
            row = await repo.upsert(
                target_kind=kind,  # type: ignore[arg-type]
                target_id=target,
                weekday=0,
                local_time="09:00",
                timezone="UTC",
                next_digest_at=due,
                now=t0,
            )
            return row.id

        late = await schedule("channel", CHANNEL, t0 - DAY)
        now_due = await schedule("dm", USER, t0)
        future = await schedule("channel", OTHER_CHANNEL, t0 + timedelta(seconds=1))

        assert [s.id for s in await repo.due(t0)] == [late, now_due]
        assert [s.id for s in await repo.due(t0, limit=1)] == [late]
        assert await repo.pause(late, "gone", now=t0) is True
        assert [s.id for s in await repo.due(t0)] == [now_due]
        assert await repo.resume(late, now=t0, next_digest_at=t0 + 2 * DAY) is True
        assert [s.id for s in await repo.due(t0 + 3 * DAY)] == [now_due, future, late]
        assert await repo.set_dm_channel(now_due, 424242, now=t0) is True
        dm = await repo.get_for_target("dm", USER)
        assert dm is not None and dm.dm_channel_id == 424242
        assert await repo.get_for_target("channel", USER) is None
        assert await repo.delete(future) is True
        assert await repo.delete(future) is False
        assert await repo.pause(future, "x", now=t0) is False
        assert [s.id for s in await repo.due(t0 + 3 * DAY)] == [now_due, late]


async def test_candidates_respect_cutoff_priming_and_items(
    db: Database, t0: datetime, make_paper: Callable[..., PaperRecord]
) -> None:
    follow_time = t0
    async with db.transaction() as session:
        ada = await AuthorRepository(session).upsert(display_name="Ada", openalex_id="A1", now=t0)
        bob = await AuthorRepository(session).upsert(display_name="Bob", openalex_id="A2", now=t0)
        follows = FollowRepository(session)
        await follows.add(
            author_id=ada.id, scope="channel", user_id=USER, channel_id=CHANNEL, now=follow_time
        )
        await follows.add(
            author_id=bob.id, scope="channel", user_id=USER, channel_id=CHANNEL, now=follow_time
        )
        await follows.add(author_id=ada.id, scope="user", user_id=USER, now=follow_time)
        await follows.add(
            author_id=bob.id, scope="user", user_id=USER, notify="instant", now=follow_time
        )
        digests = DigestScheduleRepository(session)
        channel = await digests.upsert(
            target_kind="channel",
            target_id=CHANNEL,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=t0 + 7 * DAY,
            now=t0,
        )
        dm = await digests.upsert(
            target_kind="dm",
            target_id=USER,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=t0 + 7 * DAY,
            now=t0,
        )

        papers = PaperRepository(session)
        # Seen before the follow: priming, never announced.
        old_seen = await papers.upsert_many([make_paper("0001", published=t0 - DAY)], now=t0 - DAY)
        # Seen after the follow but published long before (a backfill): never announced.
        backfill = await papers.upsert_many(
            [make_paper("0002", published=t0 - 300 * DAY)], now=t0 + DAY
        )
        # New, by Ada and Bob.
        both = await papers.upsert_many([make_paper("0003", published=t0 + DAY)], now=t0 + DAY)
        # New, by Bob only.
        bobs = await papers.upsert_many([make_paper("0004", published=t0 + DAY)], now=t0 + 2 * DAY)
        # Seen after the planned cut-off: next week's.
        later = await papers.upsert_many(
            [make_paper("0005", published=t0 + 6 * DAY)], now=t0 + 8 * DAY
        )
        ids = {**old_seen.ids, **backfill.ids, **both.ids, **bobs.ids, **later.ids}
        # Each paper is linked when it is seen (the digest window is on the link).
        seen = {"0001": t0 - DAY, "0002": t0 + DAY, "0003": t0 + DAY, "0004": t0 + 2 * DAY}
        seen["0005"] = t0 + 8 * DAY
        for arxiv_id, at in seen.items():
            authors = [ada.id] if arxiv_id != "0004" else []
            authors += [bob.id] if arxiv_id in ("0003", "0004") else []
            await papers.link_authors([(a, ids[arxiv_id], "name") for a in authors], now=at)

    cutoff = t0 + 7 * DAY
    async with db.transaction() as session:
        digests = DigestScheduleRepository(session)
        found = await digests.candidates([channel.id, dm.id], until=cutoff)
        assert found == [
            DigestCandidate(channel.id, ids["0003"], ada.id),
            DigestCandidate(channel.id, ids["0003"], bob.id),
            DigestCandidate(channel.id, ids["0004"], bob.id),
            # The DM digest only has Ada: the follow of Bob is 'instant', not weekly.
            DigestCandidate(dm.id, ids["0003"], ada.id),
        ]

        assert await digests.add_items(channel.id, [ids["0003"], ids["0004"]], now=cutoff) == [
            ids["0003"],
            ids["0004"],
        ]
        assert await digests.add_items(channel.id, [ids["0003"]], now=cutoff) == []
        assert await digests.item_paper_ids(channel.id) == sorted([ids["0003"], ids["0004"]])
        await digests.advance(
            channel.id, next_digest_at=cutoff + 7 * DAY, last_cutoff_at=cutoff, now=cutoff
        )

        next_week = await digests.candidates([channel.id], until=cutoff + 7 * DAY)
        assert next_week == [DigestCandidate(channel.id, ids["0005"], ada.id)]


async def test_now_published_lists_a_digest_item_once_in_the_window_of_its_venue(
    db: Database, t0: datetime
) -> None:
    """Three papers of an earlier digest: one gains a venue after that digest (listed in the
    next window only), one had it before that digest listed it (not listed), one never."""

    def preprint(n: int) -> PaperRecord:
        return PaperRecord(
            arxiv_id=None,
            doi=f"10.1101/{n}",
            title=f"Preprint {n}",
            published=t0 - DAY,
            updated=t0 - DAY,
            primary_category=None,
        )

    def journal(n: int) -> PaperRecord:
        return PaperRecord(
            arxiv_id=None,
            doi=f"10.1002/{n}",
            title=f"Preprint {n}",
            published=t0,
            updated=t0,
            primary_category=None,
            venue="Ecology",
            same_as=(("doi", f"10.1101/{n}"),),
        )

    async with db.transaction() as session:
        result = await PaperRepository(session).upsert_many(
            [preprint(1), preprint(2), preprint(3)], now=t0
        )
        ids = [result.ids[f"doi:10.1101/{n}"] for n in (1, 2, 3)]
        await PaperRepository(session).upsert_many([journal(2)], now=t0 + DAY)  # before
        repo = DigestScheduleRepository(session)
        schedule = await repo.upsert(
            target_kind="channel",
            target_id=CHANNEL,
            weekday=0,
            local_time="09:00",
            timezone="UTC",
            next_digest_at=t0 + 9 * DAY,
            now=t0,
        )
        await repo.add_items(schedule.id, ids, now=t0 + 2 * DAY)  # the first digest
        await repo.advance(
            schedule.id, next_digest_at=t0 + 9 * DAY, last_cutoff_at=t0 + 2 * DAY, now=t0
        )
        await PaperRepository(session).upsert_many([journal(1)], now=t0 + 5 * DAY)  # after

    async with db.transaction() as session:
        repo = DigestScheduleRepository(session)
        assert await repo.now_published([schedule.id], until=t0 + 4 * DAY) == {}
        assert await repo.now_published([schedule.id], until=t0 + 9 * DAY) == {
            schedule.id: [ids[0]]
        }
        await repo.advance(
            schedule.id, next_digest_at=t0 + 16 * DAY, last_cutoff_at=t0 + 9 * DAY, now=t0
        )
        assert await repo.now_published([schedule.id], until=t0 + 16 * DAY) == {}
