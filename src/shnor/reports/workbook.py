"""Safe, readable XLSX sheets: Russian headers, frozen header row, filters, widths, formats.

Text is never turned into a formula or a link (`strings_to_formulas=False`), and text that an
editor would read as a formula is prefixed with an apostrophe-like quote when written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One output column: source field, Russian header, width and number format."""

    field: str
    header: str
    width: int = 14
    number_format: str | None = None
    # xlsxwriter conditional format applied to the column's data cells (e.g. a colour scale)
    conditional: dict[str, Any] | None = None


def safe_text(value: object) -> object:
    """Text starting like a formula is written with a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def open_workbook(path: Path) -> xlsxwriter.Workbook:
    """A workbook that never interprets strings as formulas or links."""
    return xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": False},
    )


def write_table_sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    empty_note: str = "Нет школ в этой категории.",
) -> None:
    """A sheet with one header row (frozen, filtered) and one row per frame row."""
    sheet = workbook.add_worksheet(name[:31])
    header = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
    )
    formats = {
        c.field: workbook.add_format({"num_format": c.number_format, "valign": "top"})
        if c.number_format
        else workbook.add_format({"text_wrap": c.width > 40, "valign": "top"})
        for c in columns
    }
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column.header, header)
        sheet.set_column(col, col, column.width)
    sheet.set_row(0, 45)
    sheet.freeze_panes(1, 0)
    if frame.empty:
        sheet.write_string(1, 0, empty_note)
        return
    for row, record in enumerate(frame[[c.field for c in columns]].itertuples(index=False), 1):
        for col, (column, value) in enumerate(zip(columns, record, strict=True)):
            _write_cell(sheet, row, col, value, formats[column.field])
    for col, column in enumerate(columns):
        if column.conditional:
            rule = dict(column.conditional)
            if isinstance(rule.get("format"), dict):  # a format given as its properties
                rule["format"] = workbook.add_format(rule["format"])
            sheet.conditional_format(1, col, len(frame), col, rule)
    sheet.autofilter(0, 0, len(frame), len(columns) - 1)


def write_key_value_sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    rows: Sequence[tuple[str, Any]],
    headers: tuple[str, str],
) -> None:
    """A two-column sheet (parameter → value)."""
    frame = pd.DataFrame(rows, columns=["key", "value"])
    frame["value"] = frame["value"].map(
        lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v
    )
    write_table_sheet(
        workbook, name, frame, [Column("key", headers[0], 45), Column("value", headers[1], 60)]
    )


def _write_cell(sheet: Any, row: int, col: int, value: Any, cell_format: Any) -> None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        sheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "да" if value else "", cell_format)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, cell_format)
    else:
        sheet.write_string(row, col, str(safe_text(value)), cell_format)
