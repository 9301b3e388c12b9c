"""Numbers and dates a source sends out of range are unknown, on SQLite and PostgreSQL alike.

Bodies are the recorded ones with values replaced in code: an OpenAlex author whose h-index is
10**30 (SQLite raised `OverflowError`) and whose citations are 3,000,000,000 (PostgreSQL's
INTEGER refused it while SQLite stored it); per-paper citation counts of 3,000,000,000; arXiv
entries dated 9999-12-31 and 0001-01-01 (they were stored, and sorted first).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.metrics_refresh import MetricsRefresher
from bot.services.polling import PollingService
from bot.sources.factory import Sources
from db.database import Database
from db.models import Paper
from db.repositories.authors import AuthorRepository
from db.repositories.paper_writes import PaperRecord
from db.repositories.papers import PaperRepository
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.services.conftest import follow_author
from tests.services.test_polling_cycle import PAGE1, follow_del_maestro, route_del_maestro
from tests.sources.citation_upstream import route_openalex_citations

PIWOWAR = "A5048491430"
AUTHORS_FIXTURE = "openalex/synthetic_authors_filter-openalex_2ids.json"


def route_piwowar_out_of_range(upstream: FakeUpstream) -> None:
    """The recorded Piwowar record with an absurd h-index, citations and one year's count."""
    body = json.loads(upstream.fixture_bytes(AUTHORS_FIXTURE))
    (record,) = [r for r in body["results"] if r["id"].endswith(PIWOWAR)]
    record["summary_stats"]["h_index"] = 10**30
    record["cited_by_count"] = 3_000_000_000
    record["counts_by_year"][0]["cited_by_count"] = 3_000_000_000  # the year 2025
    body["results"] = [record]
    upstream.add_route(
        "GET",
        "/openalex/authors",
        body=json.dumps(body).encode(),
        content_type="application/json",
        query={"filter": f"openalex:{PIWOWAR}"},
    )


async def test_metrics_refresh_stores_out_of_range_counts_as_unknown(
    db: Database,
    sources: Sources,
    upstream: FakeUpstream,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = clock.now()
    author_id = await follow_author(
        db, "Heather Piwowar", created_at=now - timedelta(days=9), openalex_id=PIWOWAR
    )
    async with db.transaction() as session:
        papers = PaperRepository(session)
        records = [
            PaperRecord(
                arxiv_id=arxiv_id,
                title=arxiv_id,
                published=now - timedelta(days=30),
                updated=now - timedelta(days=30),
                primary_category="cs.DL",
            )
            for arxiv_id in ("2401.00001", "2401.00002")
        ]
        ids = (await papers.upsert_many(records, now=now)).ids
        await papers.link_authors([(author_id, i, "name") for i in ids.values()], now=now)
    route_piwowar_out_of_range(upstream)
    route_openalex_citations(upstream, {"2401.00001": 3_000_000_000, "2401.00002": 12})
    refresher = MetricsRefresher(db, clock, openalex=sources.openalex, semantic_scholar=None)

    with caplog.at_level(logging.WARNING, logger="bot.sources.counts"):
        report = await refresher.refresh_followed()

    assert (report.refreshed, report.failed_batches) == (1, 0)
    assert (report.papers_counted, report.papers_unknown, report.paper_failed_batches) == (1, 1, 0)
    async with db.reader() as session:
        author = await AuthorRepository(session).get(author_id)
        stored = await PaperRepository(session).list_by_ids(ids.values())
    assert author is not None
    assert (author.h_index, author.citations, author.works_count) == (None, None, 96)
    years = [row["year"] for row in author.counts_by_year]
    assert 2025 not in years and 2024 in years  # that year is unknown, not 0 and not 3e9
    assert author.metrics_as_of == now
    assert {p.arxiv_id: p.citations for p in stored} == {"2401.00001": None, "2401.00002": 12}
    warned = [r.getMessage() for r in caplog.records]
    assert any("summary_stats.h_index" in m and "100-bit integer" in m for m in warned)
    assert not any(str(10**30) in m for m in warned)  # named, never printed in full


async def test_poll_keeps_entries_with_absurd_dates_out(
    db: Database,
    service: PollingService,
    upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = upstream.fixture_bytes(PAGE1)
    for good, absurd in (
        (b"<updated>2024-02-27T19:17:11Z", b"<updated>9999-12-31T00:00:00Z"),
        (b"<published>2024-02-27T19:17:11Z", b"<published>9999-12-31T00:00:00Z"),
        (b"<published>2014-12-19T21:00:08Z", b"<published>0001-01-01T00:00:00Z"),
    ):
        assert good in page
        page = page.replace(good, absurd)
    route_del_maestro(upstream, page1=page)
    await follow_del_maestro(db)

    with caplog.at_level(logging.WARNING):
        summary = await service.run_cycle()

    assert summary.errors == []
    # 2402.17843 has no plausible date at all; 1412.6529's v1 date is unknown, and only the v1
    # date places a paper (priming, sorting): neither is stored. The nine others are.
    assert summary.papers_new == 9
    async with db.reader() as session:
        rows = (await session.execute(select(Paper.arxiv_id, Paper.published))).all()
    stored = dict(rows)
    assert "2402.17843" not in stored and "1412.6529" not in stored
    assert len(stored) == 9
    assert max(stored.values()) == datetime(2024, 4, 10, 17, 30, tzinfo=UTC)  # 2404.02222
    assert min(stored.values()) == datetime(2003, 8, 5, 20, 23, 10, tzinfo=UTC)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "2402.17843" in warned and "9999-12-31" in warned
    assert "1412.6529" in warned and "0001-01-01" in warned
