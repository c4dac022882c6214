"""The Great Expectations suites kept as JSON in expectations/, run over a typed frame.

A suite is named for what it checks: `raw_<layout>` (participant rows of newly loaded files)
or `<schema>.<table>` (a mart before publishing). Its frame is the SQL in
quality/frames/<suite>.sql (or the table itself). Each expectation's meta carries the English rule
name and the Russian description and action; GX severity critical = blocking.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.compute as pc

SEVERITY = {"critical": "blocking", "warning": "warning", "info": "warning"}
_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Failure:
    """One failed expectation: its rule and the rows (or values) that broke it."""

    suite: str
    rule: str
    severity: str  # blocking | warning
    description: str  # Russian
    action: str  # Russian
    column: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # index columns + the bad value
    values: list[Any] = field(default_factory=list)
    count: int = 0


def expectations_dir() -> Path:
    """expectations/: $SHNOR_EXPECTATIONS, else packaged inside shnor (wheel), else the repo's."""
    if os.environ.get("SHNOR_EXPECTATIONS"):
        return Path(os.environ["SHNOR_EXPECTATIONS"])
    packaged = Path(str(resources.files("shnor"))) / "expectations"
    return packaged if packaged.is_dir() else _ROOT / "expectations"


def suite_names() -> list[str]:
    """Every suite kept in expectations/."""
    return sorted(p.stem for p in expectations_dir().glob("*.json"))


def suite_json(name: str) -> dict[str, Any]:
    """The suite as stored."""
    return json.loads((expectations_dir() / f"{name}.json").read_text(encoding="utf-8"))


def check_sql(name: str) -> str | None:
    """The SQL of the suite's frame (quality/frames/<name>.sql), or None (the table itself)."""
    entry = resources.files("shnor.quality").joinpath("frames", f"{name}.sql")
    return entry.read_text("utf-8") if entry.is_file() else None


def frame_for(
    con: duckdb.DuckDBPyConnection, name: str, parameters: dict | None = None
) -> pd.DataFrame:
    """The whole frame the suite is about: its SQL (quality/frames/<name>.sql) or the table."""
    sql = check_sql(name)
    return _fetched(con, _whole(name), parameters, categories=sql is not None)


def failing_frame(
    con: duckdb.DuckDBPyConnection,
    name: str,
    parameters: dict | None = None,
    order_by: list[str] | None = None,
) -> pd.DataFrame:
    """The rows of the suite's frame that can fail one of its expectations, when every one is
    judged by rows (failing_rows_sql; else the whole frame): the warehouse picks them, so good
    rows never reach pandas and a clean pass hands GX nothing. They come in `order_by` (the
    rows' index columns), else in the frame's own order and with the whole frame's column
    types, so that GX lists the same values first, written alike, as over the whole frame."""
    sql = check_sql(name)
    whole = _whole(name)
    relation = con.sql(whole, params=parameters or {})
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    failing = failing_rows_sql(name, types)
    if failing is None:
        return _fetched(con, whole, parameters, categories=sql is not None)
    # Materialised: each typed column computed once per row. Pushed down into the frame, the
    # condition repeated every typing expression it names (clean_text's regular expressions
    # several times a cell): 2.2 s CPU against 0.5 s on 0.8M ВПР rows.
    if order_by:
        keys = ", ".join(_quoted(column) for column in order_by)
        query = (
            f"WITH _frame AS MATERIALIZED ({whole}) "
            f"SELECT * FROM _frame WHERE {failing} ORDER BY {keys}"
        )
        return _fetched(con, query, parameters, categories=sql is not None)
    query = (
        f"WITH _frame AS MATERIALIZED (SELECT *, row_number() OVER () AS {_POSITION} "
        f"FROM ({whole})) SELECT * EXCLUDE ({_POSITION}) FROM _frame "
        f"WHERE {failing} ORDER BY {_POSITION}"
    )
    frame = _fetched(con, query, parameters, categories=sql is not None)
    return _with_whole_types(con, frame, whole, parameters, arrow=sql is not None)


def _whole(name: str) -> str:
    """The query of the suite's whole frame."""
    return (check_sql(name) or f"SELECT * FROM {name}").strip().rstrip(";")


