"""The report charts (matplotlib → inline SVG): each school's point carries a <title> naming it,
in the order drawn; axes are labelled in Russian and fitted to the data; the list's schools
are labelled."""

from __future__ import annotations

import re

import numpy as np

from shnor.reports.charts import (
    GREEN,
    RED,
    Point,
    change_figure,
    funnel_figure,
    measures_by_text2path,
    svg,
    years_figure,
)


def titled_positions(markup: str) -> list[tuple[str, float]]:
    """(title, x) of every titled marker: x of a <use>, or the first x of a <path>."""
    found = []
    for element in re.finditer(r"<(use|path) ([^>]*)><title>([^<]*)</title>", markup):
        attributes = element.group(2)
        x = re.search(r'\bx="([-\d.]+)"', attributes) or re.search(r'd="M\s*([-\d.]+)', attributes)
        found.append((element.group(3), float(x.group(1))))
    return found


def test_funnel_points_are_titled_in_order_labelled_and_axes_fit_the_data():
    counts = np.arange(20, 420, 10)  # 40 schools, growing size
    shares = 0.05 + 0.1 * (np.arange(40) % 5) / 4  # 5 % … 15 %
    names = [f"Школа № {i}" for i in range(40)]
    listed = [i % 10 == 0 for i in range(40)]
    figure = funnel_figure(counts, shares, names, listed, 0.1, names)
    low, high = figure.axes[0].get_ylim()
    assert 0 <= low < 0.05 and 0.15 < high < 0.2  # not stretched to 0–100 %
    markup = svg(figure, "Воронка")
    titled = titled_positions(markup)
    assert sorted(t for t, _ in titled) == sorted(names)
    # the listed (red) ones are drawn last, each group in the order given: x grows with size
    order = [names[i] for i in range(40) if not listed[i]] + [n for i, n in enumerate(names)
                                                             if listed[i]]  # fmt: skip
    assert [t for t, _ in titled] == order
    unlisted = [x for t, x in titled if t in order[:36]]
    assert unlisted == sorted(unlisted)
    for text in ("Учтено результатов (логарифмическая шкала)", "Доля неудач",
                 "школы списка ШНОР", "по региону: 10,0"):  # fmt: skip
        assert text in markup
    for i in (0, 10, 20, 30):  # the list's schools are named under the chart
        assert f">Школа № {i}<" in markup
    assert not re.search(r">\d+\.\d+", markup)  # no decimal point in a Russian label


