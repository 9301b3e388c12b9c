"""Benchmark the upstream sources layer (a script that prints figures, not a test).

    .venv/bin/python benchmarks/bench_sources.py            # full size
    .venv/bin/python benchmarks/bench_sources.py --smoke    # tiny and quick (CI)

It prints:

1. Requests one poll makes to arXiv for 10 / 100 / 1,000 followed authors (generated realistic
   names), batched by `ArxivApiSource.search_authors`, next to the one-request-per-author count,
   with the longest request line. The local server answers each batch with about 0.3 papers per
   author, so paging is counted too. OpenAlex works calls for the same authors are shown as well.
2. Parser throughput in entries/s on the same bytes: our lxml parser (`parse_arxiv_atom`) vs the
   `arxiv` package's lxml parser (and feedparser for reference), on a generated feed of 2,000
   entries cloned from the real recorded entry shapes (tests/fixtures/arxiv_api). Also our
   parse + name matching against 1,000 followed authors.
3. Fetching the same paged query (2,000 entries, 200 per page) from the same local server:
   our `ArxivApiSource` vs the `arxiv` package's `Client` (both with no inter-request delay).

   Then parse + match + store on SQLite: the same kind of feed parsed, matched against 1,000
   followed authors (name index + homonym guard, `bot.services.homonym_guard`), and stored by the
   poller's own store path (`bot.services.paper_store.store_matches`: bulk upsert, author links,
   instant alerts) into a fresh migrated SQLite file, one transaction per feed as a poll does.
Everything runs on loopback: no internet.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import math
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tempfile

import aiohttp

from bot.names import fold_accents
from bot.names.papers import build_index, match_papers
from bot.services.arxiv_feeds import (
    DEFAULT_AUTHORS_PER_REQUEST,
    DEFAULT_NAMES_PER_AUTHOR,
    plan_name_batches,
)
from bot.services.homonym_guard import FollowedAuthor, FollowedAuthorMatcher, normalize_categories
from bot.services.paper_store import store_matches
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.http_policy import HttpOptions, RetryPolicy
from bot.sources.limiter import RateLimiter
from bot.sources.openalex import OpenAlexSource
from tests.harness.fake_upstream import (
    FakeUpstream,
    RecordedRequest,
    Reply,
    arxiv_feed,
    generate_arxiv_entries,
    paged_arxiv_handler,
    realistic_names,
)

log = logging.getLogger(__name__)

SINCE = datetime(2026, 11, 27, tzinfo=UTC)
UNTIL = datetime(2026, 11, 28, tzinfo=UTC)
HITS_PER_AUTHOR = 0.3


def best_seconds(run: Callable[[], object], repeat: int) -> float:
    """Best wall time of `repeat` runs (GC off while timing, as timeit does)."""
    times: list[float] = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        finally:
            gc.enable()
    return min(times)


def options() -> HttpOptions:
    return HttpOptions(user_agent="PaperScout-bench", retry=RetryPolicy(max_attempts=1))


# --- 1. requests per poll ------------------------------------------------------------------------


def variant_of(name: str) -> str:
    """A second spelling, as OpenAlex lists them: accents folded, else with a middle initial."""
    folded = fold_accents(name)
    if folded != name:
        return folded
    first, _, rest = name.partition(" ")
    return f"{first} Q. {rest}"


def poll_handler(pool: list[bytes]) -> Callable[[RecordedRequest], Reply]:
    """Answer a batched author query with ~0.3 hits per author, paged by start/max_results."""

    def handler(request: RecordedRequest) -> Reply:
        authors = request.query.get("search_query", "").count("au:")
        total = math.ceil(authors * HITS_PER_AUTHOR)
        start = int(request.query.get("start", "0"))
        size = int(request.query.get("max_results", "100"))
        end = min(start + size, total)
        page = [pool[i % len(pool)] for i in range(start, end)]
        return Reply(arxiv_feed(page, total=total, start=start, per_page=size))

    return handler


async def requests_per_poll(sizes: list[int]) -> None:
    print("1. Requests per poll (arXiv API, batched author query + local filter)")
    print(
        f"   window {SINCE:%Y-%m-%d} .. {UNTIL:%Y-%m-%d}, ~{HITS_PER_AUTHOR} hits/author, page 200"
    )
    header = (
        f"   {'followed':>9} | {'arXiv API+RSS':>13} | {'one per author':>14} | "
        f"{'longest line (B)':>16} | {'OpenAlex works':>14}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    pool = generate_arxiv_entries(50)
    async with FakeUpstream() as upstream, aiohttp.ClientSession() as session:
        upstream.add_route(
            "GET", "/api/query", body=poll_handler(pool), query={"search_query": re.compile("au:")}
        )
        upstream.add_route(
            "GET",
            "/openalex/works",
            body=b'{"meta": {"count": 0, "next_cursor": null}, "results": []}',
            content_type="application/json",
        )
        for size in sizes:
            upstream.requests.clear()
            # Each followed author with a display name and one spelling variant, batched the way
            # PollingService does (two names per author, 40 names per request).
            followed = [
                FollowedAuthor(id=i, display_name=name, name_variants=(variant_of(name),))
                for i, name in enumerate(realistic_names(size))
            ]
            batches = plan_name_batches(
                followed, DEFAULT_NAMES_PER_AUTHOR, DEFAULT_AUTHORS_PER_REQUEST
            )
            api = ArxivApiSource(
                session, upstream.arxiv_api_url, RateLimiter(0.0), options=options(), page_size=200
            )
            requests = 0
            for batch in batches:
                result = await api.search_authors(batch, since=SINCE, until=UNTIL)
                requests += result.requests
            sent = upstream.requests_to("/api/query")
            longest = max(r.request_line_bytes for r in sent)
            openalex = OpenAlexSource(session, upstream.openalex_url, None, options=options())
            await openalex.works_by_authors(
                [f"A{5_000_000_000 + i}" for i in range(size)], since=date(2026, 10, 1)
            )
            works_calls = len(upstream.requests_to("/openalex/works"))
            # + 1: the category listing feed (one RSS request for the union of categories).
            print(
                f"   {size:>9,} | {requests + 1:>13} | {size:>14,} | {longest:>16,} | "
                f"{works_calls:>14}"
            )
    print("   (budget: <= 60 arXiv requests for 1,000 authors; request line < 4,000 bytes)")
    print()


# --- 2. parser throughput ----------------------------------------------------------------------


def parser_throughput(entries: int, repeat: int) -> None:
    import feedparser
    from arxiv import _feed as arxiv_feed_parser

    names = realistic_names(1000, seed=3)
    feed = arxiv_feed(
        generate_arxiv_entries(
            entries,
            authors_for=lambda i: [names[(i * 7 + k) % len(names)] for k in range(1 + i % 6)],
        )
    )
    # Sanity: both parsers see the same entries and the same affiliations.
    ours = parse_arxiv_atom(feed)
    theirs = arxiv_feed_parser.parse(feed)
    assert len(ours.papers) == len(theirs.results) == entries
    assert [len(a.affiliations) for a in ours.papers[2].authors] == [
        len(a.affiliation) for a in theirs.results[2].authors
    ]
    index = build_index((name, name) for name in names[:1000])

    rows: list[tuple[str, float]] = []
    rows.append(
        ("ours: parse_arxiv_atom (lxml)", best_seconds(lambda: parse_arxiv_atom(feed), repeat))
    )
    rows.append(
        (
            "arxiv 4.0.2: arxiv._feed.parse (lxml)",
            best_seconds(lambda: arxiv_feed_parser.parse(feed), repeat),
        )
    )
    rows.append(("feedparser 6.0.14 (reference)", best_seconds(lambda: feedparser.parse(feed), 1)))
    rows.append(
        (
            "ours: parse + match 1,000 followed",
            best_seconds(lambda: match_papers(parse_arxiv_atom(feed).papers, index), repeat),
        )
    )
    print(
        f"2. Parsing the same {len(feed) / 1e6:.2f} MB feed of {entries:,} entries "
        f"(best of {repeat})"
    )
    width = max(len(label) for label, _ in rows)
    for label, seconds in rows:
        print(
            f"   {label:<{width}} | {entries / seconds:>9,.0f} entries/s | "
            f"{seconds * 1000:>7.1f} ms"
        )
    ratio = rows[1][1] / rows[0][1]
    print(f"   ours / arxiv package: {ratio:.2f}x (budget: >= 1.0x)")


async def _followed_database(url: str, names: list[str], categories: list[str]) -> None:
    """A migrated SQLite file with 1,000 followed authors (every 10th followed instantly)."""
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
                    display_name=name, now=SINCE, usual_categories=categories
                )
                await follows.add(
                    author_id=author.id,
                    scope="user",
                    user_id=10_000 + number,
                    notify="instant" if number % 10 == 0 else "weekly",
                    now=SINCE,
                )
    finally:
        await database.dispose()


async def store_throughput(entries: int, repeat: int) -> None:
    """Parse + match (index + homonym guard) + store into a fresh SQLite file, entries/s."""
    from db.database import Database
    from db.repositories.follows import FollowRepository
    from db.repositories.papers import PaperRepository

    names = realistic_names(1000, seed=3)
    feed = arxiv_feed(
        generate_arxiv_entries(
            entries,
            authors_for=lambda i: [names[(i * 7 + k) % len(names)] for k in range(1 + i % 6)],
        )
    )
    # Usual categories: half of the categories the generated entries carry, so the guard
    # accepts some matches by category, some by archive and rejects the rest.
    seen = sorted({c for p in parse_arxiv_atom(feed).papers for c in p.categories})
    categories = sorted(normalize_categories(seen[::2]))
    timings: list[float] = []
    stored_new = 0
    with tempfile.TemporaryDirectory(prefix="paperscout-bench-") as folder:
        for run in range(repeat):
            url = f"sqlite+aiosqlite:///{Path(folder) / f'bench{run}.db'}"
            await _followed_database(url, names, categories)
            database = Database(url)
            try:
                gc.collect()
                started = time.perf_counter()
                async with database.reader() as session:
                    rows = await FollowRepository(session).followed_authors()
                matcher = FollowedAuthorMatcher(FollowedAuthor.from_row(a) for a in rows)
                papers = parse_arxiv_atom(feed).papers
                candidates = matcher.candidates(papers)
                needing = matcher.authors_needing_coauthors(candidates)
                async with database.reader() as session:
                    coauthors = await PaperRepository(session).coauthor_names(needing)
                outcome = matcher.decide(candidates, coauthors)
                async with database.transaction() as session:
                    result = await store_matches(session, outcome.accepted, now=UNTIL)
                timings.append(time.perf_counter() - started)
                stored_new = result.papers_new
            finally:
                await database.dispose()
    best = min(timings)
    label = "ours: parse + match + store on SQLite"
    print(
        f"   {label:<37} | {entries / best:>9,.0f} entries/s | {best * 1000:>7.1f} ms "
        f"({stored_new:,} papers stored, {len(outcome.accepted):,} links, "
        f"{len(outcome.rejected):,} homonyms rejected; budget: >= 3,000 entries/s)"
    )
    print()


# --- 3. fetching through the same local server -------------------------------------------------


async def fetch_comparison(entries: int, page_size: int, repeat: int) -> None:
    import arxiv

    pool = generate_arxiv_entries(entries)
    async with FakeUpstream(load_recorded=False) as upstream, aiohttp.ClientSession() as session:
        upstream.add_route(
            "GET", "/api/query", body=paged_arxiv_handler(pool), content_type="application/atom+xml"
        )

        source = ArxivApiSource(
            session,
            upstream.arxiv_api_url,
            RateLimiter(0.0),
            options=options(),
            page_size=page_size,
        )

        async def ours() -> int:
            result = await source.search("cat:cs.CV", max_results=entries)
            return len(result.papers)

        def theirs() -> int:
            client = arxiv.Client(page_size=page_size, delay_seconds=0.0, num_retries=0)
            client.query_url_format = upstream.arxiv_api_url + "?{}"
            client._session.trust_env = False  # loopback only, never a proxy
            search = arxiv.Search(query="cat:cs.CV", max_results=entries)
            return sum(1 for _ in client.results(search))

        our_times: list[float] = []
        their_times: list[float] = []
        for _ in range(repeat):
            started = time.perf_counter()
            count = await ours()
            our_times.append(time.perf_counter() - started)
            assert count == entries, count
            started = time.perf_counter()
            count = await asyncio.to_thread(theirs)
            their_times.append(time.perf_counter() - started)
            assert count == entries, count
        pages = math.ceil(entries / page_size)
        print(
            f"3. Fetching one query of {entries:,} entries ({pages} pages of {page_size}) "
            f"from the same local server, no delay (best of {repeat})"
        )
        for label, times in (
            ("ours: ArxivApiSource (aiohttp)", our_times),
            ("arxiv 4.0.2: Client (requests)", their_times),
        ):
            best = min(times)
            print(
                f"   {label:<31} | {entries / best:>9,.0f} entries/s | {best * 1000:>7.1f} ms "
                f"(median {statistics.median(times) * 1000:.1f} ms)"
            )
        print(f"   ours / arxiv package: {min(their_times) / min(our_times):.2f}x")
        print()


async def main(smoke: bool) -> None:
    logging.basicConfig(level=logging.WARNING)
    if smoke:
        await requests_per_poll([10])
        parser_throughput(entries=100, repeat=1)
        await store_throughput(entries=100, repeat=1)
        await fetch_comparison(entries=100, page_size=50, repeat=1)
        return
    await requests_per_poll([10, 100, 1000])
    parser_throughput(entries=2000, repeat=7)
    await store_throughput(entries=3000, repeat=3)
    await fetch_comparison(entries=2000, page_size=200, repeat=5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, runs in seconds (CI)")
    args = parser.parse_args()
    asyncio.run(main(args.smoke))
