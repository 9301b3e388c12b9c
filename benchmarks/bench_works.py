"""Benchmark works at every venue (a script that prints figures, not a test).

    .venv/bin/python benchmarks/bench_works.py            # full size
    .venv/bin/python benchmarks/bench_works.py --smoke    # tiny and quick (CI)

It prints:

1. Requests one poll cycle makes for 1,000 followed authors, per source, against a local fake
   upstream: the runtime's own `PollingService.run_cycle` (`bot.runtime.open_runtime`) with
   every feed due (the arXiv API and listing feeds, the OpenAlex works feed, the PubMed feed)
   over a migrated SQLite with 1,000 followed authors (a name and a variant each, as in
   bench_sources.py, usual category q-bio.PE, an OpenAlex id and an ORCID, earlier papers
   already fetched); every 10th author has a new PubMed record.
2. Merge + store throughput of OpenAlex works on SQLite: a generated works page of 3,000 works
   by the followed authors (a third new journal articles, a third bioRxiv preprints, a third
   journal versions of preprints already stored, which merge into them), parsed
   (`parse_works_page`), turned into records (`work_records.work_paper`), checked to name the
   author, and stored by the poller's own `store_matches` in one transaction.
Everything runs on loopback: no internet.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from benchmarks.bench_sources import variant_of
from bot.runtime import open_runtime
from bot.services.openalex_works import IdentityMatch
from bot.services.paper_store import store_matches
from bot.services.work_records import names_them, surnames_of, work_paper
from bot.sources.openalex_parsing import parse_works_page
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import FakeUpstream, realistic_names
from tests.harness.services import settings_on
from tests.sources.pubmed_upstream import (
    ESEARCH,
    ORCID_IN_TERM,
    orcids,
    route_efetch,
    route_esearch,
)

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
EMPTY_WORKS = b'{"meta": {"count": 0, "next_cursor": null}, "results": []}'


def openalex_id(number: int) -> str:
    return f"A{5_100_000_000 + number}"


async def followed_database(url: str, names: list[str], orcid_of: list[str] | None = None) -> None:
    """A migrated SQLite file with the authors followed (a name variant, usual category
    q-bio.PE, OpenAlex ids, ORCIDs when given, earlier papers fetched; every 10th instantly)."""
    from db.database import Database
    from db.migrate import upgrade_to_head_async
    from db.repositories.authors import AuthorRepository
    from db.repositories.follows import FollowRepository

    await upgrade_to_head_async(url)
    database = Database(url)
    try:
        async with database.transaction() as session:
            authors = AuthorRepository(session)
            follows = FollowRepository(session)
            for number, name in enumerate(names):
                author = await authors.upsert(
                    display_name=name,
                    openalex_id=openalex_id(number),
                    orcid=orcid_of[number] if orcid_of else None,
                    name_variants=[variant_of(name)],
                    now=NOW - timedelta(30),
                )
                await authors.record_history(
                    author.id,
                    fetched_at=NOW - timedelta(30),
                    confirmed=0,
                    usual_categories=["q-bio.PE"],
                )
                await follows.add(
                    author_id=author.id,
                    scope="user",
                    user_id=10_000 + number,
                    notify="instant" if number % 10 == 0 else "weekly",
                    now=NOW - timedelta(days=30),
                )
    finally:
        await database.dispose()


# --- 1. requests per cycle ---------------------------------------------------------------------


async def requests_per_cycle(size: int, folder: Path) -> None:
    print(f"1. Requests per poll cycle, {size:,} followed authors, per source")
    names = realistic_names(size, seed=5)
    async with FakeUpstream() as upstream:
        upstream.add_route(
            "GET",
            "/api/query",
            body=b'<feed xmlns="http://www.w3.org/2005/Atom" '
            b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
            b"<opensearch:totalResults>0</opensearch:totalResults></feed>",
            query={"search_query": re.compile("au:")},
        )
        upstream.add_route(
            "GET",
            "/rss/q-bio.PE",
            fixture="arxiv_rss/rss_test_empty-weekend-style.xml",
            content_type="application/rss+xml; charset=utf-8",
        )
        upstream.add_route(
            "GET", "/openalex/works", body=EMPTY_WORKS, content_type="application/json"
        )
        authors = orcids(size)
        papers = {o: str(45_000_000 + i) for i, o in enumerate(authors) if i % 10 == 0}
        route_esearch(
            upstream, lambda term: [papers[o] for o in ORCID_IN_TERM.findall(term) if o in papers]
        )
        route_efetch(upstream)
        url = f"sqlite+aiosqlite:///{folder / 'cycle.db'}"
        await followed_database(url, names, authors)
        settings = settings_on(
            upstream,
            database_url=url,
            semantic_scholar_api_url="",
            arxiv_min_interval_seconds=0,
        )
        # The clock moves when the limiters wait (PubMed: 3 a second without a key).
        async with open_runtime(settings, clock=ManualClock(NOW)) as runtime:
            summary = await runtime.services.polling.run_cycle()
    if summary.errors:
        raise SystemExit(f"the cycle failed: {summary.errors}")
    requests = summary.requests
    arxiv = requests.get("arxiv_api", 0) + requests.get("arxiv_rss", 0)
    searches = len(upstream.requests_to(ESEARCH))
    print(f"   {'feed':<22} | {'requests':>8} | budget")
    print(f"   {'arXiv API + listing':<22} | {arxiv:>8} | <= 60")
    print(f"   {'OpenAlex works':<22} | {requests.get('openalex', 0):>8} | <= 10")
    print(
        f"   {'PubMed':<22} | {requests.get('pubmed', 0):>8} | <= 60"
        f"   ({searches} searches, {len(papers)} new records)"
    )
    print(f"   feeds polled: {', '.join(summary.feeds_polled)}")
    print()


# --- 2. merge + store throughput ---------------------------------------------------------------


def _work(number: int, authors: list[tuple[str, str]], kind: str) -> dict[str, Any]:
    """One OpenAlex Work in the API's shape (see tests/fixtures/openalex)."""
    day = (NOW - timedelta(days=number % 20)).date().isoformat()
    if kind == "preprint":
        doi, venue, venue_type, others = f"10.1101/bench.{number}", "bioRxiv", "repository", []
    elif kind == "journal version":  # of preprint `number - 1`
        doi, venue, venue_type = f"10.5555/bench.{number}", "Ecology Letters", "journal"
        others = [f"https://doi.org/10.1101/bench.{number - 1}"]
    else:
        doi, venue, venue_type, others = f"10.5555/bench.{number}", "Oikos", "journal", []

    def location(url: str) -> dict[str, Any]:
        source = {"id": "https://openalex.org/S1", "display_name": venue, "type": venue_type}
        return {"landing_page_url": url, "pdf_url": None, "source": source}

    locations = [location(f"https://doi.org/{doi}"), *(location(u) for u in others)]
    return {
        "id": f"https://openalex.org/W{9_500_000_000 + number}",
        "doi": f"https://doi.org/{doi}",
        "title": f"Population dynamics under a changing climate, part {number}",
        "publication_date": day,
        "created_date": day,
        "updated_date": f"{day}T03:00:00.000000",
        "type": "preprint" if kind == "preprint" else "article",
        "ids": {"openalex": f"https://openalex.org/W{9_500_000_000 + number}"},
        "primary_location": locations[0],
        "locations": locations,
        "authorships": [
            {
                "author": {"id": f"https://openalex.org/{aid}", "display_name": name},
                "raw_author_name": name,
                "institutions": [{"display_name": "University of Somewhere"}],
                "raw_affiliation_strings": ["University of Somewhere"],
            }
            for aid, name in authors
        ],
        "abstract_inverted_index": {"We": [0], "model": [1], "populations.": [2]},
        "cited_by_count": number % 7,
    }


