"""The year-on-year comparative report («сравнительный анализ», docs/methodology.md) for the region
or one municipality: a self-contained HTML page (inline CSS and SVG, no scripts) and a workbook
with the same tables. Formatting only: the numbers come from the rpt_* marts."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from shnor import russian
from shnor.methods.year_over_year import BY_PERCENTILE, IMPROVED, TRANSITIONS, WORSENED
from shnor.presets import Preset
from shnor.report_tables import REGION
from shnor.reports.cards import (
    Card,
    card_link,
    carded_schools,
    school_cards,
    write_cards_sheet,
)
from shnor.reports.charts import GREEN, RED, Bar, Point, bar_chart, change_scatter, funnel_plot
from shnor.reports.school_list import (
    IDENTITY_COLUMNS,
    RUN_FACT_LABELS,
    fact_value,
    list_columns,
    list_details,
    title_block,
)
from shnor.reports.support_sheets import for_scope, support_sheets
from shnor.reports.workbook import (
    Column,
    open_workbook,
    write_key_value_sheet,
    write_table_sheet,
)

SHARE = "0.0%"
# A change of a share in percentage points (the value is 100 × the change), as the page says it.
POINTS = '+0.0" п.п.";-0.0" п.п.";0.0" п.п."'
CHANGES = ("change", "change_lower", "change_upper", "expected_change", "near_miss_change")


def in_points(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with each change of a share also in percentage points (`<change>_points`)."""
    return frame.assign(
        **{f"{c}_points": 100 * frame[c].astype(float) for c in CHANGES if c in frame}
    )


@dataclass(frozen=True)
class Scope:
    """What a report covers: the region (municipality None) or one municipality."""

    title: str
    municipality: str | None


def _scoped(frame: pd.DataFrame, year: int, scope: Scope) -> pd.DataFrame:
    """The year's rows of the scope, taken in one step (each row selection copies every column,
    and the marts hold all years of the region)."""
    return for_scope(frame, year, scope.municipality)


def comparison(
    marts: Mapping[str, pd.DataFrame],
    year: int,
    scope: Scope,
    preset: Preset,
    list_rows: pd.DataFrame | None = None,
    cards: list[Card] | None = None,
) -> dict[str, Any]:
    """The frames and counts one comparative report shows. `list_rows` (the year's
    `list_details`) and `cards` (the scope's) are computed once for all scopes by the caller
    when given, else here."""
    if list_rows is None:
        list_rows = list_details(marts, year, preset)
    if cards is None:
        cards = (school_cards(marts, year, preset, scope.municipality)
                 if scope.municipality is not None else [])  # fmt: skip
    schools = _scoped(marts["rpt_school_year_over_year"], year, scope)
    cohort = schools[schools["was_on_shnor_list"] | schools["is_on_shnor_list"]]
    judged = cohort[cohort["was_on_shnor_list"] & cohort["is_rated"]]
    summary = marts["rpt_municipality_summary"]
    summary = summary[summary["exam_year"] == year]
    if scope.municipality is not None:
        summary = summary[summary["municipality_name"].isin([scope.municipality, REGION])]
    region_all = marts["rpt_school_year_over_year"]
    of_year = region_all["exam_year"] == year  # the region's columns read, no rows copied
    near_miss = region_all.loc[of_year, "near_miss_change"].dropna()
    pooled = region_all.loc[
        of_year & region_all["is_rated"] & (region_all["participant_count"] > 0),
        ["fail_count", "participant_count"],
    ]
    return {
        "year": year,
        "schools": schools,
        "cohort": cohort.sort_values(["transition", "municipality_name", "school_name"]),
        "judged": judged,
        "procedures": _scoped(marts["rpt_year_over_year"], year, scope).pipe(
            lambda rows: rows.assign(
                comparability_note=rows["comparability_note"].fillna(COMPARABLE)
            )
        ),
        "summary": summary,
        "transitions": {t: int((cohort["transition"] == t).sum()) for t in TRANSITIONS},
        "previous_count": int(cohort["was_on_shnor_list"].sum()),
        "current_count": int(cohort["is_on_shnor_list"].sum()),
        "positive_count": int(judged["has_positive_dynamics"].sum()),
        "near_miss_change": float(near_miss.iloc[0]) if len(near_miss) else math.nan,
        "near_miss_count": int(region_all.loc[of_year, "is_near_miss"].sum()),
        "regional_share": float(pooled["fail_count"].sum() / pooled["participant_count"].sum())
        if len(pooled)
        else math.nan,
        "list": (
            list_rows
            if scope.municipality is None
            else list_rows[list_rows["municipality_name"] == scope.municipality]
        ),
        "acted_on": acted_on_schools(marts, year),
        "support": support_sheets(marts, year, scope.municipality),
        # every carded school of the scope (links); the cards themselves for a municipality
        "carded": carded_schools(marts, year, scope.municipality),
        "cards": cards,
    }


