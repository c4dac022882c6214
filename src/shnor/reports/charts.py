"""Charts of the reports and notebooks, drawn by matplotlib: each `*_figure` function returns a
Figure (shown as it is in a notebook), `svg` renders one as inline SVG text for a page that
opens offline (no scripts, no fonts or files to fetch; text stays text). Every point that
stands for a school carries a <title> naming it (the browser's tooltip); axes are labelled in
Russian and fitted to the data. The report pages draw on figures kept per thread and emptied
between charts (`reuse=True`): building a figure's axes and tick objects is about half the cost
of a chart, and a report draws some 150 of them; a notebook gets a new figure each call."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape

import matplotlib
import numpy as np
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from shnor import russian

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text as <text>: searchable, selectable, no glyph paths
        "svg.hashsalt": "shnor",  # the same chart gives the same SVG
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        # no tick marks (labels stay): each mark is a line of its own, a third of a chart's cost
        "xtick.major.size": 0,
        "ytick.major.size": 0,
        "xtick.minor.visible": False,
    }
)

BLUE, RED, GREEN, GREY = "#2f6db5", "#c0392b", "#27864a", "#9aa5b1"
_POINTS = "shnor-points-"
_kept = threading.local()  # this thread's reused figures, by chart kind


def _canvas(
    kind: str, size: tuple[float, float], margins: dict[str, float], reuse: bool
) -> tuple[Figure, Axes]:
    """A figure of `size` inches with one Axes placed by `margins`: a new one, or (`reuse`)
    this thread's figure of this `kind`, emptied of its last chart. Its Axes and their tick
    objects are kept: the caller sets everything a chart of its kind sets (limits, ticks,
    formatters, labels) on every call, so a reused figure draws what a new one would."""
    figures = _kept.__dict__.setdefault("figures", {})
    if not reuse or kind not in figures:
        figure = Figure(figsize=size)
        figure.subplots_adjust(**margins)
        axes = figure.subplots()
        if reuse:
            figures[kind] = figure
        return figure, axes
    figure = figures[kind]
    (axes,) = figure.axes
    for artist in [*axes.lines, *axes.collections, *axes.patches, *axes.texts]:
        artist.remove()
    axes.containers.clear()  # an errorbar's or a bar chart's container would join the legend
    if axes.legend_ is not None:
        axes.legend_.remove()
    for loc in ("left", "center", "right"):
        axes.set_title("", loc=loc)
    figure.set_size_inches(size)
    figure.subplots_adjust(**margins)
    return figure, axes


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: label, value (share or count), text shown after the bar."""

    label: str
    value: float
    note: str
    color: str = BLUE


@dataclass(frozen=True)
class Point:
    """One school on a scatter: x, y, tooltip, colour and a label shown beside it (or none)."""

    x: float
    y: float
    title: str
    color: str = BLUE
    label: str = ""


@lru_cache(maxsize=4096)
def _tick(value: float, kind: str) -> str:
    """A tick label in Russian (cached: the same ticks recur on every chart)."""
    if kind == "percent":
        return russian.percent(value, 0)
    if kind == "points":
        return russian.number(100 * value, 0, signed=True)
    return russian.number(value, 0)


def percent_axis(axis) -> None:
    """Shares on an axis read as «12 %»."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: _tick(round(v, 6), "percent")))


def points_axis(axis) -> None:
    """Changes of shares on an axis read in п.п. («+5», «−10»)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: _tick(round(v, 6), "points")))


def _scatter(ax, x, y, titles: Sequence[str], colors, sizes, group: int) -> dict[str, list[str]]:
    """One scatter whose points get a <title> each in `svg` (matched by the group's id)."""
    ax.scatter(x, y, c=colors, s=sizes, alpha=0.8, linewidths=0, clip_on=False,
               gid=f"{_POINTS}{group}", zorder=3)  # fmt: skip
    return {f"{_POINTS}{group}": list(titles)}


