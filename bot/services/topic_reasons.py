"""Why a paper is here through a followed topic: `topic “query” (matched: words)`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.topics import TopicRepository


async def topic_reasons(
    session: AsyncSession, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """(topic id, paper id) -> `topic “query” (matched: vision transformer)`: a topic's *why*
    (a topic unfollowed since reads "a topic you followed")."""
    if not pairs:
        return {}
    repo = TopicRepository(session)
    queries = await repo.queries(t for t, _ in pairs)
    terms = await repo.matched_terms(pairs)
    return {(t, p): topic_reason(queries.get(t), terms.get((t, p), ())) for t, p in pairs}


def topic_reason(query: str | None, terms: tuple[str, ...]) -> str:
    """`topic “vision transformer” (matched: vision transformer, cat:cs.CV)`."""
    return topic_label(query) + (f" (matched: {', '.join(terms)})" if terms else "")


def topic_label(query: str | None) -> str:
    """`topic “vision transformer”`: the heading a compact digest lists its papers under."""
    return f"topic “{query}”" if query is not None else "a topic you followed"