# ---- workbook ---------------------------------------------------------------------------------

SCHOOL_CHANGE_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 36),
    Column("transition", "ШНОР: переход", 12),
    Column("previous_participant_count", "n (прошлый год)", 9, "0"),
    Column("previous_fail_share", "Доля неудач (прошлый год)", 10, SHARE),
    Column("previous_fail_share_lower", "Нижняя граница (прошлый год)", 9, SHARE),
    Column("previous_fail_share_upper", "Верхняя граница (прошлый год)", 9, SHARE),
    Column("participant_count", "n (год отчёта)", 9, "0"),
    Column("fail_share", "Доля неудач (год отчёта)", 10, SHARE),
    Column("fail_share_lower", "Нижняя граница (год отчёта)", 9, SHARE),
    Column("fail_share_upper", "Верхняя граница (год отчёта)", 9, SHARE),
    Column("change_points", "Изменение, п.п.", 10, POINTS),
    Column("change_lower_points", "Изменение: нижняя граница (Ньюкомб), п.п.", 11, POINTS),
    Column("change_upper_points", "Изменение: верхняя граница (Ньюкомб), п.п.", 11, POINTS),
    Column("change_p_value", "p (z-тест двух долей)", 9, "0.000"),
    Column("change_label", "Вывод", 20),
    Column(
        "expected_change_points", "Ожидаемое изменение (регрессия к среднему), п.п.", 12, POINTS
    ),
    Column("near_miss_change_points", "Изменение школ «почти в списке», п.п.", 12, POINTS),
    Column("has_positive_dynamics", "Положительная динамика сверх ожидаемой", 12),
    Column("is_vpr_set_aside", "Только ОГЭ/ЕГЭ (ВПР требуют анализа объективности)", 12),
)

PROCEDURE_CHANGE_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 32),
    Column("procedure_name", "Процедура", 26),
    *SCHOOL_CHANGE_COLUMNS[4:17],
    Column("previous_fail_share_percentile", "Процентиль (прошлый год, 100 — худший)", 11, "0"),
    Column("fail_share_percentile", "Процентиль (год отчёта)", 11, "0"),
    Column("comparability_note", "Сопоставимость", 40),
)

MUNICIPALITY_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 30),
    Column("rated_count", "Школ оценено", 9, "0"),
    Column("shnor_count", "ШНОР", 7, "0"),
    Column("shnor_share", "ШНОР, %", 8, SHARE),
    Column("shnor_student_share", "Обучающихся в ШНОР, %", 10, SHARE),
    Column("shnsu_count", "ШНСУ", 7, "0"),
    Column("shnsu_share", "ШНСУ, %", 8, SHARE),
    Column("risk_group_count", "Группа риска", 8, "0"),
    Column("risk_group_share", "Группа риска, %", 8, SHARE),
    Column("resilient_count", "Резильентные", 9, "0"),
    Column("resilient_share", "Резильентные, %", 9, SHARE),
    Column("entered_count", "Вошли в ШНОР", 8, "0"),
    Column("stayed_count", "Остались", 8, "0"),
    Column("exited_count", "Вышли", 8, "0"),
    Column("not_rated_count", "Не оцениваются", 9, "0"),
    Column("previous_shnor_rated_count", "ШНОР прошлого года, оценены", 10, "0"),
    Column("positive_dynamics_count", "Из них с положительной динамикой", 10, "0"),
    Column(
        "positive_dynamics_share", "Положительная динамика, %", 10, SHARE,
        {"type": "data_bar", "bar_color": "#63BE7B", "bar_solid": True},
    ),
)  # fmt: skip


