"""What a workbook column's cells hold (`column_cells`): numbers as numbers, text that an editor
would read as a formula quoted, «да» / «нет» for flags, and the column's `missing` text (or a
blank) wherever a value is missing — whichever way pandas stores the column."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from shnor.reports.workbook import column_cells

TEXTS = ["=SUM(A1)", "школа", None, "", "-5 п.п.", "+1", "@x"]
QUOTED = ["'=SUM(A1)", "школа", "нет", "нет", "'-5 п.п.", "'+1", "'@x"]


@pytest.mark.parametrize("dtype", ["string", "string[pyarrow]", "str"])
def test_text_is_quoted_where_it_looks_a_formula_and_missing_where_empty(dtype):
    values = pd.Series(TEXTS, dtype=dtype)
    assert column_cells(values, "нет") == QUOTED
    assert column_cells(values) == [None if c == "нет" else c for c in QUOTED]


@pytest.mark.parametrize("dtype", ["float64", "Int64", "float64[pyarrow]", "int64[pyarrow]"])
def test_numbers_stay_numbers_and_a_missing_one_is_the_missing_text(dtype):
    values = pd.Series([1, None, 3], dtype=dtype)
    cells = column_cells(values, "—")
    assert cells == [1, "—", 3] and all(isinstance(c, int | float) for c in (cells[0], cells[2]))
    assert column_cells(pd.Series([2.5, math.nan]), None) == [2.5, None]


def test_flags_read_yes_or_no_and_objects_keep_their_rules():
    assert column_cells(pd.Series([True, False, None], dtype="boolean"), "—") == ["да", "нет", "—"]
    assert column_cells(pd.Series(["=1", 2, None, ""], dtype=object), "—") == ["'=1", 2, "—", "—"]
