"""«Перечень» in the form of an appendix to the ministry's order: №, муниципалитет,
наименование ОО, основание включения — as `appendix_<year>.xlsx` and a print-ready A4 page
`appendix_<year>.html` (offline, no external assets). Two sections: the ШНОР list, then the
ШНСУ that are not on it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from shnor import russian
from shnor.presets import Preset
from shnor.reports.comparative import page_environment
from shnor.reports.school_list import UNKNOWN_REGION, fact_value
from shnor.reports.workbook import open_workbook, safe_text, set_print_setup

SECTIONS = (
    ("shnor", "Школы с низкими образовательными результатами"),
    ("shnsu", "Школы, функционирующие в неблагоприятных социальных условиях"),
)


def appendix_rows(year_rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """The year's ШНОР (section «shnor») and the ШНСУ not among them (section «shnsu»), by
    municipality and name, numbered through, each with its basis in one short sentence.
    `year_rows`: the year's rows of rpt_school_list with `with_list_details`."""
    shnor = year_rows[year_rows["is_on_shnor_list"]].assign(section="shnor")
    shnsu = year_rows[year_rows["is_shnsu"] & ~year_rows["is_on_shnor_list"]].assign(
        section="shnsu"
    )
    listed = pd.concat([shnor, shnsu], ignore_index=True)
    listed["municipality_name"] = listed["municipality_name"].fillna("не указан")
    listed["school_name"] = listed["school_name"].fillna(listed["school_id"])
    listed["section_order"] = listed["section"].map({"shnor": 0, "shnsu": 1})
    listed = listed.sort_values(
        ["section_order", "municipality_name", "school_name"], kind="stable", ignore_index=True
    )
    listed["number"] = range(1, len(listed) + 1)
    fields = ["section", "context_percentile", "context_drivers", "reasons", "is_stable_low",
              "is_stable_low_confirmed", "is_shnsu", "has_objectivity_concern"]  # fmt: skip
    listed["basis"] = [
        basis(dict(zip(fields, values, strict=True)), year)
        for values in listed[fields].itertuples(index=False, name=None)
    ]
    return listed[["section", "number", "municipality_name", "school_name", "school_id", "basis"]]


def basis(row: Mapping[str, Any], year: int) -> str:
    """«Низкие результаты в 2025 и 2026 годах (статистически подтверждено); сложные социальные
    условия» — the basis of inclusion in one short sentence."""
    if row["section"] == "shnsu":
        text = "Неблагоприятные социальные условия"
        if pd.notna(row["context_percentile"]):
            percentile = russian.number(row["context_percentile"], 0)
            text += f" (индекс условий — {percentile}-й процентиль региона)"
        drivers = row["context_drivers"] if isinstance(row["context_drivers"], str) else ""
        if drivers and not drivers.startswith("ни одна"):
            names = [part.split(" (")[0] for part in drivers.split("; ")[:2]]
            text += ": " + "; ".join(names)
        return text
    years = _low_years(row["reasons"]) or [year - 1, year]
    if row["is_stable_low"]:
        text = f"Низкие результаты в {_years(years)}"
        if row["is_stable_low_confirmed"]:
            text += " (статистически подтверждено)"
    else:
        text = "Остаётся в перечне до выполнения условий выхода"
    if row["is_shnsu"]:
        text += "; неблагоприятные социальные условия"
    if row["has_objectivity_concern"]:
        text += "; результаты ВПР требуют дополнительного анализа"
    return text


def _low_years(reasons_json: object) -> list[int]:
    if not isinstance(reasons_json, str):
        return []
    for reason in json.loads(reasons_json):
        if reason.get("rule") == "stable_low" and reason.get("years"):
            return sorted(int(y) for y in reason["years"])
    return []


def _years(years: list[int]) -> str:
    """[2025, 2026] → «2025 и 2026 годах»; three or more → «2024, 2025 и 2026 годах»."""
    if len(years) == 1:
        return f"{years[0]} году"
    return ", ".join(map(str, years[:-1])) + f" и {years[-1]} годах"


