"""Test helpers for digests: followed authors, new papers, one tick.

Shared by tests/e2e/test_digest_*.py, tests/discord/test_digest_*.py, the multi-process
worker and the benchmark's correctness check; nothing here talks to Discord.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.services.delivery import DeliveryService
from bot.services.outbox_parts import OutboxParts
from bot.services.sending import Sender
from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.follows import FollowRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.services import planner

MARKER = re.compile(r"( · |\n-# |^-# )ref \d+\.\d+$")


def unmarked(message: Mapping) -> dict:
    """A posted message as users read it, without the delivery marker (`bot.render.outbox`)."""
    embeds = [dict(e) for e in message.get("embeds") or []]
    for embed in embeds:
        if embed.get("footer"):
            embed["footer"] = {**embed["footer"], "text": MARKER.sub("", embed["footer"]["text"])}
    return {**message, "content": MARKER.sub("", message.get("content") or ""), "embeds": embeds}


async def add_authors(database: Database, names: Sequence[str], *, now: datetime) -> list[int]:
    """Authors (with OpenAlex ids) by display name; returns their ids in order."""
    ids = []
    async with database.transaction() as session:
        repo = AuthorRepository(session)
        for index, name in enumerate(names):
            author = await repo.upsert(
                display_name=name, openalex_id=f"A9{index:09d}{len(name)}", now=now
            )
            ids.append(author.id)
    return ids


async def follow(
    database: Database,
    author_ids: Sequence[int],
    *,
    now: datetime,
    channel_id: int | None = None,
    guild_id: int | None = None,
    user_id: int,
    notify: str = "weekly",
) -> None:
    """Follow authors for a channel (channel_id given) or for the user."""
    async with database.transaction() as session:
        repo = FollowRepository(session)
        for author_id in author_ids:
            await repo.add(
                author_id=author_id,
                scope="channel" if channel_id is not None else "user",
                user_id=user_id,
                channel_id=channel_id,
                guild_id=guild_id,
                notify=notify,  # type: ignore[arg-type]
                now=now,
            )


async def add_papers(
    database: Database,
    count: int,
    *,
    authors: Sequence[tuple[int, str]],
    now: datetime,
    prefix: str = "2611",
    start: int = 0,
    abstract_words: int = 80,
    title: str | None = None,
) -> list[int]:
    """`count` new papers first seen at `now`, each by every (author id, name) in `authors`."""
    records = [
        PaperRecord(
            arxiv_id=f"{prefix}.{start + i:05d}",
            title=title or f"Paper {start + i}: results on topic {start + i} *bold* @everyone",
            published=now - timedelta(hours=1),
            updated=now - timedelta(hours=1),
            primary_category="cs.LG",
            abstract=" ".join(f"word{j}" for j in range(abstract_words)),
            authors=(
                *(PaperAuthorRecord(name, ("Some Lab",)) for _, name in authors),
                PaperAuthorRecord("Co Author", ()),
            ),
        )
        for i in range(count)
    ]
    async with database.transaction() as session:
        repo = PaperRepository(session)
        result = await repo.upsert_many(records, now=now)
        ids = [result.ids[r.arxiv_id] for r in records]
        await repo.link_authors(
            [(author_id, paper_id, "name") for paper_id in ids for author_id, _ in authors],
            now=now,
        )
    return ids


async def tick(database: Database, clock: ManualClock, sender: Sender) -> int:
    """One planning tick and one delivery tick at the clock's time; returns messages sent."""
    await planner(database, clock).plan_due()
    report = await DeliveryService(
        database, sender, OutboxParts(database), clock, worker_id="test"
    ).deliver_due()
    return report.sent
