"""Charts of the reports and notebooks, drawn by matplotlib: each `*_figure` function returns a
Figure (shown as it is in a notebook), `svg` renders one as inline SVG text for a page that
opens offline (no scripts, no fonts or files to fetch; text stays text). Every point that
stands for a school carries a <title> naming it (the browser's tooltip); axes are labelled in
Russian and fitted to the data. The report pages draw on figures kept per thread and emptied
between charts (`reuse=True`): building a figure's axes and tick objects is about half the cost
of a chart, and a report draws some 150 of them; a notebook gets a new figure each call. Text
is measured once a process (`_text_metrics`), not once a chart."""

from __future__ import annotations

import inspect
import io
import math
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
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath
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
        # no tick marks (labels stay): each mark is a line of its own, a third of a chart's cost;
        # of size 0 and not drawn at all (an empty group per tick in the SVG otherwise)
        "xtick.major.size": 0,
        "ytick.major.size": 0,
        "xtick.bottom": False,
        "ytick.left": False,
        "xtick.minor.visible": False,
    }
)

_TEXT_TO_PATH = TextToPath()


@lru_cache(maxsize=16384)
def _text_metrics(text: str, font: FontProperties, ismath: bool | str) -> tuple:
    """Width, height and descent of a text in points, as the SVG renderer measures it (its
    `TextToPath` at 72 dpi, the same for every renderer), kept for the process: matplotlib keeps
    them per renderer, i.e. per chart, so the same tick labels were measured by FreeType again
    for every chart (a fifth of a chart's time)."""
    return _TEXT_TO_PATH.get_text_width_height_descent(text, font, ismath)


def _measured_once(renderer: RendererSVG, text: str, font: FontProperties, ismath) -> tuple:
    """RendererSVG's text measure through `_text_metrics` (a copy of the mutable font is the
    key, as in matplotlib's own cache)."""
    return _text_metrics(text, font.copy(), ismath)


def measures_by_text2path(method) -> bool:
    """Whether matplotlib's own SVG text measure is its `TextToPath` and nothing else (as in
    3.10–3.11): only then is `_measured_once` the same measure, kept for the process."""
    try:
        lines = inspect.getsource(method).splitlines()
    except (OSError, TypeError):
        return False
    body = [line.strip() for line in lines[1:] if line.strip() and not line.strip().startswith("#")]
    return body == ["return self._text2path.get_text_width_height_descent(s, prop, ismath)"]


# A later matplotlib that measures otherwise keeps its own measure (slower, never different).
if measures_by_text2path(RendererSVG.get_text_width_height_descent):
    RendererSVG.get_text_width_height_descent = _measured_once  # type: ignore[method-assign]


_SVG_DPI = 72.0  # print_svg draws every figure at 72 dpi


@lru_cache(maxsize=256)
def _font_heights(font: FontProperties) -> tuple[float, float, float] | tuple[None, None, None]:
    """Ascent, descent and line gap of a font in points, computed as `Text._get_layout` does
    from the font's OS/2 or hhea table (the same expression, at the SVG renderer's 72 dpi),
    kept for the process: matplotlib finds the font file and reads two of its tables for every
    text it lays out (tick labels twice a chart), a tenth of a chart's time."""
    ft_font = get_font(fontManager._find_fonts_by_props(font))
    possible = [
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ]
    for table_name, linegap_key, ascent_key, descent_key in possible:
        table = ft_font.get_sfnt_table(table_name)
        if table is None:
            continue
        fontsize = font.get_size_in_points()
        units_per_em = ft_font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * _SVG_DPI / 72
        return (table[ascent_key] * scale, -table[descent_key] * scale,
                table[linegap_key] * scale)  # fmt: skip
    return None, None, None


def _font_heights_once(renderer: RendererSVG, font: FontProperties) -> tuple:
    """`Text._get_layout`'s hook for a renderer's font heights, through `_font_heights`."""
    return _font_heights(font.copy())


RendererSVG._get_font_height_metrics = _font_heights_once  # type: ignore[attr-defined]

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
        if axes.get_title(loc):  # only a kind with titles (setting one lays it out again)
            axes.set_title("", loc=loc)
    for text in [*figure.texts]:  # a list of names under the axes
        text.remove()
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
_NAME_LENGTH = 40  # a name in a chart's list is cut to this many characters
_LIST_LINE = 10.0  # points between two lines of a chart's list of names
_LIST_FONT = 7.0


def _list_height(count: int) -> float:
    """The height in points of a chart's numbered list of `count` names (with its caption)."""
    if count == 0:
        return 0.0
    return (1 + math.ceil(count / _list_columns(count))) * _LIST_LINE + 12


