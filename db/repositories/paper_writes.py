"""Storing works: one row per work, however many records and identifiers it comes with.

`upsert_papers` stores a batch of `PaperRecord`s in a constant number of statements (plus one
small set per merge of two stored works, which is rare):

1. Records of the batch that share an identifier are one work (an arXiv entry and the OpenAlex
   record of its journal version, say): they are combined first.
2. Every identifier of the batch is looked up at once in `paper_identifiers`. A work none of
   whose identifiers is stored is inserted; one that matches a stored work updates it; one that
   matches several stored works proves they are one, and they are merged into the oldest (its
   links, digest entries and identifiers move over; the others are deleted).
3. What a record adds to a stored work: a newer arXiv version replaces the arXiv content (title,
   abstract, categories, comment, author lines); any record fills what the work lacks (a DOI,
   a venue, a PubMed id...); `published` is the earliest date any version appeared, so a
   journal version never looks newer than the preprint it was announced as. A venue learnt for
   a work stored without one stamps `venue_seen_at` ("now published").

Callers store under the `CutoffFence` (one writer at a time per database), so a work cannot be
inserted twice by two writers between the lookup and the insert.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuthorPaper, DigestItem, Paper, PaperAuthor, PaperIdentifier
from db.repositories._dialect import chunked, upsert_insert
from db.repositories.title_match import TitledWork, same_work, stored_works_of
from db.types import require_aware

log = logging.getLogger(__name__)

Identifier = tuple[str, str]  # (scheme, value): ("doi", "10.1038/xyz")
# What a record brings when the work lacks it (never overwritten once known).
FILLED = ("arxiv_id", "doi", "pmid", "openalex_id", "venue", "url", "journal_ref")
# The DOI and page shown for a work are its published version's once one is known (the
# preprint's stay among its identifiers).
PUBLISHED_WINS = ("doi", "url")


@dataclass(frozen=True, slots=True)
class PaperAuthorRecord:
    """One author line of an incoming paper."""

    name: str
    affiliations: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class PaperRecord:
    """An incoming work as a source parsed it.

    `arxiv_id` has no version suffix (None: not on arXiv); `doi` is bare and lower-cased;
    `primary_category` is arXiv's (None elsewhere). `same_as` are identifiers a source states
    belong to this work too (Crossref's `has-preprint`, the other locations of an OpenAlex
    work).
    """

    arxiv_id: str | None
    title: str
    published: datetime
    updated: datetime
    primary_category: str | None
    version: int = 1
    abstract: str = ""
    categories: Sequence[str] = ()
    authors: Sequence[PaperAuthorRecord] = ()
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    openalex_id: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    venue: str | None = None
    url: str | None = None
    same_as: Sequence[Identifier] = ()
    source: str | None = None

    @property
    def identifiers(self) -> tuple[Identifier, ...]:
        """Every identifier of the work, its own first."""
        own = (
            ("arxiv", self.arxiv_id),
            ("doi", self.doi.lower() if self.doi else None),
            ("pmid", self.pmid),
            ("pmcid", self.pmcid),
            ("openalex", self.openalex_id),
        )
        found = [(scheme, value) for scheme, value in own if value]
        return tuple(dict.fromkeys([*found, *self.same_as]))

    @property
    def key(self) -> str:
        """How the batch and its result name this record: the arXiv id when there is one,
        else `scheme:value` of its first identifier."""
        if self.arxiv_id:
            return self.arxiv_id
        if not self.identifiers:
            raise ValueError(f"a work needs an identifier: {self.title[:60]!r}")
        scheme, value = self.identifiers[0]
        return f"{scheme}:{value}"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PaperRecord:
        """Build a record from a dict; authors may be names, dicts or PaperAuthorRecords."""
        values = dict(data)
        authors: list[PaperAuthorRecord] = []
        for author in values.pop("authors", ()) or ():
            if isinstance(author, PaperAuthorRecord):
                authors.append(author)
            elif isinstance(author, str):
                authors.append(PaperAuthorRecord(author))
            else:
                authors.append(
                    PaperAuthorRecord(author["name"], tuple(author.get("affiliations") or ()))
                )
        return cls(authors=tuple(authors), **values)


@dataclass(slots=True)
class UpsertResult:
    """What `upsert_papers` did, by record key (`PaperRecord.key`) -> paper primary key."""

    new: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    merged: int = 0  # stored works found to be one and merged

    @property
    def ids(self) -> dict[str, int]:
        """Every record key of the input -> its paper primary key."""
        return {**self.unchanged, **self.updated, **self.new}


@dataclass(slots=True)
class _Work:
    """The records of one batch that are one work, combined."""

    record: PaperRecord
    keys: list[str]
    identifiers: dict[Identifier, None]


async def upsert_papers(
    session: AsyncSession,
    papers: Iterable[PaperRecord | Mapping[str, Any]],
    *,
    now: datetime,
    authors_of: Mapping[str, Collection[int]] | None = None,
) -> UpsertResult:
    """Store a batch of works (module docstring); returns which were new, updated or not.

    `authors_of` (record key -> the followed authors it is stored for) turns on the title
    fallback for works no identifier joins (`title_match`)."""
    now = require_aware(now, "now")
    works = _combine(
        item if isinstance(item, PaperRecord) else PaperRecord.from_mapping(item) for item in papers
    )
    result = UpsertResult()
    if not works:
        return result
    titled = _titled(works, authors_of) if authors_of else {}
    if titled and len(joined := _join_by_title(works, titled)) < len(works):
        works = joined
        titled = _titled(works, authors_of or {})
    stored = await _stored_ids(session, [i for w in works for i in w.identifiers])
    paper_of: dict[int, int] = {}  # work index -> its paper id
    for index, work in enumerate(works):
        found = sorted({stored[i] for i in work.identifiers if i in stored})
        if found:
            paper_of[index] = found[0]
            if len(found) > 1:
                await _merge(session, found[0], found[1:])
                result.merged += len(found) - 1
    unmatched = {i: titled[i] for i in titled if i not in paper_of}
    if unmatched:
        paper_of.update(await _stored_by_title(session, unmatched))
    existing = dict(paper_of)
    new = [i for i in range(len(works)) if i not in existing]
    if new:
        ids = await _insert(session, [works[i].record for i in new], now)
        paper_of.update(zip(new, ids, strict=True))
    changed = await _update(session, {existing[i]: works[i].record for i in existing}, now)
    for index, work in enumerate(works):
        paper_id = paper_of[index]
        bucket = (
            result.new
            if index not in existing
            else result.updated
            if paper_id in changed
            else result.unchanged
        )
        bucket.update(dict.fromkeys(work.keys, paper_id))
    await _add_identifiers(
        session, [(paper_of[i], ident) for i, w in enumerate(works) for ident in w.identifiers]
    )
    rewritten = [pid for pid, authors in changed.items() if authors]  # newer arXiv content
    await _replace_authors(
        session,
        [(paper_of[i], works[i].record) for i in paper_of if i in new or paper_of[i] in rewritten],
        replaced=rewritten,
    )
    log.debug(
        "papers: %d new, %d updated, %d unchanged, %d merged",
        len(result.new),
        len(result.updated),
        len(result.unchanged),
        result.merged,
    )
    return result


def _titled(
    works: Sequence[_Work], authors_of: Mapping[str, Collection[int]]
) -> dict[int, TitledWork]:
    """The works the title fallback can join (a long enough title, a followed author)."""
    found = {}
    for index, work in enumerate(works):
        authors = {a for key in work.keys for a in authors_of.get(key, ())}
        r = work.record
        titled = TitledWork.of(r.title, r.published, r.venue, authors)
        if titled.key is not None and authors:
            found[index] = titled
    return found


def _join_by_title(works: list[_Work], titled: Mapping[int, TitledWork]) -> list[_Work]:
    """Works of the batch the title fallback takes for one (a preprint and its publication
    found in one run): the later joins the earlier."""
    by_key: dict[str | None, list[int]] = {}
    for index in sorted(titled):
        by_key.setdefault(titled[index].key, []).append(index)
    joined: set[int] = set()
    for group in (g for g in by_key.values() if len(g) > 1):
        for a in group:
            for b in (b for b in group if b > a and a not in joined and b not in joined):
                if same_work(titled[a], titled[b]):
                    works[a].record = _combined(works[a].record, works[b].record)
                    works[a].keys += works[b].keys
                    works[a].identifiers.update(works[b].identifiers)
                    joined.add(b)
                    log.info(
                        "papers %s and %s: one work by title", works[a].keys[0], works[b].keys[0]
                    )
    return [w for i, w in enumerate(works) if i not in joined]


async def _stored_by_title(
    session: AsyncSession, unmatched: Mapping[int, TitledWork]
) -> dict[int, int]:
    """Work index -> the stored work the title fallback takes it for (the oldest id)."""
    stored = await stored_works_of(session, {a for t in unmatched.values() for a in t.authors})
    by_key: dict[str | None, list[int]] = {}
    for paper_id, other in stored.items():
        by_key.setdefault(other.key, []).append(paper_id)
    found: dict[int, int] = {}
    for index, titled in unmatched.items():
        same = sorted(p for p in by_key.get(titled.key, ()) if same_work(titled, stored[p]))
        if same:
            found[index] = same[0]
            log.info("a new record is paper %d by its title", same[0])
    return found


def _combine(records: Iterable[PaperRecord]) -> list[_Work]:
    """The batch as works: records sharing an identifier are one (union by identifier)."""
    works: list[_Work] = []
    owner: dict[Identifier, int] = {}
    for record in records:
        identifiers = record.identifiers  # a property: built once here
        hits = sorted({owner[i] for i in identifiers if i in owner})
        if not hits:
            work = _Work(record, [record.key], dict.fromkeys(identifiers))
            works.append(work)
            index = len(works) - 1
        else:
            index = hits[0]
            work = works[index]
            for other in hits[1:]:  # this record joins works seen apart until now
                work.record = _combined(work.record, works[other].record)
                work.keys += works[other].keys
                work.identifiers.update(works[other].identifiers)
                works[other].keys = []
            work.record = _combined(work.record, record)
            work.keys.append(record.key)
            work.identifiers.update(dict.fromkeys(identifiers))
        for identifier in work.identifiers:
            owner[identifier] = index
    return [w for w in works if w.keys]


def _combined(a: PaperRecord, b: PaperRecord) -> PaperRecord:
    """Two records of one work as one: the newer arXiv content, then whatever either knows."""
    first, second = (b, a) if _newer_arxiv(b, a) else (a, b)
    filled = {name: getattr(first, name) or getattr(second, name) for name in (*FILLED, "pmcid")}
    published = [r for r in (a, b) if r.venue]
    if len(published) == 1:
        filled.update({n: v for n in PUBLISHED_WINS if (v := getattr(published[0], n))})
    # arXiv's v1 date is exact: it stands; else the earliest appearance of either.
    arxiv = [r.published for r in (a, b) if r.arxiv_id is not None]
    return replace(
        first,
        **filled,
        published=min(arxiv) if arxiv else min(a.published, b.published),
        same_as=tuple(dict.fromkeys([*a.same_as, *b.same_as])),
    )


def _first_appearance(record: PaperRecord, stored_arxiv_id: str | None, newer: bool) -> datetime:
    """When `record` says the work first appeared; a record from elsewhere about a work that
    is on arXiv says nothing (arXiv's v1 date is exact, other sources' dates can be coarse)."""
    if stored_arxiv_id is not None and not newer and record.arxiv_id is None:
        return datetime.max.replace(tzinfo=record.published.tzinfo)
    return record.published


def _newer_arxiv(a: PaperRecord, b: PaperRecord) -> bool:
    """Whether `a` carries newer arXiv content than `b` (an arXiv record beats any other)."""
    if a.arxiv_id is None:
        return False
    if b.arxiv_id is None:
        return True
    return (a.version, a.updated) > (b.version, b.updated)


async def _stored_ids(
    session: AsyncSession, identifiers: Sequence[Identifier]
) -> dict[Identifier, int]:
    """The stored works of these identifiers: one query per scheme (and 2,000 values)."""
    by_scheme: dict[str, list[str]] = {}
    for scheme, value in dict.fromkeys(identifiers):
        by_scheme.setdefault(scheme, []).append(value)
    found: dict[Identifier, int] = {}
    for scheme, values in by_scheme.items():
        for chunk in chunked(values, 2000):
            rows = await session.execute(
                select(PaperIdentifier.value, PaperIdentifier.paper_id).where(
                    PaperIdentifier.scheme == scheme, PaperIdentifier.value.in_(chunk)
                )
            )
            found.update({(scheme, value): paper_id for value, paper_id in rows})
    return found


async def _insert(session: AsyncSession, records: list[PaperRecord], now: datetime) -> list[int]:
    """Insert new works; their ids in input order.

    RETURNING in parameter order makes SQLite insert row by row, so each returned row is
    matched to its record by the identifier both carry (`_row_key`) instead.
    """
    table = Paper.__table__  # Core, not the ORM's bulk insert: one executemany for all rows
    rows = await session.execute(
        insert(table).returning(
            table.c.id, table.c.arxiv_id, table.c.doi, table.c.pmid, table.c.openalex_id
        ),
        [
            {
                "arxiv_id": r.arxiv_id,
                "version": r.version,
                "title": r.title,
                "abstract": r.abstract,
                "primary_category": r.primary_category,
                "categories": list(r.categories),
                "published": r.published,
                "updated": r.updated,
                "doi": r.doi,
                "journal_ref": r.journal_ref,
                "comment": r.comment,
                "openalex_id": r.openalex_id,
                "pmid": r.pmid,
                "venue": r.venue,
                "url": r.url,
                "source": r.source,
                "first_seen_at": now,
            }
            for r in records
        ],
    )
    ids = {
        _row_key(arxiv_id, doi, pmid, openalex): pid for pid, arxiv_id, doi, pmid, openalex in rows
    }
    return [ids[_row_key(r.arxiv_id, r.doi, r.pmid, r.openalex_id)] for r in records]


def _row_key(
    arxiv_id: str | None, doi: str | None, pmid: str | None, openalex_id: str | None
) -> Identifier:
    """The first identifier a work row has a column for (every stored work has one)."""
    for scheme, value in (
        ("arxiv", arxiv_id),
        ("doi", doi),
        ("pmid", pmid),
        ("openalex", openalex_id),
    ):
        if value:
            return (scheme, value.lower() if scheme == "doi" else value)
    raise ValueError("a work needs an arXiv id, a DOI, a PubMed id or an OpenAlex id")


async def _update(
    session: AsyncSession, records: Mapping[int, PaperRecord], now: datetime
) -> dict[int, bool]:
    """Apply what each record adds to its stored work: paper id -> whether its author lines
    are replaced (newer arXiv content), for every work that changed."""
    if not records:
        return {}
    current = {
        row.id: row
        for chunk in chunked(list(records))
        for row in (
            await session.execute(
                select(
                    Paper.id,
                    Paper.version,
                    Paper.updated,
                    Paper.published,
                    *(getattr(Paper, name) for name in FILLED),
                ).where(Paper.id.in_(chunk))
            )
        )
    }
    changed: dict[int, bool] = {}
    writes: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # by the columns they set
    for paper_id, record in records.items():
        row = current[paper_id]
        values: dict[str, Any] = {}
        newer = record.arxiv_id is not None and (
            row.arxiv_id is None or (record.version, record.updated) > (row.version, row.updated)
        )
        if newer:
            values.update(
                version=record.version,
                title=record.title,
                abstract=record.abstract,
                primary_category=record.primary_category,
                categories=list(record.categories),
                updated=record.updated,
                comment=record.comment,
            )
        for name in FILLED:
            if getattr(row, name) is None and getattr(record, name) is not None:
                values[name] = getattr(record, name)
        if _first_appearance(record, row.arxiv_id, newer) < row.published:
            values["published"] = _first_appearance(record, row.arxiv_id, newer)
        elif newer:  # arXiv's own v1 date beats a coarser one from another source
            values["published"] = record.published
        if row.venue is None and values.get("venue"):
            values["venue_seen_at"] = now
            values.update({n: v for n in PUBLISHED_WINS if (v := getattr(record, n))})
        if values:
            writes.setdefault(tuple(sorted(values)), []).append({"id": paper_id, **values})
            changed[paper_id] = newer
    table = Paper.__table__
    for columns, rows in writes.items():  # one executemany per shape of change, not per paper
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}", type_=table.c[name].type) for name in columns})
        )
        await session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])
    return changed


async def _add_identifiers(session: AsyncSession, pairs: Sequence[tuple[int, Identifier]]) -> None:
    if not pairs:
        return
    stmt = upsert_insert(session, PaperIdentifier.__table__).on_conflict_do_nothing(
        index_elements=["scheme", "value"]
    )
    rows = [{"paper_id": pid, "scheme": s, "value": v} for pid, (s, v) in dict.fromkeys(pairs)]
    await session.execute(stmt, rows)


async def _replace_authors(
    session: AsyncSession, papers: list[tuple[int, PaperRecord]], *, replaced: list[int]
) -> None:
    for chunk in chunked(replaced):
        await session.execute(delete(PaperAuthor).where(PaperAuthor.paper_id.in_(chunk)))
    rows = [
        {
            "paper_id": paper_id,
            "position": position,
            "name": author.name,
            "affiliations": list(author.affiliations),
        }
        for paper_id, record in dict(papers).items()
        for position, author in enumerate(record.authors)
    ]
    if rows:
        await session.execute(PaperAuthor.__table__.insert(), rows)


async def _merge(session: AsyncSession, keep: int, absorbed: Sequence[int]) -> None:
    """Stored works `absorbed` are `keep`: move their links, digest entries and identifiers
    (a link or entry `keep` already has wins), keep the earliest date, delete them."""
    log.info("papers %s are paper %d: merged", list(absorbed), keep)
    for model, owner in (
        (AuthorPaper, AuthorPaper.author_id),
        (DigestItem, DigestItem.schedule_id),
    ):
        kept = select(owner).where(model.paper_id == keep)
        await session.execute(delete(model).where(model.paper_id.in_(absorbed), owner.in_(kept)))
        await session.execute(
            update(model).where(model.paper_id.in_(absorbed)).values(paper_id=keep)
        )
    await session.execute(
        update(PaperIdentifier).where(PaperIdentifier.paper_id.in_(absorbed)).values(paper_id=keep)
    )
    earliest = (
        (
            await session.execute(
                select(Paper.published)
                .where(Paper.id.in_([keep, *absorbed]))
                .order_by(Paper.published)
            )
        )
        .scalars()
        .first()
    )
    filled = (
        await session.execute(
            select(*(getattr(Paper, name) for name in FILLED)).where(Paper.id.in_(absorbed))
        )
    ).all()
    values: dict[str, Any] = {"published": earliest}
    for name in FILLED:
        for row in filled:
            if getattr(row, name) is not None:
                values.setdefault(name, getattr(row, name))
    # The kept work's own values win: only what it lacks is taken from the absorbed ones.
    own = (
        await session.execute(select(*(getattr(Paper, n) for n in FILLED)).where(Paper.id == keep))
    ).one()
    values = {k: v for k, v in values.items() if k == "published" or getattr(own, k) is None}
    await session.execute(delete(Paper).where(Paper.id.in_(absorbed)))
    await session.execute(update(Paper).where(Paper.id == keep).values(**values))