def works_page(count: int, names: list[str]) -> bytes:
    """`count` works by 1-3 followed authors each: journal articles, then preprint and journal
    version pairs (the version follows its preprint's number)."""
    kinds = ("journal", "preprint", "journal version")
    results = []
    for number in range(count):
        group = number // 3  # a preprint and its journal version have the same 1-3 authors
        people = [(group * 7 + k) % len(names) for k in range(1 + group % 3)]
        results.append(
            _work(number, [(openalex_id(i), names[i]) for i in people], kinds[number % 3])
        )
    return json.dumps({"meta": {"count": count, "next_cursor": None}, "results": results}).encode()


def identity_matches(
    page: bytes, by_openalex: dict[str, int], surnames: dict[int, frozenset[str]]
) -> list[IdentityMatch]:
    """What the works feed links: each work's record to the followed authors it names."""
    works, _cursor, _count = parse_works_page(json.loads(page), now=NOW)
    matches = []
    for work in works:
        record = work_paper(work)
        for short in sorted(work.author_ids):
            author = by_openalex.get(short)
            if record is not None and author is not None:
                if names_them(record, surnames[author], who=author):
                    matches.append(IdentityMatch(record, author))
    return matches


async def store_throughput(count: int, repeat: int, folder: Path) -> None:
    from db.database import Database
    from db.repositories.follows import FollowRepository

    print(f"2. Merge + store of OpenAlex works on SQLite, {count:,} works, best of {repeat}")
    names = realistic_names(1000, seed=7)
    # The preprints are stored first (an earlier run); the timed page has the journal articles
    # and the journal versions of those preprints.
    every = json.loads(works_page(count, names))["results"]
    before, timed = ([w for w in every if (w["type"] == "preprint") == p] for p in (True, False))
    earlier = json.dumps({"meta": {"count": len(before)}, "results": before}).encode()
    page = json.dumps({"meta": {"count": len(timed)}, "results": timed}).encode()
    works = len(timed)
    best_parse = best_store = float("inf")
    result = None
    for run in range(repeat):
        url = f"sqlite+aiosqlite:///{folder / f'store{run}.db'}"
        await followed_database(url, names)
        database = Database(url)
        try:
            async with database.reader() as session:
                rows = await FollowRepository(session).followed_authors()
            by_openalex = {str(a.openalex_id): a.id for a in rows}
            surnames = {a.id: surnames_of([a.display_name]) for a in rows}
            async with database.transaction() as session:
                await store_matches(
                    session, identity_matches(earlier, by_openalex, surnames), now=NOW
                )
            gc.collect()
            started = time.perf_counter()
            matches = identity_matches(page, by_openalex, surnames)
            parsed = time.perf_counter()
            async with database.transaction() as session:
                result = await store_matches(session, matches, now=NOW + timedelta(hours=1))
            best_store = min(best_store, time.perf_counter() - parsed)
            best_parse = min(best_parse, parsed - started)
        finally:
            await database.dispose()
    assert result is not None
    print(
        f"   merge + store:           {works / best_store:>7,.0f} works/s "
        f"({best_store * 1000:.1f} ms for {works:,} works: {result.papers_new:,} new, "
        f"{works - result.papers_new:,} merged into their stored preprints; "
        f"{result.links_made:,} links; budget >= 3,000 works/s)"
    )
    print(
        f"   parse + records + check: {works / best_parse:>7,.0f} works/s "
        f"({best_parse * 1000:.1f} ms: JSON, `parse_works_page`, `work_paper`, the surname check)"
    )
    both = best_parse + best_store
    print(f"   the two together:        {works / both:>7,.0f} works/s")
    print()


async def main(smoke: bool) -> None:
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="paperscout-works-") as folder:
        if smoke:
            await requests_per_cycle(50, Path(folder))
            await store_throughput(60, 1, Path(folder))
            return
        await requests_per_cycle(1000, Path(folder))
        await store_throughput(4500, 3, Path(folder))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, runs in seconds (CI)")
    args = parser.parse_args()
    asyncio.run(main(args.smoke))
