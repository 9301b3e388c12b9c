"""Alerts leave the outbox exactly once: real bot, fake Discord, both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.discord_sender import DiscordSender
from bot.services.delivery import DeliveryReport, DeliveryService
from bot.services.outbox_parts import OutboxParts
from bot.services.sending import marker_for, nonce_for
from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.outbox import OutboxRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.payloads import MEMBER_ID, TEXT_CHANNEL_ID

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def seed_alert(database: Database, *, destination_kind: str, destination_id: int) -> int:
    """A followed author, one paper of theirs, and an alert row for it."""
    async with database.transaction() as session:
        author = await AuthorRepository(session).upsert(
            display_name="Andreas Steiner", openalex_id="A5000000001", now=NOW
        )
        result = await PaperRepository(session).upsert_many(
            [
                PaperRecord(
                    arxiv_id="2412.03555",
                    title="PaliGemma 2: @everyone *A Family* of Versatile VLMs",
                    published=NOW - timedelta(days=1),
                    updated=NOW - timedelta(days=1),
                    primary_category="cs.CV",
                    abstract="PaliGemma 2 is an upgrade of the PaliGemma open model. " * 10,
                    authors=(
                        PaperAuthorRecord("A. Steiner", ("Google DeepMind",)),
                        PaperAuthorRecord("André Susano Pinto", ()),
                        PaperAuthorRecord("Michael Tschannen", ()),
                        PaperAuthorRecord("Someone Else", ()),
                    ),
                )
            ],
            now=NOW,
        )
        paper_id = result.ids["2412.03555"]
        entry_id = await OutboxRepository(session).enqueue(
            kind="alert",
            dedupe_key=f"alert:{destination_kind}:{destination_id}:{paper_id}",
            destination_kind=destination_kind,
            destination_id=destination_id,
            payload={"paper_id": paper_id, "author_ids": [author.id]},
            now=NOW,
        )
    assert entry_id is not None
    return entry_id


def delivery(h: BotHarness, clock: ManualClock) -> DeliveryService:
    return DeliveryService(
        h.bot.database, DiscordSender(h.bot), OutboxParts(h.bot.database), clock, worker_id="test"
    )


async def test_alert_dm_sent_once_with_the_paper_card(harness_factory, database_url) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=database_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="user", destination_id=MEMBER_ID
        )
        service = delivery(h, clock)

        report = await service.deliver_due()
        assert report.sent == 1
        assert (await service.deliver_due()).sent == 0  # sent rows are never claimed again

        (message,) = h.fake.dm_messages(MEMBER_ID)
        assert message["content"] == "New paper by Andreas Steiner"
        (embed,) = message["embeds"]
        assert embed["url"] == "https://arxiv.org/abs/2412.03555"
        assert "@\u200beveryone" in embed["title"]  # cannot ping
        assert "\\*A Family\\*" in embed["title"]  # markdown from outside is escaped
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Authors"].startswith("**A. Steiner**, André Susano Pinto, Michael Tschannen")
        assert (
            fields["Authors"].endswith("et al.")
            and fields["Category"] == "cs.CV · Computer Vision and Pattern Recognition"
        )
        assert len(embed["description"]) <= 300
        post = h.fake.find("POST", r"/channels/\d+/messages")[-1]
        assert post.json["allowed_mentions"]["parse"] == []
        assert post.json["nonce"] == nonce_for(entry_id, 0)
        async with h.bot.database.reader() as session:
            entry = await OutboxRepository(session).get(entry_id)
        assert entry is not None and entry.status == "sent" and entry.message_ids == [message["id"]]


async def test_crash_after_posting_before_marking_shows_one_message(
    harness_factory, sqlite_url
) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=sqlite_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="channel", destination_id=TEXT_CHANNEL_ID
        )
        service = delivery(h, clock)
        async with h.bot.database.transaction() as session:  # a first worker claims ...
            (claimed,) = await OutboxRepository(session).claim(
                "dead-worker", limit=5, lease_seconds=120, now=NOW
            )
        part = await OutboxParts(h.bot.database).of(claimed)  # ... posts, dies before marking
        await DiscordSender(h.bot).send(
            "channel",
            TEXT_CHANNEL_ID,
            part[0],
            nonce=nonce_for(entry_id, 0),
            marker=marker_for(entry_id, 0),
        )

        assert (await service.deliver_due()).sent == 0  # leased: not yet claimable
        clock.set(NOW + timedelta(minutes=3))  # the lease has expired
        assert (await service.deliver_due()).sent == 1
        assert len(h.fake.channel_messages(TEXT_CHANNEL_ID)) == 1  # found in history, or same nonce


async def test_closed_dms_fail_for_good(harness_factory, sqlite_url) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=sqlite_url) as h:
        h.fake.close_dms(MEMBER_ID)
        dm_entry = await seed_alert(
            h.bot.database, destination_kind="user", destination_id=MEMBER_ID
        )
        service = delivery(h, clock)
        assert (await service.deliver_due()).failed == 1
        clock.advance(timedelta(hours=2))
        assert await service.deliver_due() == DeliveryReport()  # never retried
        async with h.bot.database.reader() as session:
            entry = await OutboxRepository(session).get(dm_entry)
        assert entry is not None and entry.status == "failed"
        assert "50007" in (entry.last_error or "")
        assert h.fake.dm_messages(MEMBER_ID) == []


async def test_discord_5xx_is_retried_later_with_backoff(harness_factory, sqlite_url) -> None:
    clock = ManualClock(NOW)
    async with harness_factory(database_url=sqlite_url) as h:
        entry_id = await seed_alert(
            h.bot.database, destination_kind="channel", destination_id=TEXT_CHANNEL_ID
        )
        h.fake.fail(
            "POST",
            rf"/channels/{TEXT_CHANNEL_ID}/messages",
            503,
            {"message": "upstream down", "code": 0},
            times=1,
        )
        service = delivery(h, clock)
        assert (await service.deliver_due()).retried == 1
        assert await service.deliver_due() == DeliveryReport()  # backing off: not yet due
        async with h.bot.database.reader() as session:
            entry = await OutboxRepository(session).get(entry_id)
        assert entry is not None and entry.status == "pending" and entry.not_before > NOW
        clock.set(entry.not_before)
        assert (await service.deliver_due()).sent == 1
        assert len(h.fake.channel_messages(TEXT_CHANNEL_ID)) == 1
