"""The mart suites over the built marts, before anything is published: a blocking failure
means nothing is published (the previous marts stay); warnings go to the report."""

from __future__ import annotations

import duckdb

from shnor.problems import Problem
from shnor.quality.suites import failing_frame, failures, readable, suite_names
from shnor.russian import counted

LISTED_VALUES = 20


def mart_source(table: str) -> str:
    """How a mart appears in the report's file column."""
    return f"(витрина {table.split('.')[-1]})"


def check_marts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[Problem]:
    """Every table's suite (expectations/<schema>.<table>.json) run over it; a table without a
    suite is itself a blocking problem (a published mart is always checked)."""
    known = set(suite_names())
    problems = []
    for table in tables:
        if table not in known:
            problems.append(
                Problem(
                    mart_source(table),
                    "suite_missing",
                    "blocking",
                    f"для {table} нет набора проверок expectations/{table}.json",
                    "добавьте набор проверок (expectations/make_suites.py) и запустите снова",
                )
            )
            continue
        for failure in failures(failing_frame(con, table), table, []):
            values = [readable(v) for v in failure.values[:LISTED_VALUES]] or [None]
            problems += [
                Problem(
                    mart_source(table),
                    failure.rule,
                    failure.severity,
                    failure.description,
                    failure.action,
                    column=failure.column,
                    value=value,
                )
                for value in values
            ]
            if failure.count > LISTED_VALUES:
                problems.append(
                    Problem(
                        mart_source(table),
                        failure.rule,
                        failure.severity,
                        f"{failure.description}: "
                        f"ещё {counted(failure.count - LISTED_VALUES, 'строка')} (показаны первые)",
                        failure.action,
                        column=failure.column,
                    )
                )
    return problems
