"""The parsers' two gates: `count` (0 <= n < 2**31) and `plausible` (1991-01-01 .. now + 2 days).

Bodies are the recorded ones with one value replaced in code.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sources import openalex_parsing as oa
from bot.sources import semantic_scholar_parsing as s2
from bot.sources.arxiv_listing import parse_arxiv_listing
from bot.sources.counts import count
from bot.sources.dates import plausible
from tests.harness.fake_upstream import rss_feed, rss_item

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (23, 23),
        (2**31 - 1, 2**31 - 1),
        (12.0, 12),  # an integral float, as some encoders write counts
        (None, None),
        (2**31, None),
        (3_000_000_000, None),
        (10**30, None),
        (-1, None),
        (True, None),
        ("12", None),
        (12.5, None),
        (float("nan"), None),
        (float("inf"), None),
        ([12], None),
    ],
)
def test_count_keeps_only_what_an_integer_column_holds(value: object, expected: int | None) -> None:
    assert count(value, "field") == expected


def test_count_names_the_field_and_never_prints_a_huge_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.sources.counts"):
        assert count(10**5000, "OpenAlex author A1 summary_stats.h_index") is None
        assert count(None, "absent") is None
    (record,) = caplog.records
    assert record.getMessage() == (
        "OpenAlex author A1 summary_stats.h_index is not a count (a 16610-bit integer): "
        "taken as unknown"
    )


@pytest.mark.parametrize(
    ("value", "arxiv_era", "kept"),
    [
        (datetime(1991, 1, 1, tzinfo=UTC), True, True),
        (datetime(1990, 12, 31, 23, 59, tzinfo=UTC), True, False),
        (datetime(1, 1, 1, tzinfo=UTC), True, False),
        (NOW + timedelta(days=2), True, True),
        (NOW + timedelta(days=2, seconds=1), True, False),
        (datetime(9999, 12, 31, tzinfo=UTC), True, False),
        (date(1991, 1, 1), True, True),
        (date(2026, 11, 30), True, True),
        (date(2026, 12, 1), True, False),
        (date(1975, 3, 1), False, True),  # a journal article need not be on arXiv
        (date(9999, 12, 31), False, False),
    ],
)
def test_plausible_window(value: date, arxiv_era: bool, kept: bool) -> None:
    assert plausible(value, "field", now=NOW, arxiv_era=arxiv_era) == (value if kept else None)


def test_openalex_author_out_of_range_is_unknown_and_that_year_is_left_out() -> None:
    raw = load("openalex/author_A5048491430.json")
    raw["summary_stats"]["h_index"] = 10**30
    raw["summary_stats"]["i10_index"] = "31"
    raw["cited_by_count"] = 3_000_000_000
    raw["works_count"] = -1
    raw["counts_by_year"][0]["cited_by_count"] = 3_000_000_000
    raw["updated_date"] = "9999-12-31T00:00:00"
    record = oa.parse_author(raw, now=NOW)
    assert (record.h_index, record.i10_index, record.citations, record.works_count) == (
        None,
        None,
        None,
        None,
    )
    assert record.as_of is None
    # The year with the absurd count is unknown (left out), not 0; the others are kept.
    assert [c.year for c in record.counts_by_year] == sorted(
        c["year"] for c in raw["counts_by_year"][1:]
    )


def test_openalex_work_dates_depend_on_being_on_arxiv() -> None:
    works = load("openalex/works_filter-author-A5017898742_per_page5.json")["results"]
    on_arxiv = next(w for w in works if "10.48550" in (w.get("doi") or ""))
    elsewhere = next(w for w in works if "10.48550" not in (w.get("doi") or ""))
    for work in (on_arxiv, elsewhere):
        work["publication_date"] = "1975-03-01"
        work["cited_by_count"] = 3_000_000_000
    parsed_arxiv = oa.parse_work(on_arxiv, now=NOW)
    parsed_other = oa.parse_work(elsewhere, now=NOW)
    assert parsed_arxiv.arxiv_id is not None and parsed_arxiv.publication_date is None
    assert parsed_other.arxiv_id is None and parsed_other.publication_date == date(1975, 3, 1)
    assert parsed_arxiv.cited_by_count is None and parsed_other.cited_by_count is None


def test_semantic_scholar_counts_and_dates() -> None:
    author = s2.parse_author(
        {"authorId": "1", "name": "A", "hIndex": 10**30, "citationCount": True, "paperCount": 7},
        fetched_at=NOW,
    )
    assert (author.h_index, author.citations, author.works_count) == (None, None, 7)
    paper = s2.parse_paper(
        {
            "paperId": "p1",
            "externalIds": {"ArXiv": "2411.17700"},
            "publicationDate": "9999-12-31",
            "citationCount": 3_000_000_000,
        },
        now=NOW,
    )
    assert (paper.publication_date, paper.citation_count) == (None, None)


def test_listing_item_with_an_absurd_date_falls_back_to_the_channel_date() -> None:
    item = rss_item("2411.17700").replace(
        "Thu, 28 Nov 2024 00:00:00 -0500", "Fri, 31 Dec 9999 00:00:00 +0000"
    )
    listing = parse_arxiv_listing(rss_feed(["cs.CV"], [item]), now=NOW)
    (paper,) = listing.papers
    assert paper.announced == listing.announced == datetime(2024, 11, 28, 5, 0, tzinfo=UTC)
