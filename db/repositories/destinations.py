"""Every channel PaperScout posts to: channel follows (authors, citations, topics) and channel
digests, for `paperscout doctor`'s permission checks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CitationFollow, DigestSchedule, Follow, TopicFollow

# What posts to a channel, as the doctor names it.
USES = (
    (Follow, "author follows"),
    (CitationFollow, "citation follows"),
    (TopicFollow, "topic follows"),
)


async def channel_destinations(session: AsyncSession) -> dict[tuple[int | None, int], list[str]]:
    """(guild id, channel id) -> what posts there ("weekly digest", "author follows", ...)."""
    found: dict[tuple[int | None, int], list[str]] = {}
    digests = await session.execute(
        select(DigestSchedule.guild_id, DigestSchedule.target_id).where(
            DigestSchedule.target_kind == "channel"
        )
    )
    for guild_id, channel_id in digests:
        found.setdefault((guild_id, channel_id), []).append("weekly digest")
    for model, use in USES:
        rows = await session.execute(
            select(model.guild_id, model.channel_id)
            .where(model.scope == "channel", model.channel_id.is_not(None))
            .distinct()
        )
        for guild_id, channel_id in rows:
            uses = found.setdefault((guild_id, channel_id), [])
            if use not in uses:
                uses.append(use)
    return found
