"""The annual list workbook `school_list_<year>.xlsx`, rendered from reports.rpt_school_list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shnor.presets import Preset
from shnor.reports.workbook import Column, open_workbook, write_key_value_sheet, write_table_sheet

LIST_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 40),
    Column("settlement_type", "Тип поселения", 10),
    Column("school_level", "Уровень", 8),
    Column("status", "Статус", 22),
    Column("quadrant", "ШНОР × ШНСУ", 24),
    Column("counted_participant_count", "Учтено результатов", 11, "0"),
    Column("composite_score", "Школьный эффект (выше — хуже)", 12, "0.00"),
    Column("composite_lower", "Нижняя граница 95%", 11, "0.00"),
    Column("composite_upper", "Верхняя граница 95%", 11, "0.00"),
    Column("composite_percentile", "Процентиль (100 — худший)", 11, "0"),
    Column("low_probability", "Вероятность попасть в 10% худших", 12, "0.00"),
    Column("stable_low_probability", "Вероятность устойчиво низких результатов", 13, "0.00"),
    Column("is_shnsu", "ШНСУ", 7),
    Column("has_objectivity_concern", "Вопросы к объективности ВПР", 11),
    Column("reason_text", "Основания", 90),
)

NOT_RATED_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 40),
    Column("counted_participant_count", "Учтено результатов", 11, "0"),
    Column("reason_text", "Причина", 60),
)


def write_school_list(
    rows: pd.DataFrame, year: int, preset: Preset, run_facts: list[tuple[str, object]], path: Path
) -> Path:
    """Write the workbook for one year: ШНОР, группа риска, не оцениваются, parameters, run."""
    year_rows = rows[rows["exam_year"] == year]
    workbook = open_workbook(path)
    try:
        write_table_sheet(workbook, "ШНОР", year_rows[year_rows["is_stable_low"]], LIST_COLUMNS)
        write_table_sheet(
            workbook, "Группа риска", year_rows[year_rows["is_risk_group"]], LIST_COLUMNS
        )
        write_table_sheet(workbook, "ШНСУ", year_rows[year_rows["is_shnsu"]], LIST_COLUMNS)
        write_table_sheet(
            workbook, "Не оцениваются", year_rows[year_rows["status"] == "не оценивается"],
            NOT_RATED_COLUMNS,
        )  # fmt: skip
        write_key_value_sheet(
            workbook, "Параметры методики", preset.parameters(), ("Параметр", "Значение")
        )
        write_key_value_sheet(workbook, "Сведения о запуске", run_facts, ("Сведение", "Значение"))
    finally:
        workbook.close()
    return path
