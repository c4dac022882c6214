"""Safe, readable XLSX sheets: a title block, Russian headers, frozen header row (and identity
columns), filters, widths, number formats and print setup (A4 landscape, fit to width, the
header repeated on every page).

Text is never turned into a formula or a link (`strings_to_formulas=False`), and text that an
editor would read as a formula is prefixed with an apostrophe-like quote when written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from pandas.api.types import is_bool_dtype, is_numeric_dtype

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
    # what an empty cell of this column says (e.g. «нет»); None leaves it blank
    missing: str | None = None


# Number formats: Excel stores them with a point and shows the reader's decimal comma.
PERCENT = "0.0 %"
WHOLE_PERCENT = "0 %"
NO = "нет"
ROW_NUMBER = "row_number"  # a column of this field numbers the sheet's rows («№ п/п»)


def safe_text(value: object) -> object:
    """Text starting like a formula is written with a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def open_workbook(path: Path) -> xlsxwriter.Workbook:
    """A workbook that never interprets strings as formulas or links."""
    return xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": False,
            "in_memory": True,  # no temporary files: faster, and nothing left behind
        },
    )


def write_table_sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    empty_note: str = "Нет школ в этой категории.",
    *,
    title: Sequence[str] = (),
    frozen_columns: int = 0,
    note: str = "",
) -> None:
    """A sheet with the title lines on top, then `note` (if any: a line about the table, in the
    row between the title block and the header), one header row (frozen with the first
    `frozen_columns` columns, filtered, repeated on every printed page) and one row per frame
    row."""
    sheet = workbook.add_worksheet(name[:31])
    top = write_title(workbook, sheet, title)
    if note:
        sheet.write_string(max(top - 1, 0), 0, note, workbook.add_format({"italic": True}))
        top = max(top, 1)
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
        sheet.write_string(top, col, column.header, header)
        sheet.set_column(col, col, column.width)
    sheet.set_row(top, 45)
    sheet.freeze_panes(top + 1, frozen_columns)
    set_print_setup(sheet, top)
    if frame.empty:
        sheet.write_string(top + 1, 0, empty_note)
        return
    if any(c.field == ROW_NUMBER for c in columns):  # «№ п/п» from 1
        frame = frame.assign(**{ROW_NUMBER: range(1, len(frame) + 1)})
    for col, column in enumerate(columns):
        sheet.write_column(top + 1, col, column_cells(frame[column.field], column.missing),
                           formats[column.field])  # fmt: skip
    for col, column in enumerate(columns):
        if column.conditional:
            rule = dict(column.conditional)
            if isinstance(rule.get("format"), dict):  # a format given as its properties
                rule["format"] = workbook.add_format(rule["format"])
            sheet.conditional_format(top + 1, col, top + len(frame), col, rule)
    sheet.autofilter(top, 0, top + len(frame), len(columns) - 1)


def write_title(workbook: xlsxwriter.Workbook, sheet: Any, lines: Sequence[str]) -> int:
    """The title block (first line bold and larger) and a blank row; the row after it."""
    if not lines:
        return 0
    bold = workbook.add_format({"bold": True, "font_size": 13})
    for row, line in enumerate(lines):
        sheet.write_string(row, 0, line, bold if row == 0 else None)
    return len(lines) + 1


def set_print_setup(sheet: Any, header_row: int | None) -> None:
    """A4 landscape, fit to the page width, the header row printed on every page."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    if header_row is not None:
        sheet.repeat_rows(header_row)


def write_key_value_sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    rows: Sequence[tuple[str, Any]],
    headers: tuple[str, str],
    *,
    title: Sequence[str] = (),
) -> None:
    """A two-column sheet (parameter → value)."""
    frame = pd.DataFrame(rows, columns=["key", "value"])
    frame["value"] = frame["value"].map(
        lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v
    )
    write_table_sheet(
        workbook, name, frame, [Column("key", headers[0], 45), Column("value", headers[1], 60)],
        title=title,
    )  # fmt: skip


def column_cells(values: pd.Series, missing: str | None = None) -> list[Any]:
    """A column's values as its cells hold them: numbers, text (never read as a formula), «да» /
    «нет» for a flag, and `missing` (None: a blank cell) where a value is missing. Written a
    column at a time (`write_column`): per-cell type checks were a third of a big sheet's time;
    numbers and text are checked on the column's Python list (pandas' per-column operations
    cost more than the loop on a sheet's few hundred rows)."""
    if is_numeric_dtype(values) and not is_bool_dtype(values):
        cells = values.tolist()
        return [missing if _absent(v) else v for v in cells]
    if isinstance(values.dtype, pd.StringDtype):  # text only: quoted where it looks a formula
        return [
            missing if _absent(v) or v == "" else "'" + v if v.startswith(_FORMULA_START) else v
            for v in values.tolist()
        ]
    return [_cell(value, missing) for value in values.tolist()]


def _absent(value: Any) -> bool:
    """None, pandas' NA or NaN (as a column's `tolist` gives a missing value)."""
    return value is None or value is pd.NA or value != value


def _cell(value: Any, missing: str | None) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or value != value:  # NaN
        return missing
    if isinstance(value, bool | np.bool_):
        return "да" if value else NO
    if isinstance(value, int | float | np.number):
        return value
    if value == "":
        return missing  # an empty text where something is meant; blank otherwise
    return str(safe_text(value))
