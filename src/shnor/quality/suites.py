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
    con: duckdb.DuckDBPyConnection,
    name: str,
    parameters: dict | None = None,
    order_by: list[str] | None = None,
) -> pd.DataFrame:
    """The frame the suite validates. With `order_by` (the rows' index columns) only the rows
    that can fail one of the suite's expectations are fetched, in that order, when every
    expectation is judged row by row (failing_rows_sql): the warehouse picks them, and a year of
    good rows never reaches pandas. File and sheet names (the same few strings on a million
    rows) arrive as categories: building a Python string per row would cost more than the
    checks themselves."""
    sql = check_sql(name)
    if sql is None:
        return con.execute(f"SELECT * FROM {name}").df()
    failing = failing_rows_sql(name) if order_by else None
    if failing is not None and order_by:
        keys = ", ".join(f'"{column}"' for column in order_by)
        # Materialised: each typed column computed once per row. Pushed down into the frame,
        # the condition repeated every typing expression it names (clean_text's regular
        # expressions several times a cell): 2.2 s CPU against 0.5 s on 0.8M ВПР rows.
        sql = (
            f"WITH _frame AS MATERIALIZED ({sql.strip().rstrip(';')}) "
            f"SELECT * FROM _frame WHERE {failing} ORDER BY {keys}"
        )
    table = con.sql(sql, params=parameters or {}).to_arrow_table()
    for column in ("_source_file", "_sheet"):
        if column in table.column_names:
            position = table.schema.get_field_index(column)
            encoded = pc.dictionary_encode(table.column(column))
            table = table.set_column(position, column, encoded)
    return table.to_pandas()


def _literal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "'" + str(value).replace("'", "''") + "'"
    return repr(value)


def _failing_row(expectation: dict[str, Any]) -> str | None:
    """The SQL condition under which one row fails this expectation as GX judges it (nulls are
    not checked; a pair with a value missing is skipped), or None when it is not judged row by
    row or has options this does not follow."""
    kwargs = dict(expectation.get("kwargs", {}))
    kind = expectation.get("type")
    column = f'"{kwargs.pop("column", "")}"'
    if kind == "expect_column_values_to_be_null" and not kwargs:
        return f"{column} IS NOT NULL"
    if kind == "expect_column_values_to_be_in_set" and set(kwargs) == {"value_set"}:
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return f"{column} IS NOT NULL AND {column} NOT IN ({values})"
    if kind == "expect_column_values_to_be_between" and set(kwargs) <= {"min_value", "max_value"}:
        sides = [f"{column} < {_literal(kwargs['min_value'])}"] if "min_value" in kwargs else []
        sides += [f"{column} > {_literal(kwargs['max_value'])}"] if "max_value" in kwargs else []
        return f"{column} IS NOT NULL AND ({' OR '.join(sides) or 'false'})"
    pair = {"column_A", "column_B", "ignore_row_if"}
    if kwargs.get("ignore_row_if") != "either_value_is_missing":
        return None
    a, b = f'"{kwargs.get("column_A")}"', f'"{kwargs.get("column_B")}"'
    both = f"{a} IS NOT NULL AND {b} IS NOT NULL"
    if kind == "expect_column_pair_values_to_be_equal" and set(kwargs) == pair:
        return f"{both} AND {a} <> {b}"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b" and set(kwargs) <= pair | {
        "or_equal"
    }:
        return f"{both} AND NOT ({a} {'>=' if kwargs.get('or_equal') else '>'} {b})"
    return None


def failing_rows_sql(name: str) -> str | None:
    """A condition true of every row that fails one of the suite's expectations, or None when
    some expectation is not judged row by row (then the whole frame is validated)."""
    conditions = [_failing_row(e) for e in suite_json(name)["expectations"]]
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
