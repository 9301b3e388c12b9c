"""Dialect-specific statement builders shared by the repositories."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

T = TypeVar("T")

# Bound parameters per IN list: well under SQLite's 32,766 and asyncpg's 32,767 limits.
IN_CHUNK = 5_000
ERROR_MAX_CHARS = 1_000


def dialect_name(session: AsyncSession) -> str:
    """'sqlite' or 'postgresql', from the engine the session is bound to."""
    bind = session.bind if session.bind is not None else session.get_bind()
    return bind.dialect.name


def upsert_insert(session: AsyncSession, entity: Any) -> Any:
    """`INSERT` that supports `on_conflict_do_*` (use `index_elements`, never `constraint=`)."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(items: Iterable[T]) -> list[T]:
    """The items without duplicates, first occurrence order kept."""
    return list(dict.fromkeys(items))


def short_error(error: str | BaseException | None) -> str | None:
    """An error message cut to a size fit for a status column."""
    if error is None:
        return None
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return message if len(message) <= ERROR_MAX_CHARS else message[: ERROR_MAX_CHARS - 1] + "…"
