"""The pure arithmetic of a profile: primary field, last full year, 24 months, yearly points."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.metrics import ai_score
from bot.services.profile_figures import (
    YearPoint,
    citations_in_year,
    last_full_year,
    months_before,
    papers_since,
    primary_category,
    short_field,
    year_points,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_short_field_names() -> None:
    assert [short_field(c) for c in ("cs.CV", "cs.CL", "stat.ML", "hep-th", None)] == [
        "CV",
        "CL",
        "ML",
        "hep-th",
        None,
    ]


def test_primary_category_is_the_most_frequent_and_a_tie_goes_to_the_most_recent() -> None:
    assert primary_category(["cs.CL", "cs.CV", "cs.CV", "cs.LG"]) == "cs.CV"
    assert primary_category(["cs.LG", "cs.CV", "cs.CV", "cs.LG"]) == "cs.LG"  # newest first
    assert primary_category([]) is None and primary_category([None]) is None


def test_last_full_year_is_the_year_before_the_metrics_date() -> None:
    assert last_full_year(NOW) == 2025
    assert last_full_year(datetime(2026, 1, 1, tzinfo=UTC)) == 2025


def test_citations_of_an_absent_year_are_unknown_not_zero() -> None:
    rows = [{"year": 2024, "cited_by_count": 396}, {"year": 2025, "cited_by_count": 0}]
    assert citations_in_year(rows, 2025) == 0
    assert citations_in_year(rows, 2024) == 396
    assert citations_in_year(rows, 2023) is None
    assert citations_in_year([], 2025) is None


def test_24_months_back_clamps_the_day_and_counts_inclusively() -> None:
    assert months_before(NOW, 24) == datetime(2024, 11, 28, 12, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert months_before(leap, 24) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    dates = [
        datetime(2024, 11, 28, 12, 0, tzinfo=UTC),  # exactly 24 months: in
        datetime(2024, 11, 28, 11, 59, tzinfo=UTC),  # a minute earlier: out
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),  # in the future: out
    ]
    assert papers_since(dates, NOW) == 2


def test_year_points_fill_gaps_and_keep_unknown_citations_unknown() -> None:
    rows = [
        {"year": 2022, "works_count": 3, "cited_by_count": 489},
        {"year": 2024, "works_count": 0, "cited_by_count": 396},
    ]
    published = [datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC)]
    assert year_points(rows, published) == (
        YearPoint(2022, 489, 3, 0),
        YearPoint(2023, None, None, 2),
        YearPoint(2024, 396, 0, 0),
    )
    assert year_points([], []) == ()
    many = [{"year": y, "cited_by_count": 1} for y in range(1990, 2026)]
    points = year_points(many, [])
    assert len(points) == 15 and points[0].year == 2011 and points[-1].year == 2025


def test_ai_score_leaves_unknown_parts_out() -> None:
    # h-index 150 -> 100; citations unknown; 0 papers -> 0: mean of two parts = 50.
    assert ai_score(150, None, 0).value == 50
    assert ai_score(None, None, None).value is None
