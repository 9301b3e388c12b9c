"""Charts for a phone: the years drawn, the comparison's scale, a transparent small PNG."""

from __future__ import annotations

import io

from PIL import Image

from bot.render.chart import compare_chart_png, data_years, profile_chart_png, uses_log_scale
from bot.services.profile_figures import YearPoint


def years(first: int, citations: list[int | None], papers: list[int]) -> list[YearPoint]:
    return [
        YearPoint(first + i, c, None, p)
        for i, (c, p) in enumerate(zip(citations, papers, strict=True))
    ]


def test_nothing_is_drawn_before_the_first_known_figure() -> None:
    # 2010-2012: nothing known (no citations, no tracked paper); 2013: the first citations.
    points = years(2010, [None, 0, None, 4, 9], [0, 0, 0, 0, 1])
    assert data_years([("A", points)]) == [2013, 2014]
    assert data_years([("A", years(2010, [None], [0]))]) == []


def test_a_comparison_switches_to_log_scale_only_when_one_author_dwarfs_the_other() -> None:
    big = years(2020, [5000, 9000], [3, 4])
    small = years(2020, [40, 60], [1, 1])
    similar = years(2020, [2000, 3000], [1, 2])
    assert uses_log_scale([("Big", big), ("Small", small)])
    assert not uses_log_scale([("Big", big), ("Similar", similar)])
    assert not uses_log_scale([("Big", big)])  # one author: a linear axis


def test_charts_are_small_transparent_palette_pngs() -> None:
    points = years(2015, [10, 40, 90, 160, 250], [1, 2, 0, 3, 1])
    for png in (
        profile_chart_png("Zoë $x$", points),
        compare_chart_png([("Big", points), ("Small", years(2018, [1, 2], [1, 0]))]),
    ):
        image = Image.open(io.BytesIO(png))
        assert image.mode == "P" and image.size == (800, 520)  # 400 px as shown, at 2x
        assert image.convert("RGBA").getpixel((0, 0))[3] == 0  # a transparent background
        assert len(png) < 20_000