def _padded(values: Sequence[float], share: bool = False) -> tuple[float, float]:
    """Axis limits around the finite values with a 10 % margin (a share never below 0)."""
    finite = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if finite.size == 0:
        return (0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    margin = max(high - low, 0.02) * 0.1
    low, high = low - margin, high + margin
    return (max(low, 0.0) if share else low, min(high, 1.0) if share else high)


LABEL_LIMIT = 12  # the funnel names at most this many list schools: those farthest above it
_LABEL_EM = 0.65  # a label's width per character, in font sizes (DejaVu Sans, with a margin)


def _label(ax, points: Sequence[tuple[float, float, str]], fontsize: float = 7) -> None:
    """Labels beside their points (call after the axes' limits are set), in the order given:
    each nudged up or down until it overlaps no earlier one, kept inside the axes (a label near
    the right edge goes to its point's left), so none covers another or the legend outside the
    axes; a label moved off its point gets a thin leader line."""
    scale = 72 / ax.figure.dpi  # display pixels → points
    box = ax.get_position()
    width_pt, height_pt = (v * 72 for v in ax.figure.get_size_inches())
    left, right = box.x0 * width_pt, box.x1 * width_pt
    bottom, top = box.y0 * height_pt, box.y1 * height_pt
    line = fontsize * 1.35
    placed: list[tuple[float, float, float]] = []  # (left, right, bottom) of each label, in pt
    for x, y, text in points:
        if not text or not (np.isfinite(x) and np.isfinite(y)):
            continue
        text = text[:40]
        px, py = (v * scale for v in ax.transData.transform((x, y)))
        width = _LABEL_EM * fontsize * len(text)
        to_left = px + 5 + width > right and px - 5 - width >= left
        x0 = px - 5 - width if to_left else px + 5
        x1 = x0 + width
        start = min(max(py + 2, bottom), top - line)
        for step in (0, *(s * k for k in range(1, 40) for s in (-1, 1))):
            y0 = start + step * line
            if bottom <= y0 <= top - line and all(
                x1 <= a or x0 >= b or abs(y0 - c) >= line for a, b, c in placed
            ):
                break
        else:
            continue  # no free place inside the axes: the point keeps only its tooltip
        placed.append((x0, x1, y0))
        moved = abs(y0 - (py + 2)) > line / 2
        ax.annotate(
            text, (x, y), xytext=(-5 if to_left else 5, y0 - py), textcoords="offset points",
            ha="right" if to_left else "left", va="bottom", fontsize=fontsize, color="#1f2933",
            zorder=4, annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.5} if moved else None,
        )  # fmt: skip


def empty_figure(text: str) -> Figure:
    """A small figure that says there is nothing to draw."""
    figure = Figure(figsize=(7, 0.5))
    figure.text(0.01, 0.4, text)
    return figure


def bar_figure(
    bars: Sequence[Bar], title: str, value_label: str = "", *, reuse: bool = False
) -> Figure:
    """Horizontal bars with the label on the left and the evidence after each bar."""
    height = 0.32 * len(bars) + 0.6
    margins = {"left": 0.36, "right": 0.98, "top": 1 - 0.35 / height, "bottom": 0.1 / height}
    figure, ax = _canvas("bar", (8, height), margins, reuse)
    values = [b.value if np.isfinite(b.value) else 0 for b in bars]
    ax.barh(range(len(bars)), values, color=[b.color for b in bars], height=0.7)
    ax.set_yticks(range(len(bars)), [b.label[:40] for b in bars])
    ax.set_ylim(len(bars) - 0.5, -0.5)  # the first bar on top
    top = max([*values, 1e-9])
    ax.set_xlim(0, top * 1.45)
    for i, bar in enumerate(bars):
        ax.text(values[i] + top * 0.02, i, bar.note, va="center", fontsize=8)
    ax.xaxis.set_visible(False)  # the value is written after each bar
    ax.spines["bottom"].set_visible(False)
    if value_label:
        ax.set_title(value_label, loc="right", fontsize=8, color="#52606d")
    ax.set_title(title, loc="left", fontsize=10)
    figure.shnor_titles = {}  # type: ignore[attr-defined]
    return figure


