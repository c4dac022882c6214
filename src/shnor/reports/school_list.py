"""The annual list workbook `school_list_<year>.xlsx`, rendered from reports.rpt_school_list: a
«Сводка» sheet first, then one sheet per list (at most ten columns in reading order, the school
frozen on the left), «Подробно» with every figure, support sheets, parameters and the run. Every
sheet starts with a title block (region, year, preset and version, date of the run) and prints
on A4 landscape, fit to width, with the header on every page."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.special import expit, logit

from shnor import __version__, russian
from shnor.labels import procedure_label, subject_label
from shnor.methodology import parameter_labels, shown_value
from shnor.presets import Preset
from shnor.reports.workbook import (
    NO,
    PERCENT,
    Column,
    open_workbook,
    set_print_setup,
    write_key_value_sheet,
    write_table_sheet,
    write_title,
)

# A sentence ends at «.» before a capital letter (not at «5 кл. — …»).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[А-ЯЁA-Z«])")
REASON_LIMIT = 300  # characters of a reason on a list sheet; the full text is on «Подробно»
IDENTITY_COLUMNS = 3  # № п/п, муниципалитет, школа: frozen on every list sheet
UNKNOWN_REGION = "регион не указан (впишите название в reference/region.txt)"


def list_columns(preset: Preset) -> tuple[Column, ...]:
    """Every figure of a school (the «Подробно» sheet and a municipality's «Список школ»);
    headers name the preset's own cut-off and interval level."""
    low = russian.percent(preset["flags.low_share"], 0)
    level = russian.percent(preset["school_effect.confidence"], 0)
    return (
        Column("row_number", "№ п/п", 6, "0"),
        Column("municipality_name", "Муниципалитет", 24),
        Column("school_name", "Наименование ОО", 40),
        Column("school_id", "Код ОО", 12),
        Column("settlement_type", "Тип поселения", 10, missing="не указан"),
        Column("school_level", "Уровень", 8, missing="не указан"),
        Column("status", "Статус", 22),
        Column("quadrant", "ШНОР × ШНСУ", 28, missing="не оценивается"),
        Column("counted_participant_count", "Учтено результатов", 11, "0"),
        Column("composite_percentile", "Процентиль школьного эффекта (100 — худший)", 12, "0",
               PERCENTILE_SCALE, missing="—"),
        Column("adjusted_fail_text",
               f"Доля неудовлетворительных результатов с поправкой на состав процедур "
               f"(интервал {level})", 22, missing="—"),
        Column("low_probability", f"Вероятность попасть в {low} худших", 12, PERCENT, LIKELY,
               missing="—"),
        Column("stable_low_probability", "Вероятность устойчиво низких результатов", 13,
               PERCENT, missing="—"),
        Column("next_low_probability", f"Вероятность попасть в {low} худших в следующем году",
               13, PERCENT, missing="—"),
        Column("is_shnsu", "ШНСУ", 7, missing=NO),
        Column("context_percentile", "Процентиль индекса условий (100 — самые сложные)", 12,
               "0", missing="нет данных"),
        Column("is_resilient", "Резильентная", 10, missing=NO),
        Column("has_objectivity_concern", "Вопросы к объективности ВПР", 11, missing=NO),
        Column("years_on_list", "Лет в списке ШНОР подряд", 10, "0"),
        Column("driving_procedures", "Процедуры — основания отметки", 50, missing=NO),
        Column("objectivity_note", "Примечание об объективности", 40, missing=NO),
        Column("reason_text", "Основания (полностью)", 90, missing="нет особых отметок"),
    )  # fmt: skip


def _identity() -> tuple[Column, ...]:
    return (
        Column("row_number", "№ п/п", 6, "0"),
        Column("municipality_name", "Муниципалитет", 22),
        Column("school_name", "Наименование ОО", 36),
        Column("school_id", "Код ОО", 11),
    )


def sheet_columns(preset: Preset) -> dict[str, tuple[Column, ...]]:
    """At most ten columns per list sheet, in reading order: who, what, how sure, why."""
    low = russian.percent(preset["flags.low_share"], 0)
    percentile = Column("composite_percentile", "Процентиль школьного эффекта (100 — худший)",
                        11, "0", PERCENTILE_SCALE, missing="—")  # fmt: skip
    shnsu = Column("is_shnsu", "ШНСУ", 7, missing=NO)
    objectivity = Column("has_objectivity_concern", "Вопросы к объективности ВПР", 11, missing=NO)
    reason = Column("short_reason", "Основания (кратко; полностью — на листе «Подробно»)", 70)
    context = (
        Column("context_index", "Индекс условий (выше — сложнее)", 11, "0.00"),
        Column("context_percentile", "Процентиль индекса в регионе (100 — самые сложные)", 12,
               "0"),
    )  # fmt: skip
    return {
        "ШНОР": (
            *_identity(),
            Column("status", "Статус", 20),
            percentile,
            Column(
                "stable_low_probability",
                "Вероятность устойчиво низких результатов",
                12,
                PERCENT,
                missing="—",
            ),
            shnsu,
            objectivity,
            reason,
        ),
        "Группа риска": (
            *_identity(),
            Column(
                "next_low_probability",
                f"Вероятность попасть в {low} худших в следующем году",
                13,
                PERCENT,
                LIKELY,
                missing="—",
            ),
            percentile,
            shnsu,
            objectivity,
            reason,
        ),
        "ШНСУ": (
            *_identity()[:3],
            *context,
            Column(
                "context_drivers",
                "Что делает условия сложными (по сравнению со средним по региону)",
                44,
                missing="нет данных о составляющих",
            ),
            Column("status", "Статус", 18),
            percentile,
            Column("is_resilient", "Резильентная", 10, missing=NO),
            Column("shnsu_reason", "Пояснение", 60),
        ),
        "Стабильно высокие": (
            *_identity(),
            Column("settlement_type", "Тип поселения", 10, missing="не указан"),
            Column("counted_participant_count", "Учтено результатов", 11, "0"),
            percentile,
            shnsu,
            reason,
        ),
        "Резильентные": (
            *_identity(),
            *context,
            percentile,
            Column("counted_participant_count", "Учтено результатов", 11, "0"),
            reason,
        ),
        "Не оцениваются": (
            *_identity(),
            Column("counted_participant_count", "Учтено результатов", 11, "0"),
            Column("reason_text", "Причина", 70),
        ),
    }


SHEET_TITLES = {
    "Сводка": "Школы с низкими образовательными результатами и школы, требующие поддержки",
    "ШНОР": "Школы с низкими образовательными результатами (ШНОР)",
    "Группа риска": "Группа риска: школы, которые могут оказаться среди ШНОР "
    "(по убыванию вероятности)",
    "ШНСУ": "Школы, функционирующие в неблагоприятных социальных условиях (ШНСУ)",
    "Стабильно высокие": "Школы со стабильно высокими результатами",
    "Резильентные": "Резильентные школы: высокие результаты в сложных условиях",
    "Не оцениваются": "Школы, которые в этом году не оцениваются",
    "Подробно": "Все отмеченные школы: подробные сведения",
}


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


@cache
def run_fact_labels() -> dict[str, str]:
    """Run field → Russian label (the `run.*` rows of reference/parameter_labels.csv)."""
    return {
        key.removeprefix("run."): label
        for key, label in parameter_labels().items()
        if key.startswith("run.")
    }


RUN_FACT_LABELS = run_fact_labels()


@cache
def parameter_value_labels() -> dict[tuple[str, str], str]:
    """(parameter, code value) → Russian (reference/parameter_values.csv)."""
    text = resources.files("shnor.reference").joinpath("parameter_values.csv").read_text("utf-8")
    return {
        (row["key"], row["value"]): row["label_ru"] for row in csv.DictReader(text.splitlines())
    }


def parameter_value(key: str, value: object) -> object:
    """A parameter's value as a reader sees it: numbers stay numbers, yes/no and codes read
    in Russian, subject codes as subject names."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if key == "indicators.core_subjects" and isinstance(value, list):
        return ", ".join(subject_label(str(v)) for v in value)
    if key == "preset.name":
        return f"«{value}»"
    return parameter_value_labels().get((key, str(value)), shown_value(value))


def fact_value(key: str, value: object) -> object:
    """A run field as a reader sees it: dates as «05.12.2026 08:45», the rest as it is."""
    if key.endswith("_at") and isinstance(value, str):
        try:
            return pd.Timestamp(value).strftime("%d.%m.%Y %H:%M")
        except ValueError:
            return value
    if value is None:
        return "не указан"
    if key in ("preset", "preset_source") and isinstance(value, str) and "/" not in value:
        return f"«{value}»"  # a preset's name, not a Russian word
    return value


def title_lines(sheet: str, year: int, preset: Preset, facts: Mapping[str, object]) -> list[str]:
    """Title block of an annual list sheet: what it is and the year, region, preset, run date."""
    return title_block(f"{SHEET_TITLES.get(sheet, sheet)} — {year} год", preset, facts)


def title_block(
    heading: str, preset: Preset, facts: Mapping[str, object], municipality: str | None = None
) -> list[str]:
    """The four title lines every report sheet starts with: `heading` (what and which years),
    the region (and the municipality of a municipal report), preset and version, run date."""
    started = facts.get("started_at") or facts.get("reports_rebuilt_at")
    date = fact_value("started_at", started) if started else "не записана"
    version = facts.get("shnor_version") or __version__
    place = f"Регион: {facts.get('region') or UNKNOWN_REGION}"
    return [
        heading,
        f"{place}; муниципалитет: {municipality}" if municipality is not None else place,
        f"Методика «{preset.name}», версия {preset.version}; shnor {version}",
        f"Дата расчёта: {date}",
    ]


def write_school_list(
    rows: pd.DataFrame,
    year: int,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    path: Path,
    *,
    has_previous_year: bool = True,
    support_sheets: Sequence[tuple] = (),
    regional_fail_share: float | None = None,
    context_drivers: pd.DataFrame | None = None,
) -> Path:
    """Write the workbook for one year: Сводка, ШНОР, группа риска, ШНСУ, стабильно высокие,
    резильентные, не оцениваются, Подробно, support sheets (partner pairs, recommendations),
    parameters, run."""
    year_rows = (
        rows
        if "short_reason" in rows  # already with_list_details of this year
        else with_list_details(rows, year, regional_fail_share, context_drivers, preset)
    )
    facts = dict(run_facts)
    workbook = open_workbook(path)
    try:
        write_summary_sheet(workbook, year_rows, year, preset, facts)
        no_shnor = (
            "Нет школ в этой категории."
            if has_previous_year
            else f"ШНОР определяется по двум годам подряд, а данных за {year - 1} год нет."
        )
        # The risk group in priority order: the most likely to be low next year first (§4).
        risk = year_rows[year_rows["is_risk_group"]].sort_values(
            "next_low_probability", ascending=False, kind="stable"
        )
        lists = {
            "ШНОР": (year_rows[year_rows["is_on_shnor_list"]], no_shnor),
            "Группа риска": (risk, None),
            "ШНСУ": (year_rows[year_rows["is_shnsu"]], None),
            "Стабильно высокие": (year_rows[year_rows["is_stable_high"]], None),
            "Резильентные": (year_rows[year_rows["is_resilient"]], None),
            "Не оцениваются": (year_rows[year_rows["status"] == "не оценивается"], None),
        }
        columns = sheet_columns(preset)
        for name, (frame, empty) in lists.items():
            write_table_sheet(
                workbook, name, frame, columns[name],
                empty or "Нет школ в этой категории.",
                title=title_lines(name, year, preset, facts), frozen_columns=IDENTITY_COLUMNS,
            )  # fmt: skip
        marked = year_rows[
            year_rows[list(LISTS)].any(axis=1) | (year_rows["status"] == "не оценивается")
        ]
        write_table_sheet(
            workbook, "Подробно", marked, list_columns(preset),
            title=title_lines("Подробно", year, preset, facts), frozen_columns=IDENTITY_COLUMNS,
        )  # fmt: skip
        for name, frame, sheet_columns_, *empty in support_sheets:  # (…, message when empty)
            message = empty[0] if empty else "Нет строк за этот год."
            write_table_sheet(
                workbook, name, frame, sheet_columns_, message,
                title=title_lines(name, year, preset, facts),
            )  # fmt: skip
        write_parameters_sheet(workbook, year, preset, facts)
        shown = [(run_fact_labels().get(k, k), fact_value(k, v)) for k, v in run_facts]
        write_key_value_sheet(
            workbook, "Сведения о запуске", shown, ("Сведение", "Значение"),
            title=title_lines("Сведения о запуске", year, preset, facts),
        )  # fmt: skip
    finally:
        workbook.close()
    return path


def write_parameters_sheet(
    workbook: Any, year: int, preset: Preset, facts: Mapping[str, object]
) -> None:
    """«Параметры методики»: each parameter's meaning in Russian, its value and its code in the
    preset file (for whoever edits it)."""
    labels = parameter_labels()
    parameters = pd.DataFrame(
        [
            (labels.get(key) or key, parameter_value(key, value), key)
            for key, value in preset.parameters()
        ],
        columns=["meaning", "value", "key"],
    )
    write_table_sheet(
        workbook, "Параметры методики", parameters,
        [Column("meaning", "Параметр", 80), Column("value", "Значение", 30),
         Column("key", "Код в файле методики", 40)],
        title=title_lines("Параметры методики", year, preset, facts),
    )  # fmt: skip


SUMMARY_FLAGS = (
    ("Школ в данных года", None),
    ("Оценено", "is_rated"),
    ("Не оцениваются (мало результатов)", "not_rated"),
    ("ШНОР (в списке)", "is_on_shnor_list"),
    ("Группа риска", "is_risk_group"),
    ("ШНСУ (сложные социальные условия)", "is_shnsu"),
    ("Стабильно высокие результаты", "is_stable_high"),
    ("Резильентные", "is_resilient"),
    ("Вопросы к объективности ВПР", "has_objectivity_concern"),
)


def summary_counts(year_rows: pd.DataFrame) -> pd.DataFrame:
    """Per municipality (and the region in the last row): schools, rated, and each list."""
    frame = year_rows.assign(not_rated=~year_rows["is_rated"].astype(bool))
    flags = [flag for _, flag in SUMMARY_FLAGS if flag]
    by_municipality = frame.groupby("municipality_name", dropna=False)[flags].sum()
    by_municipality.insert(0, "schools", frame.groupby("municipality_name", dropna=False).size())
    total = by_municipality.sum().to_frame("Регион в целом").T
    table = pd.concat([by_municipality, total]).astype(int)
    return table.rename_axis("municipality_name").reset_index()


def write_summary_sheet(
    workbook: Any, year_rows: pd.DataFrame, year: int, preset: Preset, facts: Mapping
) -> None:
    """«Сводка»: the title block, what the list is, the counts and the counts by municipality."""
    sheet = workbook.add_worksheet("Сводка")
    top = write_title(workbook, sheet, title_lines("Сводка", year, preset, facts))
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    header = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
    )
    bold = workbook.add_format({"bold": True})
    sheet.merge_range(top, 0, top, 8, summary_paragraph(year, preset), wrap)
    sheet.set_row(top, 120)
    counts = summary_counts(year_rows)
    region = counts.iloc[-1]
    row = top + 2
    sheet.write_string(row, 0, "Показатель", header)
    sheet.write_string(row, 1, "Число школ", header)
    for label, flag in SUMMARY_FLAGS:
        row += 1
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 1, int(region[flag or "schools"]))
    row += 2
    sheet.write_string(row, 0, "По муниципалитетам", bold)
    row += 1
    headers = ["Муниципалитет", *(label for label, _ in SUMMARY_FLAGS)]
    headers[1] = "Школ"
    for col, text in enumerate(headers):
        sheet.write_string(row, col, text, header)
    sheet.set_row(row, 45)
    fields = ["schools", *(flag for _, flag in SUMMARY_FLAGS if flag)]
    for record in counts.itertuples(index=False):
        row += 1
        name = record.municipality_name
        last = name == "Регион в целом"
        sheet.write_string(row, 0, str(name) if isinstance(name, str) else "не указан",
                           bold if last else None)  # fmt: skip
        for col, field in enumerate(fields, 1):
            sheet.write_number(row, col, int(getattr(record, field)), bold if last else None)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, len(fields), 12)
    set_print_setup(sheet, None)


def summary_paragraph(year: int, preset: Preset) -> str:
    """One paragraph of what the list is, with the preset's own cut-offs."""
    low = russian.percent(preset["flags.low_share"], 0)
    shnsu = russian.percent(preset["context.shnsu_share"], 0)
    entry = (
        f"два года подряд её результаты среди {low} худших в регионе"
        if preset["flags.stable_low_rule"] == "both_years"
        else f"по совокупности двух лет она вероятнее всего среди {low} худших в регионе в оба "
        "года (столько школ, сколько их ожидается по модели),"
    )
    return (
        f"Список составлен по результатам ВПР, ОГЭ и ЕГЭ {year - 1} и {year} годов. Школа "
        f"входит в список ШНОР, если {entry} с учётом числа участников и случайных колебаний "
        "(школьный эффект: насколько доля "
        "неудовлетворительных результатов выше, чем у региона в тех же процедурах). Группа "
        "риска — школы, которые могут оказаться в списке в следующем году. ШНСУ — "
        f"{shnsu} школ с самыми сложными социальными условиями по индексу условий (социальный "
        "паспорт, условия школы). Отметка — основание для адресной поддержки, а не оценка "
        "работы школы. Краткие основания — на листах списков, полные — на листе «Подробно», "
        "значения методики — на листе «Параметры методики»."
    )


# The flags that put a school on a list sheet (and so on «Подробно»).
LISTS = ("is_on_shnor_list", "is_risk_group", "is_shnsu", "is_stable_high", "is_resilient")

PROCEDURE_RULES = {
    "absolute_risk": "высокая доля неудовлетворительных результатов",
    "persistent_failing_procedure": "два года подряд",
    "significant_deterioration": "ухудшение",
}


def with_list_details(
    rows: pd.DataFrame,
    year: int,
    regional_fail_share: float | None = None,
    context_drivers: pd.DataFrame | None = None,
    preset: Preset | None = None,
) -> pd.DataFrame:
    """The year's rows with the years on the ШНОР list in a row (up to this year), the
    procedures behind the procedure-level rules (from the reasons JSON), the objectivity note,
    a short reason, the school effect as an adjusted fail share, the context index's percentile
    and drivers, and what the ШНСУ sheet says of each school."""
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
    year_rows["short_reason"] = [short_reason(text) for text in year_rows["reason_text"]]
    marked = year_rows[list(LISTS)].any(axis=1) | ~year_rows["is_rated"].astype(bool)
    year_rows["adjusted_fail_text"] = None
    year_rows.loc[marked, "adjusted_fail_text"] = adjusted_fail_texts(
        year_rows[marked], regional_fail_share
    )
    year_rows["context_percentile"] = context_percentiles(year_rows["context_index"])
    if context_drivers is not None and not context_drivers.empty:
        drivers = context_drivers[context_drivers["exam_year"] == year]
        year_rows = year_rows.merge(
            drivers[["school_id", "context_drivers"]], on="school_id", how="left"
        )
    else:
        year_rows["context_drivers"] = None
    share = preset["context.shnsu_share"] if preset is not None else None
    pool = POOLS.get(preset["school_effect.pool_by"], POOL) if preset is not None else POOL
    fields = ["is_shnsu", "is_rated", "is_resilient", "is_on_shnor_list", "context_index",
              "context_percentile", "reason_text"]  # fmt: skip
    year_rows["shnsu_reason"] = [
        shnsu_reason(dict(zip(fields, values, strict=True)), share, pool)
        for values in year_rows[fields].itertuples(index=False, name=None)
    ]
    return year_rows


def list_details(marts: Mapping[str, pd.DataFrame], year: int, preset: Preset) -> pd.DataFrame:
    """The year's `with_list_details` from the marts (the region's fail share and the context
    drivers included): what the annual list and every municipal «Список школ» show."""
    return with_list_details(
        marts["rpt_school_list"], year,
        regional_fail_share(marts.get("fct_school_procedure_results"), year),
        marts.get("fct_school_context_drivers"), preset,
    )  # fmt: skip


def short_reason(text: object, limit: int = REASON_LIMIT) -> str:
    """The reason cut to whole sentences, then whole clauses («; »), within `limit`
    characters; «…» says there is more on «Подробно»."""
    if not isinstance(text, str) or not text.strip():
        return "нет особых отметок"
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) <= limit - 2:
            kept = candidate
            continue
        part = ""
        for clause in sentence.split("; "):
            longer = f"{part}; {clause}" if part else clause
            if len(f"{kept} {longer}".strip()) > limit - 2:
                break
            part = longer
        if part:
            kept = f"{kept} {part}".strip()
        elif not kept:  # one clause longer than the limit: cut at a space
            kept = sentence[: sentence[: limit - 2].rfind(" ")]
        break
    return kept.rstrip(" .;,") + " …"


