"""Fetching an author on demand: the metrics record, and their arXiv papers matched by name.

Pure helpers (which papers are the author's, how a record becomes stored values) plus the
small storing steps the profile service runs inside one transaction. No Discord here.

Matching arXiv papers (an `au:"Name"` query returns homonyms too): a paper is kept when one of
its author strings matches a name variant of the author with a full name (STRONG). A match on an
initial only (PROBABLE: `A. Steiner` for `Andreas Steiner`) is kept only when the paper's
primary category is one of the categories of the STRONG matches, a cheap homonym guard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.names import MatchStrength, NameIndex, name_keys
from bot.sources.models import AuthorRecord, Paper
from db.models import Author
from db.repositories.authors import AuthorRepository
from db.repositories.papers import PaperAuthorRecord, PaperRecord, PaperRepository

log = logging.getLogger(__name__)

MATCHED_BY = "profile"  # AuthorPaper.matched_by for papers linked by an on-demand profile


def match_variants(display_name: str, variants: Iterable[str]) -> tuple[str, ...]:
    """The name forms worth matching arXiv strings with: usable keys, no initial-only forms.

    An initial-only variant (`H. Piwowar`) would let every `H-anything Piwowar` match; the
    `initial` key of the full name already covers `H. Piwowar` (see `bot.names`). Empty when
    every form is initial-only or unusable: callers then match on the display name alone
    (`variants or (display_name,)`), which is never stored as a variant.
    """
    kept: dict[str, str] = {}
    for raw in (display_name, *variants):
        name = " ".join((raw or "").split())
        if not name:
            continue
        keys = name_keys(name)
        if keys.empty or keys.abbreviated:
            continue
        kept.setdefault(keys.canonical, name)
    return tuple(kept.values())


def match_keys(variants: Iterable[str]) -> list[str]:
    """Every key of every variant (full, first, initial), as `AuthorRepository` stores them."""
    keys: dict[str, None] = {}
    for name in variants:
        found = name_keys(name)
        for key in sorted(found.full | found.first | found.initial):
            keys[key] = None
    return list(keys)


def select_author_papers(papers: Sequence[Paper], variants: Sequence[str]) -> list[Paper]:
    """The papers one of whose author strings is the author (see the module docstring)."""
    index: NameIndex[int] = NameIndex()
    for name in variants:
        index.add(0, name)
    strengths: list[tuple[Paper, MatchStrength]] = []
    for paper in papers:
        best: MatchStrength | None = None
        for author in paper.authors:
            strength = index.match(author.name).get(0)
            if strength is not None and (best is None or strength > best):
                best = strength
        if best is not None:
            strengths.append((paper, best))
    strong_categories = {
        p.primary_category for p, s in strengths if s is MatchStrength.STRONG and p.primary_category
    }
    return [
        paper
        for paper, strength in strengths
        if strength is MatchStrength.STRONG or paper.primary_category in strong_categories
    ]


def paper_record(paper: Paper) -> PaperRecord | None:
    """A source paper as the repository stores it; None when it lacks what storage needs.

    A listing-feed item has no submission date: its announcement date stands in (a little
    later than the real v1 date, which only makes priming more generous by a day or two). A
    paper without any category is not stored (never with category "").
    """
    published = paper.published or paper.announced
    category = paper.primary_category or (paper.categories[0] if paper.categories else None)
    if published is None or not category:
        return None
    return PaperRecord(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        published=published,
        updated=paper.updated or published,
        primary_category=category,
        version=paper.version or 1,
        abstract=paper.abstract,
        categories=tuple(paper.categories),
        authors=tuple(PaperAuthorRecord(a.name, tuple(a.affiliations)) for a in paper.authors),
        doi=paper.doi,
        journal_ref=paper.journal_ref,
        comment=paper.comment,
        source=paper.source,
    )


def counts_rows(record: AuthorRecord) -> list[dict[str, Any]]:
    """`counts_by_year` as stored: [{"year", "works_count", "cited_by_count"}]."""
    return [
        {"year": c.year, "works_count": c.works_count, "cited_by_count": c.cited_by_count}
        for c in record.counts_by_year
    ]


async def store_metrics(
    authors: AuthorRepository, author_id: int, record: AuthorRecord, fetched_at: datetime
) -> None:
    """Cache the record's metrics on the author, dated when we fetched them."""
    await authors.update_metrics(
        author_id,
        h_index=record.h_index,
        citations=record.citations,
        works_count=record.works_count,
        counts_by_year=counts_rows(record),
        source=record.source,
        as_of=fetched_at,
    )


async def store_identity(
    authors: AuthorRepository,
    *,
    display_name: str,
    now: datetime,
    openalex_id: str | None = None,
    orcid: str | None = None,
    s2_id: str | None = None,
    name_variants: Iterable[str] = (),
    affiliations: Iterable[str] = (),
    usual_categories: Sequence[str] | None = None,
) -> Author:
    """The one way an author's identity is stored: the row, its match variants and keys.

    Upserts by OpenAlex id (without one, a new row is inserted). The stored variants are
    `match_variants` (no initial-only forms); the keys are those of the variants, or of the
    display name when no variant is usable. `usual_categories` None keeps the stored ones.
    """
    variants = match_variants(display_name, name_variants)
    author = await authors.upsert(
        display_name=display_name,
        now=now,
        openalex_id=openalex_id,
        orcid=orcid,
        s2_id=s2_id,
        name_variants=list(variants),
        usual_categories=list(usual_categories) if usual_categories is not None else None,
        affiliations=[a for a in affiliations if a],
    )
    await authors.set_name_keys(author.id, match_keys(variants or (display_name,)))
    return author


async def store_author(
    authors: AuthorRepository, record: AuthorRecord | None, name: str, now: datetime
) -> Author:
    """Insert (or, by OpenAlex id, update) the author a record or a bare name describes."""
    display = (record.display_name if record else "") or name
    author = await store_identity(
        authors,
        display_name=display,
        now=now,
        openalex_id=record.openalex_id if record else None,
        orcid=record.orcid if record else None,
        s2_id=record.external_ids.get("s2") if record else None,
        name_variants=record.name_variants if record else (),
        affiliations=record.affiliations if record else (),
    )
    if record is not None:
        await store_metrics(authors, author.id, record, now)
    return author


@dataclass(frozen=True, slots=True)
class StoredPapers:
    """How many fetched papers were the author's, and how many links were new."""

    matched: int
    linked: int


async def store_papers(
    papers_repo: PaperRepository, author_id: int, papers: Sequence[Paper], now: datetime
) -> StoredPapers:
    """Store the author's papers once (`upsert_many`) and link them to the author."""
    records = [r for r in (paper_record(p) for p in papers) if r is not None]
    if not records:
        return StoredPapers(0, 0)
    result = await papers_repo.upsert_many(records, now=now)
    created = await papers_repo.link_authors(
        [(author_id, paper_id, MATCHED_BY) for paper_id in result.ids.values()], now=now
    )
    log.info(
        "profile fetch: author %s, %d papers, %d new links", author_id, len(records), len(created)
    )
    return StoredPapers(len(records), len(created))
