"""The annual list workbook `school_list_<year>.xlsx`, rendered from reports.rpt_school_list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shnor.methodology import parameter_labels, shown_value
from shnor.presets import Preset
from shnor.reports.workbook import Column, open_workbook, write_key_value_sheet, write_table_sheet


def list_columns(preset: Preset) -> tuple[Column, ...]:
    """Columns of the list sheets; headers name the preset's own cut-off and interval level."""
    low = f"{100 * preset['flags.low_share']:.0f}%"
    level = f"{100 * preset['school_effect.confidence']:.0f}%"
    return (
        Column("municipality_name", "Муниципалитет", 24),
        Column("school_id", "Код ОО", 12),
        Column("school_name", "Наименование ОО", 40),
        Column("settlement_type", "Тип поселения", 10),
        Column("school_level", "Уровень", 8),
        Column("status", "Статус", 22),
        Column("quadrant", "ШНОР × ШНСУ", 28),
        Column("counted_participant_count", "Учтено результатов", 11, "0"),
        Column("composite_score", "Школьный эффект (выше — хуже)", 12, "0.00"),
        Column("composite_lower", f"Нижняя граница {level}", 11, "0.00"),
        Column("composite_upper", f"Верхняя граница {level}", 11, "0.00"),
        Column("composite_percentile", "Процентиль (100 — худший)", 11, "0"),
        Column("low_probability", f"Вероятность попасть в {low} худших", 12, "0.00"),
        Column("stable_low_probability", "Вероятность устойчиво низких результатов", 13, "0.00"),
        Column("is_shnsu", "ШНСУ", 7),
        Column("has_objectivity_concern", "Вопросы к объективности ВПР", 11),
        Column("reason_text", "Основания", 90),
    )


RUN_FACT_LABELS = {
    "started_at": "Начало расчёта",
    "finished_at": "Окончание расчёта",
    "shnor_version": "Версия shnor",
    "preset": "Методика",
    "preset_version": "Версия методики",
    "preset_source": "Файл методики",
    "files_loaded": "Файлов загружено впервые",
    "files_corrected": "Файлов исправлено (заменены строки)",
    "files_unchanged": "Файлов без изменений",
    "files_removed": "Файлов удалено",
    "files_quarantined": "Файлов в карантине",
}

NOT_RATED_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 40),
    Column("counted_participant_count", "Учтено результатов", 11, "0"),
    Column("reason_text", "Причина", 60),
)


def write_school_list(
    rows: pd.DataFrame,
    year: int,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    path: Path,
    *,
    has_previous_year: bool = True,
) -> Path:
    """Write the workbook for one year: ШНОР, группа риска, не оцениваются, parameters, run."""
    year_rows = rows[rows["exam_year"] == year]
    columns = list_columns(preset)
    workbook = open_workbook(path)
    try:
        no_shnor = (
            "Нет школ в этой категории."
            if has_previous_year
            else f"ШНОР определяется по двум годам подряд, а данных за {year - 1} год нет."
        )
        write_table_sheet(
            workbook, "ШНОР", year_rows[year_rows["is_on_shnor_list"]], columns, no_shnor
        )
        write_table_sheet(workbook, "Группа риска", year_rows[year_rows["is_risk_group"]], columns)
        write_table_sheet(workbook, "ШНСУ", year_rows[year_rows["is_shnsu"]], columns)
        write_table_sheet(
            workbook, "Не оцениваются", year_rows[year_rows["status"] == "не оценивается"],
            NOT_RATED_COLUMNS,
        )  # fmt: skip
        labels = parameter_labels()
        parameters = pd.DataFrame(
            [
                (
                    key,
                    # numbers stay numbers; true/false and lists read as text («да»/«нет»)
                    value
                    if isinstance(value, int | float) and not isinstance(value, bool)
                    else shown_value(value),
                    labels.get(key, ""),
                )
                for key, value in preset.parameters()
            ],
            columns=["key", "value", "meaning"],
        )
        write_table_sheet(
            workbook,
            "Параметры методики",
            parameters,
            [Column("key", "Параметр", 45), Column("value", "Значение", 30),
             Column("meaning", "Смысл", 80)],
        )  # fmt: skip
        facts = [(RUN_FACT_LABELS.get(key, key), value) for key, value in run_facts]
        write_key_value_sheet(workbook, "Сведения о запуске", facts, ("Сведение", "Значение"))
    finally:
        workbook.close()
    return path
