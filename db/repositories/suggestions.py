"""What digest suggestions are made from: the listing announcements of the last two weeks,
each destination's followed papers and categories, and its votes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Author,
    AuthorPaper,
    DigestSchedule,
    Follow,
    ListingItem,
    Paper,
    SuggestionVote,
    TopicFollow,
    TopicPaper,
)
from db.repositories._dialect import chunked, unique, upsert_insert
from db.repositories.digests import destination_rows
from db.types import require_aware


@dataclass(frozen=True, slots=True)
class ListedItem:
    """One announcement of a listing, as suggestions read it."""

    arxiv_id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    authors: tuple[str, ...]
    announced: datetime


@dataclass(frozen=True, slots=True)
class FollowedPaper:
    """A paper of a followed author (`author_name`), what a destination's taste is made of."""

    paper_id: int
    arxiv_id: str | None
    title: str
    abstract: str
    author_name: str


@dataclass(slots=True)
class Taste:
    """A destination's followed authors' recent papers, names and usual categories, the
    papers its follows matched (never suggested), and its votes."""

    papers: list[FollowedPaper] = field(default_factory=list)
    author_names: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    matched: set[str] = field(default_factory=set)  # arXiv ids
    down: set[str] = field(default_factory=set)
    up: set[str] = field(default_factory=set)


