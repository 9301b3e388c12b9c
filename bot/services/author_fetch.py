"""Fetching an author: the metrics record, and which arXiv papers matched by name are theirs.

Pure helpers (which papers are the author's, how a record becomes stored values) plus the
small storing steps the profile service runs inside one transaction. No Discord here.

Which papers are theirs (`author_papers`, used by `paper_history` when a profile or a follow
first meets an author): an `au:"Name"` query returns homonyms too, so a name match is not
enough. When the author has an OpenAlex id, one OpenAlex works call (`openalex_identity`)
lists their arXiv works by identity; the fetched papers among them are *confirmed*. The usual
categories are those of the confirmed papers, and another name match is kept only when the
homonym guard (`bot.services.homonym_guard`) vouches for it against them: a co-author of a confirmed
work, or a category among (or, for a full-name match, an archive shared with) the confirmed
categories. When OpenAlex answered and confirmed none of them, none is theirs. Without OpenAlex
(not configured, failing, or no id), see `fallback_categories` for the name-only rule and what
it still gets wrong.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.names import MatchStrength, NameIndex, name_keys
from bot.names.papers import build_index, match_papers
from bot.services.author_resolver import UpstreamGuard
from bot.services.homonym_guard import (
    FollowedAuthor,
    FollowedAuthorMatcher,
    archives_of,
    normalize_categories,
)
from bot.sources.errors import SourceError
from bot.sources.models import AuthorRecord, Paper, Work
from bot.sources.openalex import MAX_PER_PAGE, OpenAlexSource
from db.models import Author
from db.repositories.authors import AuthorRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord

log = logging.getLogger(__name__)

USUAL_CATEGORY_COUNT = 3
# One OpenAlex page (its maximum), newest first: the identity check is one list call. An author
# with more arXiv works has their older ones judged by the guard instead.
IDENTITY_SAMPLE = MAX_PER_PAGE
# The works of every venue a first lookup stores: one page, newest first; older ones stay out
# (the profile's metrics still count them, from the author record).
WORKS_SAMPLE = MAX_PER_PAGE
ARXIV_START = date(1991, 1, 1)  # "all of their works" as the date filter the call needs
# Name-only fallback: the archive holding at least this share of the full-name matches is
# taken as the author's; below it, no categories at all (a split is what homonyms look like).
DOMINANT_SHARE = 2 / 3


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


@dataclass(frozen=True, slots=True)
class Identity:
    """What OpenAlex knows for certain: the author's arXiv ids and their co-authors' names."""

    arxiv_ids: frozenset[str]
    coauthor_names: tuple[str, ...]


async def openalex_identity(
    openalex: OpenAlexSource | None, guard: UpstreamGuard, openalex_id: str | None
) -> Identity | None:
    """The author's arXiv works by OpenAlex id: one call through `guard`; None when unknown.

    None when OpenAlex is not configured, the author has no OpenAlex id, or the call fails or
    times out (logged; the guard then skips OpenAlex for a minute, as for every caller).
    """
    if openalex is None or not openalex_id:
        return None
    try:
        works = await guard.call(
            "openalex",
            openalex.works_by_authors(
                [openalex_id],
                since=ARXIV_START,
                per_page=IDENTITY_SAMPLE,
                max_pages_per_chunk=1,
                extra_filter="indexed_in:arxiv",
            ),
        )
    except SourceError as error:
        log.warning("OpenAlex works for %s failed (%s): name-only matching", openalex_id, error)
        return None
    arxiv = [w for w in works if w.arxiv_id]
    names = {a.name: None for w in arxiv for a in w.authors if a.openalex_id != openalex_id}
    return Identity(frozenset(w.arxiv_id for w in arxiv if w.arxiv_id), tuple(names))


async def openalex_works(
    openalex: OpenAlexSource | None, guard: UpstreamGuard, openalex_id: str | None
) -> list[Work] | None:
    """The author's newest works at every venue (one page), by OpenAlex id, through `guard`.

    Empty when OpenAlex is not configured or the author has no OpenAlex id; None when the call
    fails or times out (logged): the caller's fetch is then incomplete and tried again.
    """
    if openalex is None or not openalex_id:
        return []
    try:
        return await guard.call(
            "openalex",
            openalex.works_by_authors(
                [openalex_id], since=ARXIV_START, per_page=WORKS_SAMPLE, max_pages_per_chunk=1
            ),
        )
    except SourceError as error:
        log.warning("OpenAlex works of every venue for %s failed (%s)", openalex_id, error)
        return None


@dataclass(frozen=True, slots=True)
class AuthorPapers:
    """The fetched papers that are the author's, and their usual categories (newest first)."""

    papers: tuple[Paper, ...]
    usual_categories: tuple[str, ...]
    confirmed: int  # how many OpenAlex confirmed; 0 means the name-only fallback decided


