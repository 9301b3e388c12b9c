"""Fixtures for the database tests: a fixed "now" and record factories (`db`, the migrated
`Database` on SQLite and on PostgreSQL, comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord

# A fixed "now" for tests: Monday 6 January 2025, 12:00 UTC.
T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def t0() -> datetime:
    return T0


PaperFactory = Callable[..., PaperRecord]


@pytest.fixture
def make_paper() -> PaperFactory:
    """Build a `PaperRecord` with sensible defaults; override any field by keyword."""

    def build(arxiv_id: str, version: int = 1, **overrides: Any) -> PaperRecord:
        published = overrides.pop("published", T0 - timedelta(days=2))
        values: dict[str, Any] = {
            "arxiv_id": arxiv_id,
            "version": version,
            "title": f"Paper {arxiv_id} v{version}",
            "abstract": f"Abstract of {arxiv_id} v{version}.",
            "primary_category": "cs.CV",
            "categories": ("cs.CV", "cs.LG"),
            "published": published,
            "updated": published + timedelta(days=version - 1),
            "authors": (
                PaperAuthorRecord("Ada Lovelace", ("Analytical Engines Ltd",)),
                PaperAuthorRecord(f"Author {version}"),
            ),
        }
        values.update(overrides)
        return PaperRecord(**values)

    return build