def adjusted_fail_texts(rows: pd.DataFrame, regional_share: float | None) -> list[str | None]:
    """The school effect as the fail share the school would have where the region has
    `regional_share` («12,5 % (9,8–15,6 %)»): logit⁻¹(logit p + θ) for the estimate and the
    interval's bounds; None where the school is not rated or the share is unknown."""
    if regional_share is None or not 0 < regional_share < 1:
        return [None] * len(rows)
    base = float(logit(regional_share))
    texts: list[str | None] = []
    bounds_of = rows[["composite_score", "composite_lower", "composite_upper"]]
    for score, lower, upper in bounds_of.itertuples(index=False, name=None):
        if pd.isna(score):
            texts.append(None)
            continue
        texts.append(
            russian.share_with_interval(
                expit(base + score),
                expit(base + lower) if pd.notna(lower) else None,
                expit(base + upper) if pd.notna(upper) else None,
            )
        )
    return texts


def regional_fail_share(results: pd.DataFrame | None, year: int) -> float | None:
    """The region's share of unsatisfactory results over all procedures of `year`."""
    if results is None or results.empty:
        return None
    of_year = results[results["exam_year"] == year]
    total = of_year["participant_count"].sum()
    return float(of_year["fail_count"].sum() / total) if total else None


# Whom a school's results are compared with (school_effect.pool_by), in a reader's words.
POOL = "школ, с которыми её сравнивают"
POOLS = {
    "region": "школ региона",
    "settlement_type": "школ того же типа поселения (город или село)",
    "school_level": "школ того же уровня (НОШ, ООШ или СОШ)",
}