def _list_columns(count: int) -> int:
    return 2 if count <= LABEL_LIMIT else 3


def _grown(size: tuple[float, float], margins: dict[str, float], extra: float):
    """`size` and `margins` with `extra` points more at the bottom (for a list of names), the
    axes keeping their height and their distance from the top."""
    width, height = size
    grown = height + extra / 72
    return (width, grown), margins | {
        "top": 1 - (1 - margins["top"]) * height / grown,
        "bottom": (margins["bottom"] * height + extra / 72) / grown,
    }


def _numbered(
    ax: Axes,
    points: Sequence[tuple[float, float, str]],
    obstacles: np.ndarray,
    radii: np.ndarray,
    caption: str,
) -> None:
    """The points numbered 1, 2, … on the chart and their names in a numbered list under the
    axes (sized by `_grown` with `_list_height`): a long name beside a point in a crowd covers
    points and other names; a number is small enough to find a free place. Each number goes
    to the nearest place (rings around its point) inside the axes that covers no other number
    and no point (`obstacles`, display coordinates, with their `radii` in pixels); far from its
    point it gets a thin leader line. Call after the axes' limits are set."""
    figure = ax.figure
    pixels = figure.dpi / 72  # points → display pixels
    box = ax.bbox
    placed: list[tuple[float, float, float, float]] = []
    fontsize = _LIST_FONT
    for k, (x, y, _) in enumerate(points, 1):
        px, py = ax.transData.transform((x, y))
        half_w = (0.32 * fontsize * len(str(k)) + 1.5) * pixels
        half_h = (0.5 * fontsize + 0.5) * pixels
        chosen, fallback = None, None
        for dx, dy in _RINGS:
            cx, cy = px + dx * pixels, py + dy * pixels
            x0, x1, y0, y1 = cx - half_w, cx + half_w, cy - half_h, cy + half_h
            if x0 < box.x0 or x1 > box.x1 or y0 < box.y0 or y1 > box.y1:
                continue
            if any(x0 < b and x1 > a and y0 < d and y1 > c for a, b, c, d in placed):
                continue
            if fallback is None:
                fallback = (dx, dy, (x0, x1, y0, y1))
            near_x = np.clip(obstacles[:, 0], x0, x1) - obstacles[:, 0]
            near_y = np.clip(obstacles[:, 1], y0, y1) - obstacles[:, 1]
            if not np.any(near_x**2 + near_y**2 < radii**2):
                chosen = (dx, dy, (x0, x1, y0, y1))
                break
        chosen = chosen or fallback
        if chosen is None:
            continue  # no free place inside the axes: the name is still in the list
        dx, dy, taken = chosen
        placed.append(taken)
        far = dx * dx + dy * dy > 12**2
        ax.annotate(
            str(k), (x, y), xytext=(dx, dy), textcoords="offset points", ha="center",
            va="center", fontsize=fontsize, fontweight="bold", color="#1f2933", zorder=4,
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.5,
                        "shrinkA": 0, "shrinkB": 4} if far else None,
        )  # fmt: skip
    _name_list(figure, [text for _, _, text in points], caption)


def _name_list(figure: Figure, names: Sequence[str], caption: str) -> None:
    """The numbered names under the axes, in columns, with the caption above them."""
    width, height = (v * 72 for v in figure.get_size_inches())
    columns = _list_columns(len(names))
    rows = math.ceil(len(names) / columns)
    left = 0.02 * width
    top = _list_height(len(names)) - 4  # points from the figure's bottom
    figure.text(left / width, top / height, caption, fontsize=_LIST_FONT, va="top",
                color="#52606d")  # fmt: skip
    column_width = (width - 2 * left) / columns
    for i, name in enumerate(names):
        column, row = divmod(i, rows)
        x = left + column * column_width
        y = (top - (row + 1) * _LIST_LINE) / height
        figure.text((x + 12) / width, y, str(i + 1), ha="right", va="top", fontsize=_LIST_FONT,
                    fontweight="bold")  # fmt: skip
        figure.text((x + 15) / width, y, name[:_NAME_LENGTH], va="top", fontsize=_LIST_FONT)