def heading(year: int, facts: Mapping[str, object]) -> dict[str, str]:
    """The appendix's heading lines."""
    region = facts.get("region") or UNKNOWN_REGION
    started = facts.get("started_at")
    return {
        "appendix": "Приложение к приказу\nот «___» ____________ 20___ г. № _____",
        "title": "Перечень общеобразовательных организаций с низкими образовательными "
        f"результатами и функционирующих в неблагоприятных социальных условиях, {year} год",
        "region": str(region),
        "note": f"Расчёт от {fact_value('started_at', started)}" if started else "",
    }


def write_appendix(
    year_rows: pd.DataFrame,
    year: int,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    folder: Path,
) -> list[Path]:
    """appendix_<year>.xlsx and appendix_<year>.html in `folder` (`year_rows` as for
    `appendix_rows`)."""
    listed = appendix_rows(year_rows, year)
    head = heading(year, dict(run_facts))
    method = f"Методика «{preset.name}», версия {preset.version}"
    return [
        write_appendix_workbook(listed, head, method, folder / f"appendix_{year}.xlsx"),
        write_appendix_page(listed, head, method, folder / f"appendix_{year}.html"),
    ]


HEADERS = ("№ п/п", "Муниципалитет", "Наименование ОО", "Основание включения")
WIDTHS = (6, 28, 48, 60)


def write_appendix_workbook(
    listed: pd.DataFrame, head: Mapping[str, str], method: str, path: Path
) -> Path:
    """One sheet «Перечень»: the heading, then the table with a row naming each section."""
    workbook = open_workbook(path)
    try:
        sheet = workbook.add_worksheet("Перечень")
        right = workbook.add_format({"align": "right", "text_wrap": True, "valign": "top"})
        title = workbook.add_format(
            {"bold": True, "align": "center", "text_wrap": True, "font_size": 13}
        )
        centre = workbook.add_format({"align": "center"})
        header = workbook.add_format(
            {"bold": True, "border": 1, "text_wrap": True, "align": "center", "valign": "top"}
        )
        section = workbook.add_format({"bold": True, "border": 1, "bg_color": "#EDEDED"})
        cell = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        number = workbook.add_format({"border": 1, "valign": "top", "num_format": "0"})
        last = len(HEADERS) - 1
        sheet.merge_range(0, 2, 0, last, head["appendix"], right)
        sheet.set_row(0, 32)
        sheet.merge_range(2, 0, 2, last, head["title"], title)
        sheet.set_row(2, 36)
        sheet.merge_range(3, 0, 3, last, safe_text(head["region"]), centre)
        sheet.merge_range(4, 0, 4, last, f"{method}. {head['note']}".strip(" ."), centre)
        top = 6
        for col, (text, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
            sheet.write_string(top, col, text, header)
            sheet.set_column(col, col, width)
        row = top
        for key, name in SECTIONS:
            part = listed[listed["section"] == key]
            row += 1
            sheet.merge_range(row, 0, row, last, f"{name} ({russian.counted(len(part), 'школа')})",
                              section)  # fmt: skip
            for record in part.itertuples(index=False):  # a few hundred rows at most
                row += 1
                sheet.write_number(row, 0, record.number, number)
                sheet.write_string(row, 1, safe_text(record.municipality_name), cell)
                sheet.write_string(row, 2, safe_text(record.school_name), cell)
                sheet.write_string(row, 3, safe_text(record.basis), cell)
        set_print_setup(sheet, top)
        sheet.set_portrait()
    finally:
        workbook.close()
    return path


def write_appendix_page(
    listed: pd.DataFrame, head: Mapping[str, str], method: str, path: Path
) -> Path:
    """The same appendix as one A4 page for print (styles inline, nothing fetched)."""
    sections = [
        {
            "name": name,
            "count": russian.counted(int((listed["section"] == key).sum()), "школа"),
            "rows": listed[listed["section"] == key].to_dict("records"),
        }
        for key, name in SECTIONS
    ]
    page = _template().render(head=head, method=method, headers=HEADERS, sections=sections)
    path.write_text(page, encoding="utf-8")
    return path


@cache
def _template() -> jinja2.Template:
    """The appendix page's template in the report pages' environment (autoescaped, strict)."""
    return page_environment().get_template("appendix.html.j2")
