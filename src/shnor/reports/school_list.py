"""The annual list workbook `school_list_<year>.xlsx`, rendered from reports.rpt_school_list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from shnor.labels import procedure_label
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
        Column("composite_percentile", "Процентиль (100 — худший)", 11, "0", PERCENTILE_SCALE),
        Column("low_probability", f"Вероятность попасть в {low} худших", 12, "0.00", LIKELY),
        Column("stable_low_probability", "Вероятность устойчиво низких результатов", 13, "0.00"),
        Column(
            "next_low_probability",
            f"Вероятность попасть в {low} худших в следующем году",
            13,
            "0.00",
        ),
        Column("is_shnsu", "ШНСУ", 7),
        Column("has_objectivity_concern", "Вопросы к объективности ВПР", 11),
        Column("years_on_list", "Лет в списке ШНОР подряд", 10, "0"),
        Column("driving_procedures", "Процедуры — основания отметки", 50),
        Column("objectivity_note", "Примечание об объективности", 40),
        Column("reason_text", "Основания", 90),
    )


# Worse percentiles read red, better green; a probability ≥ 0.5 of being low is highlighted.
PERCENTILE_SCALE = {
    "type": "3_color_scale",
    "min_color": "#63BE7B",
    "mid_color": "#FFEB84",
    "max_color": "#F8696B",
    "min_type": "num",
    "min_value": 0,
    "mid_type": "num",
    "mid_value": 50,
    "max_type": "num",
    "max_value": 100,
}
LIKELY = {
    "type": "cell",
    "criteria": ">=",
    "value": 0.5,
    "format": {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"},
}


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
    "version": "Версия витрин",
    "reports_rebuilt_at": "Отчёты пересобраны (shnor report)",
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
    support_sheets: Sequence[tuple] = (),
) -> Path:
    """Write the workbook for one year: ШНОР, группа риска, ШНСУ, стабильно высокие,
    резильентные, не оцениваются, support sheets (partner pairs, recommendations), parameters,
    run."""
    year_rows = with_list_details(rows, year)
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
        # The risk group in priority order: the most likely to be low next year first (§4).
        risk = year_rows[year_rows["is_risk_group"]].sort_values(
            "next_low_probability", ascending=False, kind="stable"
        )
        write_table_sheet(workbook, "Группа риска", risk, columns)
        write_table_sheet(workbook, "ШНСУ", year_rows[year_rows["is_shnsu"]], columns)
        write_table_sheet(
            workbook, "Стабильно высокие", year_rows[year_rows["is_stable_high"]], columns
        )
        write_table_sheet(workbook, "Резильентные", year_rows[year_rows["is_resilient"]], columns)
        write_table_sheet(
            workbook, "Не оцениваются", year_rows[year_rows["status"] == "не оценивается"],
            NOT_RATED_COLUMNS,
        )  # fmt: skip
        for name, frame, sheet_columns, *empty in support_sheets:  # (…, message when empty)
            message = empty[0] if empty else "Нет строк за этот год."
            write_table_sheet(workbook, name, frame, sheet_columns, message)
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


PROCEDURE_RULES = {
    "absolute_risk": "высокая доля «2»",
    "persistent_failing_procedure": "два года подряд",
    "significant_deterioration": "ухудшение",
}


def with_list_details(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """The year's rows with the years on the ШНОР list in a row (up to this year), the
    procedures behind the procedure-level rules (from the reasons JSON) and the objectivity
    note."""
    on_list = rows.loc[rows["is_on_shnor_list"] & (rows["exam_year"] <= year)]
    years_by_school = on_list.groupby("school_id")["exam_year"].apply(set)

    def years_in_a_row(school_id: str) -> int:
        listed, count = years_by_school.get(school_id, set()), 0
        while year - count in listed:
            count += 1
        return count

    year_rows = rows[rows["exam_year"] == year].copy()
    year_rows["years_on_list"] = [years_in_a_row(s) for s in year_rows["school_id"]]
    year_rows["driving_procedures"] = [_driving(text) for text in year_rows["reasons"]]
    year_rows["objectivity_note"] = year_rows["has_objectivity_concern"].map(
        {True: "Результаты ВПР требуют дополнительного анализа: в оценке не учитывались, "
               "выход из ШНОР и статусы «стабильно высокие» / «резильентная» невозможны"}
    )  # fmt: skip
    return year_rows


def _driving(reasons_json: object) -> str | None:
    """«ОГЭ, Математика (высокая доля «2»); …» from the reasons JSON of one school."""
    if not isinstance(reasons_json, str):
        return None
    seen: dict[str, list[str]] = {}
    for reason in json.loads(reasons_json):
        rule = PROCEDURE_RULES.get(reason.get("rule"))
        for procedure in reason.get("procedures", []) if rule else []:
            label = procedure_label(procedure["exam"], procedure["grade"], procedure["subject"])
            seen.setdefault(label, []).append(rule)
    return "; ".join(f"{label} ({', '.join(rules)})" for label, rules in seen.items()) or None
