"""The screen gallery: PaperScout's main screens drawn from the bot's real payloads.

    .venv/bin/python scripts/gallery.py     # writes docs/gallery/*.png and docs/gallery.md
    .venv/bin/python scripts/gallery.py --out DIR   # the pictures in DIR, the index beside it

The real bot runs against the fake Discord and the fake upstream of the test suite (recorded
fixtures, loopback only) on a scratch SQLite file; each screen is what the bot actually sent
(the message JSON and its chart), drawn by `scripts/discord_render.py` at a phone's width (390
pixels) and, for the profile and the digests, a desktop's (800). `docs/gallery.md` lists them
with what each costs a reader: messages, characters and the height on the phone. Run it again in
the same change as any layout change.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from bot.discord_sender import DiscordSender
from bot.services.delivery import DeliveryService
from bot.services.outbox_parts import OutboxParts
from db.repositories.follows import FollowRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository
from scripts.discord_render import render, stack
from tests.discord.author_support import NOW, paper, seed_author, upstream_settings
from tests.e2e.digest_support import add_authors, follow
from tests.e2e.test_alert_delivery import seed_alert
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_discord import FakeDiscord
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.payloads import (
    GUILD_ID,
    MEMBER_ID,
    MODERATOR_PERMISSIONS,
    OWNER_ID,
    TEXT_CHANNEL_ID,
)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "gallery"
PHONE, DESKTOP = 390, 800
WEEK_DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Zurich
# A realistic week: ten papers of three followed authors, titles of real lengths.
WEEK = [
    ("Heather Piwowar", "cs.DL", "Open access trends in the scholarly record, 2014-2024"),
    ("Heather Piwowar", "cs.DL", "Who cites data? Reuse of shared research datasets at scale"),
    ("Heather Piwowar", "cs.CY", "Incentives for data sharing in the life sciences: a survey"),
    ("Heather Piwowar", "cs.DL", "An index of open scholarly works and the citations between them"),
    ("Andreas Steiner", "cs.CV", "PaliGemma 2: A Family of Versatile VLMs for Transfer"),
    ("Andreas Steiner", "cs.CV", "How to train your ViT? Data, augmentation, and regularization"),
    ("Andreas Steiner", "cs.LG", "Scaling vision transformers to 22 billion parameters"),
    ("Carl Boettiger", "q-bio.PE", "Early warning signals: the charted and uncharted territories"),
    ("Carl Boettiger", "stat.AP", "Ecological forecasting with uncertainty: a practical guide"),
    ("Carl Boettiger", "q-bio.PE", "Tipping points and resilience in managed fisheries"),
]


def small(picture: Image.Image) -> Image.Image:
    """A 64-colour copy: a screen is flat colours and anti-aliased text (a third the bytes)."""
    return picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT)


def chars(message: dict[str, Any]) -> int:
    """Characters Discord counts: the text and every embed's."""
    total = len(message.get("content") or "")
    for embed in message.get("embeds") or []:
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        total += len((embed.get("footer") or {}).get("text") or "")
    return total


class Gallery:
    def __init__(self, h: BotHarness, out: Path) -> None:
        self.h = h
        self.out = out
        self.rows: list[tuple[str, str, int, int, int]] = []

    def images_of(self, message: dict[str, Any]) -> dict[str, bytes]:
        return {
            a["filename"]: self.h.fake.attachment_bytes[a["id"]]
            for a in message.get("attachments") or []
        }

    def save(
        self, slug: str, title: str, messages: list[dict[str, Any]], desktop: bool = False
    ) -> None:
        images: dict[str, bytes] = {}
        for message in messages:
            images |= self.images_of(message)
        phone = stack([render(m, PHONE, images) for m in messages])
        small(phone).save(self.out / f"{slug}.png", optimize=True)
        if desktop:
            wide = stack([render(m, DESKTOP, images) for m in messages])
            small(wide).save(self.out / f"{slug}-desktop.png", optimize=True)
        self.rows.append((slug, title, len(messages), sum(map(chars, messages)), phone.height))
        print(
            f"{slug}: {len(messages)} messages, {self.rows[-1][3]:,} characters, {phone.height} px"
        )


