"""The homonym guard through a real poll: two different people called Andreas Steiner.

The vision researcher (cs.CV, cs.LG) and the physicist (cond-mat.str-el) are both followed,
by different users. The arXiv author query answers with a synthetic page holding the
physicist's paper, an initial-only "A. Steiner" in cs.CV, a full-name "Andreas Steiner" in
cs.AI, and an initial-only "A. Steiner" in atomic physics (neither of them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services.polling import PollingService
from db.database import Database
from db.models import AuthorPaper, OutboxEntry, Paper
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream
from tests.services.conftest import Dest, follow_author

STEINER_PAGE = "arxiv_api/synthetic_query_au-Andreas-Steiner_homonyms.atom.xml"


def route_steiner(upstream: FakeUpstream) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        fixture=STEINER_PAGE,
        query={"search_query": re.compile(r'au:"Andreas Steiner"')},
    )
    empty = "arxiv_rss/rss_test_empty-weekend-style.xml"
    for path in ("/rss/cs.CV+cs.LG", "/rss/cond-mat.str-el+cs.CV+cs.LG"):
        upstream.add_route("GET", path, fixture=empty, content_type="application/rss+xml")


async def linked(db: Database) -> set[tuple[int, str, str]]:
    async with db.reader() as session:
        rows = await session.execute(
            select(AuthorPaper.author_id, Paper.arxiv_id, AuthorPaper.matched_by).join(
                Paper, Paper.id == AuthorPaper.paper_id
            )
        )
        return {(a, p, m) for a, p, m in rows}


async def alerted(db: Database) -> set[tuple[int, str]]:
    async with db.reader() as session:
        rows = await session.execute(select(OutboxEntry))
        entries = list(rows.scalars())
        ids = {p.id: p.arxiv_id for p in (await session.execute(select(Paper))).scalars()}
    return {(e.destination_id, ids[e.payload["paper_id"]]) for e in entries}


async def test_each_steiner_gets_only_their_own_papers(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 11, 28, 6, 0, tzinfo=UTC))
    route_steiner(upstream)
    followed = datetime(2026, 11, 1, tzinfo=UTC)
    vision = await follow_author(
        db,
        "Andreas Steiner",
        created_at=followed,
        categories=["cs.CV", "cs.LG"],
        openalex_id="A5000000010",
        destinations=(Dest("user", 111),),
    )
    physicist = await follow_author(
        db,
        "Andreas Steiner",
        created_at=followed,
        categories=["cond-mat.str-el"],
        openalex_id="A5000000020",
        destinations=(Dest("user", 222),),
    )

    summary = await service.run_cycle()

    assert summary.errors == []
    assert await linked(db) == {
        (vision, "2611.30002", "name-initial"),  # "A. Steiner" in cs.CV: same category
        (vision, "2611.30003", "name"),  # full name in cs.AI: same archive
        (physicist, "2611.30001", "name"),  # his cond-mat.str-el paper
    }
    # The atomic-physics "A. Steiner" is neither; the vision researcher never hears of physics.
    assert await alerted(db) == {(111, "2611.30002"), (111, "2611.30003"), (222, "2611.30001")}
    async with db.reader() as session:
        stored = set((await session.execute(select(Paper.arxiv_id))).scalars())
    assert "2611.30004" not in stored
    assert summary.matches == 3
    # Vision: the physicist's paper and the atom-ph "A. Steiner"; physicist: the other three.
    assert summary.homonyms_rejected == 5


async def test_a_known_coauthor_vouches_for_a_paper_outside_the_usual_categories(
    db: Database, service: PollingService, upstream: FakeUpstream, clock: ManualClock
) -> None:
    """Cycle 1 links the cs.CV paper with Xiaohua Zhai; cycle 2 brings an initial-only
    "A. Steiner" paper in math.OC with Zhai: accepted because Zhai is a known co-author."""
    clock.set(datetime(2026, 11, 28, 6, 0, tzinfo=UTC))
    route_steiner(upstream)
    vision = await follow_author(
        db,
        "Andreas Steiner",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        categories=["cs.CV", "cs.LG"],
        destinations=(Dest("user", 111),),
    )
    await service.run_cycle()

    # Derived in code from the synthetic page: the cs.AI entry becomes math.OC with Zhai.
    page = upstream.fixture_bytes(STEINER_PAGE).decode()
    page = page.replace("2611.30003", "2611.30009").replace('"cs.AI"', '"math.OC"')
    page = page.replace(
        "<name>Andreas Steiner</name>\n      <arxiv:affiliation>Google",
        "<name>A. Steiner</name>\n      <arxiv:affiliation>Google",
    )
    page = page.replace("André Susano Pinto", "Xiaohua Zhai")
    upstream.add_route(
        "GET",
        "/api/query",
        body=page.encode(),
        query={"search_query": re.compile(r'au:"Andreas Steiner"')},
    )
    clock.advance(timedelta(hours=2))
    summary = await service.run_cycle()

    assert summary.papers_new == 1
    assert (vision, "2611.30009", "name-initial") in await linked(db)
    assert (111, "2611.30009") in await alerted(db)
