"""The raw-layout suites over the files loaded in this pass, in one batch per layout; a file
with a blocking failure is quarantined (its rows removed, the file on disk untouched)."""

from __future__ import annotations

from collections import defaultdict

import duckdb

from shnor.ingest.layouts import LAYOUTS
from shnor.ingest.raw_tables import delete_rows
from shnor.ingest.school_matching import update_school_code_map
from shnor.problems import Problem, record_problems
from shnor.quality.suites import (
    Failure,
    checked_value,
    failing_frame,
    failures,
    readable,
    suite_names,
)
from shnor.russian import counted

INDEX_COLUMNS = ["_source_file", "_sheet", "_row"]
# The task cells of layouts with task columns (raw.vpr_task_points): one row per cell, the task
# naming the cell's column.
TASK_SUITE = "raw_vpr_task_points"
TASK_INDEX_COLUMNS = [*INDEX_COLUMNS, "task"]
# Problems listed one by one per file, rule and column; the rest are counted in one line.
MAX_LISTED = 20


def suite_for(layout_name: str) -> str:
    """The suite of a raw layout: expectations/raw_<layout>.json, or the suite it shares."""
    layout = next((x for x in LAYOUTS if x.name == layout_name), None)
    return (layout.suite if layout else None) or f"raw_{layout_name}"


def check_files(con: duckdb.DuckDBPyConnection, sources: list[str]) -> set[str]:
    """Run each layout's suite over these files' rows; mark them loaded, or quarantine those
    failing a blocking check; record every problem. Returns the quarantined files."""
    if not sources:
        return set()
    by_layout: dict[str, list[str]] = defaultdict(list)
    rows = con.execute(
        "SELECT source_file, layouts FROM raw._files WHERE list_contains($files, source_file)",
        {"files": sources},
    ).fetchall()
    for source, layouts in rows:
        for name in filter(None, (layouts or "").split(",")):
            by_layout[name].append(source)
    problems: list[Problem] = []
    known = set(suite_names())
    update_school_code_map(con)  # repeats are sought under the school staging will count
    for layout in LAYOUTS:
        files = sorted(by_layout.get(layout.name, []))
        if files and suite_for(layout.name) not in known:
            raise RuntimeError(
                f"layout {layout.name} has no suite expectations/{suite_for(layout.name)}.json "
                "(declare it in expectations/make_suites.py with its frame in quality/frames/)"
            )
        if files:
            frame = failing_frame(con, suite_for(layout.name), {"files": files}, INDEX_COLUMNS)
            for failure in failures(frame, suite_for(layout.name), INDEX_COLUMNS):
                problems += problems_of(failure)
        if files and layout.has_tasks:
            frame = failing_frame(con, TASK_SUITE, {"files": files}, TASK_INDEX_COLUMNS)
            for failure in failures(frame, TASK_SUITE, TASK_INDEX_COLUMNS):
                problems += problems_of(failure, TASK_INDEX_COLUMNS)
    blocked = sorted({p.source_file for p in problems if p.severity == "blocking"})
    con.execute("BEGIN TRANSACTION")
    for source in blocked:
        quarantine(con, source)
    con.execute(
        "UPDATE raw._files SET status = 'loaded' "
        "WHERE list_contains($files, source_file) AND status = 'unchecked'",
        {"files": sources},
    )
    record_problems(con, problems)
    con.execute("COMMIT")
    return set(blocked)


def quarantine(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Take a file's rows out of raw.* and mark it quarantined (its problems stay)."""
    delete_rows(con, source)
    con.execute(
        "UPDATE raw._files SET status = 'quarantined', row_count = 0 WHERE source_file = ?",
        [source],
    )


def problems_of(failure: Failure, index_columns: list[str] = INDEX_COLUMNS) -> list[Problem]:
    """One problem per bad cell (at most MAX_LISTED per file), then a line counting the rest. A
    task cell's column is named with its task («Баллы за задание 2»)."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in failure.rows:
        by_file[row["_source_file"]].append(row)
    found = []
    for source, rows in sorted(by_file.items()):
        for row in rows[:MAX_LISTED]:
            found.append(
                Problem(
                    source,
                    failure.rule,
                    failure.severity,
                    failure.description,
                    failure.action,
                    sheet=readable(row.get("_sheet")) or None,
                    row=int(row["_row"]),
                    column=" ".join(filter(None, [failure.column, readable(row.get("task"))])),
                    value=checked_value(row, index_columns),
                )
            )
        if len(rows) > MAX_LISTED:
            found.append(
                Problem(
                    source,
                    failure.rule,
                    failure.severity,
                    f"{failure.description}: ещё {counted(len(rows) - MAX_LISTED, 'строка')} "
                    "с той же ошибкой (показаны первые)",
                    failure.action,
                    column=failure.column,
                )
            )
    return found
