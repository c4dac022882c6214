"""Charts as inline SVG text (no scripts, no fonts or files to fetch): a page that holds them
opens offline. Every piece of input text is escaped; numbers are formatted here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from markupsafe import Markup

from shnor import russian

FONT = "font-family:Arial,Helvetica,sans-serif;font-size:12px"
BLUE, RED, GREEN, GREY = "#2f6db5", "#c0392b", "#27864a", "#9aa5b1"


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: label, value (share or count), text shown after the bar."""

    label: str
    value: float
    note: str
    color: str = BLUE


@dataclass(frozen=True)
class Point:
    """One school on a scatter: x, y, tooltip and whether it is highlighted."""

    x: float
    y: float
    title: str
    color: str = BLUE


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;{FONT}">'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(bars: Sequence[Bar], label: str, *, maximum: float | None = None) -> Markup:
    """Horizontal bars with the label on the left and the evidence on the right."""
    row, left, width, right = 24, 260, 330, 230
    height = row * len(bars) + 10
    top = max([b.value for b in bars if np.isfinite(b.value)] + [maximum or 0, 1e-9])
    body = []
    for i, bar in enumerate(bars):
        y = 5 + i * row
        length = 0 if not np.isfinite(bar.value) else width * bar.value / top
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(bar.label[:40])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{bar.color}"><title>{escape(bar.label)}: {escape(bar.note)}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 15}">{escape(bar.note)}</text>'
        )
    return _svg(left + width + right, height, body, label)


def funnel_plot(
    counts: Sequence[float],
    shares: Sequence[float],
    titles: Sequence[str],
    highlighted: Sequence[bool],
    regional_share: float,
    label: str,
) -> Markup:
    """Fail share against participants with the region's share and its 95% / 99.8% binomial
    control limits: a school outside the funnel differs from the region beyond chance."""
    width, height, left, bottom, top_pad, right = 720, 380, 60, 40, 15, 20
    n = np.asarray(counts, dtype=float)
    share = np.asarray(shares, dtype=float)
    if n.size == 0 or not np.isfinite(regional_share):
        return _svg(width, 40, ['<text x="10" y="25">Нет данных для графика.</text>'], label)
    n_max = max(float(n.max()), 20.0)
    y_max = min(1.0, max(float(np.nanmax(share)), regional_share * 2) * 1.1 + 0.02)

    def sx(value: float) -> float:
        return left + (width - left - right) * np.log10(max(value, 1)) / np.log10(n_max * 1.05)

    def sy(value: float) -> float:
        return top_pad + (height - top_pad - bottom) * (1 - min(max(value, 0), y_max) / y_max)

    body = [f'<rect x="{left}" y="{top_pad}" width="{width - left - right}" '
            f'height="{height - top_pad - bottom}" fill="#fafbfc" stroke="#ccc"/>']  # fmt: skip
    grid = np.geomspace(1, n_max * 1.05, 80)
    for z, dash in ((1.96, "6,3"), (3.09, "2,2")):
        for sign in (1, -1):
            limit = regional_share + sign * z * np.sqrt(
                regional_share * (1 - regional_share) / grid
            )
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{sx(g):.1f},{sy(v):.1f}"
                for i, (g, v) in enumerate(zip(grid, limit, strict=True))
            )
            body.append(f'<path d="{path}" fill="none" stroke="{GREY}" stroke-dasharray="{dash}"/>')
    body.append(
        f'<line x1="{left}" x2="{width - right}" y1="{sy(regional_share):.1f}" '
        f'y2="{sy(regional_share):.1f}" stroke="#333"/>'
    )
    order = np.argsort(np.asarray(highlighted, dtype=bool), kind="stable")
    for i in order:
        color = RED if highlighted[i] else BLUE
        body.append(
            f'<circle cx="{sx(n[i]):.1f}" cy="{sy(share[i]):.1f}" '
            f'r="{4 if highlighted[i] else 2.5}" '
            f'fill="{color}" fill-opacity="0.75"><title>{escape(titles[i])}</title></circle>'
        )
    for tick in (10, 30, 100, 300, 1000, 3000, 10000):
        if tick <= n_max:
            body.append(
                f'<text x="{sx(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{tick}</text>"
            )
    for tick in np.linspace(0, y_max, 5):
        body.append(
            f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">'
            f"{russian.percent(tick, 0)}</text>"
        )
    body.append(
        f'<text x="{(width + left) / 2}" y="{height - 5}" text-anchor="middle">'
        "Учтено результатов (логарифмическая шкала)</text>"
    )
    return _svg(width, height, body, label)


def change_scatter(points: Sequence[Point], near_miss_change: float, label: str) -> Markup:
    """Each school's observed change (y) against the change expected from regression to the
    mean (x), with the diagonal y = x and the near-miss schools' mean change; a school below
    both lines improved beyond what selection alone explains."""
    width, height, left, bottom, top_pad, right = 560, 420, 60, 40, 15, 20
    if not points:
        return _svg(width, 40, ['<text x="10" y="25">Нет школ для графика.</text>'], label)
    values = [p.x for p in points] + [p.y for p in points]
    if np.isfinite(near_miss_change):
        values.append(near_miss_change)
    extent = max(abs(v) for v in values if np.isfinite(v)) * 1.15 + 0.01

    def sx(value: float) -> float:
        return left + (width - left - right) * (value + extent) / (2 * extent)

    def sy(value: float) -> float:
        return top_pad + (height - top_pad - bottom) * (1 - (value + extent) / (2 * extent))

    body = [
        f'<rect x="{left}" y="{top_pad}" width="{width - left - right}" '
        f'height="{height - top_pad - bottom}" fill="#fafbfc" stroke="#ccc"/>',
        f'<line x1="{sx(-extent):.1f}" y1="{sy(-extent):.1f}" x2="{sx(extent):.1f}" '
        f'y2="{sy(extent):.1f}" stroke="#333" stroke-dasharray="5,3"/>',
        f'<line x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{top_pad}" y2="{height - bottom}" '
        'stroke="#ddd"/>',
    ]
    if np.isfinite(near_miss_change):
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(near_miss_change):.1f}" '
            f'y2="{sy(near_miss_change):.1f}" stroke="{GREEN}" stroke-dasharray="2,2">'
            f"<title>Школы «почти в списке»: {russian.points(near_miss_change)}</title></line>"
        )
    for point in points:
        if np.isfinite(point.x) and np.isfinite(point.y):
            body.append(
                f'<circle cx="{sx(point.x):.1f}" cy="{sy(point.y):.1f}" r="4.5" '
                f'fill="{point.color}" fill-opacity="0.8"><title>{escape(point.title)}</title>'
                "</circle>"
            )
    for tick in np.linspace(-extent, extent, 5):
        body.append(
            f'<text x="{sx(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{russian.number(100 * tick, 0, signed=True)}</text>"
            f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">'
            f"{russian.number(100 * tick, 0, signed=True)}</text>"
        )
    body.append(
        f'<text x="{(width + left) / 2}" y="{height - 5}" text-anchor="middle">'
        "Ожидаемое изменение (регрессия к среднему), п.п.</text>"
    )
    return _svg(width, height, body, label)
