"""Why a paper is here through a followed topic: the topic, and the terms it matched."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.topics import TopicRepository

GONE = "a topic you followed"  # a topic unfollowed since the paper was matched


@dataclass(frozen=True, slots=True)
class TopicWhy:
    """`label`: `topic “vision transformer”`; `terms`: what matched (`vision transformer`,
    `cat:cs.CV`)."""

    label: str
    terms: tuple[str, ...]

    @property
    def text(self) -> str:
        """`topic “vision transformer” (matched: vision transformer, cat:cs.CV)`."""
        return self.label + (f" (matched: {', '.join(self.terms)})" if self.terms else "")


def topic_label(query: str | None) -> str:
    return f"topic “{query}”" if query is not None else GONE


async def topic_whys(
    session: AsyncSession, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], TopicWhy]:
    """(topic id, paper id) -> its `TopicWhy`."""
    if not pairs:
        return {}
    repo = TopicRepository(session)
    queries = await repo.queries(t for t, _ in pairs)
    terms = await repo.matched_terms(pairs)
    return {(t, p): TopicWhy(topic_label(queries.get(t)), terms.get((t, p), ())) for t, p in pairs}
