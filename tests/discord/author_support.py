"""Shared set-up of the author tests: the fake upstream, a fixed clock, seeded authors.

The OpenAlex search and arXiv query bodies are fixtures (see tests/fixtures/README.md); papers
seeded straight into the database are built here, in code, and say so.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sources.http_policy import RetryPolicy
from db.database import Database
from db.repositories.authors import AuthorRepository
from db.repositories.paper_writes import PaperAuthorRecord, PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.bot_harness import BotHarness
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.harness.fixtures import HarnessFactory

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def FixedClock(now: datetime = NOW) -> ManualClock:
    """The bot's clock in the author tests: a `ManualClock` at `NOW` the test can move."""
    return ManualClock(now)


def upstream_settings(upstream: FakeUpstream, **extra: Any) -> dict[str, Any]:
    """Every source pointed at the fake upstream, arXiv spacing off (no real waits)."""
    return {
        "arxiv_api_url": upstream.arxiv_api_url,
        "arxiv_rss_url": upstream.arxiv_rss_url,
        "openalex_api_url": upstream.openalex_url,
        "semantic_scholar_api_url": upstream.semantic_scholar_url,
        "arxiv_min_interval_seconds": 0.0,
        "http_timeout_seconds": 5.0,
        **extra,
    }


@asynccontextmanager
async def author_bot(
    harness_factory: HarnessFactory,
    upstream: FakeUpstream,
    *,
    database_url: str | None = None,
    clock: ManualClock | None = None,
    migrate: bool = True,
    **settings: Any,
) -> AsyncIterator[BotHarness]:
    """The real bot against the fake Discord and the fake upstream, retries off (no sleeps)."""
    async with harness_factory(
        database_url=database_url,
        migrate=migrate,
        clock=clock or FixedClock(),
        settings=upstream_settings(upstream, **settings),
    ) as h:
        assert h.bot.runtime is not None
        sources = h.bot.runtime.sources
        for source in (sources.openalex, sources.semantic_scholar, sources.arxiv_api):
            source.http.options = replace(source.http.options, retry=RetryPolicy(max_attempts=1))
        yield h


def paper(
    arxiv_id: str,
    *,
    title: str,
    published: datetime,
    authors: Sequence[str | tuple[str, Sequence[str]]],
    category: str = "cs.DL",
    abstract: str = "",
) -> PaperRecord:
    """A paper built in code (not a recording)."""
    lines = [
        PaperAuthorRecord(a) if isinstance(a, str) else PaperAuthorRecord(a[0], tuple(a[1]))
        for a in authors
    ]
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        published=published,
        updated=published,
        primary_category=category,
        abstract=abstract or f"We study {title.lower()}.",
        categories=(category,),
        authors=tuple(lines),
    )


async def seed_author(
    database: Database,
    name: str,
    papers: Sequence[PaperRecord] = (),
    *,
    openalex_id: str | None = None,
    metrics_as_of: datetime | None = NOW,
    h_index: int | None = 12,
    citations: int | None = 3400,
    works_count: int | None = 80,
    counts_by_year: Sequence[dict[str, int]] = (
        {"year": 2024, "works_count": 5, "cited_by_count": 410},
        {"year": 2025, "works_count": 6, "cited_by_count": 520},
    ),
    affiliations: Sequence[str] = (),
    papers_fetched: bool = True,
) -> int:
    """An author stored with cached metrics (unless `metrics_as_of` is None) and papers
    (`papers_fetched` False: their arXiv papers were never fetched completely)."""
    from bot.services.author_fetch import match_keys

    async with database.transaction() as session:
        authors = AuthorRepository(session)
        author = await authors.upsert(
            display_name=name,
            now=NOW - timedelta(days=30),
            openalex_id=openalex_id,
            name_variants=[name],
            affiliations=list(affiliations),
        )
        await authors.set_name_keys(author.id, match_keys([name]))
        if metrics_as_of is not None:
            await authors.update_metrics(
                author.id,
                h_index=h_index,
                citations=citations,
                works_count=works_count,
                counts_by_year=list(counts_by_year),
                source="openalex",
                as_of=metrics_as_of,
            )
        if papers:
            repo = PaperRepository(session)
            result = await repo.upsert_many(papers, now=NOW - timedelta(days=1))
            await repo.link_authors(
                [(author.id, pid, "name") for pid in result.ids.values()], now=NOW
            )
        if papers_fetched:  # these are all their papers: nothing for a profile to fetch
            await authors.record_history(
                author.id,
                fetched_at=NOW - timedelta(days=30),
                confirmed=None,
                usual_categories=[],
            )
        return author.id


def decode_png(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG that really decodes (Pillow reads every pixel)."""
    from PIL import Image

    assert data.startswith(PNG_MAGIC)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def embed_total(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards the 6,000 of a message."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total


def assert_within_discord_limits(embed: dict[str, Any]) -> None:
    assert len(embed.get("title", "")) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert len(embed.get("fields", [])) <= 25
    for f in embed.get("fields", []):
        assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
    assert len((embed.get("footer") or {}).get("text", "")) <= 2048
    assert embed_total(embed) <= 6000


def profile_button(message: dict[str, Any], action: str) -> str:
    """The custom id of a profile card's `action` button (`profile:<action>:<author id>`)."""
    (custom_id,) = [c for c in buttons(message) if c.startswith(f"profile:{action}:")]
    return custom_id


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's buttons by custom_id."""
    return {
        c["custom_id"]: c
        for row in message.get("components", [])
        for c in row.get("components", [])
        if "custom_id" in c
    }


def links(message: dict[str, Any]) -> dict[str, str]:
    """The message's link buttons, label -> URL."""
    return {
        c["label"]: c["url"]
        for row in message.get("components", [])
        for c in row.get("components", [])
        if "url" in c
    }


def figures(embed: dict[str, Any]) -> dict[str, str]:
    """A profile card's inline fields (the figures it leads with), label -> value."""
    return {f["name"]: f["value"] for f in embed.get("fields", []) if f.get("inline")}


def paper_titles(embed: dict[str, Any]) -> list[str]:
    """A profile card's recent papers: the headings of its full-width fields."""
    return [f["name"] for f in embed.get("fields", []) if not f.get("inline")]