async def add_week(h: BotHarness, *, start: int, count: int, now: datetime) -> None:
    """`count` new papers of the followed authors (`WEEK`'s, round and round), stored and
    linked at `now` as the poll would."""
    async with h.bot.database.reader() as session:
        ids = {a.display_name: a.id for a in await FollowRepository(session).followed_authors()}
    records, links = [], []
    for n in range(start, start + count):
        name, category, title = WEEK[n % len(WEEK)]
        suffix = f" (part {n // len(WEEK) + 1})" if n >= len(WEEK) else ""
        records.append(
            PaperRecord(
                arxiv_id=f"2611.{10000 + n}",
                title=title + suffix,
                published=now - timedelta(days=1, minutes=n),
                updated=now - timedelta(days=1, minutes=n),
                primary_category=category,
                abstract=("We study " + title.lower() + ". ") * 6,
                authors=(
                    PaperAuthorRecord("Jason Priem", ("OurResearch",)),
                    PaperAuthorRecord(name, ("A Lab",)),
                    PaperAuthorRecord("Richard Orr", ()),
                    PaperAuthorRecord("Dana Kim", ()),
                ),
            )
        )
        links.append((ids[name], f"2611.{10000 + n}"))
    async with h.bot.database.transaction() as session:
        papers = PaperRepository(session)
        stored = (await papers.upsert_many(records, now=now)).ids
        await papers.link_authors([(a, stored[key], "name") for a, key in links], now=now)


async def week_of_papers(h: BotHarness, style_channel: str, style_dm: str) -> None:
    """Three followed authors, ten new papers, a channel digest and a DM digest."""
    names = sorted({name for name, _, _ in WEEK})
    ids = dict(
        zip(
            names,
            await add_authors(h.bot.database, names, now=NOW - timedelta(days=30)),
            strict=True,
        )
    )
    await follow(
        h.bot.database,
        list(ids.values()),
        now=NOW - timedelta(days=30),
        channel_id=TEXT_CHANNEL_ID,
        guild_id=GUILD_ID,
        user_id=OWNER_ID,
    )
    await follow(
        h.bot.database, list(ids.values()), now=NOW - timedelta(days=30), user_id=MEMBER_ID
    )
    await add_week(h, start=0, count=len(WEEK), now=NOW)
    digests = h.bot.services.digests
    await digests.setup_channel(
        guild_id=GUILD_ID,
        channel_id=TEXT_CHANNEL_ID,
        weekday=0,
        time_text="09:00",
        timezone="Europe/Zurich",
        user_id=OWNER_ID,
        style=style_channel,
    )
    await digests.setup_personal(
        user_id=MEMBER_ID, weekday=0, time_text="09:00", timezone="Europe/Zurich", style=style_dm
    )


async def citations_of_heather(h: BotHarness, upstream: FakeUpstream) -> None:
    """The member follows Heather Piwowar's citations instantly, the channel weekly; OpenAlex
    knows her "Who cites data?" and two works citing it (one hers: a self-citation)."""
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture="openalex/synthetic_works_filter-doi-arxiv-2306.05678.json",
        content_type="application/json",
        query={"filter": re.compile("^doi:")},
    )
    upstream.add_route(
        "GET",
        "/openalex/works",
        fixture="openalex/synthetic_works_filter-cites_two-citing.json",
        content_type="application/json",
        query={"filter": re.compile("^cites:"), "cursor": re.compile("")},
    )
    await h.slash("follow citations", author="Heather Piwowar", notify="instant")
    await h.slash(
        "follow citations",
        author="Heather Piwowar",
        scope="channel",
        permissions=MODERATOR_PERMISSIONS,
    )


