"""Storing the listing papers that topic follows matched: one fenced transaction writes the
papers (merged by identifier like every work), their topic links and the instant alerts those
new links trigger (docs/product.md#topic-follows).

An alert shares its dedupe key with an author follow's (`alert:<user|channel>:<id>:<paper>`):
a paper a destination gets through an author and a topic is announced to it once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.author_fetch import paper_record
from bot.sources.models import Paper
from db.repositories.outbox import OutboxRepository, OutboxRow
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from db.repositories.topics import TopicMatch, TopicRepository

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TopicStoreResult:
    papers_new: int = 0
    links_made: int = 0
    alerts_enqueued: int = 0


async def store_topic_matches(
    session: AsyncSession,
    found: Sequence[tuple[Paper, Mapping[int, tuple[str, ...]]]],
    *,
    now: datetime,
) -> TopicStoreResult:
    """Store each paper with the topic follows (id -> terms that matched) it matched."""
    result = TopicStoreResult()
    records: dict[str, tuple[PaperRecord, Mapping[int, tuple[str, ...]]]] = {}
    for paper, topics in found:
        record = paper_record(paper)
        if record is None:
            log.warning("topic match %s has no date or category; not stored", paper.key)
            continue
        records[record.key] = (record, topics)
    if not records:
        return result
    papers = PaperRepository(session)
    upserted = await papers.upsert_many([r for r, _ in records.values()], now=now)
    result.papers_new = len(set(upserted.new.values()))
    ids = upserted.ids
    matches = [
        TopicMatch(topic_id, ids[key], terms)
        for key, (_, topics) in records.items()
        if key in ids
        for topic_id, terms in topics.items()
    ]
    new = await TopicRepository(session).add_links(matches, now=now)
    result.links_made = len(new)
    if not new:
        return result
    published = await papers.published_of({m.paper_id for m in new})
    rows = await _plan_alerts(session, new, published)
    if rows:
        result.alerts_enqueued = len(await OutboxRepository(session).enqueue_many(rows, now=now))
    return result


async def _plan_alerts(
    session: AsyncSession, new: Sequence[TopicMatch], published: Mapping[int, datetime]
) -> list[OutboxRow]:
    """One alert per (destination, paper) of the new links of instant topic follows whose
    creation is not after the paper's publication (priming, as for authors)."""
    follows = await TopicRepository(session).instant_of({m.topic_id for m in new})
    plans: dict[tuple[str, int, int], _Plan] = {}
    for follow in follows:
        for match in new:
            if match.topic_id != follow.id or published[match.paper_id] < follow.created_at:
                continue
            kind = "user" if follow.scope == "user" else "channel"
            plan = plans.setdefault(
                (kind, follow.target_id, match.paper_id), _Plan(follow.guild_id)
            )
            plan.topic_ids.append(follow.id)
    return [
        OutboxRow(
            kind="alert",
            dedupe_key=f"alert:{kind}:{target_id}:{paper_id}",
            destination_kind=kind,  # type: ignore[arg-type]
            destination_id=target_id,
            guild_id=plan.guild_id,
            payload={"paper_id": paper_id, "author_ids": [], "topic_ids": plan.topic_ids},
        )
        for (kind, target_id, paper_id), plan in sorted(plans.items())
    ]


@dataclass(slots=True)
class _Plan:
    guild_id: int | None
    topic_ids: list[int] = field(default_factory=list)
