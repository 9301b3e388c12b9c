"""Papers: links to followed authors, per-author listings, citation counts; storing works is
`paper_writes` (merged by identifier)."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuthorPaper, Follow, Paper, PaperAuthor, PaperIdentifier
from db.repositories._dialect import chunked, unique, upsert_insert
from db.repositories.paper_writes import PaperRecord, UpsertResult, upsert_papers
from db.types import TZDateTime, require_aware

log = logging.getLogger(__name__)

_VERSION_SUFFIX = re.compile(r"v\d+$")


def strip_arxiv_version(arxiv_id: str) -> str:
    """'2411.17700v2' -> '2411.17700'; ids without a version are returned unchanged."""
    return _VERSION_SUFFIX.sub("", arxiv_id.strip())


@dataclass(frozen=True, slots=True)
class CitationTarget:
    """A paper whose citation count is due for a refresh, with the count it has now."""

    paper_id: int
    arxiv_id: str
    citations: int | None


class PaperRepository:
    """Reads and writes `Paper`, `PaperAuthor` and `AuthorPaper` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_many(
        self,
        papers: Iterable[PaperRecord | Mapping[str, Any]],
        *,
        now: datetime,
        authors_of: Mapping[str, Collection[int]] | None = None,
    ) -> UpsertResult:
        """Store a batch of works, merged by identifier, or by title for a preprint and its
        publication of one followed author (`authors_of`; `paper_writes.upsert_papers`)."""
        return await upsert_papers(self.session, papers, now=now, authors_of=authors_of)

    async def _versions(self, arxiv_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for chunk in chunked(arxiv_ids):
            rows = await self.session.execute(
                select(Paper.arxiv_id, Paper.id, Paper.version).where(Paper.arxiv_id.in_(chunk))
            )
            for arxiv_id, paper_id, version in rows:
                found[arxiv_id] = (paper_id, version)
        return found

    async def link_authors(
        self, pairs: Iterable[tuple[int, int, str]], *, now: datetime
    ) -> list[tuple[int, int]]:
        """Link followed authors to papers: (author_id, paper_id, matched_by) triples.

        Idempotent: an existing link is kept as it was. Returns the (author_id, paper_id)
        pairs that did not exist before, in input order: the ones to announce.
        """
        now = require_aware(now, "now")
        wanted: dict[tuple[int, int], str] = {}
        for author_id, paper_id, matched_by in pairs:
            wanted.setdefault((author_id, paper_id), matched_by)
        if not wanted:
            return []
        stmt = (
            upsert_insert(self.session, AuthorPaper.__table__)
            .on_conflict_do_nothing(index_elements=["author_id", "paper_id"])
            .returning(AuthorPaper.__table__.c.author_id, AuthorPaper.__table__.c.paper_id)
        )
        params = [
            {"author_id": a, "paper_id": p, "matched_by": m, "linked_at": now}
            for (a, p), m in wanted.items()
        ]
        rows = await self.session.execute(stmt, params)
        created = {(author_id, paper_id) for author_id, paper_id in rows}
        return [pair for pair in wanted if pair in created]

    async def get(self, paper_id: int) -> Paper | None:
        """The paper with this primary key (authors loaded), or None."""
        return await self.session.get(Paper, paper_id)

    async def get_by_identifier(self, scheme: str, value: str) -> Paper | None:
        """The work with this identifier (`("doi", "10.1038/x")`, `("arxiv", ...)`), or None."""
        result = await self.session.execute(
            select(Paper)
            .join(PaperIdentifier, PaperIdentifier.paper_id == Paper.id)
            .where(PaperIdentifier.scheme == scheme, PaperIdentifier.value == value)
        )
        return result.scalar_one_or_none()

    async def get_by_arxiv_id(self, arxiv_id: str) -> Paper | None:
        """The paper with this arXiv id (a version suffix is ignored), or None."""
        result = await self.session.execute(
            select(Paper).where(Paper.arxiv_id == strip_arxiv_version(arxiv_id))
        )
        return result.scalar_one_or_none()

    async def ids_by_arxiv_id(self, arxiv_ids: Iterable[str]) -> dict[str, int]:
        """The stored papers' ids by arXiv id (without version); unknown ids are absent."""
        found = await self._versions(unique(arxiv_ids))
        return {arxiv_id: paper_id for arxiv_id, (paper_id, _version) in found.items()}

    async def published_of(self, paper_ids: Iterable[int]) -> dict[int, datetime]:
        """When each work first appeared (`Paper.published`), by paper id."""
        found: dict[int, datetime] = {}
        for chunk in chunked(unique(paper_ids)):
            rows = await self.session.execute(
                select(Paper.id, Paper.published).where(Paper.id.in_(chunk))
            )
            found.update((paper_id, published) for paper_id, published in rows)
        return found

    async def list_by_ids(self, paper_ids: Iterable[int]) -> list[Paper]:
        """The papers with these ids (authors loaded), in the order given; unknown skipped."""
        ids = unique(paper_ids)
        found: dict[int, Paper] = {}
        for chunk in chunked(ids):
            result = await self.session.execute(select(Paper).where(Paper.id.in_(chunk)))
            found.update((p.id, p) for p in result.scalars())
        return [found[i] for i in ids if i in found]

    async def papers_for_author(
        self,
        author_id: int,
        *,
        order: Literal["recent", "cited"] = "recent",
        limit: int = 5,
        offset: int = 0,
    ) -> list[Paper]:
        """A page of the author's linked papers (authors loaded).

        'recent': newest `published` first. 'cited': most citations first, unknown counts
        last, then newest. Ties break on id, so pages never overlap.
        """
        if order == "recent":
            ordering = [Paper.published.desc(), Paper.id.desc()]
        elif order == "cited":
            ordering = [
                Paper.citations.desc().nulls_last(),
                Paper.published.desc(),
                Paper.id.desc(),
            ]
        else:
            raise ValueError(f"order must be 'recent' or 'cited', not {order!r}")
        result = await self.session.execute(
            select(Paper)
            .join(AuthorPaper, AuthorPaper.paper_id == Paper.id)
            .where(AuthorPaper.author_id == author_id)
            .order_by(*ordering)
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())

    async def count_for_author(self, author_id: int) -> int:
        """How many papers are linked to the author ('papers tracked')."""
        result = await self.session.execute(
            select(func.count()).select_from(AuthorPaper).where(AuthorPaper.author_id == author_id)
        )
        return int(result.scalar_one())

    async def count_cited_for_author(self, author_id: int) -> int:
        """How many of the author's papers have a known citation count (0: 'cited' = newest)."""
        result = await self.session.execute(
            select(func.count())
            .select_from(AuthorPaper)
            .join(Paper, Paper.id == AuthorPaper.paper_id)
            .where(AuthorPaper.author_id == author_id, Paper.citations.is_not(None))
        )
        return int(result.scalar_one())

    async def due_for_citations(
        self, *, stale_before: datetime, limit: int
    ) -> list[CitationTarget]:
        """Papers of followed authors whose count is older than `stale_before`, or never read.

        Never-read papers first, then the oldest-refreshed, so a daily cap works through the
        whole backlog over the days instead of re-reading the same papers.
        """
        stale_before = require_aware(stale_before, "stale_before")
        if limit <= 0:
            return []
        rows = await self.session.execute(
            select(Paper.id, Paper.arxiv_id, Paper.citations)
            .where(
                _by_a_followed_author(),
                or_(Paper.citations_as_of.is_(None), Paper.citations_as_of < stale_before),
            )
            .order_by(Paper.citations_as_of.asc().nulls_first(), Paper.id)
            .limit(limit)
        )
        return [CitationTarget(pid, arxiv_id, n) for pid, arxiv_id, n in rows]

    async def unpublished_with_doi(self, *, since: datetime, limit: int) -> dict[int, str]:
        """Papers of followed authors published since `since` that have a DOI but no venue
        (preprints not known to be published), newest first: paper id -> DOI. arXiv's own
        DOIs (`10.48550/`, registered with DataCite) are left out: no Crossref record."""
        since = require_aware(since, "since")
        if limit <= 0:
            return {}
        rows = await self.session.execute(
            select(Paper.id, Paper.doi)
            .where(
                _by_a_followed_author(),
                Paper.doi.is_not(None),
                Paper.venue.is_(None),
                Paper.published >= since,
                ~Paper.doi.startswith("10.48550/"),
            )
            .order_by(Paper.published.desc(), Paper.id.desc())
            .limit(limit)
        )
        return {paper_id: doi for paper_id, doi in rows if doi}

    async def texts_since(
        self, since: datetime, *, limit: int
    ) -> list[tuple[int, str, str, list[str]]]:
        """(id, title, abstract, categories) of the stored papers published since `since`,
        newest first, at most `limit` (what a topic query is previewed on)."""
        rows = await self.session.execute(
            select(Paper.id, Paper.title, Paper.abstract, Paper.categories)
            .where(Paper.published >= require_aware(since, "since"))
            .order_by(Paper.published.desc(), Paper.id.desc())
            .limit(limit)
        )
        return [
            (pid, title, abstract or "", list(cats or ())) for pid, title, abstract, cats in rows
        ]

    async def linked_authors(self, paper_ids: Iterable[int]) -> dict[int, list[int]]:
        """For each paper id with links, the ids of the followed authors linked to it."""
        ids = unique(paper_ids)
        links: dict[int, list[int]] = {}
        for chunk in chunked(ids):
            rows = await self.session.execute(
                select(AuthorPaper.paper_id, AuthorPaper.author_id)
                .where(AuthorPaper.paper_id.in_(chunk))
                .order_by(AuthorPaper.paper_id, AuthorPaper.author_id)
            )
            for paper_id, author_id in rows:
                links.setdefault(paper_id, []).append(author_id)
        return links

    async def coauthor_names(
        self, author_ids: Iterable[int], *, max_position: int = 50
    ) -> dict[int, list[str]]:
        """For each followed author, the author lines of their linked papers (one query/chunk).

        Every line is returned, the author's own included (the caller knows which names are
        theirs); only the first `max_position` lines of a paper are read, so a 3,000-author
        collaboration costs no more than a small paper. Names are de-duplicated per author.
        """
        ids = unique(author_ids)
        names: dict[int, dict[str, None]] = {}
        for chunk in chunked(ids):
            rows = await self.session.execute(
                select(AuthorPaper.author_id, PaperAuthor.name)
                .join(PaperAuthor, PaperAuthor.paper_id == AuthorPaper.paper_id)
                .where(AuthorPaper.author_id.in_(chunk), PaperAuthor.position < max_position)
                .order_by(AuthorPaper.author_id, PaperAuthor.paper_id, PaperAuthor.position)
            )
            for author_id, name in rows:
                names.setdefault(author_id, {})[name] = None
        return {author_id: list(found) for author_id, found in names.items()}

    async def update_citations(
        self, citations: Mapping[int, int | None], *, as_of: datetime
    ) -> None:
        """Set the citation counts of papers by primary key (one batched statement).

        One UPDATE executed with the whole batch of parameters (executemany), not a statement
        per paper. None stores "looked, unknown" with its date.
        """
        as_of = require_aware(as_of, "as_of")
        if not citations:
            return
        table = Paper.__table__
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                citations=bindparam("b_citations"),
                citations_as_of=bindparam("b_as_of", type_=TZDateTime()),
            )
        )
        await self.session.execute(
            stmt,
            [{"b_id": pid, "b_citations": n, "b_as_of": as_of} for pid, n in citations.items()],
        )


def _by_a_followed_author() -> Any:
    """`WHERE` clause: the paper is linked to an author someone follows."""
    return (
        select(AuthorPaper.paper_id)
        .join(Follow, Follow.author_id == AuthorPaper.author_id)
        .where(AuthorPaper.paper_id == Paper.id)
        .exists()
    )