def shnsu_reason(row: Mapping[str, Any], share: float | None, pool: str = POOL) -> str | None:
    """Why a school is ШНСУ and what its results say («Индекс условий 0,67 — 92-й процентиль
    региона; …»), never empty for a ШНСУ school."""
    if not row["is_shnsu"]:
        return None
    parts = []
    if pd.notna(row["context_index"]):
        parts.append(context_index_text(row["context_index"], row["context_percentile"], share))
    reason = row["reason_text"]
    if not row["is_rated"]:
        parts.append("Результаты не оцениваются: мало учтённых результатов.")
    elif row["is_resilient"]:
        parts.append(f"Резильентная: результаты лучше медианы {pool}.")
    elif row["is_on_shnor_list"]:
        parts.append("В списке ШНОР: приоритетная поддержка.")
    elif isinstance(reason, str) and "хуже медианы" in reason:
        parts.append(f"Результаты хуже медианы {pool}, но не среди худших.")
    else:
        parts.append(f"Результаты не хуже медианы {pool}; других отметок нет.")
    return " ".join(parts)


def context_index_text(index: float, percentile: float, share: float | None) -> str:
    """«Индекс условий 0,67 — 92-й процентиль региона (ШНСУ — 10 % школ …).»: the ШНСУ sheet's
    and the school card's words for where the school's conditions stand."""
    cut = f" (ШНСУ — {russian.percent(share, 0)} школ с самыми сложными условиями)" if share else ""
    return (
        f"Индекс условий {russian.number(index, 2)} — "
        f"{russian.number(percentile, 0)}-й процентиль региона{cut}."
    )


def context_percentiles(index: pd.Series) -> pd.Series:
    """The percentile of each school's context index among the year's schools (100 = hardest)."""
    return index.astype(float).rank(pct=True) * 100


def _driving(reasons_json: object) -> str | None:
    """«ОГЭ, Математика (высокая доля неудовлетворительных результатов); …» from the reasons
    JSON of one school."""
    if not isinstance(reasons_json, str):
        return None
    seen: dict[str, list[str]] = {}
    for reason in json.loads(reasons_json):
        rule = PROCEDURE_RULES.get(reason.get("rule"))
        for procedure in reason.get("procedures", []) if rule else []:
            label = procedure_label(procedure["exam"], procedure["grade"], procedure["subject"])
            seen.setdefault(label, []).append(rule)
    return "; ".join(f"{label}: {', '.join(rules)}" for label, rules in seen.items()) or None
