"""An arXiv API entry with an unreadable date costs that entry at most, never the whole page.

Bodies are synthetic, built in code in the 2025+ dialect's layout.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.sources.arxiv_api import ArxivApiSource
from bot.sources.arxiv_atom import parse_arxiv_atom
from bot.sources.errors import MalformedResponse
from tests.harness.fake_upstream import FakeUpstream

GOOD = "2024-11-01T10:00:00Z"


def entry(arxiv_id: str, published: str | None = GOOD, updated: str | None = GOOD) -> str:
    dates = "".join(
        f"<{tag}>{value}</{tag}>"
        for tag, value in (("published", published), ("updated", updated))
        if value is not None
    )
    return (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>t {arxiv_id}</title>{dates}"
        f'<category term="cs.DL"/></entry>'
    )


def feed(*entries: str) -> bytes:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>"
        + "".join(entries)
        + "</feed>"
    ).encode()


def test_entry_with_no_readable_date_is_skipped_and_the_page_survives(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = feed(
        entry("2411.00001"),
        entry("2411.00002", published="Nov 1 2024", updated="Nov 1 2024"),
        entry("2411.00003", published="Nov 1 2024", updated=None),
        entry("2411.00004"),
    )
    with caplog.at_level(logging.WARNING, logger="bot.sources.arxiv_atom"):
        page = parse_arxiv_atom(body)
    assert [p.arxiv_id for p in page.papers] == ["2411.00001", "2411.00004"]
    assert page.total_results == 4  # arXiv's count, not ours
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "2411.00002" in warned and "2411.00003" in warned


def test_one_bad_date_keeps_the_entry_with_the_other_date_only() -> None:
    body = feed(
        entry("2411.00005", published="Nov 1 2024", updated="2024-11-03T08:00:00Z"),
        entry("2411.00006", published=GOOD, updated="yesterday"),
    )
    bad_published, bad_updated = parse_arxiv_atom(body).papers
    assert bad_published.published is None
    assert bad_published.updated == datetime(2024, 11, 3, 8, 0, tzinfo=UTC)
    assert bad_updated.published == datetime(2024, 11, 1, 10, 0, tzinfo=UTC)
    assert bad_updated.updated is None


def test_broken_xml_still_raises_even_with_a_bad_date() -> None:
    body = feed(entry("2411.00001"), entry("2411.00002", published="Nov 1 2024"))
    with pytest.raises(MalformedResponse):
        parse_arxiv_atom(body[:-20])


async def test_search_succeeds_when_one_entry_has_a_bad_date(
    arxiv_api: ArxivApiSource, upstream: FakeUpstream
) -> None:
    upstream.add_route(
        "GET",
        "/api/query",
        body=feed(entry("2411.00001"), entry("2411.00002", published="Nov 1 2024", updated="")),
        query={"search_query": "cat:cs.DL"},
    )
    result = await arxiv_api.search("cat:cs.DL", max_results=10)
    assert [p.arxiv_id for p in result.papers] == ["2411.00001"]
