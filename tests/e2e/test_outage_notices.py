"""Outage and recovery notices end to end: real bot, fake Discord, SQLite and PostgreSQL.

Source failures are reported the way the sources report them (`DatabaseHealthRecorder`), the
bot's own poll tick (`PaperScoutBot.poll_tick`: nobody follows anyone, so the cycle itself
polls nothing) runs the outage check, and the bot's deliver tick posts the notices to the fake
Discord. No real sleeping: the clock moves only when the test says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services.arxiv_feeds import API_FEED_KEY
from bot.services.health import DatabaseHealthRecorder
from bot.sources.errors import UpstreamUnavailable
from db.models import OutboxEntry
from db.repositories.digests import DigestScheduleRepository
from db.repositories.feeds import FeedStateRepository
from db.repositories.health import SourceHealthRepository
from tests.e2e.digest_support import unmarked
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.payloads import (
    GUILD_ID,
    MEMBER_ID,
    MODERATOR_PERMISSIONS,
    OWNER_ID,
    TEXT_CHANNEL_ID,
)

T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
OUTAGE = (
    "arXiv API has failed 3 times in a row since 27 Nov 05:00 UTC (last error: HTTP 503 from "
    "export.arxiv.org). New papers may arrive late; I will say when it works again."
)
RECOVERED = "arXiv API works again; papers missed meanwhile will be caught up."


async def setup_digests(h: BotHarness) -> tuple[int, int]:
    """Digests in TEXT_CHANNEL_ID and a second channel, a paused one, and a personal DM one.

    Returns (second channel id, paused channel id).
    """
    second = int(h.fake.add_text_channel(GUILD_ID, "papers-2")["id"])
    paused = int(h.fake.add_text_channel(GUILD_ID, "papers-paused")["id"])
    for channel_id in (TEXT_CHANNEL_ID, second, paused):
        await h.bot.services.digests.setup_channel(
            guild_id=GUILD_ID,
            channel_id=channel_id,
            weekday="monday",
            time_text="09:00",
            timezone="Europe/Zurich",
            user_id=OWNER_ID,
        )
    await h.bot.services.digests.setup_personal(
        user_id=MEMBER_ID, weekday="monday", time_text="09:00", timezone="Europe/Zurich"
    )
    async with h.bot.database.transaction() as session:
        repo = DigestScheduleRepository(session)
        schedule = await repo.get_for_target("channel", paused)
        assert schedule is not None
        await repo.pause(schedule.id, "turned off with /digest off", now=T0)
    return second, paused


async def fail(recorder: DatabaseHealthRecorder, clock: ManualClock, times: int) -> None:
    for _ in range(times):
        clock.advance(timedelta(minutes=10))
        error = UpstreamUnavailable("HTTP 503 from export.arxiv.org", status=503)
        await recorder.record_failure("arxiv_api", clock.now(), error, None)


async def notices(h: BotHarness) -> list[OutboxEntry]:
    async with h.bot.database.reader() as session:
        rows = await session.execute(
            select(OutboxEntry).where(OutboxEntry.kind == "notice").order_by(OutboxEntry.id)
        )
        return list(rows.scalars())


def texts(h: BotHarness, channel_id: int) -> list[str]:
    """What users read in the channel; each notice ends with its `-# ref` marker line."""
    return [unmarked(m)["content"] for m in h.fake.channel_messages(channel_id)]


async def test_outage_and_recovery_are_each_posted_once_per_digest_channel(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        second, paused = await setup_digests(h)
        recorder = DatabaseHealthRecorder(h.bot.database)
        await recorder.record_success("arxiv_api", T0 - timedelta(hours=1))

        await fail(recorder, clock, 2)
        await h.bot.poll_tick()
        below_threshold = await notices(h)

        await fail(recorder, clock, 1)  # the third failure in a row
        await h.bot.poll_tick()
        outage_rows = await notices(h)
        first_delivery = await h.bot.deliver_tick()
        again = await h.bot.deliver_tick()
        after_outage = {c: texts(h, c) for c in (TEXT_CHANNEL_ID, second, paused)}

        await fail(recorder, clock, 2)  # still down: nothing new
        await h.bot.poll_tick()
        await h.bot.poll_tick()
        still_down_rows = await notices(h)
        still_down_delivery = await h.bot.deliver_tick()

        clock.advance(timedelta(minutes=10))
        await recorder.record_success("arxiv_api", clock.now())
        await h.bot.poll_tick()
        await h.bot.poll_tick()
        recovery_delivery = await h.bot.deliver_tick()
        final = {c: texts(h, c) for c in (TEXT_CHANNEL_ID, second, paused)}
        final_rows = await notices(h)
        async with h.bot.database.reader() as session:
            health = await SourceHealthRepository(session).get("arxiv_api")

    assert below_threshold == []
    assert sorted(r.destination_id for r in outage_rows) == sorted([TEXT_CHANNEL_ID, second])
    assert {r.destination_kind for r in outage_rows} == {"channel"}
    assert {r.guild_id for r in outage_rows} == {GUILD_ID}
    assert first_delivery.sent == 2 and again.sent == 0
    assert after_outage == {TEXT_CHANNEL_ID: [OUTAGE], second: [OUTAGE], paused: []}
    assert len(still_down_rows) == 2 and still_down_delivery.sent == 0
    assert recovery_delivery.sent == 2
    assert final == {
        TEXT_CHANNEL_ID: [OUTAGE, RECOVERED],
        second: [OUTAGE, RECOVERED],
        paused: [],
    }
    assert len(final_rows) == 4 and all(r.status == "sent" for r in final_rows)
    assert h.fake.dm_messages(MEMBER_ID) == []  # personal DM digests are not told
    assert health is not None and health.outage_notified is False
    post = h.fake.find("POST", rf"/channels/{TEXT_CHANNEL_ID}/messages")[-1]
    assert post.json["allowed_mentions"]["parse"] == [] and not post.json.get("embeds")


async def test_a_second_outage_is_announced_again(harness_factory, sqlite_url) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        await setup_digests(h)
        recorder = DatabaseHealthRecorder(h.bot.database)
        for _ in range(2):
            await fail(recorder, clock, 3)
            await h.bot.poll_tick()
            clock.advance(timedelta(hours=1))
            await recorder.record_success("arxiv_api", clock.now())
            await h.bot.poll_tick()
        await h.bot.deliver_tick()
        shown = texts(h, TEXT_CHANNEL_ID)

    kinds = [
        "down" if "has failed 3 times" in t else "up" if "works again" in t else t for t in shown
    ]
    assert kinds == ["down", "up", "down", "up"]
    assert "since" not in shown[0]  # it never worked before the first outage
    assert "since 27 Nov 07:" in shown[2]  # the second one: since the recovery


async def test_status_shows_the_last_poll(harness_factory, database_url) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        async with h.bot.database.transaction() as session:
            feeds = FeedStateRepository(session)
            await feeds.upsert(API_FEED_KEY, now=T0, last_success_at=T0 - timedelta(hours=2))
            await feeds.upsert(
                "arxiv_rss:cs.CV+cs.LG", now=T0, last_success_at=T0 - timedelta(minutes=30)
            )
            await feeds.upsert("metrics_refresh", now=T0, last_success_at=T0)  # not a poll
        ex = await h.slash("status", permissions=MODERATOR_PERMISSIONS)

    fields = {f["name"]: f["value"] for f in ex.original_message["embeds"][0]["fields"]}
    last = int((T0 - timedelta(minutes=30)).timestamp())
    assert fields["Last poll"] == f"<t:{last}:R>"
