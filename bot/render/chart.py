"""Charts as PNG bytes: citations per year above, tracked papers per year below.

Made to be read in Discord, on a phone too: Discord shows an embed's image about 400 pixels
wide, so the figure is laid out at that width (`WIDTH_IN` at 100 pixels an inch) with fonts of
12 points or more and rendered at twice that (`DPI`) for sharpness. The background is
transparent and the text a mid grey, readable on Discord's dark and light themes. Two panels
share the years instead of a twin axis: citations (bars) above, tracked papers (bars) in a
shorter panel below. Nothing is drawn before the first year with data. In `/author compare`
each author has one colour in both panels, and the citations panel switches to a log scale
when one author's largest year is over ten times the other's, so a small author stays visible.

matplotlib's object API with the Agg canvas (no pyplot, no global figure state, no display),
rendered off the event loop by `ChartCache.get` (`asyncio.to_thread`). A chart depends only on
its data, so it is rendered once per key (author and data version) and kept in a small LRU:
200 people opening the same profile cost one render, and concurrent askers share it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from bot.services.profile_figures import YearPoint

log = logging.getLogger(__name__)

WIDTH_IN, HEIGHT_IN, DPI = 4.0, 2.6, 200  # 400 x 260 as shown, rendered at 800 x 520
FONT_PT = 12  # the smallest text, at the width Discord shows the image
PALETTE_COLOURS = 64
AUTHOR_COLOURS = ("#3D8BD9", "#E8833A")  # one per author, in both panels
TEXT_COLOUR = "#8A8F98"  # a grey that reads on white and on Discord's dark grey
GRID_COLOUR = (0.54, 0.56, 0.6, 0.35)
LOG_SCALE_RATIO = 10  # compare: one author's top year this many times the other's -> log scale
# Rendering is CPU-bound and matplotlib's text/font caches are not documented as thread-safe:
# one render at a time (the cache makes renders rare anyway).
_RENDER_LOCK = threading.Lock()

Series = Sequence[tuple[str, Sequence[YearPoint]]]


def _plain(text: str) -> str:
    """No mathtext: a `$` in a name is a dollar sign."""
    return text.replace("$", r"\$")


def _finish(figure: Figure) -> bytes:
    """The figure as a palette PNG with transparency: a chart has a few flat colours plus
    their anti-aliasing, so 64 colours look the same at about a third of the RGBA size."""
    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(DPI)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    palette = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def data_years(series: Series) -> list[int]:
    """The years to draw: from the first with a known figure (citations, or a tracked paper)
    to the last year any author has."""
    known = [
        p.year
        for _, points in series
        for p in points
        if (p.citations is not None and p.citations > 0) or p.papers_tracked
    ]
    if not known:
        return []
    last = max(p.year for _, points in series for p in points)
    return list(range(min(known), last + 1))


def uses_log_scale(series: Series) -> bool:
    """Whether a comparison's citations need a log axis: one author's best year is more than
    `LOG_SCALE_RATIO` times the other's, whose bars would otherwise be flat."""
    tops = [max((p.citations or 0 for p in points), default=0) for _, points in series]
    return len(series) > 1 and min(tops) > 0 and max(tops) > LOG_SCALE_RATIO * min(tops)


def _style(ax: Axes) -> None:
    ax.set_facecolor("none")
    ax.tick_params(colors=TEXT_COLOUR, labelsize=FONT_PT, length=3)
    ax.yaxis.label.set_color(TEXT_COLOUR)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(TEXT_COLOUR)
    ax.grid(axis="y", color=GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)


def _bars(ax: Axes, series: Series, years: list[int], value: str) -> bool:
    """Side-by-side bars per author (`value`: `citations` or `papers_tracked`); whether any
    known value was drawn."""
    width = 0.8 / max(len(series), 1)
    drawn = False
    for index, (name, points) in enumerate(series):
        by_year = {p.year: getattr(p, value) for p in points}
        offset = (index - (len(series) - 1) / 2) * width
        known = [(y + offset, by_year[y]) for y in years if by_year.get(y) is not None]
        if known:
            drawn = True
            ax.bar(
                [x for x, _ in known],
                [v for _, v in known],
                width=width,
                color=AUTHOR_COLOURS[index % len(AUTHOR_COLOURS)],
                label=_plain(name) if value == "citations" else None,
            )
    return drawn


def _year_ticks(ax: Axes, years: list[int]) -> None:
    """At most five year labels (every n-th year), so they fit 400 pixels at 12 points."""
    step = max(1, -(-len(years) // 5))
    shown = years[::step]
    ax.set_xticks(shown, [str(y) for y in shown])


def profile_chart_png(name: str, points: Sequence[YearPoint]) -> bytes:
    """One author: citations per year above, tracked papers per year below."""
    return compare_chart_png([(name, points)])


def compare_chart_png(series: Series) -> bytes:
    """One or two authors (one colour each) in the same two panels."""
    with _RENDER_LOCK:
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        figure.patch.set_alpha(0)
        cited, papers = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1.4)})
        for ax in (cited, papers):
            _style(ax)
        years = data_years(series)
        if not years:
            cited.text(
                0.5,
                0.5,
                "no yearly data yet",
                ha="center",
                va="center",
                transform=cited.transAxes,
                fontsize=FONT_PT,
                color=TEXT_COLOUR,
            )
            papers.set_visible(False)
            return _finish(figure)
        if not _bars(cited, series, years, "citations"):
            cited.text(
                0.02,
                0.9,
                "citations per year unknown",
                transform=cited.transAxes,
                va="top",
                fontsize=FONT_PT,
                color=TEXT_COLOUR,
            )
        _bars(papers, series, years, "papers_tracked")
        log_scale = uses_log_scale(series)
        if log_scale:
            cited.set_yscale("log")
        cited.set_title(
            "citations per year" + (" (log scale)" if log_scale else ""),
            fontsize=FONT_PT,
            loc="left",
            color=TEXT_COLOUR,
        )
        papers.set_title("papers tracked per year", fontsize=FONT_PT, loc="left", color=TEXT_COLOUR)
        if not log_scale:  # a log axis keeps its own decade ticks
            cited.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
        papers.yaxis.set_major_locator(MaxNLocator(nbins=2, integer=True))
        _year_ticks(papers, years)
        if len(series) > 1:  # one entry per author, above the panels (never over a bar)
            figure.legend(
                fontsize=FONT_PT,
                frameon=False,
                labelcolor=TEXT_COLOUR,
                loc="outside upper center",
                ncols=len(series),
            )
        return _finish(figure)


class ChartCache:
    """PNG bytes by key, rendered once in a worker thread; concurrent askers share the render."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._done: OrderedDict[str, bytes] = OrderedDict()
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self.renders = 0

    def peek(self, key: str) -> bytes | None:
        """The PNG for `key` when it is already rendered (no waiting), else None."""
        return self._done.get(key)

    async def get(self, key: str, render: Callable[[], bytes]) -> bytes:
        """The PNG for `key`, calling `render` (in a thread) only when it is not cached."""
        cached = self._done.get(key)
        if cached is not None:
            self._done.move_to_end(key)
            return cached
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._render(key, render))
            self._pending[key] = pending
        return await asyncio.shield(pending)

    async def _render(self, key: str, render: Callable[[], bytes]) -> bytes:
        try:
            self.renders += 1
            png = await asyncio.to_thread(render)
            self._done[key] = png
            while len(self._done) > self.max_entries:
                self._done.popitem(last=False)
            return png
        finally:
            self._pending.pop(key, None)
