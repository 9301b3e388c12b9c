"""Authors: identity (external ids, name variants), match keys and the metrics cache."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Author, AuthorNameKey
from db.repositories._dialect import chunked, unique, upsert_insert
from db.types import require_aware

log = logging.getLogger(__name__)


class AuthorRepository:
    """Reads and writes `Author` and `AuthorNameKey` rows in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, author_id: int, *, fresh: bool = False) -> Author | None:
        """The author with this primary key, or None; `fresh` reads the row again even when
        the session holds it (after a bulk UPDATE in this transaction)."""
        return await self.session.get(Author, author_id, populate_existing=fresh)

    async def get_by_openalex_id(self, openalex_id: str) -> Author | None:
        """The author with this OpenAlex id (e.g. 'A5023888391'), or None."""
        result = await self.session.execute(select(Author).where(Author.openalex_id == openalex_id))
        return result.scalar_one_or_none()

    async def list_by_ids(self, author_ids: Iterable[int]) -> list[Author]:
        """The authors with these ids, in the order given; unknown ids are skipped."""
        ids = unique(author_ids)
        found: dict[int, Author] = {}
        for chunk in chunked(ids):
            result = await self.session.execute(select(Author).where(Author.id.in_(chunk)))
            found.update((a.id, a) for a in result.scalars())
        return [found[i] for i in ids if i in found]

    async def upsert(
        self,
        *,
        display_name: str,
        now: datetime,
        openalex_id: str | None = None,
        orcid: str | None = None,
        s2_id: str | None = None,
        arxiv_author_id: str | None = None,
        name_variants: Sequence[str] | None = None,
        usual_categories: Sequence[str] | None = None,
        affiliations: Sequence[str] | None = None,
    ) -> Author:
        """Insert an author, or update the one with the same `openalex_id`.

        Without an OpenAlex id there is nothing stable to match on, so a new row is inserted.
        On update: `display_name` is replaced; the other ids keep their stored value when
        passed None; list fields are replaced only when passed (not None); `created_at` and
        the metrics are kept. Returns the stored row, refreshed.
        """
        now = require_aware(now, "now")
        values: dict[str, Any] = {
            "display_name": display_name,
            "openalex_id": openalex_id,
            "orcid": orcid,
            "s2_id": s2_id,
            "arxiv_author_id": arxiv_author_id,
            "name_variants": list(name_variants or []),
            "usual_categories": list(usual_categories or []),
            "affiliations": list(affiliations or []),
            "created_at": now,
            "updated_at": now,
        }
        if openalex_id is None:
            author = Author(**values)
            self.session.add(author)
            await self.session.flush()
            return author

        stmt = upsert_insert(self.session, Author).values(**values)
        table = Author.__table__.c
        set_: dict[str, Any] = {
            "display_name": stmt.excluded.display_name,
            "updated_at": stmt.excluded.updated_at,
        }
        for column in ("orcid", "s2_id", "arxiv_author_id"):
            set_[column] = func.coalesce(stmt.excluded[column], table[column])
        for column, given in (
            ("name_variants", name_variants),
            ("usual_categories", usual_categories),
            ("affiliations", affiliations),
        ):
            if given is not None:
                set_[column] = stmt.excluded[column]
        stmt = stmt.on_conflict_do_update(index_elements=[Author.openalex_id], set_=set_)
        result = await self.session.execute(
            stmt.returning(Author), execution_options={"populate_existing": True}
        )
        return result.scalar_one()

    async def set_name_keys(self, author_id: int, keys: Iterable[str]) -> None:
        """Make `keys` the author's complete set of normalised match keys (replaces the old)."""
        wanted = unique(k for k in keys if k)
        remove = delete(AuthorNameKey).where(AuthorNameKey.author_id == author_id)
        if wanted:
            remove = remove.where(AuthorNameKey.key.not_in(wanted))
        await self.session.execute(remove)
        if wanted:
            stmt = upsert_insert(self.session, AuthorNameKey).on_conflict_do_nothing(
                index_elements=[AuthorNameKey.author_id, AuthorNameKey.key]
            )
            await self.session.execute(stmt, [{"author_id": author_id, "key": k} for k in wanted])

    async def identities(self) -> list[tuple[int, str, list[str]]]:
        """Every author's (id, display name, name variants): what their match keys come from."""
        result = await self.session.execute(
            select(Author.id, Author.display_name, Author.name_variants).order_by(Author.id)
        )
        return [(i, name, list(variants or ())) for i, name, variants in result.all()]

    async def name_keys_by_author(self) -> dict[int, set[str]]:
        """Every stored match key, by author id (one query)."""
        result = await self.session.execute(select(AuthorNameKey.author_id, AuthorNameKey.key))
        keys: dict[int, set[str]] = {}
        for author_id, key in result.all():
            keys.setdefault(author_id, set()).add(key)
        return keys

    async def name_keys_of(self, author_id: int) -> list[str]:
        """The author's match keys, sorted."""
        result = await self.session.execute(
            select(AuthorNameKey.key)
            .where(AuthorNameKey.author_id == author_id)
            .order_by(AuthorNameKey.key)
        )
        return list(result.scalars())

    async def find_by_name_keys(self, keys: Iterable[str]) -> dict[str, list[int]]:
        """For each key that matches, the ids of the authors having it (sorted).

        Keys without a match are absent from the result. One indexed query per 5,000
        distinct keys, so matching a whole feed page costs one round trip.
        """
        wanted = unique(keys)
        matches: dict[str, list[int]] = {}
        for chunk in chunked(wanted):
            result = await self.session.execute(
                select(AuthorNameKey.key, AuthorNameKey.author_id)
                .where(AuthorNameKey.key.in_(chunk))
                .order_by(AuthorNameKey.key, AuthorNameKey.author_id)
            )
            for key, author_id in result:
                matches.setdefault(key, []).append(author_id)
        return matches

    async def record_history(
        self,
        author_id: int,
        *,
        fetched_at: datetime,
        confirmed: int | None,
        usual_categories: Sequence[str],
    ) -> None:
        """The author's arXiv papers were fetched completely at `fetched_at`: `confirmed` of
        them by the identity source (None: it did not answer), in these usual categories."""
        fetched_at = require_aware(fetched_at, "fetched_at")
        await self.session.execute(
            update(Author)
            .where(Author.id == author_id)
            .values(
                papers_fetched_at=fetched_at,
                arxiv_confirmed=confirmed,
                usual_categories=list(usual_categories),
                updated_at=fetched_at,
            )
        )

    async def update_metrics(
        self,
        author_id: int,
        *,
        h_index: int | None,
        citations: int | None,
        works_count: int | None,
        counts_by_year: Sequence[dict[str, Any]],
        source: str,
        as_of: datetime,
        topic_field: str | None = None,
    ) -> bool:
        """Replace the cached metrics of an author; False when the author does not exist.

        `counts_by_year` is a list of {"year", "works_count", "cited_by_count"}; `source` is
        e.g. 'openalex' or 'semantic_scholar'; `as_of` is when the source was asked.
        `topic_field` replaces the stored one only when given (Semantic Scholar has none).
        """
        as_of = require_aware(as_of, "as_of")
        field = {"topic_field": topic_field[:200]} if topic_field else {}
        result = await self.session.execute(
            update(Author)
            .where(Author.id == author_id)
            .values(
                h_index=h_index,
                citations=citations,
                works_count=works_count,
                counts_by_year=[dict(row) for row in counts_by_year],
                metrics_source=source,
                metrics_as_of=as_of,
                updated_at=as_of,
                **field,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
