"""What the hand-written regional files (tests/hand_files.py, fisoko_files.py, rcoi_files.py)
share: the record of a file and its hand count, the workbook builder and saver, and the two
checks every region of them passes after ingest — nothing quarantined, every input row in a raw
table or reported (importable as `hand_written`: pytest puts tests/ on the path)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from builders import build_models, fetch, fresh_warehouse
from openpyxl import Workbook

from shnor.ingest.raw_load import ingest_raw


@dataclass
class HandWrittenFile:
    """A file as placed under raw/, and what it holds by hand count."""

    relative: str  # path under raw/
    raw_table: str  # the raw table its rows go to
    loaded_rows: int  # rows in the raw table (absentees, aggregates of a summary too)
    total_rows: int = 0  # rows left out as totals, subtotals or means (reported as total_row)
    # sheets left out (reported as sheet_skipped) → a word their note must hold
    skipped_sheets: dict[str, str] = field(default_factory=dict)
    # school results by hand count, keyed and counted as each module says
    results: dict[tuple, tuple[int, ...]] = field(default_factory=dict)


def workbook(rows: list[list], title: str = "Лист1") -> Workbook:
    """A workbook of one sheet holding the rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return book


def save(book: Workbook, raw: Path, relative: str) -> None:
    """The workbook at raw/relative, its folders made."""
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


@contextmanager
def ingested_and_built(raw: Path, reference: Path | None = None) -> Iterator[tuple]:
    """The hand files under `raw` ingested into an in-memory warehouse and every model built:
    (connection, ingest summary)."""
    with fresh_warehouse(reference) as con:
        summary = ingest_raw(con, raw, reference)
        build_models(con, reference=reference)
        yield con, summary


def assert_nothing_quarantined(con: duckdb.DuckDBPyConnection, files, summary) -> None:
    """Every file loaded, none quarantined, no blocking problem."""
    assert summary.quarantined == []
    assert sorted(summary.loaded) == sorted(f.relative for f in files)
    assert fetch(con, "SELECT * FROM ops.problems WHERE severity = 'blocking'") == []


def assert_every_row_loaded_or_reported(
    con: duckdb.DuckDBPyConnection, files: list[HandWrittenFile]
) -> None:
    """Each file's rows in its own raw table and no other, its totals reported as total_row,
    its skipped sheets — and no other — reported as sheet_skipped, each note saying why."""
    # every raw table of the files' rows; raw.vpr_task_points holds a participant row's tasks,
    # one row per task, not input rows
    raw_tables = [
        table
        for (table,) in fetch(
            con,
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND column_name = '_source_file' "
            "AND table_name <> 'vpr_task_points' ORDER BY 1",
        )
    ]
    for file in files:
        assert file.raw_table in raw_tables, file.relative
        loaded = {
            table: count
            for table in raw_tables
            for ((count,),) in [
                fetch(
                    con,
                    f"SELECT count(*) FROM raw.{table} WHERE _source_file = ?",
                    file.relative,
                )
            ]
            if count
        }
        totals = fetch(
            con,
            "SELECT count(*) FROM ops.problems WHERE source_file = ? AND rule = 'total_row'",
            file.relative,
        )[0][0]
        assert (loaded, totals) == (
            {file.raw_table: file.loaded_rows},
            file.total_rows,
        ), file.relative
        skipped = fetch(
            con,
            "SELECT sheet, message FROM ops.problems WHERE source_file = ? "
            "AND rule = 'sheet_skipped' ORDER BY sheet",
            file.relative,
        )
        assert [sheet for sheet, _ in skipped] == sorted(file.skipped_sheets), file.relative
        for sheet, message in skipped:
            assert file.skipped_sheets[sheet] in message, (file.relative, sheet, message)