def funnel_figure(
    counts: Sequence[float],
    shares: Sequence[float],
    titles: Sequence[str],
    highlighted: Sequence[bool],
    regional_share: float,
    labels: Sequence[str] | None = None,
    *,
    reuse: bool = False,
) -> Figure:
    """Fail share against participants with the region's share and its 95 % / 99.8 % binomial
    control limits: a school outside the funnel differs from the region beyond chance. The
    highlighted schools (the list's) are red; at most `LABEL_LIMIT` of them, farthest above the
    region first, are labelled with `labels` (the rest keep their tooltips)."""
    n = np.asarray(counts, dtype=float)
    share = np.asarray(shares, dtype=float)
    if n.size == 0 or not np.isfinite(regional_share):
        return empty_figure("Нет данных для графика.")
    marked = np.asarray(highlighted, dtype=bool)
    margins = {"left": 0.09, "right": 0.76, "top": 0.96, "bottom": 0.12}
    figure, ax = _canvas("funnel", (8.5, 4.4), margins, reuse)
    n_max = max(float(n.max()), 20.0) * 1.1
    grid = np.geomspace(max(float(n.min()) * 0.9, 1), n_max, 80)
    for z, style, name in ((1.96, "--", "граница 95 %"), (3.09, ":", "граница 99,8 %")):
        spread = z * np.sqrt(regional_share * (1 - regional_share) / grid)
        ax.plot(grid, np.clip(regional_share + spread, 0, 1), style, color=GREY, label=name)
        ax.plot(grid, np.clip(regional_share - spread, 0, 1), style, color=GREY)
    ax.axhline(regional_share, color="#333", linewidth=1,
               label=f"по региону: {russian.percent(regional_share)}")  # fmt: skip
    order = np.argsort(marked, kind="stable")
    titles_of = _scatter(
        ax, n[order], share[order], [titles[i] for i in order],
        [RED if marked[i] else BLUE for i in order], [30 if marked[i] else 12 for i in order], 0,
    )  # fmt: skip
    ax.scatter([], [], c=RED, s=30, label="школы списка ШНОР")
    ax.scatter([], [], c=BLUE, s=12, label="остальные школы")
    ax.set_xscale("log")
    # 10, 20, 50, 100, …: a label even when the counts span less than a decade; no minor ticks
    ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _tick(round(v, 6), "count")))
    ax.set_xlim(grid[0], n_max)
    ax.set_ylim(*_padded([*share, regional_share], share=True))
    percent_axis(ax.yaxis)
    ax.set_xlabel("Учтено результатов (логарифмическая шкала)")
    ax.set_ylabel("Доля неудач")
    if labels is not None:
        worst = _farthest_above(n, share, regional_share, marked)[:LABEL_LIMIT]
        _label(ax, [(n[i], share[i], labels[i]) for i in worst])
        if marked.sum() > LABEL_LIMIT:
            named = russian.counted(LABEL_LIMIT, "школа")
            ax.plot([], [], " ", label=f"подписи: {named},\nдальше всех выше региона")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    figure.shnor_titles = titles_of  # type: ignore[attr-defined]
    return figure


def _farthest_above(
    n: np.ndarray, share: np.ndarray, regional_share: float, marked: np.ndarray
) -> list[int]:
    """The marked schools, farthest above the region's share first (in standard errors)."""
    error = np.sqrt(max(regional_share * (1 - regional_share), 1e-9) / np.maximum(n, 1))
    z = np.nan_to_num((share - regional_share) / error, nan=-np.inf)
    chosen = np.flatnonzero(marked)
    return [int(i) for i in chosen[np.argsort(-z[chosen], kind="stable")]]


def change_figure(
    points: Sequence[Point], near_miss_change: float, *, reuse: bool = False
) -> Figure:
    """Each school's observed change (y) against the change expected from regression to the
    mean (x), with the diagonal y = x and the near-miss schools' mean change; a school below
    both lines improved beyond what selection alone explains."""
    shown = [p for p in points if np.isfinite(p.x) and np.isfinite(p.y)]
    if not shown:
        return empty_figure("Нет школ для графика.")
    margins = {"left": 0.1, "right": 0.7, "top": 0.96, "bottom": 0.12}
    figure, ax = _canvas("change", (8.5, 4.6), margins, reuse)
    xs, ys = [p.x for p in shown], [p.y for p in shown]
    extra = [near_miss_change] if np.isfinite(near_miss_change) else []
    x_limits, y_limits = _padded([*xs, 0.0]), _padded([*ys, 0.0, *extra])
    both = (min(x_limits[0], y_limits[0]), max(x_limits[1], y_limits[1]))
    ax.plot(both, both, "--", color="#333", linewidth=1, label="как ожидалось (y = x)")
    ax.axhline(0, color="#ddd", linewidth=1, zorder=0)
    if extra:
        ax.axhline(near_miss_change, color=GREEN, linestyle=":",
                   label=f"школы «почти в списке»: {russian.points(near_miss_change)}")  # fmt: skip
    titles_of = _scatter(ax, xs, ys, [p.title for p in shown], [p.color for p in shown], 28, 0)
    ax.scatter([], [], c=GREEN, s=28, label="положительная динамика")
    ax.scatter([], [], c=RED, s=28, label="без положительной динамики")
    ax.set_xlim(*x_limits)
    ax.set_ylim(*y_limits)
    _label(ax, [(p.x, p.y, p.label) for p in shown])
    points_axis(ax.xaxis)
    points_axis(ax.yaxis)
    ax.set_xlabel("Ожидаемое изменение доли неудач (регрессия к среднему), п.п.")
    ax.set_ylabel("Наблюдаемое изменение доли неудач, п.п.")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    figure.shnor_titles = titles_of  # type: ignore[attr-defined]
    return figure