def _facts(view: dict[str, Any], preset: Preset, run_facts: list, scope: Scope) -> list:
    year = view["year"]
    positive = (f"{view['positive_count']} из {len(view['judged'])}" if len(view["judged"])
                else "нет ШНОР прошлого года с результатами в этом году")  # fmt: skip
    return [
        ("Отчёт", f"Сравнительный анализ результатов {year - 1} и {year} годов"),
        ("Территория", scope.title),
        ("ШНОР в прошлом году", view["previous_count"]),
        ("ШНОР в год отчёта", view["current_count"]),
        *((f"ШНОР: {t}", n) for t, n in view["transitions"].items()),
        ("Положительная динамика сверх ожидаемой (ШНОР прошлого года)", positive),
        ("Изменение школ «почти в списке» (среднее)", _pp(view["near_miss_change"])),
        ("Школ «почти в списке»", view["near_miss_count"]),
        ("Методика", f"«{preset.name}», версия {preset.version}"),
        *((RUN_FACT_LABELS.get(k, k), fact_value(k, v)) for k, v in run_facts),
    ]


def write_comparative_workbook(
    view: dict[str, Any],
    scope: Scope,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    path: Path,
) -> Path:
    """The workbook of one `comparison` view: Сводка, (Список школ), Муниципалитеты, ШНОР —
    динамика, Все школы — динамика, Процедуры — динамика (`procedure_sheet`), Сетевые пары,
    Рекомендации, (Карточки), Примечания; each sheet under its title block, printed A4
    landscape."""
    facts = dict(run_facts)

    def title(sheet: str) -> list[str]:
        return comparative_title(sheet, view["year"], preset, facts, scope)

    workbook = open_workbook(path)
    try:
        write_key_value_sheet(
            workbook, "Сводка", _facts(view, preset, run_facts, scope), ("Показатель", "Значение"),
            title=title("Сводка"),
        )  # fmt: skip
        if scope.municipality is not None:
            write_table_sheet(
                workbook, "Список школ", view["list"], list_columns(preset),
                title=title("Список школ"), frozen_columns=IDENTITY_COLUMNS,
            )  # fmt: skip
        write_table_sheet(workbook, "Муниципалитеты", view["summary"], MUNICIPALITY_COLUMNS,
                          title=title("Муниципалитеты"), frozen_columns=1)  # fmt: skip
        cohort, schools = in_points(view["cohort"]), in_points(view["schools"])
        for name, frame in (("ШНОР — динамика", cohort), ("Все школы — динамика", schools)):
            write_table_sheet(workbook, name, frame, SCHOOL_CHANGE_COLUMNS, title=title(name),
                              frozen_columns=SCHOOL_COLUMNS)  # fmt: skip
        procedures, empty_note, note = procedure_sheet(view)
        write_table_sheet(
            workbook, PROCEDURE_SHEET, in_points(procedures), PROCEDURE_CHANGE_COLUMNS,
            empty_note, title=title(PROCEDURE_SHEET), frozen_columns=SCHOOL_COLUMNS, note=note,
        )  # fmt: skip
        for name, frame, columns in view["support"]:
            write_table_sheet(workbook, name, frame, columns, "Нет строк за этот год.",
                              title=title(name))  # fmt: skip
        if scope.municipality is not None:
            write_cards_sheet(workbook, view["cards"], title("Карточки"))
        write_table_sheet(
            workbook, "Примечания", pd.DataFrame({"note": notes(view, preset, scope)}),
            [Column("note", "Как читать отчёт", 120)], title=title("Примечания"),
        )  # fmt: skip
    finally:
        workbook.close()
    return path