class SuggestionRepository:
    """Reads and writes `ListingItem` and `SuggestionVote` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep_listing(
        self, items: Sequence[ListedItem], *, now: datetime, keep_since: datetime
    ) -> None:
        """Store the listing's announcements (one row per arXiv id, the first kept) and drop
        those announced before `keep_since`."""
        require_aware(now, "now")
        if items:
            table = ListingItem.__table__
            rows = [
                {
                    "arxiv_id": i.arxiv_id,
                    "title": i.title,
                    "abstract": i.abstract,
                    "categories": list(i.categories),
                    "authors": list(i.authors),
                    "announced": require_aware(i.announced, "announced"),
                }
                for i in {i.arxiv_id: i for i in items}.values()
            ]
            for chunk in chunked(rows, 1000):
                await self.session.execute(
                    upsert_insert(self.session, table).on_conflict_do_nothing(
                        index_elements=["arxiv_id"]
                    ),
                    list(chunk),
                )
        await self.session.execute(
            delete(ListingItem).where(ListingItem.announced < require_aware(keep_since, "since"))
        )

    async def announced_between(self, since: datetime, until: datetime) -> list[ListedItem]:
        rows = await self.session.execute(
            select(ListingItem)
            .where(
                ListingItem.announced > require_aware(since, "since"),
                ListingItem.announced <= require_aware(until, "until"),
            )
            .order_by(ListingItem.announced.desc(), ListingItem.arxiv_id)
        )
        return [_listed(row) for row in rows.scalars()]

    async def vote(
        self, schedule_id: int, arxiv_id: str, vote: str, *, user_id: int, now: datetime
    ) -> None:
        """Record (or change) a destination's vote on a suggested paper."""
        table = SuggestionVote.__table__
        values = {"vote": vote, "voted_by": user_id, "voted_at": require_aware(now, "now")}
        await self.session.execute(
            upsert_insert(self.session, table)
            .values(schedule_id=schedule_id, arxiv_id=arxiv_id, **values)
            .on_conflict_do_update(index_elements=["schedule_id", "arxiv_id"], set_=values)
        )

    async def tastes(self, schedule_ids: Iterable[int], *, per_author: int) -> dict[int, Taste]:
        """Per schedule: its followed authors' `per_author` newest papers, their names and
        usual categories, the arXiv ids its author and topic follows matched, and its votes."""
        ids = unique(schedule_ids)
        tastes: dict[int, Taste] = {s: Taste() for s in ids}
        s, f = DigestSchedule, Follow

        def branch(targets: Sequence[int], target_kind: str, *follow_filter: Any) -> Any:
            return (
                select(s.id.label("schedule_id"), f.author_id.label("author_id"))
                .select_from(f)
                .join(s, and_(s.target_kind == target_kind, s.target_id == f.target_id))
                .where(f.target_id.in_(targets), s.id.in_(ids), *follow_filter)
            )

        followed: dict[int, list[int]] = {}  # author -> schedules
        pairs = await destination_rows(
            self.session,
            ids,
            branch,
            f,
            ("schedule_id", "author_id"),
            ("schedule_id", "author_id"),
        )
        for schedule_id, author_id in pairs:
            followed.setdefault(author_id, []).append(schedule_id)
        authors = list(followed)
        for chunk in chunked(authors):
            for author in (
                await self.session.execute(select(Author).where(Author.id.in_(chunk)))
            ).scalars():
                for schedule_id in followed[author.id]:
                    taste = tastes[schedule_id]
                    taste.author_names.update((author.display_name, *(author.name_variants or ())))
                    taste.categories.update(author.usual_categories or ())
            rank = (
                func.row_number()
                .over(
                    partition_by=AuthorPaper.author_id, order_by=(Paper.published.desc(), Paper.id)
                )
                .label("rank")
            )
            ranked = (
                select(
                    AuthorPaper.author_id,
                    Paper.id,
                    Paper.arxiv_id,
                    Paper.title,
                    Paper.abstract,
                    Author.display_name,
                    rank,
                )
                .join(Paper, Paper.id == AuthorPaper.paper_id)
                .join(Author, Author.id == AuthorPaper.author_id)
                .where(AuthorPaper.author_id.in_(chunk))
                .subquery()
            )
            rows = await self.session.execute(select(ranked).where(ranked.c.rank <= per_author))
            for author_id, paper_id, arxiv_id, title, abstract, name, _ in rows:
                paper = FollowedPaper(paper_id, arxiv_id, title, abstract or "", name)
                for schedule_id in followed[author_id]:
                    tastes[schedule_id].papers.append(paper)
                    if arxiv_id:
                        tastes[schedule_id].matched.add(arxiv_id)
        for chunk in chunked(ids):
            rows = await self.session.execute(
                select(s.id, Paper.arxiv_id)
                .join(
                    TopicFollow,
                    and_(
                        TopicFollow.target_id == s.target_id,
                        or_(
                            and_(s.target_kind == "channel", TopicFollow.scope == "channel"),
                            and_(s.target_kind == "dm", TopicFollow.scope == "user"),
                        ),
                    ),
                )
                .join(TopicPaper, TopicPaper.topic_follow_id == TopicFollow.id)
                .join(Paper, Paper.id == TopicPaper.paper_id)
                .where(s.id.in_(chunk), Paper.arxiv_id.is_not(None))
            )
            for schedule_id, arxiv_id in rows:
                tastes[schedule_id].matched.add(arxiv_id)
            votes = await self.session.execute(
                select(
                    SuggestionVote.schedule_id, SuggestionVote.arxiv_id, SuggestionVote.vote
                ).where(SuggestionVote.schedule_id.in_(chunk))
            )
            for schedule_id, arxiv_id, vote in votes:
                (tastes[schedule_id].down if vote == "down" else tastes[schedule_id].up).add(
                    arxiv_id
                )
        return tastes

    async def items(self, arxiv_ids: Iterable[str]) -> dict[str, ListedItem]:
        found: dict[str, ListedItem] = {}
        for chunk in chunked(unique(arxiv_ids)):
            rows = await self.session.execute(
                select(ListingItem).where(ListingItem.arxiv_id.in_(chunk))
            )
            found.update({row.arxiv_id: _listed(row) for row in rows.scalars()})
        return found


def _listed(row: ListingItem) -> ListedItem:
    return ListedItem(
        row.arxiv_id,
        row.title,
        row.abstract or "",
        tuple(row.categories or ()),
        tuple(row.authors or ()),
        row.announced,
    )


__all__ = ["FollowedPaper", "ListedItem", "SuggestionRepository", "Taste"]