def _fetched(
    con: duckdb.DuckDBPyConnection, query: str, parameters: dict | None, categories: bool
) -> pd.DataFrame:
    """A query's rows as pandas. With `categories` (a frame's SQL: raw rows), file and sheet
    names — the same few strings on a million rows — arrive as categories: building a Python
    string per row would cost more than the checks themselves."""
    if not categories:
        return con.execute(query, parameters or {}).df()
    table = con.sql(query, params=parameters or {}).to_arrow_table()
    for column in ("_source_file", "_sheet"):
        if column in table.column_names:
            position = table.schema.get_field_index(column)
            encoded = pc.dictionary_encode(table.column(column))
            table = table.set_column(position, column, encoded)
    return table.to_pandas()


def _with_whole_types(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    whole: str,
    parameters: dict | None,
    arrow: bool,
) -> pd.DataFrame:
    """The picked rows with the column types pandas gives the whole frame: a whole-number
    column with a missing value elsewhere is float there through Arrow, nullable through
    DuckDB's own `df()` (a pair reads «(1.0, 3.0)» or «(1, 3)» accordingly)."""
    whole_numbers = [
        c
        for c in frame.columns
        if pd.api.types.is_integer_dtype(frame[c])
        and not pd.api.types.is_extension_array_dtype(frame[c])
    ]
    if frame.empty or not whole_numbers:
        return frame
    missing = ", ".join(f"bool_or({_quoted(c)} IS NULL)" for c in whole_numbers)
    found = con.execute(f"SELECT {missing} FROM ({whole})", parameters or {}).fetchall()[0]
    with_missing = [c for c, has_null in zip(whole_numbers, found, strict=True) if has_null]
    return frame.astype(
        {c: "float64" if arrow else _nullable(frame[c].dtype) for c in with_missing}
    )


def _nullable(dtype: Any) -> str:
    """pandas' nullable integer type of a NumPy one: int32 → Int32, uint8 → UInt8."""
    name = str(dtype)
    return "UInt" + name[4:] if name.startswith("uint") else "Int" + name[3:]


# The frame's own row order, kept while only the rows that can fail are fetched.
_POSITION = "_frame_position"


_NUMBERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE"}  # fmt: skip


def _is_number(kind: str | None) -> bool:
    """Whether a DuckDB column type holds numbers (unknown: taken as it is compared)."""
    return kind is None or kind in _NUMBERS or kind.startswith("DECIMAL")


def _is_number_value(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _literal(value: Any) -> str:
    if not _is_number_value(value):
        return "'" + str(value).replace("'", "''") + "'"
    return repr(value)


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _failing_row(expectation: dict[str, Any], types: dict[str, str]) -> str | None:
    """The SQL condition true of every row that fails this expectation as GX judges it (nulls
    are not checked; a pair with a value missing is skipped; a key is judged by whether it
    repeats in the frame `_frame`), or None when it is not judged by rows or has options this
    does not follow. It may hold more rows than fail, never fewer: GX judges the rows it
    holds. `types` are the frame's column types where known (a number column can hold NaN,
    which pandas counts as missing; a value compared to a number column of another type is
    left to GX)."""
    kwargs = dict(expectation.get("kwargs", {}))
    kind = expectation.get("type")
    name = kwargs.pop("column", "")
    column = _quoted(name)
    if kind == "expect_column_values_to_be_null" and not kwargs:
        return f"{column} IS NOT NULL"
    if kind == "expect_column_values_to_not_be_null" and not kwargs:
        floating = types.get(name) in {"FLOAT", "DOUBLE"}
        return f"{column} IS NULL" + (f" OR isnan({column})" if floating else "")
    if kind == "expect_column_values_to_be_unique" and not kwargs:
        return _repeated([name])
    if kind == "expect_compound_columns_to_be_unique" and set(kwargs) == {"column_list"}:
        return _repeated(kwargs["column_list"])
    if kind == "expect_column_values_to_be_in_set" and set(kwargs) == {"value_set"}:
        numbers = {_is_number_value(v) for v in kwargs["value_set"]}
        if name in types and numbers != {_is_number(types[name])}:
            return f"{column} IS NOT NULL"  # a set of numbers for a text column: GX judges
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return f"{column} IS NOT NULL AND {column} NOT IN ({values})"
    if kind == "expect_column_values_to_be_between" and set(kwargs) <= {"min_value", "max_value"}:
        if not _is_number(types.get(name)):
            return f"{column} IS NOT NULL"
        sides = [f"{column} < {_literal(kwargs['min_value'])}"] if "min_value" in kwargs else []
        sides += [f"{column} > {_literal(kwargs['max_value'])}"] if "max_value" in kwargs else []
        return f"{column} IS NOT NULL AND ({' OR '.join(sides) or 'false'})"
    pair = {"column_A", "column_B", "ignore_row_if"}
    if kwargs.get("ignore_row_if") != "either_value_is_missing":
        return None
    a, b = _quoted(kwargs.get("column_A", "")), _quoted(kwargs.get("column_B", ""))
    both = f"{a} IS NOT NULL AND {b} IS NOT NULL"
    # a number beside a text: GX judges every pair
    mixed = len({_is_number(types.get(kwargs.get(c, ""))) for c in ("column_A", "column_B")}) > 1
    if kind == "expect_column_pair_values_to_be_equal" and set(kwargs) == pair:
        return both if mixed else f"{both} AND {a} <> {b}"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b" and set(kwargs) <= pair | {
        "or_equal"
    }:
        compared = f"NOT ({a} {'>=' if kwargs.get('or_equal') else '>'} {b})"
        return both if mixed else f"{both} AND {compared}"
    return None


