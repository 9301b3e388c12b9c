"""Citations of watched authors' papers: what the citations job watches, the links it finds,
and what digests and profiles read back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AuthorPaper,
    CitationFollow,
    CitationLink,
    DigestCitationItem,
    DigestSchedule,
    Paper,
    PaperIdentifier,
)
from db.repositories._dialect import chunked, unique, upsert_insert
from db.repositories.digests import destination_rows
from db.types import require_aware


@dataclass(frozen=True, slots=True)
class WatchedPaper:
    """A tracked paper of a watched author, as the citations job asks about it."""

    author_id: int
    paper_id: int
    openalex_id: str | None
    arxiv_id: str | None
    openalex_checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewLink:
    """`citing_paper_id` cites `cited_paper_id`, a paper of watched author `author_id`."""

    citing_paper_id: int
    cited_paper_id: int
    author_id: int
    self_citation: bool


@dataclass(frozen=True, slots=True)
class CitationCandidate:
    """A citation due in a schedule's next digest (one row per cited paper)."""

    schedule_id: int
    citing_paper_id: int
    cited_paper_id: int
    author_id: int


class CitationRepository:
    """Reads and writes `CitationLink` (and the digests' `DigestCitationItem`) rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def watched_papers(
        self, author_ids: Iterable[int], *, per_author: int
    ) -> list[WatchedPaper]:
        """Each author's `per_author` most cited tracked papers that OpenAlex can know (an
        OpenAlex or an arXiv id), most cited first (then newest): the request budget's bound."""
        rank = (
            func.row_number()
            .over(
                partition_by=AuthorPaper.author_id,
                order_by=(Paper.citations.desc().nulls_last(), Paper.published.desc(), Paper.id),
            )
            .label("rank")
        )
        found: list[WatchedPaper] = []
        for chunk in chunked(unique(author_ids)):
            ranked = (
                select(
                    AuthorPaper.author_id,
                    Paper.id,
                    Paper.openalex_id,
                    Paper.arxiv_id,
                    Paper.openalex_checked_at,
                    rank,
                )
                .join(Paper, Paper.id == AuthorPaper.paper_id)
                .where(
                    AuthorPaper.author_id.in_(chunk),
                    or_(Paper.openalex_id.is_not(None), Paper.arxiv_id.is_not(None)),
                )
                .subquery()
            )
            rows = await self.session.execute(
                select(
                    ranked.c.author_id,
                    ranked.c.id,
                    ranked.c.openalex_id,
                    ranked.c.arxiv_id,
                    ranked.c.openalex_checked_at,
                )
                .where(ranked.c.rank <= per_author)
                .order_by(ranked.c.author_id, ranked.c.rank)
            )
            found.extend(WatchedPaper(*row) for row in rows)
        return found

    async def tracked_counts(self, author_ids: Iterable[int]) -> dict[int, int]:
        """How many papers are tracked per author (linked to them), for "the N most cited of M"."""
        counts: dict[int, int] = {}
        for chunk in chunked(unique(author_ids)):
            rows = await self.session.execute(
                select(AuthorPaper.author_id, func.count())
                .where(AuthorPaper.author_id.in_(chunk))
                .group_by(AuthorPaper.author_id)
            )
            counts.update({author_id: count for author_id, count in rows})
        return counts

    async def add_openalex_ids(
        self, asked: Iterable[int], ids: dict[int, str], *, now: datetime
    ) -> int:
        """Note that OpenAlex was asked for the ids of papers `asked`, and give them the ids
        found (paper id -> short id); an id another stored work already holds is left alone
        (that work is the one OpenAlex means). Returns how many papers took one."""
        papers = Paper.__table__
        for chunk in chunked(unique(asked)):
            await self.session.execute(
                papers.update()
                .where(papers.c.id.in_(chunk))
                .values(openalex_checked_at=require_aware(now, "now"))
            )
        if not ids:
            return 0
        taken = set()
        for chunk in chunked(list(ids.values())):
            rows = await self.session.execute(
                select(PaperIdentifier.value).where(
                    PaperIdentifier.scheme == "openalex", PaperIdentifier.value.in_(chunk)
                )
            )
            taken.update(rows.scalars())
        fresh = {p: w for p, w in ids.items() if w not in taken}
        if not fresh:
            return 0
        table = PaperIdentifier.__table__
        await self.session.execute(
            upsert_insert(self.session, table).on_conflict_do_nothing(
                index_elements=["scheme", "value"]
            ),
            [{"paper_id": p, "scheme": "openalex", "value": w} for p, w in fresh.items()],
        )
        for paper_id, openalex_id in fresh.items():
            await self.session.execute(
                papers.update()
                .where(papers.c.id == paper_id, papers.c.openalex_id.is_(None))
                .values(openalex_id=openalex_id)
            )
        return len(fresh)

    async def add_links(self, links: Sequence[NewLink], *, now: datetime) -> list[NewLink]:
        """Store citation links; returns those that were new (an existing one is kept as is,
        with its first `found_at`)."""
        now = require_aware(now, "now")
        links = unique(links)
        if not links:
            return []
        table = CitationLink.__table__
        stmt = (
            upsert_insert(self.session, table)
            .on_conflict_do_nothing(
                index_elements=["citing_paper_id", "cited_paper_id", "author_id"]
            )
            .returning(table.c.citing_paper_id, table.c.cited_paper_id, table.c.author_id)
        )
        new: set[tuple[int, int, int]] = set()
        for chunk in chunked(links, 1000):
            rows = await self.session.execute(
                stmt,
                [
                    {
                        "citing_paper_id": link.citing_paper_id,
                        "cited_paper_id": link.cited_paper_id,
                        "author_id": link.author_id,
                        "self_citation": link.self_citation,
                        "found_at": now,
                    }
                    for link in chunk
                ],
            )
            new.update(tuple(row) for row in rows)
        return [
            link
            for link in links
            if (link.citing_paper_id, link.cited_paper_id, link.author_id) in new
        ]

    async def gained(self, author_id: int, *, since: datetime) -> int:
        """Distinct works citing the author's papers found since `since` (self-citations
        included: they are citations all the same)."""
        result = await self.session.execute(
            select(func.count(func.distinct(CitationLink.citing_paper_id))).where(
                CitationLink.author_id == author_id,
                CitationLink.found_at >= require_aware(since, "since"),
            )
        )
        return int(result.scalar_one())

    async def gained_per_paper(
        self, paper_ids: Iterable[int], *, since: datetime
    ) -> dict[int, int]:
        """Per cited paper, the distinct works citing it found since `since`."""
        counts: dict[int, int] = {}
        for chunk in chunked(unique(paper_ids)):
            rows = await self.session.execute(
                select(
                    CitationLink.cited_paper_id,
                    func.count(func.distinct(CitationLink.citing_paper_id)),
                )
                .where(
                    CitationLink.cited_paper_id.in_(chunk),
                    CitationLink.found_at >= require_aware(since, "since"),
                )
                .group_by(CitationLink.cited_paper_id)
            )
            counts.update({paper_id: int(n) for paper_id, n in rows})
        return counts

    async def candidates(
        self, schedule_ids: Iterable[int], *, until: datetime
    ) -> list[CitationCandidate]:
        """Citations due in the next digest of each schedule, one query per 5,000 schedules.

        Due: a citation follow feeding the schedule (channel schedules: scope 'channel' of that
        channel; 'dm' schedules: the user's scope 'user' follows with notify 'weekly') watches
        the cited paper's author, the link was found after the schedule's last cut-off (if
        any), at or before `until` and not before the follow was made, it is not a
        self-citation unless the follow keeps them, and the citing work is not in an earlier
        digest of the schedule. Ordered by schedule, then when found.
        """
        until = require_aware(until, "until")
        s, f, c = DigestSchedule, CitationFollow, CitationLink
        already = exists().where(
            DigestCitationItem.schedule_id == s.id,
            DigestCitationItem.citing_paper_id == c.citing_paper_id,
        )

        def branch(targets: Sequence[int], target_kind: str, *follow_filter: Any) -> Any:
            return (
                select(
                    s.id.label("schedule_id"),
                    c.citing_paper_id,
                    c.cited_paper_id,
                    c.author_id,
                    c.found_at,
                )
                .select_from(f)
                .join(s, and_(s.target_kind == target_kind, s.target_id == f.target_id))
                .join(c, c.author_id == f.author_id)
                .where(
                    f.target_id.in_(targets),
                    *follow_filter,
                    c.found_at <= until,
                    or_(s.last_cutoff_at.is_(None), c.found_at > s.last_cutoff_at),
                    c.found_at >= f.created_at,
                    or_(f.include_self, ~c.self_citation),
                    ~already,
                )
            )

        rows = await destination_rows(
            self.session,
            schedule_ids,
            branch,
            f,
            ("schedule_id", "citing_paper_id", "cited_paper_id", "author_id"),
            ("schedule_id", "found_at", "citing_paper_id", "cited_paper_id", "author_id"),
        )
        return [CitationCandidate(*row) for row in rows]


__all__ = ["CitationCandidate", "CitationRepository", "NewLink", "WatchedPaper"]