SCHOOL_COLUMNS = 3  # муниципалитет, код, школа: frozen on the sheets of schools' changes
# What each sheet of a comparative workbook is (the first line of its title block).
COMPARATIVE_TITLES = {
    "Сводка": "Сравнительный анализ результатов",
    "Список школ": "Школы муниципалитета в списках года",
    "Муниципалитеты": "ШНОР, ШНСУ, группа риска и переходы по муниципалитетам",
    "ШНОР — динамика": "ШНОР прошлого и этого года: изменение доли неудач",
    "Все школы — динамика": "Все школы: изменение доли неудач",
    "Процедуры — динамика": "Изменения по процедурам: школы перечня ШНОР, групп риска и "
    "профилактики, значимые изменения остальных школ",
    "Сетевые пары": "Сетевые пары: ШНОР и школы-тьюторы",
    "Рекомендации": "Адресные рекомендации школам списка ШНОР",
    "Карточки": "Карточки школ списка ШНОР и группы риска",
    "Примечания": "Как читать сравнительный анализ",
}
# Sheets of the report's year alone; the others compare it with the year before.
ONE_YEAR_SHEETS = ("Список школ", "Сетевые пары", "Рекомендации", "Карточки")


def comparative_title(
    sheet: str, year: int, preset: Preset, facts: Mapping[str, object], scope: Scope
) -> list[str]:
    """The title block of a comparative workbook's sheet: what it is and its years («2025 и
    2026 годы», or the report's year), the region and municipality, preset, run date."""
    years = f"{year} год" if sheet in ONE_YEAR_SHEETS else f"{year - 1} и {year} годы"
    heading = f"{COMPARATIVE_TITLES.get(sheet, sheet)} — {years}"
    return title_block(heading, preset, facts, scope.municipality)


# The «Сопоставимость» of a procedure whose thresholds did not change between the years.
COMPARABLE = "сопоставимо: пороги не менялись"
PROCEDURE_SHEET = "Процедуры — динамика"
VERDICTS = (IMPROVED, WORSENED, BY_PERCENTILE)
# The schools a specialist acts on: every procedure of theirs is on the procedure sheet.
ACTED_ON = ("is_on_shnor_list", "is_risk_group", "is_prevention_group")
# Where every school × procedure comparison is: the mart as docs/tables.md names it, its file.
FULL_PROCEDURE_TABLE = "витрина reports.rpt_year_over_year (файл marts/rpt_year_over_year.parquet)"


def acted_on_schools(marts: Mapping[str, pd.DataFrame], year: int) -> set[str]:
    """The year's schools on the ШНОР list, in the risk group or in the prevention group."""
    rows = marts["rpt_school_list"]
    acted_on = rows[list(ACTED_ON)].fillna(False).any(axis=1) & (rows["exam_year"] == year)
    return set(rows.loc[acted_on, "school_id"])


def procedures_to_act_on(procedures: pd.DataFrame, acted_on: set[str]) -> pd.DataFrame:
    """The school × procedure comparisons a specialist acts on: every one of a school on the
    list or in the risk or prevention group, and those of other schools with a verdict
    (a significant change, or a comparison by percentile where the thresholds changed). The
    regional and the municipal sheet both show these (~15 % of ~20 000 on a 600-school region)."""
    return procedures[
        procedures["change_label"].isin(VERDICTS) | procedures["school_id"].isin(acted_on)
    ]


def procedure_sheet(view: dict[str, Any]) -> tuple[pd.DataFrame, str, str]:
    """The procedure sheet's rows (`procedures_to_act_on`), what it says when it has none, and
    the line above its table: how many comparisons are not shown and where they all are."""
    procedures = view["procedures"]
    if procedures.empty:
        return procedures, "Нет процедур с результатами в обоих годах.", ""
    shown = procedures_to_act_on(procedures, view["acted_on"]).sort_values(
        ["municipality_name", "school_name", "school_id", "procedure_name"]
    )
    hidden = len(procedures) - len(shown)
    note = (
        f"На листе — {russian.counted(len(shown), 'сопоставление')} «школа × процедура» из "
        f"{russian.number(len(procedures), 0)}: все процедуры школ перечня ШНОР, групп риска и "
        "профилактики и значимые изменения остальных школ. Не показаны (без значимых изменений, "
        f"школы вне этих групп): {russian.counted(hidden, 'сопоставление')}; полная таблица — "
        f"{FULL_PROCEDURE_TABLE}."
    )
    empty = (
        "Ни одно сопоставление не относится к школам перечня ШНОР, групп риска и профилактики "
        "и не дало значимого изменения."
    )
    return shown, empty, note


