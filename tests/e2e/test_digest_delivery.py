"""Weekly digests end to end: real bot, fake Discord, SQLite and PostgreSQL, a moved clock.

Planning (`DigestPlanner.plan_due`) and delivery (`DeliveryService.deliver_due`) are called as
the scheduler's ticks would call them, at instants the test chooses.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from bot.discord_sender import DiscordSender
from bot.services.delivery import DeliveryService
from bot.services.digests import digest_message_parts
from bot.services.outbox_parts import OutboxParts
from bot.services.sending import marker_for, nonce_for
from db.models import DigestSchedule, OutboxEntry
from db.repositories.digests import DigestScheduleRepository
from db.repositories.leader import make_leader
from db.repositories.outbox import OutboxRepository
from tests.e2e.digest_support import add_authors, add_papers, follow, tick, unmarked
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_discord import Override
from tests.harness.payloads import GUILD_ID, OWNER_ID, TEXT_CHANNEL_ID
from tests.harness.services import planner

ZURICH = ZoneInfo("Europe/Zurich")
T0 = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)  # a Saturday, two weeks before DST ends
FOOTER = re.compile(r"arXiv:(\S+)v\d+")
COMPACT_LINK = re.compile(r"\]\(https://arxiv\.org/abs/([^)]+)\)")


def footers(messages: list[dict]) -> list[str]:
    """The arXiv ids of the papers of these messages, in order: from the cards' footers (a
    full digest) or the links of the lines (a compact one)."""
    ids: list[str] = []
    for message in messages:
        for embed in message["embeds"]:
            footer = FOOTER.match((embed.get("footer") or {}).get("text") or "")
            ids += [footer[1]] if footer else COMPACT_LINK.findall(embed.get("description") or "")
    return ids


def embed_chars(message: dict) -> int:
    total = 0
    for e in message["embeds"]:
        total += len(e.get("title") or "") + len(e.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
        total += len((e.get("footer") or {}).get("text") or "")
    return total


async def channel_digest(
    h: BotHarness,
    *,
    weekday: int = 6,
    time_text: str = "09:00",
    zone: str = "Europe/Zurich",
    style: str = "full",
) -> None:
    """The channel's weekly digest; `full` (a card per paper) unless told: the tests of this
    file check the delivery of cards (the compact layout: test_digest_compact.py)."""
    await h.bot.services.digests.setup_channel(
        guild_id=GUILD_ID,
        channel_id=TEXT_CHANNEL_ID,
        weekday=weekday,
        time_text=time_text,
        timezone=zone,
        user_id=OWNER_ID,
        style=style,
    )


def refuse_channel_posts(h: BotHarness, status: int, message: str, code: int) -> Override:
    """Discord refuses every post to the digest channel until the returned rule is removed."""
    return h.fake.fail(
        "POST",
        rf"/channels/{TEXT_CHANNEL_ID}/messages",
        status,
        {"message": message, "code": code},
        times=None,
    )


async def seed_followed(h: BotHarness, names: tuple[str, ...] = ("Ada Lovelace",)) -> list[int]:
    ids = await add_authors(h.bot.database, names, now=T0 - timedelta(days=1))
    await follow(
        h.bot.database,
        ids,
        now=T0 - timedelta(days=1),
        channel_id=TEXT_CHANNEL_ID,
        guild_id=GUILD_ID,
        user_id=OWNER_ID,
    )
    return ids


async def test_weekly_digest_posts_once_at_local_time_across_dst(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    # Sunday 09:00 in Zurich: 07:00 UTC in summer time, 08:00 UTC after 25 October 2026.
    expected = [
        datetime(2026, 10, 11, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 18, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
    ]
    async with harness_factory(database_url=database_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        sender = DiscordSender(h.bot)
        instants = {T0 + timedelta(hours=6 * i) for i in range(4 * 22)}
        for due in expected:
            instants |= {due - timedelta(minutes=1), due, due + timedelta(minutes=1)}
        posted_at: list[datetime] = []
        for instant in sorted(instants):
            if instant > expected[-1] + timedelta(minutes=1):
                break
            clock.set(instant)
            if instant + timedelta(minutes=1) in expected:  # two new papers each week
                week = expected.index(instant + timedelta(minutes=1))
                await add_papers(
                    h.bot.database, 2, authors=[(ada, "Ada Lovelace")], now=instant, start=10 * week
                )
            if await tick(h.bot.database, clock, sender):
                posted_at.append(instant)
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert posted_at == expected  # once a week, never early, never twice
    assert [t.astimezone(ZURICH).strftime("%a %H:%M") for t in posted_at] == ["Sun 09:00"] * 4
    assert len(messages) == 4
    assert messages[0]["content"] == "2 new papers from 1 followed author, 10-11 Oct"
    assert messages[2]["content"] == "2 new papers from 1 followed author, 18-25 Oct"
    assert footers(messages) == [f"2611.{i:05d}" for w in range(4) for i in (10 * w, 10 * w + 1)]


async def test_sixty_papers_split_into_valid_messages_in_order(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        ada, grace = await seed_followed(h, ("Ada Lovelace", "Grace Hopper"))
        await channel_digest(h)
        await add_papers(
            h.bot.database,
            60,
            authors=[(ada, "Ada Lovelace"), (grace, "Grace Hopper")],
            now=T0,
            title="A long title about transformers " * 6,
            abstract_words=200,
        )
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        sent = await tick(h.bot.database, clock, DiscordSender(h.bot))
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        posts = h.fake.find("POST", rf"/channels/{TEXT_CHANNEL_ID}/messages")

    assert sent == 1  # one outbox row
    assert len(messages) == len(posts) >= 7  # several messages, none refused (no 50035)
    assert all(p.status == 200 for p in posts)
    assert all(len(m["embeds"]) <= 10 and embed_chars(m) <= 6000 for m in messages)
    assert any(len(m["embeds"]) < 10 for m in messages[:-1])  # split by size, not only count
    assert messages[0]["content"] == "60 new papers from 2 followed authors, 10-11 Oct"
    assert all(not m["content"] for m in messages[1:])
    assert footers(messages) == [f"2611.{i:05d}" for i in range(60)]  # each once, in order
    why = {f["name"]: f["value"] for f in messages[0]["embeds"][0]["fields"]}["Why"]
    assert why == "Ada Lovelace, Grace Hopper"  # a paper by two followed authors: once, both


async def test_crash_after_claim_before_post_sends_once_after_the_lease(
    harness_factory, sqlite_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(h.bot.database, 3, authors=[(ada, "Ada Lovelace")], now=T0)
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        await planner(h.bot.database, clock).plan_due()
        async with h.bot.database.transaction() as session:  # a worker claims, then dies
            (claimed,) = await OutboxRepository(session).claim(
                "dead-worker", limit=5, lease_seconds=120, now=clock.now()
            )
        service = DeliveryService(
            h.bot.database, DiscordSender(h.bot), OutboxParts(h.bot.database), clock, "survivor"
        )
        assert (await service.deliver_due()).sent == 0  # leased: nobody else sends it
        assert h.fake.channel_messages(TEXT_CHANNEL_ID) == []
        clock.advance(timedelta(minutes=3))
        assert (await service.deliver_due()).sent == 1
        assert (await service.deliver_due()).sent == 0
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        async with h.bot.database.reader() as session:
            entry = await OutboxRepository(session).get(claimed.id)
    assert len(messages) == 1 and footers(messages) == ["2611.00000", "2611.00001", "2611.00002"]
    assert entry is not None and entry.status == "sent" and entry.attempts == 2


async def test_crash_after_posting_before_marking_shows_each_part_once(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(
            h.bot.database, 25, authors=[(ada, "Ada Lovelace")], now=T0, abstract_words=200
        )
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        await planner(h.bot.database, clock).plan_due()
        async with h.bot.database.transaction() as session:
            (claimed,) = await OutboxRepository(session).claim(
                "dead-worker", limit=5, lease_seconds=120, now=clock.now()
            )
        parts = await digest_message_parts(h.bot.database, claimed.payload)
        assert len(parts) >= 3
        sender = DiscordSender(h.bot)
        first = await sender.send(
            "channel",
            TEXT_CHANNEL_ID,
            parts[0],
            nonce=nonce_for(claimed.id, 0),
            marker=marker_for(claimed.id, 0),
        )
        async with h.bot.database.transaction() as session:
            await OutboxRepository(session).mark_part_sent(claimed.id, first)
        # Part 1 is posted, and the worker dies before recording it.
        await sender.send(
            "channel",
            TEXT_CHANNEL_ID,
            parts[1],
            nonce=nonce_for(claimed.id, 1),
            marker=marker_for(claimed.id, 1),
        )

        clock.advance(timedelta(minutes=3))  # the lease expires; another worker takes over
        service = DeliveryService(
            h.bot.database, sender, OutboxParts(h.bot.database), clock, "survivor"
        )
        assert (await service.deliver_due()).sent == 1
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        posts = h.fake.find("POST", rf"/channels/{TEXT_CHANNEL_ID}/messages")
        async with h.bot.database.reader() as session:
            entry = await OutboxRepository(session).get(claimed.id)

    assert len(messages) == len(parts)
    assert len(posts) == len(parts)  # part 1 was found in the history: not posted again
    assert footers(messages) == [f"2611.{i:05d}" for i in range(25)]  # none lost, in order
    assert entry is not None and entry.status == "sent"
    assert entry.message_ids == [m["id"] for m in messages]


async def test_lost_access_pauses_the_destination_without_retries(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(h.bot.database, 2, authors=[(ada, "Ada Lovelace")], now=T0)
        refusal = refuse_channel_posts(h, 403, "Missing Access", 50001)
        sender = DiscordSender(h.bot)
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        for _ in range(4 * 7 * 4):  # four weeks of six-hourly ticks
            await tick(h.bot.database, clock, sender)
            clock.advance(timedelta(hours=6))
        attempts = h.fake.find("POST", rf"/channels/{TEXT_CHANNEL_ID}/messages")
        async with h.bot.database.reader() as session:
            schedule = await DigestScheduleRepository(session).get_for_target(
                "channel", TEXT_CHANNEL_ID
            )
            rows = (await session.execute(select(OutboxEntry))).scalars().all()
        status = await h.slash("status", permissions=None, invoker=h.fake.owner)
        shown = status.followups[0].json["embeds"][0]

        # The moderator fixes the permission and runs /digest setup: the digest goes out.
        refusal.remove()
        await h.slash(
            "digest setup",
            invoker=h.fake.owner,
            option_values={"channel": TEXT_CHANNEL_ID},
            weekday=6,
            time="09:00",
            timezone="Europe/Zurich",
        )
        await tick(h.bot.database, clock, sender)
        delivered = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert len(attempts) == 1  # never retried: no invalid-request storm
    assert schedule is not None and schedule.paused
    assert "403" in (schedule.paused_reason or "") and "50001" in (schedule.paused_reason or "")
    assert [(r.status, r.kind) for r in rows] == [("failed", "digest")]  # nothing planned since
    fields = {f["name"]: f["value"] for f in shown["fields"]}
    assert f"<#{TEXT_CHANNEL_ID}> paused: HTTP 403 (Discord code 50001)" in fields["Digests"]
    assert "/digest setup" in fields["Digests"]
    assert "failed 1" in fields["Delivery queue"]
    assert footers(delivered[:1]) == ["2611.00000", "2611.00001"]  # the missed digest, once


async def test_deleted_channel_pauses_with_unknown_channel(harness_factory, sqlite_url) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=T0)
        del h.fake.channels[str(TEXT_CHANNEL_ID)]  # the channel was deleted
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        sender = DiscordSender(h.bot)
        await tick(h.bot.database, clock, sender)
        clock.advance(timedelta(days=8))
        await tick(h.bot.database, clock, sender)
        async with h.bot.database.reader() as session:
            schedule = await DigestScheduleRepository(session).get_for_target(
                "channel", TEXT_CHANNEL_ID
            )
            count = (await session.execute(select(func.count(OutboxEntry.id)))).scalar_one()
    assert len(h.fake.find("POST", rf"/channels/{TEXT_CHANNEL_ID}/messages")) == 1
    assert schedule is not None and schedule.paused and "10003" in (schedule.paused_reason or "")
    assert count == 1


async def test_changing_the_schedule_neither_skips_nor_repeats(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h, weekday=0)  # Mondays 09:00
        sender = DiscordSender(h.bot)
        await add_papers(h.bot.database, 2, authors=[(ada, "A")], now=T0, start=0)
        clock.set(datetime(2026, 10, 12, 7, 0, tzinfo=UTC))  # Monday 09:00 Zurich
        await tick(h.bot.database, clock, sender)
        clock.advance(timedelta(hours=3))
        await add_papers(h.bot.database, 2, authors=[(ada, "A")], now=clock.now(), start=10)
        await channel_digest(h, weekday=4, time_text="17:30")  # to Friday, the same week
        clock.advance(timedelta(days=1))
        await add_papers(h.bot.database, 1, authors=[(ada, "A")], now=clock.now(), start=20)
        await channel_digest(h, weekday=2, time_text="08:00")  # and again, before it ran
        clock.advance(timedelta(hours=1))
        await tick(h.bot.database, clock, sender)  # nothing due yet
        clock.set(datetime(2026, 10, 14, 6, 0, tzinfo=UTC))  # Wednesday 08:00 Zurich
        await tick(h.bot.database, clock, sender)
        clock.set(datetime(2026, 10, 21, 6, 0, tzinfo=UTC))  # a week later: nothing new
        await tick(h.bot.database, clock, sender)
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        async with h.bot.database.reader() as session:
            schedule = (await session.execute(select(DigestSchedule))).scalar_one()

    assert [footers([m]) for m in messages] == [
        ["2611.00000", "2611.00001"],
        ["2611.00010", "2611.00011", "2611.00020"],
        [],
    ]
    # A text-only part carries its marker as a last line of subtext.
    assert unmarked(messages[2])["content"] == "No new papers from followed authors, 14-21 Oct."
    assert schedule.next_digest_at == datetime(2026, 10, 28, 7, 0, tzinfo=UTC)  # CET from 25 Oct


async def test_the_bots_own_ticks_plan_in_the_leader_and_deliver(
    harness_factory, sqlite_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=T0)
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        plan, deliver = h.bot.scheduler.get_job("plan"), h.bot.scheduler.get_job("deliver")
        # Another process holds the lease: this one does not plan.
        rival = make_leader(h.bot.database, "rival-process")
        assert await rival.is_leader()
        await plan.func()
        await deliver.func()
        assert h.fake.channel_messages(TEXT_CHANNEL_ID) == []
        await rival.release()
        await plan.func()
        await deliver.func()
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
    assert [m["content"] for m in messages] == ["1 new paper from 1 followed author, 10-11 Oct"]


async def test_a_refused_message_fails_alone_and_the_digest_goes_on(
    harness_factory, sqlite_url, caplog
) -> None:
    """A 400 (a body Discord would not take: a bug of ours) fails that digest, loudly, but does
    not pause the channel as a lost destination would: next week's digest goes out."""
    clock = ManualClock(T0)
    async with harness_factory(database_url=sqlite_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=T0)
        refusal = refuse_channel_posts(h, 400, "Invalid Form Body", 50035)
        sender = DiscordSender(h.bot)
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        with caplog.at_level(logging.ERROR, logger="bot.services.delivery"):
            await tick(h.bot.database, clock, sender)
        refusal.remove()
        clock.advance(timedelta(days=1))  # a paper of the next week
        await add_papers(
            h.bot.database, 1, authors=[(ada, "Ada Lovelace")], now=clock.now(), start=1
        )
        clock.advance(timedelta(days=6))
        await tick(h.bot.database, clock, sender)
        async with h.bot.database.reader() as session:
            schedule = await DigestScheduleRepository(session).get_for_target(
                "channel", TEXT_CHANNEL_ID
            )
            rows = (await session.execute(select(OutboxEntry).order_by(OutboxEntry.id))).scalars()
            statuses = [r.status for r in rows]
        delivered = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert schedule is not None and not schedule.paused
    assert statuses == ["failed", "sent"]
    assert footers(delivered[:1]) == ["2611.00001"]
    assert any("refused the message" in r.getMessage() for r in caplog.records)


class DeletingAfterFirstPost(DiscordSender):
    """Posts for real; after its first post the server's data is deleted (`/privacy
    delete-server` pressed while the digest is going out)."""

    def __init__(self, h: BotHarness) -> None:
        super().__init__(h.bot)
        self.database = h.bot.database

    async def send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        message_id = await super().send(*args, **kwargs)
        async with self.database.transaction() as session:
            await session.execute(delete(OutboxEntry))
        return message_id


async def test_a_digest_deleted_while_it_goes_out_sends_no_further_part(
    harness_factory, database_url
) -> None:
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h)
        await add_papers(
            h.bot.database,
            30,
            authors=[(ada, "Ada Lovelace")],
            now=T0,
            title="A long title about transformers " * 6,
            abstract_words=200,
        )
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=UTC))
        sent = await tick(h.bot.database, clock, DeletingAfterFirstPost(h))
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert sent == 0  # withdrawn, not sent
    assert len(messages) == 1  # the part already posted; none of the others