def years_figure(
    years: Sequence[int],
    shares: Sequence[float],
    lowers: Sequence[float],
    uppers: Sequence[float],
    regional: Sequence[float],
    titles: Sequence[str],
    legend: bool = True,
    *,
    reuse: bool = False,
) -> Figure:
    """A school's fail share over the years with its intervals, beside the region's share."""
    margins = {"left": 0.16, "right": 0.97, "top": 0.95, "bottom": 0.2}
    figure, ax = _canvas("years", (4.6, 2.6), margins, reuse)
    x = np.asarray(years, dtype=float)
    share = np.asarray(shares, dtype=float)
    low = np.asarray(lowers, dtype=float)
    high = np.asarray(uppers, dtype=float)
    spread = [np.clip(share - low, 0, None), np.clip(high - share, 0, None)]
    ax.errorbar(x, share, yerr=spread, fmt="none", ecolor=RED, elinewidth=2, alpha=0.5,
                label="школа: 95 %-интервал")  # fmt: skip
    titles_of = _scatter(ax, x, share, titles, [RED] * len(x), 30, 0)
    ax.plot(x, share, color=RED, linewidth=1)
    ax.plot(x, regional, "--", color=GREY, label="по региону")
    ax.set_xticks(x, [str(int(y)) for y in years])
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)  # one year gets a readable axis too
    ax.set_ylim(*_padded([*low, *high, *regional], share=True))
    percent_axis(ax.yaxis)
    ax.set_xlabel("Год")
    ax.set_ylabel("Доля неудач")
    ax.yaxis.set_major_locator(MaxNLocator(4))
    if legend:  # a card says what the colours are in its caption (a legend costs a third)
        ax.legend(loc="best", fontsize=7, frameon=False)
    figure.shnor_titles = titles_of  # type: ignore[attr-defined]
    return figure


def svg(figure: Figure, label: str) -> Markup:
    """The figure as inline SVG markup with a <title> on every school's point."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # as wide as the page allows, never wider than drawn
    attributes = (rf'<svg\1 width="100%" style="max-width:\2" role="img" '
                  rf'aria-label="{escape(label)}"')  # fmt: skip
    text = re.sub(r'<svg([^>]*?) width="([^"]*)" height="[^"]*"', attributes, text, count=1)
    for gid, titles in getattr(figure, "shnor_titles", {}).items():
        text = _titled(text, gid, titles)
    return Markup(text)


def _titled(text: str, gid: str, titles: Sequence[str]) -> str:
    """Each marker (<use> or <path>) of the scatter group `gid`, in drawing order, with its
    <title>."""
    start = text.find(f'<g id="{gid}">')
    if start < 0:
        return text
    end = text.index("</g>", start)
    defined = text.find("</defs>", start, end)  # a marker defined once, then <use>d per point
    start = defined + len("</defs>") if defined >= 0 else start
    group, remaining = text[start:end], iter(titles)

    def with_title(match: re.Match) -> str:
        title = next(remaining, "")
        tag, attributes = match.group(1), match.group(2)
        return f"<{tag} {attributes}><title>{escape(title)}</title></{tag}>"

    return text[:start] + re.sub(r"<(use|path) ([^>]*?)\s*/>", with_title, group) + text[end:]


# The page functions: chart straight to inline SVG.


def bar_chart(bars: Sequence[Bar], label: str, value_label: str = "") -> Markup:
    """`bar_figure` as inline SVG."""
    return svg(bar_figure(bars, label, value_label, reuse=True), label)


def funnel_plot(counts, shares, titles, highlighted, regional_share, label, labels=None) -> Markup:
    """`funnel_figure` as inline SVG."""
    figure = funnel_figure(counts, shares, titles, highlighted, regional_share, labels, reuse=True)
    return svg(figure, label)


def change_scatter(points: Sequence[Point], near_miss_change: float, label: str) -> Markup:
    """`change_figure` as inline SVG."""
    return svg(change_figure(points, near_miss_change, reuse=True), label)