def test_crowded_funnel_numbers_the_worst_schools_apart_and_lists_their_names_below():
    """60 list schools crowded at one size: the 12 farthest above the region get the numbers
    1–12 beside their points, none covering another number, a school's point or the legend,
    all inside the axes; their names are listed under the axes in that order, apart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from shnor.reports.charts import LABEL_LIMIT

    counts = np.full(60, 200.0) + np.arange(60)  # 60 list schools crowded at one size
    shares = 0.30 + 0.001 * np.arange(60)  # the last ones are the farthest above the region
    names = [f"Школа с длинным названием № {i}" for i in range(60)]
    figure = funnel_figure(counts, shares, names, [True] * 60, 0.1, names)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.texts] == [str(k) for k in range(1, LABEL_LIMIT + 1)]
    listed = [t.get_text() for t in figure.texts]
    worst = [names[i] for i in range(59, 59 - LABEL_LIMIT, -1)]
    assert [t for t in listed if t.startswith("Школа")] == worst  # worst first
    for k, name in enumerate(worst, 1):  # each name right after its number
        assert listed[listed.index(name) - 1] == str(k)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # places each annotation's text
    renderer = canvas.get_renderer()
    numbers = [Text.get_window_extent(t, renderer) for t in ax.texts]  # not the leader line
    legend = ax.get_legend().get_window_extent(renderer)
    radius = np.sqrt(30) / 2 * figure.dpi / 72  # a list school's marker, in pixels
    centres = ax.transData.transform(np.column_stack([counts, shares]))
    for i, box in enumerate(numbers):
        assert not box.overlaps(legend)
        assert ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1
        assert ax.bbox.y0 <= box.y0 and box.y1 <= ax.bbox.y1
        for other in numbers[:i]:
            assert not box.overlaps(other), i + 1
        near_x = np.clip(centres[:, 0], box.x0, box.x1) - centres[:, 0]
        near_y = np.clip(centres[:, 1], box.y0, box.y1) - centres[:, 1]
        assert np.all(near_x**2 + near_y**2 >= radius**2), f"{i + 1} covers a point"
    below = ax.xaxis.label.get_window_extent(renderer)
    texts = [t.get_window_extent(renderer) for t in figure.texts]
    for i, box in enumerate(texts):
        assert box.y1 <= below.y0 and box.y0 >= 0  # under the axis title, inside the figure
        for other in texts[:i]:
            assert not box.overlaps(other), listed[i]
    markup = svg(figure, "Воронка")
    assert "Номера на графике: 12 школ списка ШНОР, дальше всех выше региона" in markup
    assert all(f">{name}<" in markup for name in worst)  # a name is one text of its own


def test_change_scatter_axes_fit_small_changes_and_name_each_school():
    points = [Point(-0.02, -0.03, "А: −3 п.п.", GREEN, "А"), Point(0.01, 0.02, "Б: +2 п.п.", RED)]
    figure = change_figure(points, -0.01)
    for low, high in (figure.axes[0].get_xlim(), figure.axes[0].get_ylim()):
        assert -0.1 < low < 0 < high < 0.1  # ±3 points are not squeezed into ±27
    markup = svg(figure, "Регрессия к среднему")
    assert [t for t, _ in titled_positions(markup)] == ["А: −3 п.п.", "Б: +2 п.п."]
    assert "Ожидаемое изменение доли неудач (регрессия к среднему), п.п." in markup
    assert "Наблюдаемое изменение доли неудач, п.п." in markup


def test_years_chart_titles_each_year_and_is_one_offline_svg():
    markup = svg(
        years_figure([2024, 2025, 2026], [0.2, 0.3, 0.25], [0.1, 0.2, 0.15], [0.3, 0.4, 0.35],
                     [0.1, 0.1, 0.1], ["Школа, 2024", "Школа, 2025", "Школа, 2026"]),
        "По годам",
    )  # fmt: skip
    assert markup.startswith("<svg") and markup.rstrip().endswith("</svg>")
    assert [t for t, _ in titled_positions(markup)] == ["Школа, 2024", "Школа, 2025", "Школа, 2026"]
    assert "Доля неудач" in markup and ">Год<" in markup
    assert not re.search(r"""(href|src)=["']https?:""", markup)


def test_years_chart_and_card_name_the_presets_interval_level(tmp_path):
    """The card's chart legend and caption say the preset's level (here 90 %), never a fixed
    95 %."""
    from shnor.presets import load_preset, with_values
    from shnor.reports.cards import Card, write_cards
    from shnor.reports.comparative import page_environment

    args = ([2025, 2026], [0.2, 0.3], [0.1, 0.2], [0.3, 0.4], [0.1, 0.1], ["2025", "2026"])
    assert "школа: 90\xa0%-интервал" in svg(years_figure(*args, level=0.9), "По годам")
    assert "школа: 95\xa0%-интервал" in svg(years_figure(*args), "По годам")
    years = [{"year": y, "n": 40, "share": s, "lower": s - 0.1, "upper": s + 0.1,
              "regional": 0.1} for y, s in ((2025, 0.2), (2026, 0.3))]  # fmt: skip
    card = Card("s1", "Школа № 1", "Район", 2026, "ШНОР", "причины", years, [], [], "", "",
                "", [], [], [])  # fmt: skip
    preset = with_values(load_preset(), {"indicators.interval_confidence": 0.9})
    (path,) = write_cards([card], preset, page_environment(), tmp_path)
    html = path.read_text(encoding="utf-8").replace("\xa0", " ")
    assert "с 90 %-интервалом (красным)" in html
    assert "Доля неудач (90 %-интервал)" in html
    assert "95" not in re.sub(r"<svg.*</svg>", "", html, flags=re.S)


