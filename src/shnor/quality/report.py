"""The validation report a data clerk acts on: a count per file first (rules in Russian, with
their counts), then every problem grouped by file with its sheet, row, school, column, value,
rule, severity and what to do — as a self-contained HTML page and an XLSX workbook (frozen
header and file column, print setup), written aside and renamed in. Rule codes stay in the
workbook's last column for whoever reads the logs."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from shnor.labels import rule_label
from shnor.reports.workbook import Column, open_workbook, write_key_value_sheet, write_table_sheet
from shnor.russian import counted

REPORT_NAME = "validation_report"
TITLE = "Проверка входных данных: что исправить и в каком файле"
SEVERITY_RU = {"blocking": "блокирующая", "warning": "предупреждение", "info": "сведения"}
SEVERITY_ORDER = {"blocking": 0, "warning": 1, "info": 2}
COLUMNS = (
    Column("source_file", "Файл", 40),
    Column("sheet", "Лист", 14, missing="—"),
    Column("row", "Строка", 9, "0", missing="—"),
    Column("school", "Школа", 36, missing="—"),
    Column("severity_ru", "Важность", 16),
    Column("rule_ru", "Правило", 28),
    Column("column", "Столбец", 20, missing="—"),
    Column("value", "Значение", 24, missing="—"),
    Column("message", "Описание", 60),
    Column("action", "Что сделать", 50),
    Column("rule", "Код правила", 22),
)


FILE_COLUMNS = (
    Column("source_file", "Файл", 48),
    Column("blocking_count", "Блокирующих", 12, "0"),
    Column("warning_count", "Предупреждений", 14, "0"),
    Column("info_count", "Сведений", 10, "0"),
    Column("rules_ru", "Правила", 70),
)


def problems_by_file(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per file (blocking first): how many problems of each severity and which rules,
    so a data clerk sees which file to open first."""
    if rows.empty:
        return pd.DataFrame(columns=[c.field for c in FILE_COLUMNS])
    frame = rows.assign(source_file=rows["source_file"].fillna("(без файла)"))
    counts = pd.crosstab(frame["source_file"], frame["severity"])
    for severity in ("blocking", "warning", "info"):
        if severity not in counts:
            counts[severity] = 0
    rules = frame.groupby("source_file")["rule_ru"].agg(
        lambda names: "; ".join(f"{name} ({n})" for name, n in names.value_counts().items())
    )
    table = pd.DataFrame(
        {
            "blocking_count": counts["blocking"],
            "warning_count": counts["warning"],
            "info_count": counts["info"],
            "rules_ru": rules,
        }
    ).reset_index(names="source_file")
    return table.sort_values(
        ["blocking_count", "warning_count", "source_file"], ascending=[False, False, True]
    ).reset_index(drop=True)


def ordered_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Blocking first, then warnings and notes; by file, sheet and row within each."""
    frame = problems.copy()
    frame["severity_ru"] = frame["severity"].map(SEVERITY_RU).fillna(frame["severity"])
    frame["rule_ru"] = frame["rule"].map(rule_label)
    frame["_order"] = frame["severity"].map(SEVERITY_ORDER).fillna(3)
    if "school" not in frame:
        frame["school"] = None
    frame["source_file"] = frame["source_file"].fillna("(без файла)")
    # Grouped by file (the file with the worst problem first), then by sheet and row.
    frame["_file_order"] = frame.groupby("source_file")["_order"].transform("min")
    frame = frame.sort_values(
        ["_file_order", "source_file", "_order", "sheet", "row", "rule", "column", "value"],
        na_position="first",
        kind="stable",
    )
    return frame.drop(columns=["_order", "_file_order"]).reset_index(drop=True)


def shown(value: Any) -> Any:
    """A summary value for the reader: a date as «05.12.2026 08:47», a list one per line,
    an empty list as «нет»."""
    if isinstance(value, list):
        return "\n".join(map(str, value)) if value else "нет"
    if isinstance(value, str) and len(value) == 19 and value[10:11] == "T":
        try:
            return pd.Timestamp(value).strftime("%d.%m.%Y %H:%M")
        except ValueError:
            return value
    return value


def write_validation_report(
    problems: pd.DataFrame, summary: Sequence[tuple[str, Any]], folder: Path
) -> dict[str, Path]:
    """validation_report.html and .xlsx in `folder` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ordered_problems(problems)
    targets = {"html": folder / f"{REPORT_NAME}.html", "xlsx": folder / f"{REPORT_NAME}.xlsx"}
    staged = {kind: path.with_name(f".{path.name}.writing") for kind, path in targets.items()}
    by_file = problems_by_file(rows)
    staged["html"].write_text(_html(rows, by_file, summary), encoding="utf-8")
    workbook = open_workbook(staged["xlsx"])
    write_table_sheet(
        workbook, "По файлам", by_file, FILE_COLUMNS, empty_note="Проблем не найдено."
    )
    write_table_sheet(
        workbook, "Проблемы", rows, COLUMNS, empty_note="Проблем не найдено.", frozen_columns=1
    )
    write_key_value_sheet(
        workbook, "Сводка", [(k, shown(v)) for k, v in summary], ("Показатель", "Значение")
    )
    workbook.close()
    for kind, path in targets.items():
        os.replace(staged[kind], path)
    return targets


def _html(rows: pd.DataFrame, by_file: pd.DataFrame, summary: Sequence[tuple[str, Any]]) -> str:
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value == "":
            return "—"
        return html.escape(str(value))

    summary_rows = "".join(
        f"<tr><th>{cell(k)}</th><td>{cell(shown(v)).replace(chr(10), '<br>')}</td></tr>"
        for k, v in summary
    )

    def table(frame: pd.DataFrame, columns: Sequence[Column], row_class: str | None) -> str:
        head = "".join(f"<th>{html.escape(c.header)}</th>" for c in columns)
        body = "".join(
            (f'<tr class="{cell(record[row_class])}">' if row_class else "<tr>")
            + "".join(
                f"<td><code>{cell(record[c.field])}</code></td>"
                if c.field == "rule"  # a code for whoever reads the logs, beside its name
                else f"<td>{cell(record[c.field])}</td>"
                for c in columns
            )
            + "</tr>"
            for record in frame.to_dict("records")
        )
        if frame.empty:
            body = f'<tr><td colspan="{len(columns)}">Проблем не найдено.</td></tr>'
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    in_file = [c for c in COLUMNS if c.field != "source_file"]
    grouped = "".join(
        f"<h3>{cell(name)} — {cell(counted(len(part), 'проблема'))}</h3>"
        + table(part, in_file, "severity")
        for name, part in rows.groupby("source_file", sort=False)
    ) or table(rows, COLUMNS, "severity")
    return f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Проверка данных</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #bbb; padding: 3px 6px; vertical-align: top; text-align: left;
  overflow-wrap: normal; word-break: keep-all; }}
thead th {{ background: #ddebf7; position: sticky; top: 0; }}
tr.blocking td {{ background: #fde2e1; }}
tr.warning td {{ background: #fff5d6; }}
tr.info td {{ background: #e8f4e8; }}
</style></head><body>
<h1>{TITLE}</h1>
<table>{summary_rows}</table>
<h2>По файлам ({len(by_file)})</h2>
{table(by_file, FILE_COLUMNS, None)}
<h2>Проблемы по файлам ({len(rows)})</h2>
{grouped}
</body></html>
"""
