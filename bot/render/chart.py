"""Charts as PNG bytes: citations (bars) and tracked papers (line) per year.

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

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from bot.services.profile_figures import YearPoint

log = logging.getLogger(__name__)

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.4, 100
PALETTE_COLOURS = 64
CITATION_COLOURS = ("#4C72B0", "#DD8452")
PAPER_COLOURS = ("#2CA02C", "#9467BD")
# Rendering is CPU-bound and matplotlib's text/font caches are not documented as thread-safe:
# one render at a time (the cache makes renders rare anyway).
_RENDER_LOCK = threading.Lock()


def _plain(text: str) -> str:
    """No mathtext: a `$` in a name is a dollar sign."""
    return text.replace("$", r"\$")


def _finish(figure: Figure) -> bytes:
    """The figure as a palette PNG: a chart has a few flat colours plus their anti-aliasing,
    so 64 colours look the same and the upload is about a third of the RGBA file's size."""
    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(DPI)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    palette = image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def profile_chart_png(name: str, points: Sequence[YearPoint]) -> bytes:
    """Citations per year as bars (left axis), tracked papers per year as a line (right axis)."""
    return compare_chart_png([(name, points)])


def compare_chart_png(series: Sequence[tuple[str, Sequence[YearPoint]]]) -> bytes:
    """One chart for one or two authors: citation bars side by side, paper lines on top."""
    with _RENDER_LOCK:
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        ax = figure.add_subplot()
        papers_ax = ax.twinx()
        years = sorted({p.year for _, points in series for p in points})
        width = 0.8 / max(len(series), 1)
        any_citations = False
        for index, (name, points) in enumerate(series):
            by_year = {p.year: p for p in points}
            offset = (index - (len(series) - 1) / 2) * width
            cited = [(y + offset, by_year[y].citations) for y in years if y in by_year]
            known = [(x, c) for x, c in cited if c is not None]
            if known:
                any_citations = True
                ax.bar(
                    [x for x, _ in known],
                    [c for _, c in known],
                    width=width,
                    color=CITATION_COLOURS[index % 2],
                    label=_plain(f"{name}: citations"),
                )
            papers_ax.plot(
                years,
                [by_year[y].papers_tracked if y in by_year else 0 for y in years],
                marker="o",
                color=PAPER_COLOURS[index % 2],
                label=_plain(f"{name}: papers tracked"),
            )
        ax.set_ylabel("citations per year")
        papers_ax.set_ylabel("papers tracked per year")
        # Headroom above the tallest bar and point, so the legend covers neither.
        ax.set_ylim(0, max(ax.get_ylim()[1], 1) * 1.3)
        papers_ax.set_ylim(0, max(papers_ax.get_ylim()[1], 1) * 1.3)
        papers_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if years:
            ax.set_xticks(years, [str(y) for y in years], rotation=45 if len(years) > 8 else 0)
        else:
            ax.text(
                0.5, 0.5, "no yearly data yet", ha="center", va="center", transform=ax.transAxes
            )
        if not any_citations and years:
            ax.text(
                0.01,
                0.95,
                "citations per year unknown",
                transform=ax.transAxes,
                va="top",
                fontsize=8,
                color="grey",
            )
        title = " vs ".join(name for name, _ in series)
        ax.set_title(_plain(f"{title}: citations and papers per year"), fontsize=10)
        handles, labels = ax.get_legend_handles_labels()
        more_handles, more_labels = papers_ax.get_legend_handles_labels()
        if handles or more_handles:
            ax.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize=7)
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