async def capture(folder: Path, out: Path) -> Gallery:
    clock = ManualClock(NOW)
    async with FakeDiscord() as fake, FakeUpstream() as upstream:
        harness = BotHarness(
            fake,
            database_url=f"sqlite+aiosqlite:///{folder / 'gallery.db'}",
            clock=clock,
            settings=upstream_settings(upstream),
        )
        async with harness as h:
            gallery = Gallery(h, out)
            profile = await h.slash("author profile", name="Heather Piwowar")
            gallery.save("profile", "`/author profile`", [profile.original_message], desktop=True)

            await seed_author(
                h.bot.database,
                "Mara Many",
                [
                    paper(
                        f"2501.{i:05d}",
                        title=f"A small result, number {i}",
                        published=NOW - timedelta(days=40 * i),
                        authors=["Mara Many"],
                    )
                    for i in range(1, 4)
                ],
                h_index=4,
                citations=60,
                works_count=9,
                counts_by_year=[
                    {"year": y, "works_count": 2, "cited_by_count": 5 + 3 * (y - 2020)}
                    for y in range(2020, 2026)
                ],
                affiliations=["Small College"],
            )
            compare = await h.slash("author compare", first="Heather Piwowar", second="Mara Many")
            gallery.save("compare", "`/author compare`", [compare.original_message])

            entry = await seed_alert(
                h.bot.database, destination_kind="user", destination_id=MEMBER_ID
            )
            del entry
            sender = DiscordSender(h.bot)
            delivery = DeliveryService(
                h.bot.database, sender, OutboxParts(h.bot.database), clock, "gallery"
            )
            await delivery.deliver_due()
            gallery.save("alert", "an alert (DM)", fake.dm_messages(MEMBER_ID)[-1:])

            await citations_of_heather(h, upstream)
            await h.bot.services.citations.run()
            await delivery.deliver_due()
            gallery.save(
                "citation-alert", "a citation alert (DM)", fake.dm_messages(MEMBER_ID)[-1:]
            )
            dms_before = len([m for m in fake.dm_messages(MEMBER_ID) if m.get("nonce")])

            await week_of_papers(h, style_channel="compact", style_dm="full")
            clock.set(WEEK_DUE)
            await h.bot.plan_tick()
            await delivery.deliver_due()
            gallery.save(
                "digest-compact",
                "a weekly digest, compact (the default), with new citations",
                [m for m in fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce")],
                desktop=True,
            )
            dms = [m for m in fake.dm_messages(MEMBER_ID) if m.get("nonce")][dms_before:]
            gallery.save("digest-full", "the same week, `style:full`", dms, desktop=True)
            picked = next(m for m in fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce"))
            row = picked["components"][0]["components"][0]
            card = await h.component(
                row["custom_id"], message=picked, values=[row["options"][0]["value"]]
            )
            gallery.save(
                "digest-card",
                "a paper's card, picked under a compact digest",
                card.user_messages[-1:],
            )

            # A busy week: 60 papers of the same three authors, in the compact style.
            await add_week(h, start=100, count=60, now=WEEK_DUE + timedelta(days=5))
            clock.set(WEEK_DUE + timedelta(days=7))
            before = len([m for m in fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce")])
            await h.bot.plan_tick()
            await delivery.deliver_due()
            busy = [m for m in fake.channel_messages(TEXT_CHANNEL_ID) if m.get("nonce")][before:]
            gallery.save("digest-compact-60", "a busy week, 60 papers, compact", busy)

            topic = await h.slash("follow topic", query='"open access" OR citation AND NOT survey')
            gallery.save(
                "topic-preview",
                "`/follow topic`: what the query would have matched, before saving it",
                topic.user_messages[-1:],
            )
            mine = await h.slash("privacy show")
            gallery.save("privacy-show", "`/privacy show` (private)", mine.user_messages[-1:])
            deleting = await h.slash("privacy delete")
            gallery.save(
                "privacy-delete",
                "`/privacy delete`, before the confirm",
                deleting.user_messages[-1:],
            )

            member = await h.slash("status")
            gallery.save("status", "`/status` (a member)", member.user_messages[-1:])
            moderator = await h.slash("status", permissions=MODERATOR_PERMISSIONS)
            gallery.save(
                "status-moderator", "`/status` (Manage Server)", moderator.user_messages[-1:]
            )

            # Any other search finds nobody (as in tests/discord/test_follow_commands.py).
            upstream.add_route(
                "GET",
                "/openalex/authors",
                fixture="openalex/synthetic_authors_search-empty.json",
                content_type="application/json",
            )
            typo = await h.slash("follow author", name="Heather Piwowarz")
            gallery.save(
                "error", "an error: an unknown author, with suggestions", typo.user_messages[-1:]
            )
    return gallery


def write_index(gallery: Gallery) -> None:
    lines = [
        "# Screen gallery",
        "",
        "PaperScout's main screens as a member sees them, drawn from the payloads the real bot",
        "sent (the fake Discord and fake upstream of the tests) by `scripts/gallery.py`, at a",
        "phone's width (390 pixels; the profile and the digests also at a desktop's, 800). The",
        "drawing is an approximation of Discord's dark theme (`scripts/discord_render.py`), good",
        "enough to judge a layout and its length. Regenerate with",
        "`.venv/bin/python scripts/gallery.py` in the same change as a layout.",
        "",
        "| screen | messages | characters | height on a phone |",
        "| --- | --- | --- | --- |",
    ]
    for slug, title, messages, characters, height in gallery.rows:
        lines.append(
            f"| [{title}](gallery/{slug}.png) | {messages} | {characters:,} | {height:,} px |"
        )
    lines.append("")
    for slug, title, *_ in gallery.rows:
        lines += [f"## {title}", "", f"![{title}](gallery/{slug}.png)", ""]
        if (gallery.out / f"{slug}-desktop.png").exists():
            lines += [f"Desktop: [gallery/{slug}-desktop.png](gallery/{slug}-desktop.png)", ""]
    (gallery.out.parent / "gallery.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the pictures go")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gallery-") as folder:
        gallery = asyncio.run(capture(Path(folder), out))
    write_index(gallery)


if __name__ == "__main__":
    main()
