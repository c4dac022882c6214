"""Reading a generated report workbook back: every sheet starts with the same title block
(four lines — what and which years, region, preset, run date — and a blank row), so a sheet's
table starts at a known row."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

TITLE_LINES = 4
HEADER_ROW = TITLE_LINES + 2  # the table's header (1-based, as Excel and openpyxl count)


def titled_frame(source: Path | object, sheet: str | None = None) -> pd.DataFrame:
    """The table under a sheet's title block (the header row as columns); `source` is a
    workbook's path with the sheet's name, or an openpyxl sheet."""
    if isinstance(source, Path):
        source = openpyxl.load_workbook(source, read_only=True)[sheet]
    rows = list(source.iter_rows(min_row=HEADER_ROW, values_only=True))  # type: ignore[attr-defined]
    return pd.DataFrame(rows[1:], columns=rows[0])