def full_table_note(scope: Scope) -> str:
    """Where a reader finds the school × procedure comparisons of this report."""
    where = "муниципалитета" if scope.municipality is not None else "региона"
    return (
        f"В рабочей книге (лист «{PROCEDURE_SHEET}») — все процедуры школ перечня ШНОР, групп "
        f"риска и профилактики {where} и значимые изменения остальных школ; полная таблица "
        f"«школа × процедура» с интервалами — {FULL_PROCEDURE_TABLE}."
    )


def notes(view: dict[str, Any], preset: Preset, scope: Scope) -> list[str]:
    """Reading notes: what each verdict means, where the full comparison table is and what
    changed between the years."""
    yoy = preset["year_over_year"]
    level = f"{100 * preset['indicators.interval_confidence']:.0f}%"
    texts = [
        "Неудача — отметка «2» на ВПР и ОГЭ, результат ниже минимального балла на ЕГЭ "
        "(базовая математика — отметка «2»); учитывается основной период, первая попытка. "
        f"Доли даны с {level}-интервалами Вильсона, изменение — с интервалом Ньюкомба; "
        f"«{IMPROVED}» / «{WORSENED}» — только при p < {russian.number(yoy['alpha'], 2)} "
        "(z-тест двух долей, без "
        f"поправки на множественность) и изменении не меньше {100 * yoy['min_change_points']:.0f}"
        " п.п.",
        "Школы, отобранные по низким результатам, в среднем улучшаются и без помощи (регрессия к "
        "среднему). Ожидаемое изменение — доля неудач, которую модель ожидает в этом году по "
        "сглаженному школьному эффекту прошлого года, минус наблюдавшаяся доля прошлого года. "
        "Школы «почти в списке» — процентили "
        f"{yoy['near_miss_percentile_low']}–{yoy['near_miss_percentile_high']} (100 — худший) в "
        "прошлом году. Положительная динамика засчитывается только при значимом улучшении сильнее "
        "обоих ориентиров.",
        "Переходы: «вошли» — в списке ШНОР в этом году, но не в прошлом; «остались» — в обоих; "
        "«вышли» — выполнили условия выхода; «не оценивается» — в списке в прошлом году, но в "
        "этом году результатов недостаточно для оценки.",
        full_table_note(scope),
    ]
    changed = view["procedures"][~view["procedures"]["is_comparable"]]
    if changed.empty:
        texts.append("Сопоставимость: пороги процедур между годами не менялись.")
    else:
        for note, rows in changed.groupby("comparability_note"):  # never COMPARABLE here
            names = ", ".join(sorted(rows["procedure_name"].unique()))
            texts.append(f"Сопоставимость ({names}): {note}; «{BY_PERCENTILE}».")
    return texts


# ---- page -------------------------------------------------------------------------------------


def _pct(value: object, digits: int = 1) -> str:
    return russian.percent(value, digits)


def _pp(value: object) -> str:
    return russian.points(value)


def _p(value: object) -> str:
    """«p = 0,005», «p < 0,001» or «—»."""
    return russian.p_value(value)


def _text(value: object) -> str:
    """A text cell: empty when missing (a missing note must not print as «nan»)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def generated_at() -> str:
    """When a page is written, as a reader reads a date: «05.12.2026 12:12»."""
    return dt.datetime.now().strftime("%d.%m.%Y %H:%M")


@cache
def page_environment() -> jinja2.Environment:
    """The autoescaping Jinja environment of the report pages (comparative pages, cards), made
    once a process: it keeps the templates compiled (compiling them took a tenth of a second a
    page)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("shnor.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters |= {
        "pct": _pct, "pp": _pp, "p": _p, "text": _text,
        "share_ci": russian.share_with_interval, "change_ci": russian.change_with_interval,
        "whole": lambda v: russian.number(v, 0),
        "counted": russian.counted,
    }  # fmt: skip
    return environment


