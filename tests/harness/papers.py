"""Papers built in code (not recordings) for tests of matching and identity."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sources.models import Paper, PaperAuthor


def built_paper(arxiv_id: str, names: list[str], category: str) -> Paper:
    """A paper by `names` in one `category`; its dates do not matter to the caller."""
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=f"Paper {arxiv_id}",
        abstract="",
        authors=tuple(PaperAuthor(n) for n in names),
        primary_category=category,
        categories=(category,),
        published=datetime(2024, 1, 1, tzinfo=UTC),
        updated=None,
    )
