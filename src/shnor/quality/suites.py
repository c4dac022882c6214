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
    """The frame the suite validates. File and sheet names (the same few strings on a million
    rows) arrive as categories: building a Python string per row would cost more than the
    checks themselves."""
    sql = check_sql(name)
    if sql is None:
        return con.execute(f"SELECT * FROM {name}").df()
    table = con.sql(sql, params=parameters or {}).to_arrow_table()
    for column in ("_source_file", "_sheet"):
        if column in table.column_names:
            position = table.schema.get_field_index(column)
            encoded = pc.dictionary_encode(table.column(column))
            table = table.set_column(position, column, encoded)
    return table.to_pandas()


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