def top_categories(papers: Iterable[Paper]) -> tuple[str, ...]:
    """The most frequent primary categories; ties go to the one seen first (the newer)."""
    counts = Counter(p.primary_category for p in papers if p.primary_category)
    return tuple(c for c, _ in counts.most_common(USUAL_CATEGORY_COUNT))


def fallback_categories(strong: Sequence[Paper]) -> tuple[str, ...]:
    """Usual categories from full-name matches alone, when no identity source answered.

    Only when one archive clearly dominates (`DOMINANT_SHARE`): the top categories of the
    papers in it. What can still go wrong: a homonym in that same archive (two "Wei Wang"s in
    `cs`) counts as the author, and so does a homonym who writes more than the author does
    (their field is then taken as the author's); an author split between two fields gets
    no categories, so every full-name match is kept and no initial-only one.
    """
    archives = [
        next(iter(archives_of(normalize_categories([p.primary_category]))), None)
        for p in strong
        if p.primary_category
    ]
    counted = Counter(a for a in archives if a)
    if not counted:
        return ()
    archive, count = counted.most_common(1)[0]
    if count < DOMINANT_SHARE * sum(counted.values()):
        return ()
    return top_categories(
        p
        for p in strong
        if p.primary_category
        and archives_of(normalize_categories([p.primary_category])) == {archive}
    )


def author_papers(
    papers: Sequence[Paper], variants: Sequence[str], identity: Identity | None = None
) -> AuthorPapers:
    """Which of `papers` (an arXiv name search, newest first) are the author's (module doc).

    `variants` are `match_variants` (never empty: the display name when no variant is usable).
    When the identity source answered and confirmed none of `papers`, they are someone
    else's (a namesake): no paper, no category.
    """
    known = identity.arxiv_ids if identity else frozenset()
    confirmed = [p for p in papers if p.arxiv_id in known]
    if identity is not None and not confirmed:
        return AuthorPapers((), (), 0)
    index: NameIndex[int] = build_index((0, name) for name in variants)
    matches = match_papers(papers, index)
    # Certain co-authors: those on OpenAlex's works for the id and on the confirmed papers.
    coauthors = [*(identity.coauthor_names if identity else ())]
    coauthors += [a.name for p in confirmed for a in p.authors]
    if confirmed:
        categories = top_categories(confirmed)
    else:
        categories = fallback_categories(
            [m.paper for m in matches if m.strength >= MatchStrength.STRONG]
        )
    author = FollowedAuthor(0, variants[0], tuple(variants[1:]), normalize_categories(categories))
    rest = [m for m in matches if m.paper.arxiv_id not in known]
    outcome = FollowedAuthorMatcher([author]).decide(rest, {0: coauthors})
    kept = known | {a.paper.arxiv_id for a in outcome.accepted}
    return AuthorPapers(tuple(p for p in papers if p.arxiv_id in kept), categories, len(confirmed))


def paper_record(paper: Paper) -> PaperRecord | None:
    """A source paper as the repository stores it; None when it lacks what storage needs.

    A listing-feed item has no submission date: its announcement date stands in (a little
    later than the real v1 date, which only makes priming more generous by a day or two). An
    arXiv paper without any category is not stored (never with category ""); a work off arXiv
    has none.
    """
    published = paper.published or paper.announced
    category = paper.primary_category or (paper.categories[0] if paper.categories else None)
    if published is None or (paper.arxiv_id is not None and not category):
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
        openalex_id=paper.openalex_id,
        pmid=paper.pmid,
        pmcid=paper.pmcid,
        venue=paper.venue,
        url=paper.url,
        same_as=paper.same_as,
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
        topic_field=record.primary_field,
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