def test_a_reused_figure_draws_what_a_new_one_draws():
    """The pages draw on one figure per chart kind, emptied between charts: after a different
    chart of the same kind (other sizes, counts, legend), the SVG is the new figure's exactly."""
    from shnor.reports.charts import Bar, bar_figure

    def funnel(seed, reuse):
        rng = np.random.default_rng(seed)
        names = [f"Школа {i}" for i in range(50)]
        shares = rng.uniform(0, 0.4, 50)
        return funnel_figure(rng.integers(10, 400, 50), shares, names, shares > 0.3, 0.15,
                             names, reuse=reuse)  # fmt: skip

    def change(seed, reuse):
        rng = np.random.default_rng(seed)
        points = [Point(*rng.normal(0, 0.05, 2), f"т{i}", GREEN if i % 2 else RED, f"Школа {i}")
                  for i in range(8 + seed)]  # fmt: skip
        return change_figure(points, -0.01 * seed, reuse=reuse)

    def bars(seed, reuse):
        bars = [Bar(f"Район {i}", i / 10, str(i)) for i in range(3 + seed)]
        return bar_figure(bars, "Заголовок", "доля" if seed % 2 else "", reuse=reuse)

    def years(seed, reuse):
        shown = [2024, 2025, 2026][seed % 2 :]
        share = np.linspace(0.1, 0.3, len(shown)) + seed / 100
        titles = [str(y) for y in shown]
        return years_figure(shown, share, share - 0.05, share + 0.05, [0.1] * len(shown),
                            titles, legend=bool(seed % 2), reuse=reuse)  # fmt: skip

    for draw in (funnel, change, bars, years):
        for first, other in ((1, 2), (2, 1)):
            new = svg(draw(first, False), "график")
            assert svg(draw(other, True), "график") != new
            assert svg(draw(first, True), "график") == new, draw.__name__


def test_text_measured_once_a_process_draws_what_matplotlib_measures_per_chart(monkeypatch):
    """Text metrics kept across charts (not per renderer, as matplotlib keeps them): the SVG is
    the one drawn when every chart measures its own text, and a second chart measures nothing
    the first one measured."""
    from matplotlib.backends.backend_svg import RendererSVG

    from shnor.reports import charts

    def drawn() -> str:
        rng = np.random.default_rng(7)
        names = [f"Школа {i}" for i in range(40)]
        shares = rng.uniform(0, 0.4, 40)
        figure = funnel_figure(rng.integers(10, 400, 40), shares, names, shares > 0.3, 0.15, names)
        return str(svg(figure, "график"))

    charts._text_metrics.cache_clear()
    kept = drawn()
    measured = charts._text_metrics.cache_info().misses
    assert measured > 10
    again = drawn()
    assert again == kept and charts._text_metrics.cache_info().misses == measured

    def own(renderer, text, font, ismath):  # matplotlib's: the renderer's TextToPath
        return renderer._text2path.get_text_width_height_descent(text, font, ismath)

    monkeypatch.setattr(RendererSVG, "get_text_width_height_descent", own)
    assert drawn() == kept


def test_font_heights_kept_a_process_draw_what_matplotlib_reads_per_text(monkeypatch):
    """The font heights `Text._get_layout` asks the renderer for (kept per font) are the ones it
    reads from the font file itself without the hook: the same SVG, and the font read once."""
    from matplotlib.backends.backend_svg import RendererSVG

    from shnor.reports import charts

    def drawn() -> str:
        points = [Point(0.01 * i, -0.02 * i, f"т{i}", GREEN, f"Школа {i}") for i in range(12)]
        return str(svg(change_figure(points, -0.01), "график"))

    charts._font_heights.cache_clear()
    kept = drawn()
    info = charts._font_heights.cache_info()
    assert 0 < info.misses <= 4 and info.hits > 50  # a few fonts, asked for by every text
    monkeypatch.delattr(RendererSVG, "_get_font_height_metrics")
    assert drawn() == kept


def test_text_measure_is_replaced_only_while_matplotlib_measures_by_text_to_path():
    """The process-wide text measure replaces matplotlib's SVG one only where that one is
    `TextToPath` alone (3.10–3.11); a later matplotlib that measures otherwise keeps its own."""

    def as_in_matplotlib(self, s, prop, ismath):
        # docstring inherited
        return self._text2path.get_text_width_height_descent(s, prop, ismath)

    def otherwise(self, s, prop, ismath):
        width, height, descent = self._text2path.get_text_width_height_descent(s, prop, ismath)
        return width * self.scale, height, descent

    assert measures_by_text2path(as_in_matplotlib)
    assert not measures_by_text2path(otherwise)
    assert not measures_by_text2path(len)  # no source to read: left as it is