# Offsets (points) a number tries around its point: nearest first, on rings of 8 directions.
_RINGS = [
    (r * dx, r * dy)
    for r in (6, 9, 13, 18, 24, 32, 42, 55, 70)
    for dx, dy in ((1, 0.6), (-1, 0.6), (0, 1), (1, -0.6), (-1, -0.6), (0, -1), (1, 0), (-1, 0))
]


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
    named = [] if labels is None else _farthest_above(n, share, regional_share, marked)
    named = [i for i in named if labels[i]][:LABEL_LIMIT]  # type: ignore[index]
    margins = {"left": 0.09, "right": 0.76, "top": 0.96, "bottom": 0.12}
    size, margins = _grown((8.5, 4.4), margins, _list_height(len(named)))
    figure, ax = _canvas("funnel", size, margins, reuse)
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
    proxies = [ax.scatter([], [], c=RED, s=30, label="школы списка ШНОР"),
               ax.scatter([], [], c=BLUE, s=12, label="остальные школы")]  # fmt: skip
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
    if named:
        caption = (
            f"Номера на графике: {russian.counted(len(named), 'школа')} списка ШНОР, дальше "
            "всех выше региона"
            if marked.sum() > len(named)
            else "Номера на графике: школы списка ШНОР"
        )
        sizes = np.where(marked, 30.0, 12.0)
        _numbered(ax, [(n[i], share[i], labels[i]) for i in named],  # type: ignore[index]
                  ax.transData.transform(np.column_stack([n, share])),
                  np.sqrt(sizes) / 2 * figure.dpi / 72 + 1, caption)  # fmt: skip
    _legend(ax, proxies)
    figure.shnor_titles = titles_of  # type: ignore[attr-defined]
    return figure


def _legend(ax: Axes, proxies: Sequence) -> None:
    """The legend right of the axes, without a frame; the empty scatters that gave it its
    marker entries are taken off the axes once it is made (its entries are copies): drawn, each
    was an empty group in the SVG."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    for proxy in proxies:
        proxy.remove()


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
    named = [p for p in shown if p.label]
    margins = {"left": 0.1, "right": 0.7, "top": 0.96, "bottom": 0.12}
    size, margins = _grown((8.5, 4.6), margins, _list_height(len(named)))
    figure, ax = _canvas("change", size, margins, reuse)
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
    proxies = [ax.scatter([], [], c=GREEN, s=28, label="положительная динамика"),
               ax.scatter([], [], c=RED, s=28, label="без положительной динамики")]  # fmt: skip
    ax.set_xlim(*x_limits)
    ax.set_ylim(*y_limits)
    if named:
        _numbered(ax, [(p.x, p.y, p.label) for p in named],
                  ax.transData.transform([(p.x, p.y) for p in shown]),
                  np.full(len(shown), np.sqrt(28) / 2 * figure.dpi / 72 + 1),
                  "Номера на графике: школы списка прошлого года")  # fmt: skip
    points_axis(ax.xaxis)
    points_axis(ax.yaxis)
    ax.set_xlabel("Ожидаемое изменение доли неудач (регрессия к среднему), п.п.")
    ax.set_ylabel("Наблюдаемое изменение доли неудач, п.п.")
    _legend(ax, proxies)
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
    level: float = 0.95,
    reuse: bool = False,
) -> Figure:
    """A school's fail share over the years with its `level` intervals, beside the region's
    share."""
    margins = {"left": 0.16, "right": 0.97, "top": 0.95, "bottom": 0.2}
    figure, ax = _canvas("years", (4.6, 2.6), margins, reuse)
    x = np.asarray(years, dtype=float)
    share = np.asarray(shares, dtype=float)
    low = np.asarray(lowers, dtype=float)
    high = np.asarray(uppers, dtype=float)
    spread = [np.clip(share - low, 0, None), np.clip(high - share, 0, None)]
    ax.errorbar(x, share, yerr=spread, fmt="none", ecolor=RED, elinewidth=2, alpha=0.5,
                label=f"школа: {russian.percent(level, 0)}-интервал")  # fmt: skip
    titles_of = _scatter(ax, x, share, titles, [RED] * len(x), 30, 0)
    ax.plot(x, share, color=RED, linewidth=1)
    ax.plot(x, regional, "--", color=GREY, label="по региону")
    ax.set_xticks(x, [str(int(y)) for y in years])
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)  # one year gets a readable axis too
    ax.set_ylim(*_padded([*low, *high, *regional], share=True))
    percent_axis(ax.yaxis)
    ax.set_xlabel("Год")
    ax.set_ylabel("Доля неудач")
    # the axis titles where matplotlib would put them beside «100 %» and the years, fixed: placing
    # them measures every tick label again (a tenth of the chart's time)
    ax.xaxis.set_label_coords(0.5, -0.12)
    ax.yaxis.set_label_coords(-0.14, 0.5)
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
