"""Politeness seen from the server: one arxiv.org request at a time, spaced, batched queries."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime

import aiohttp

from bot.config import Settings
from bot.names import MatchStrength
from bot.names.papers import build_index, match_papers
from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_query import author_term
from bot.sources.arxiv_rss import ArxivRssSource
from bot.sources.factory import build_sources
from bot.sources.http_policy import HttpOptions
from bot.sources.limiter import RateLimiter
from tests.harness.clock import ManualClock
from tests.harness.fake_upstream import (
    FakeUpstream,
    Fault,
    arxiv_feed,
    generate_arxiv_entries,
    realistic_names,
)
from tests.harness.health import InMemoryHealthRecorder

SINCE = datetime(2026, 11, 20, tzinfo=UTC)
UNTIL = datetime(2026, 11, 28, tzinfo=UTC)


async def test_api_and_rss_share_one_limiter_one_request_at_a_time(
    arxiv_api: ArxivApiSource, arxiv_rss: ArxivRssSource, upstream: FakeUpstream, clock: ManualClock
) -> None:
    # Each answer takes 20 ms, so overlapping requests would show up as in_flight > 1.
    upstream.add_fault(None, Fault.slow(0.02))
    await asyncio.gather(
        arxiv_api.fetch_by_ids(["astro-ph/0601001"]),
        arxiv_rss.fetch_listing(["cs.CV"]),
        arxiv_api.fetch_by_ids(["1707.08567"]),
        arxiv_rss.fetch_listing(["test"]),
        arxiv_api.search("testing", max_results=10),
    )
    assert len(upstream.requests) == 5
    assert upstream.max_in_flight == 1
    # The fake clock did not move during the requests, so each later one waited the full 3 s.
    assert clock.sleeps == [3.0] * 4


async def test_real_tiny_interval_spaces_requests_at_the_server(
    session: aiohttp.ClientSession, upstream: FakeUpstream, options: HttpOptions
) -> None:
    limiter = RateLimiter(0.05, name="arxiv.org")  # real clock, 50 ms
    source = ArxivApiSource(session, upstream.arxiv_api_url, limiter, options=options)
    await asyncio.gather(*(source.fetch_by_ids(["astro-ph/0601001"]) for _ in range(4)))
    requests = sorted(upstream.requests, key=lambda r: r.started)
    gaps = [b.started - a.finished for a, b in itertools.pairwise(requests) if a.finished]
    assert len(gaps) == 3
    assert min(gaps) >= 0.049


async def test_1000_followed_authors_fit_in_few_short_requests(
    session: aiohttp.ClientSession,
    upstream: FakeUpstream,
    arxiv_limiter: RateLimiter,
    options: HttpOptions,
) -> None:
    source = ArxivApiSource(
        session, upstream.arxiv_api_url, arxiv_limiter, options=options, page_size=200
    )
    upstream.add_route(
        "GET",
        "/api/query",
        body=arxiv_feed([], total=0),
        query={"search_query": re.compile("submittedDate")},
    )
    names = realistic_names(1000)
    result = await source.search_authors(names, since=SINCE, until=UNTIL)
    sent = upstream.requests_to("/api/query")
    assert result.requests == len(sent) <= 60
    assert len(sent) < len(names) / 10  # never one per author
    assert max(r.request_line_bytes for r in sent) < 4000
    queried = "".join(r.query["search_query"] for r in sent)
    assert all(author_term(name) in queried for name in names)
    assert all(
        r.query["search_query"].endswith("submittedDate:[202611200000 TO 202611280000]")
        for r in sent
    )


async def test_batched_hits_are_filtered_locally_by_name_key(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    followed = realistic_names(30, seed=11)
    strangers = ["Zaphod Beeblebrox", "Ford Prefect", "Arthur Dent"]
    abbreviated = f"{followed[1].split()[0][0]}. {followed[1].split()[-1]}"

    def authors_for(i: int) -> list[str]:
        if i == 0:
            return [strangers[0], followed[0]]  # a followed author, full name
        if i == 1:
            return [abbreviated, strangers[1]]  # an initial only: probable
        return [strangers[i % 3]]  # an `au:` false positive

    entries = generate_arxiv_entries(5, authors_for=authors_for)  # synthetic
    upstream.add_route(
        "GET", "/api/query", body=arxiv_feed(entries), query={"search_query": re.compile("au:")}
    )
    result = await arxiv_api.search_authors(followed, since=SINCE, until=UNTIL)
    assert len(result.papers) == 5
    index = build_index((name, name) for name in followed)
    matches = match_papers(result.papers, index)
    by_paper = {(m.paper.arxiv_id, m.owner): m.strength for m in matches}
    assert by_paper[("2611.00000", followed[0])] == MatchStrength.STRONG
    assert by_paper[("2611.00001", followed[1])] == MatchStrength.PROBABLE
    assert {m.paper.arxiv_id for m in matches} == {"2611.00000", "2611.00001"}


async def test_build_sources_from_settings_shares_the_arxiv_limiter(
    session: aiohttp.ClientSession, upstream: FakeUpstream, clock: ManualClock
) -> None:
    settings = Settings(
        discord_token="x",
        contact_email="lab@example.org",
        arxiv_api_url=upstream.arxiv_api_url,
        arxiv_rss_url=upstream.arxiv_rss_url,
        openalex_api_url=upstream.openalex_url,
        semantic_scholar_api_url=upstream.semantic_scholar_url,
        openalex_api_key="k-123",
        arxiv_min_interval_seconds=0.0,
        http_timeout_seconds=5,
        _env_file=None,
    )
    health = InMemoryHealthRecorder()
    sources = build_sources(settings, session, health=health, clock=clock, sleep=clock.sleep)
    assert sources.arxiv_api.http.limiter is sources.arxiv_rss.http.limiter is sources.arxiv_limiter
    assert sources.options.user_agent.endswith("(+mailto:lab@example.org)")
    assert sources.options.timeout_seconds == 5
    await sources.arxiv_rss.fetch_listing(["cs.CV"])
    record = await sources.openalex.get_author("A5048491430")
    assert record.h_index == 23
    assert upstream.requests_to("/openalex")[0].query["api_key"] == "k-123"
    assert set(health.all()) == {"arxiv_rss", "openalex"}