def _repeated(columns: list[str]) -> str:
    """Rows whose key (these columns, nulls alike) is held by another row of `_frame` too: by
    the key's hash, so a collision only adds a row for GX to clear."""
    key = f"hash({', '.join(_quoted(c) for c in columns)})"
    return f"{key} IN (SELECT {key} FROM _frame GROUP BY ALL HAVING count(*) > 1)"


def failing_rows_sql(name: str, types: dict[str, str] | None = None) -> str | None:
    """A condition true of every row of the frame `_frame` that fails one of the suite's
    expectations (`types`: its columns' DuckDB types, where known), or None when some
    expectation is not judged by rows (then the whole frame is validated)."""
    conditions = [_failing_row(e, types or {}) for e in suite_json(name)["expectations"]]
    if not conditions or None in conditions:
        return None
    return " OR ".join(f"({condition})" for condition in conditions)


def _quiet_great_expectations() -> None:
    """GX gives some of its own loggers level INFO when imported: an English line about a
    temporary docs folder reached the analyst's console. Only its errors are shown."""
    for name in list(logging.root.manager.loggerDict):
        if name == "great_expectations" or name.startswith("great_expectations."):
            logging.getLogger(name).setLevel(logging.ERROR)


@cache
def _context():
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _quiet_great_expectations()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _quiet_great_expectations()
    return context, context.data_sources.add_pandas("shnor_frames")


def _suite(name: str):
    import great_expectations as gx

    stored = suite_json(name)
    suite = gx.ExpectationSuite(**stored)
    # GX drops an unknown expectation type with only a log line (docs/architecture.md).
    if len(suite.expectations) != len(stored["expectations"]):
        raise ValueError(f"suite {name}: some expectations were not understood by GX")
    return suite


def failures(frame: pd.DataFrame, name: str, index_columns: list[str]) -> list[Failure]:
    """Validate `frame` against suite `name`; the failed expectations with their rows."""
    if frame.empty:
        return []
    _, source = _context()
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result_format: dict[str, Any] = {"result_format": "COMPLETE"}
    if index_columns:
        result_format["unexpected_index_column_names"] = index_columns
        result_format["return_unexpected_index_query"] = False
    validation = batch.validate(_suite(name), result_format=result_format)
    found = []
    for outcome in validation.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        if outcome.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"check {name}/{config.type} failed to run: "
                f"{outcome.exception_info.get('exception_message')}"
            )
        meta, result = config.meta or {}, outcome.result
        found.append(
            Failure(
                suite=name,
                rule=meta.get("rule", config.type),
                severity=SEVERITY.get(str(getattr(config.severity, "value", config.severity)),
                                      "blocking"),
                description=meta.get("description_ru", config.type),
                action=meta.get("action_ru", ""),
                column=meta.get("column_ru", ""),
                rows=list(result.get("unexpected_index_list") or []) if index_columns else [],
                values=list(result.get("unexpected_list") or []),
                count=int(result.get("unexpected_count") or 0),
            )
        )  # fmt: skip
    return found


def checked_value(row: dict[str, Any], index_columns: list[str]) -> str | None:
    """The bad value in an unexpected-row dict (its columns other than the index ones)."""
    values = [v for k, v in row.items() if k not in index_columns]
    return " / ".join(readable(v) for v in values) or None


def readable(value: Any) -> str:
    """A value as the analyst wrote it: 4.0 → «4», None → «»."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item"):
        return readable(value.item())
    return str(value)
