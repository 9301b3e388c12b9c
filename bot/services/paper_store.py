"""Storing matched papers: one transaction writes the papers, their author links and the
instant alerts those new links trigger.

Every path that stores an author's papers goes through here (the poll, the OpenAlex works feed,
an author's paper history fetched by a profile or a follow), so priming and exactly-once alerts
hold whoever stores first: a paper published before a follow was made is never announced to
it, and an alert is planned once per destination and paper (the outbox's dedupe key).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.author_fetch import paper_record
from bot.services.cutoff_fence import CutoffFence
from bot.sources.models import Paper
from db.database import Database
from db.repositories.follows import FollowRepository
from db.repositories.outbox import OutboxRepository, OutboxRow
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StoreResult:
    """What storing one batch of accepted matches wrote."""

    papers_new: int = 0
    papers_updated: int = 0
    links_made: int = 0
    alerts_enqueued: int = 0


class PaperLink(Protocol):
    """`paper` is by followed author `author_id`; `matched_by` says how that was decided
    (an `AcceptedMatch` of the name matcher, or an identity match of the OpenAlex works feed)."""

    @property
    def paper(self) -> Paper: ...

    @property
    def author_id(self) -> int: ...

    @property
    def matched_by(self) -> str: ...


async def store_matches(
    session: AsyncSession, matches: Sequence[PaperLink], *, now: datetime
) -> StoreResult:
    """Store the papers of `matches`, link their authors and plan the instant alerts.

    A constant number of statements per batch (upsert, links, follows, outbox), whatever its
    size. Runs in the caller's transaction.
    """
    result = StoreResult()
    newest: dict[str, Paper] = {}  # a paper matched for several authors is converted once
    for match in matches:
        known = newest.get(match.paper.key)
        if known is None or (match.paper.version or 0) > (known.version or 0):
            newest[match.paper.key] = match.paper
    records: dict[str, PaperRecord] = {}
    for key, paper in newest.items():
        record = paper_record(paper)
        if record is None:
            log.warning("paper %s has no date or category; not stored", key)
            continue
        records[key] = record
    if not records:
        return result
    papers = PaperRepository(session)
    authors_of: dict[str, set[int]] = {}
    for match in matches:
        authors_of.setdefault(match.paper.key, set()).add(match.author_id)
    upserted = await papers.upsert_many(records.values(), now=now, authors_of=authors_of)
    # Distinct works: two records of one work (its arXiv and OpenAlex records) are one paper.
    result.papers_new = len(set(upserted.new.values()))
    result.papers_updated = len(set(upserted.updated.values()) - set(upserted.new.values()))
    ids = upserted.ids
    pairs = [(m.author_id, ids[m.paper.key], m.matched_by) for m in matches if m.paper.key in ids]
    new_links = await papers.link_authors(pairs, now=now)
    result.links_made = len(new_links)
    if not new_links:
        return result
    # The work's earliest appearance decides priming: a journal version of a preprint that
    # predates a follow is as old as the preprint.
    published = await papers.published_of({paper_id for _, paper_id in new_links})
    rows = await _plan_alerts(session, pairs, new_links, published)
    if rows:
        created = await OutboxRepository(session).enqueue_many(rows, now=now)
        result.alerts_enqueued = len(created)
    return result


async def _plan_alerts(
    session: AsyncSession,
    pairs: Sequence[tuple[int, int, str]],
    new_links: Sequence[tuple[int, int]],
    published: dict[int, datetime],
) -> list[OutboxRow]:
    """One alert per (destination, paper) reached through a new link and a primed-in follow."""
    alert_papers = {paper_id for _, paper_id in new_links}
    authors_on: dict[int, set[int]] = {}
    for author_id, paper_id, _ in pairs:
        if paper_id in alert_papers:
            authors_on.setdefault(paper_id, set()).add(author_id)
    papers_of: dict[int, set[int]] = {}
    for paper_id, author_ids in authors_on.items():
        for author_id in author_ids:
            papers_of.setdefault(author_id, set()).add(paper_id)
    follows = await FollowRepository(session).instant_followers_of(sorted(papers_of))
    fresh = set(new_links)
    plans: dict[tuple[str, int, int], _AlertPlan] = {}
    for follow in follows:
        for paper_id in papers_of.get(follow.author_id, ()):
            if published[paper_id] < follow.created_at:
                continue  # priming: the paper predates this follow
            kind = "user" if follow.scope == "user" else "channel"
            plan = plans.setdefault(
                (kind, follow.target_id, paper_id), _AlertPlan(guild_id=follow.guild_id)
            )
            plan.author_ids.add(follow.author_id)
            plan.triggered = plan.triggered or (follow.author_id, paper_id) in fresh
    return [
        OutboxRow(
            kind="alert",
            dedupe_key=f"alert:{kind}:{target_id}:{paper_id}",
            destination_kind=kind,  # type: ignore[arg-type]
            destination_id=target_id,
            guild_id=plan.guild_id,
            payload={"paper_id": paper_id, "author_ids": sorted(plan.author_ids)},
        )
        for (kind, target_id, paper_id), plan in sorted(plans.items())
        if plan.triggered
    ]


async def store_fenced(
    database: Database, fence: CutoffFence, matches: Sequence[PaperLink]
) -> StoreResult:
    """`store_matches` in its own write transaction, stamped (`first_seen_at`) when it runs
    and ordered against digest cut-offs by `fence`: a plan meanwhile must not cut after the
    stamps of papers not yet committed, or they miss every digest."""
    async with fence.storing(database) as (session, stamp):
        return await store_matches(session, matches, now=stamp)


@dataclass(slots=True)
class _AlertPlan:
    guild_id: int | None
    author_ids: set[int] = field(default_factory=set)
    triggered: bool = False
