"""Read-before-retry (docs/operations.md#the-outbox): a retry finds a part posted before a crash.

A worker claims a row, posts, and dies before marking. When Discord has forgotten the nonce
(`fake.forget_nonces()`), only the marker in our own recent message can stop a second post.
Real bot, fake Discord, SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.discord_sender import DiscordSender
from bot.services.delivery import DeliveryService
from bot.services.digests import digest_message_parts
from bot.services.outbox_parts import OutboxParts
from bot.services.sending import marker_for, nonce_for
from db.database import Database
from db.models import OutboxEntry
from db.repositories.outbox import OutboxRepository
from tests.e2e.digest_support import add_papers, unmarked
from tests.e2e.test_alert_delivery import NOW, seed_alert
from tests.e2e.test_digest_delivery import T0, channel_digest, footers, seed_followed
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.payloads import MEMBER_ID, TEXT_CHANNEL_ID
from tests.harness.services import planner

HISTORY = rf"/channels/{TEXT_CHANNEL_ID}/messages"
ANY_HISTORY = r"/channels/\d+/messages"


async def crash_after_posting(
    h: BotHarness, service: DeliveryService, sender: DiscordSender, *, now: datetime, parts: int = 1
) -> tuple[OutboxEntry, list[str]]:
    """A dead worker claims the due row, posts its first `parts` parts, and marks none."""
    async with h.bot.database.transaction() as session:
        (claimed,) = await OutboxRepository(session).claim(
            "dead-worker", limit=5, lease_seconds=120, now=now
        )
    rendered = await OutboxParts(h.bot.database).of(claimed)
    posted = [
        await sender.send(
            claimed.destination_kind,
            claimed.destination_id,
            rendered[index],
            nonce=nonce_for(claimed.id, index),
            marker=marker_for(claimed.id, index),
        )
        for index in range(parts)
    ]
    return claimed, posted


async def stored(database: Database, entry_id: int) -> OutboxEntry:
    async with database.reader() as session:
        entry = await OutboxRepository(session).get(entry_id)
    assert entry is not None
    return entry


@pytest.mark.parametrize("kind", ["channel", "user"])
async def test_crash_outside_the_nonce_window_leaves_one_alert(
    harness_factory, database_url, kind
) -> None:
    clock = ManualClock(NOW)
    destination = TEXT_CHANNEL_ID if kind == "channel" else MEMBER_ID
    async with harness_factory(database_url=database_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind=kind, destination_id=destination
        )
        sender = DiscordSender(h.bot)
        service = DeliveryService(
            h.bot.database, sender, OutboxParts(h.bot.database), clock, "survivor"
        )
        _, (posted,) = await crash_after_posting(h, service, sender, now=NOW)
        channel_id = TEXT_CHANNEL_ID if kind == "channel" else h.fake.dm_channels[str(MEMBER_ID)]
        marker = marker_for(entry_id, 0)
        # Newer messages that must not be taken for ours: someone else's with our marker, and
        # ours with a marker that only starts like it.
        h.fake.add_message(channel_id, f"copied\n-# {marker}", author=h.fake.owner)
        h.fake.add_message(channel_id, f"another\n-# {marker}1")
        h.fake.forget_nonces()  # Discord's nonce window has passed: the nonce no longer dedupes

        assert (await service.deliver_due()).sent == 0  # still leased
        clock.set(NOW + timedelta(minutes=30))
        report = await service.deliver_due()
        ours = [
            m
            for m in h.fake.channel_messages(channel_id)
            if m["author"]["id"] == h.fake.bot_user["id"] and not m["content"].startswith("another")
        ]
        posts = h.fake.find("POST", ANY_HISTORY)
        entry = await stored(h.bot.database, entry_id)

    assert report.sent == 1
    assert [m["id"] for m in ours] == [posted]  # exactly one alert is visible
    assert len(posts) == 1  # the dead worker's post; the retry found it instead of posting
    assert unmarked(ours[0])["embeds"][0]["footer"]["text"] == "arXiv:2412.03555v1"
    assert entry.status == "sent" and entry.attempts == 2 and entry.message_ids == [posted]


async def test_a_first_attempt_never_reads_history_and_a_retry_reads_before_posting(
    harness_factory, database_url
) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=database_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="channel", destination_id=TEXT_CHANNEL_ID
        )
        h.fake.fail("POST", HISTORY, 503, {"message": "upstream down", "code": 0}, times=1)
        service = DeliveryService(
            h.bot.database, DiscordSender(h.bot), OutboxParts(h.bot.database), clock, "test"
        )
        assert (await service.deliver_due()).retried == 1  # attempt 1: POST answered 503
        reads_on_first_attempt = h.fake.find("GET", ANY_HISTORY)
        clock.set((await stored(h.bot.database, entry_id)).not_before)
        assert (await service.deliver_due()).sent == 1  # attempt 2
        requests = h.fake.find(path=ANY_HISTORY)
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert reads_on_first_attempt == []
    assert [(r.method, r.status) for r in requests] == [("POST", 503), ("GET", 200), ("POST", 200)]
    assert requests[1].query.get("limit") == "20"
    assert len(messages) == 1


@pytest.mark.parametrize(
    ("style", "papers"),
    [("full", 25), ("compact", 60)],  # three messages or more in each style
)
async def test_a_digest_crashed_after_its_first_part_resumes_at_the_second(
    harness_factory, database_url, style: str, papers: int
) -> None:
    """Full: the marker ends the last card's footer; compact: it is in the card menu's id."""
    clock = ManualClock(T0)
    async with harness_factory(database_url=database_url, clock=clock) as h:
        (ada,) = await seed_followed(h)
        await channel_digest(h, style=style)
        await add_papers(
            h.bot.database,
            papers,
            authors=[(ada, "Ada Lovelace")],
            now=T0,
            abstract_words=200,
            title="A long title about transformers " * 6,
        )
        clock.set(datetime(2026, 10, 11, 7, 0, tzinfo=T0.tzinfo))
        await planner(h.bot.database, clock).plan_due()
        sender = DiscordSender(h.bot)
        service = DeliveryService(
            h.bot.database, sender, OutboxParts(h.bot.database), clock, "survivor"
        )
        claimed, (first,) = await crash_after_posting(h, service, sender, now=clock.now())
        parts = await digest_message_parts(h.bot.database, claimed.payload)
        h.fake.forget_nonces()

        clock.advance(timedelta(minutes=30))
        assert (await service.deliver_due()).sent == 1
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        posts = h.fake.find("POST", HISTORY)
        reads = h.fake.find("GET", HISTORY)
        entry = await stored(h.bot.database, claimed.id)

    assert len(parts) >= 3
    assert len(messages) == len(parts) and messages[0]["id"] == first  # part 1 not posted again
    assert len(posts) == len(parts)  # the dead worker's part 1, then parts 2.. by the survivor
    assert [p.json["nonce"] for p in posts] == [nonce_for(claimed.id, i) for i in range(len(parts))]
    assert footers(messages) == [f"2611.{i:05d}" for i in range(papers)]  # none lost, in order
    assert len(reads) == 2  # part 1 found; part 2 not, so the later parts were posted unread
    assert entry.status == "sent" and entry.message_ids == [m["id"] for m in messages]


async def test_a_text_only_notice_is_found_by_its_subtext_marker(
    harness_factory, database_url
) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=database_url) as h:
        async with h.bot.database.transaction() as session:
            entry_id = await OutboxRepository(session).enqueue(
                kind="notice",
                dedupe_key="notice:test",
                destination_kind="channel",
                destination_id=TEXT_CHANNEL_ID,
                payload={"source": "arxiv_api", "kind": "recovered"},  # type: ignore[arg-type]
                now=NOW,
            )
        assert entry_id is not None
        sender = DiscordSender(h.bot)
        service = DeliveryService(
            h.bot.database, sender, OutboxParts(h.bot.database), clock, "survivor"
        )
        _, (posted,) = await crash_after_posting(h, service, sender, now=NOW)
        h.fake.forget_nonces()
        clock.set(NOW + timedelta(minutes=30))
        assert (await service.deliver_due()).sent == 1
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        entry = await stored(h.bot.database, entry_id)

    (message,) = messages
    assert message["id"] == posted and message["embeds"] == []
    assert message["content"] == (
        f"arXiv API works again; papers missed meanwhile will be caught up.\n-# ref {entry_id}.0"
    )
    assert entry.status == "sent" and entry.message_ids == [posted]


async def test_unreadable_history_counts_as_not_found(harness_factory, sqlite_url) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=sqlite_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="channel", destination_id=TEXT_CHANNEL_ID
        )
        # No Read Message History permission: reading is refused, posting is not.
        h.fake.fail("GET", HISTORY, 403, {"message": "Missing Access", "code": 50001}, times=None)
        sender = DiscordSender(h.bot)
        service = DeliveryService(
            h.bot.database, sender, OutboxParts(h.bot.database), clock, "survivor"
        )
        await crash_after_posting(h, service, sender, now=NOW)  # inside the nonce window
        clock.set(NOW + timedelta(minutes=3))
        report = await service.deliver_due()
        reads = h.fake.find("GET", HISTORY)
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)
        entry = await stored(h.bot.database, entry_id)

    assert report.sent == 1  # not failed: the part was posted again, and the nonce deduped it
    assert [r.status for r in reads] == [403]
    assert len(messages) == 1
    assert entry.status == "sent" and entry.message_ids == [messages[0]["id"]]


async def test_a_transient_read_failure_retries_later_without_posting(
    harness_factory, sqlite_url
) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=sqlite_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="channel", destination_id=TEXT_CHANNEL_ID
        )
        h.fake.fail("GET", HISTORY, 503, {"message": "upstream down", "code": 0}, times=1)
        sender = DiscordSender(h.bot)
        service = DeliveryService(
            h.bot.database, sender, OutboxParts(h.bot.database), clock, "survivor"
        )
        _, (posted,) = await crash_after_posting(h, service, sender, now=NOW)
        h.fake.forget_nonces()
        clock.set(NOW + timedelta(minutes=3))
        assert (await service.deliver_due()).retried == 1  # could not look: do not post blindly
        posts_after_failed_read = len(h.fake.find("POST", HISTORY))
        clock.set((await stored(h.bot.database, entry_id)).not_before)
        assert (await service.deliver_due()).sent == 1
        messages = h.fake.channel_messages(TEXT_CHANNEL_ID)

    assert posts_after_failed_read == 1  # only the dead worker's
    assert [m["id"] for m in messages] == [posted]
