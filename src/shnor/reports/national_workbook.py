"""The federal analyst's workbook of a national run: the regions in the national year, region ×
year, the ШНОР share by year, the regions' published versions, notes. Formatting only: the
numbers come from the national tables (shnor/sql/national)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from shnor import __version__, russian
from shnor.reports.school_list import fact_value
from shnor.reports.workbook import (
    PERCENT,
    Column,
    open_workbook,
    write_key_value_sheet,
    write_table_sheet,
)

CHANGE = "+0.0%;-0.0%;0.0%"
STATUS_RU = {
    "published": "опубликовано",
    "stale": "прежняя версия",
    "missing": "нет витрин",
}

REGION_COLUMNS = (
    Column("region_code", "Код папки", 12),
    Column("region_name", "Регион", 30),
)
FIGURE_COLUMNS = (
    Column("school_count", "Школ", 8, "0"),
    Column("rated_count", "Школ оценено", 9, "0"),
    Column("shnor_count", "ШНОР", 7, "0"),
    Column(
        "shnor_share", "ШНОР, %", 8, PERCENT,
        {"type": "data_bar", "bar_color": "#F8696B", "bar_solid": True},
    ),
    Column("student_count", "Обучающихся", 11, "#,##0"),
    Column("shnor_student_count", "Обучающихся в ШНОР", 11, "#,##0"),
    Column("shnor_student_share", "Обучающихся в ШНОР, %", 10, PERCENT),
    Column("previous_shnor_rated_count", "ШНОР прошлого года, оценены", 10, "0"),
    Column("positive_dynamics_count", "Из них с положительной динамикой", 11, "0"),
    Column("positive_dynamics_share", "Положительная динамика, %", 11, PERCENT),
    Column("risk_group_count", "Группа риска", 8, "0"),
    Column("risk_group_share", "Группа риска, %", 8, PERCENT),
    Column("shnsu_count", "ШНСУ", 7, "0"),
    Column("shnsu_share", "ШНСУ, %", 8, PERCENT),
    Column("resilient_count", "Резильентные", 9, "0"),
    Column("resilient_share", "Резильентные, %", 9, PERCENT),
)  # fmt: skip
SUMMARY_COLUMNS = (
    *REGION_COLUMNS,
    *FIGURE_COLUMNS[:4],
    Column("previous_shnor_count", "ШНОР в прошлом году", 9, "0"),
    Column("shnor_share_change", "Изменение доли ШНОР", 10, CHANGE),
    *FIGURE_COLUMNS[4:],
    Column("note", "Примечание", 40),
)
YEAR_COLUMNS = (
    *REGION_COLUMNS,
    Column("exam_year", "Год", 7, "0"),
    *FIGURE_COLUMNS,
    Column("entered_count", "Вошли в ШНОР", 8, "0"),
    Column("stayed_count", "Остались", 8, "0"),
    Column("exited_count", "Вышли", 8, "0"),
)
REGIONS_COLUMNS = (
    *REGION_COLUMNS,
    Column("status_ru", "Витрины", 14),
    Column("reason", "Почему нет текущих данных", 50),
    Column("first_year", "Первый год", 8, "0"),
    Column("last_year", "Последний год", 8, "0"),
    Column("version", "Версия витрин", 26),
    Column("published_at", "Опубликованы", 16),
    Column("preset", "Методика", 12),
    Column("preset_version", "Версия методики", 10),
    Column("data_dir", "Папка региона", 50),
)


def title_lines(sheet: str, manifest: dict[str, Any], region_count: int) -> list[str]:
    """Title block of a sheet: what it is and the year, the regions, preset, run date."""
    return [
        f"{sheet} — {manifest['year']} год",
        f"Регионов: {region_count} (по папке на регион)",
        f"Методика «{manifest['preset']}», версия {manifest['preset_version']}; "
        f"shnor {manifest.get('shnor_version') or __version__}",
        f"Дата расчёта: {fact_value('created_at', manifest['created_at'])}",
    ]


def write_national_workbook(
    tables: dict[str, pd.DataFrame], manifest: dict[str, Any], path: Path
) -> Path:
    """The workbook: Сводка, Регионы, Регион × год, ШНОР по годам, Витрины регионов,
    Примечания."""
    year = manifest["year"]
    regions = tables["nat_regions"].assign(
        status_ru=lambda f: f["status"].map(STATUS_RU).fillna(f["status"])
    )
    summary, by_year = tables["nat_region_summary"], tables["nat_region_year"]
    count = len(regions)
    workbook = open_workbook(path)
    try:
        write_key_value_sheet(
            workbook, "Сводка", _facts(summary, regions, manifest), ("Показатель", "Значение"),
            title=title_lines("Сводка по регионам", manifest, count),
        )  # fmt: skip
        write_table_sheet(
            workbook, f"Регионы {year}", summary, SUMMARY_COLUMNS, "Нет регионов.",
            title=title_lines("Регионы", manifest, count), frozen_columns=2,
        )  # fmt: skip
        write_table_sheet(
            workbook, "Регион × год", by_year, YEAR_COLUMNS, "Нет опубликованных регионов.",
            title=title_lines("Регионы по годам", manifest, count), frozen_columns=3,
        )  # fmt: skip
        shares, share_columns = _shares_by_year(by_year)
        write_table_sheet(
            workbook, "ШНОР по годам", shares, share_columns, "Нет опубликованных регионов.",
            title=title_lines("Доля ШНОР среди оценённых школ по годам", manifest, count),
            frozen_columns=2,
        )  # fmt: skip
        write_table_sheet(
            workbook, "Витрины регионов", regions, REGIONS_COLUMNS, "Нет регионов.",
            title=title_lines("Витрины регионов", manifest, count), frozen_columns=2,
        )  # fmt: skip
        write_table_sheet(
            workbook, "Примечания", pd.DataFrame({"note": notes(year)}),
            [Column("note", "Как читать отчёт", 120)],
        )  # fmt: skip
    finally:
        workbook.close()
    return path


def _facts(
    summary: pd.DataFrame, regions: pd.DataFrame, manifest: dict[str, Any]
) -> list[tuple[str, object]]:
    country = summary[summary["is_country"]].iloc[0]
    by_status = regions["status"].value_counts()
    without_year = int((~summary["is_country"] & summary["shnor_count"].isna()).sum())

    def share(value: object) -> str:
        return russian.percent(value) if pd.notna(value) else "нет данных"

    return [
        ("Отчёт", f"Школы с низкими результатами (ШНОР) по регионам, {manifest['year']} год"),
        ("Регионов (папок)", len(regions)),
        ("Регионов с текущими витринами", int(by_status.get("published", 0))),
        ("Регионов с прежней версией витрин", int(by_status.get("stale", 0))),
        ("Регионов без витрин", int(by_status.get("missing", 0))),
        (f"Регионов без данных за {manifest['year']} год", without_year),
        ("Школ оценено", _whole(country["rated_count"])),
        ("ШНОР", _whole(country["shnor_count"])),
        ("Доля ШНОР среди оценённых школ", share(country["shnor_share"])),
        ("Доля обучающихся в ШНОР", share(country["shnor_student_share"])),
        ("ШНОР прошлого года с положительной динамикой", share(country["positive_dynamics_share"])),
        ("Группа риска", _whole(country["risk_group_count"])),
        ("ШНСУ", _whole(country["shnsu_count"])),
        ("Методика", f"«{manifest['preset']}», версия {manifest['preset_version']}"),
        ("Дата расчёта", fact_value("created_at", manifest["created_at"])),
        ("Версия", manifest.get("version") or "—"),
    ]


def _whole(value: object) -> object:
    return int(value) if pd.notna(value) else "нет данных"


def _shares_by_year(by_year: pd.DataFrame) -> tuple[pd.DataFrame, list[Column]]:
    """Regions (then all regions) as rows, years as columns, the ШНОР share in the cells."""
    years = sorted(int(y) for y in by_year["exam_year"].unique())
    wide = (
        by_year.assign(region_code=by_year["region_code"].fillna(""))
        .pivot_table(
            index=["is_country", "region_code", "region_name"],
            columns="exam_year",
            values="shnor_share",
            aggfunc="first",
            dropna=False,
        )
        .reset_index()
        .sort_values(["is_country", "region_code"])
    )
    wide.columns = [f"share_{c}" if isinstance(c, int | float) else c for c in wide.columns]
    scale = {"type": "3_color_scale", "min_color": "#63BE7B", "max_color": "#F8696B"}
    columns = [
        *REGION_COLUMNS,
        *(Column(f"share_{y}", f"ШНОР, % ({y})", 10, PERCENT, scale) for y in years),
    ]
    return wide, columns


def notes(year: int) -> list[str]:
    """How to read the workbook."""
    return [
        "Каждый регион рассчитан отдельно: школы сравниваются со школами своего региона "
        "(свой пул), поэтому доли регионов показывают положение школ внутри региона, а не "
        "сравнение регионов по результатам.",
        "Цифры региона — строка «Регион в целом» его сравнительного анализа (опубликованные "
        "витрины региона); отчёты каждого региона — в его папке (marts/reports).",
        "«Все регионы» — суммы по регионам с данными за год; доли посчитаны из сумм: ШНОР, "
        "группа риска и резильентные — среди оценённых школ, ШНСУ — среди всех школ, "
        "обучающиеся в ШНОР — среди обучающихся школ, положительная динамика — среди ШНОР "
        "прошлого года, оценённых в этом году.",
        f"Лист «Регионы {year}»: регион без данных за {year} год или без витрин остаётся в "
        "списке с примечанием; «прежняя версия» — последний запуск региона ничего не "
        "опубликовал, показаны его прежние витрины (причина — на листе «Витрины регионов»).",
        "Изменение доли ШНОР — разность долей этого и прошлого года (в процентных пунктах); "
        "строка «Все регионы» прошлого года может включать другой набор регионов.",
    ]