def _charts(view: dict[str, Any], scope: Scope) -> dict[str, Any]:
    transitions = [Bar(t, n, str(n), GREEN if t == "вышли" else RED if t == "вошли" else "#2f6db5")
                   for t, n in view["transitions"].items()]  # fmt: skip
    municipalities = view["summary"][~view["summary"]["is_region"]]
    municipal_bars = [
        Bar(
            r.municipality_name,
            r.shnor_share,
            f"{_pct(r.shnor_share)} ({r.shnor_count} из {r.rated_count})",
        )
        for r in municipalities.sort_values("shnor_share", ascending=False).itertuples()
    ]
    rated = view["schools"][
        view["schools"]["is_rated"] & (view["schools"]["participant_count"] > 0)
    ]
    funnel = funnel_plot(
        rated["participant_count"].tolist(),
        rated["fail_share"].tolist(),
        [
            f"{r.school_name}: "
            f"{russian.share_with_interval(r.fail_share, r.fail_share_lower, r.fail_share_upper)}"
            f", n = {r.participant_count}"
            for r in rated.itertuples()
        ],
        rated["is_on_shnor_list"].tolist(),
        view["regional_share"],
        "Воронка: доля неудач и число результатов",
        rated["school_name"].fillna(rated["school_id"]).tolist(),
    )
    judged = view["judged"]
    scatter = change_scatter(
        [
            Point(
                r.expected_change,
                r.change,
                f"{r.school_name}: изменение "
                f"{russian.change_with_interval(r.change, r.change_lower, r.change_upper)}, "
                f"ожидалось {_pp(r.expected_change)}",
                GREEN if r.has_positive_dynamics else RED,
                r.school_name if isinstance(r.school_name, str) else r.school_id,
            )
            for r in judged.itertuples()
        ],
        view["near_miss_change"],
        "Изменение ШНОР против ожидаемого",
    )
    return {
        "transitions": bar_chart(transitions, "Переходы ШНОР"),
        # a municipality's page would show one bar: its share is in the table beside the region
        "municipalities": bar_chart(municipal_bars, "Доля ШНОР по муниципалитетам")
        if len(municipal_bars) > 1
        else None,
        "funnel": funnel,
        "scatter": scatter,
    }


def write_comparative_page(
    view: dict[str, Any],
    scope: Scope,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    path: Path,
) -> Path:
    """The comparative report of one `comparison` view as one HTML file that opens offline."""
    year = view["year"]
    pairs, recommendations = (frame for _, frame, _ in view["support"])
    procedures = view["procedures"]
    enough = preset["small_samples.small_sample_size"]
    significant = procedures[
        procedures["change_label"].isin(VERDICTS)
        & (procedures["participant_count"] >= enough)
        & (procedures["previous_participant_count"] >= enough)
    ].sort_values(["change_label", "change"])
    small_significant = int(procedures["change_label"].isin(VERDICTS).sum()) - len(significant)
    by_school = [
        (name, group["text"].tolist())
        for name, group in recommendations.groupby(
            recommendations["school_name"].fillna(recommendations["school_id"]), sort=True
        )
    ]
    page = (
        page_environment()
        .get_template("comparative.html.j2")
        .render(
            scope=scope,
            year=year,
            view=view,
            preset=preset,
            facts=[(RUN_FACT_LABELS.get(k, k), fact_value(k, v)) for k, v in run_facts],
            level=russian.percent(preset["indicators.interval_confidence"], 0),
            charts=_charts(view, scope),
            carded=view["carded"],
            card_links={
                school_id: card_link(school_id) for school_id in view["carded"]["school_id"]
            },
            significant=significant,
            small_significant=small_significant,
            small_sample_size=enough,
            pairs=pairs,
            recommendations=by_school,
            notes=notes(view, preset, scope),
            full_table_note=full_table_note(scope),
            generated_at=generated_at(),
        )
    )
    path.write_text(page, encoding="utf-8")
    return path
