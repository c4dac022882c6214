"""The raw layer's tables: one per layout (all text, with provenance), the ВПР task points and
the file registry raw._files."""

from __future__ import annotations

import duckdb

from shnor.ingest.layouts import LAYOUTS
from shnor.problems import ensure_problems_table

PROVENANCE = ("_source_file", "_sheet", "_row", "_file_checksum", "_loaded_at")
FILE_COLUMNS = {
    "source_file": "VARCHAR",
    "checksum": "VARCHAR",
    "size_bytes": "BIGINT",
    "folder": "VARCHAR",
    "folder_year": "INTEGER",
    "status": "VARCHAR",
    "layouts": "VARCHAR",
    "row_count": "BIGINT",
    "encoding": "VARCHAR",
    "loaded_at": "TIMESTAMP",
    "reading_fingerprint": "VARCHAR",
}
# ВПР task points in long form (one row per participant row × task column with a value).
TASK_POINT_COLUMNS = {"task": "VARCHAR", "points": "VARCHAR", "max_points": "VARCHAR"}


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create raw.* (one table per layout, all text) and the file registry, adding new columns;
    and ops.problems, where the problems found in them are kept."""
    ensure_problems_table(con)
    tables = {"_files": FILE_COLUMNS}
    types = {"_row": "BIGINT", "_loaded_at": "TIMESTAMP"}
    for layout in LAYOUTS:
        columns = [*layout.columns, *PROVENANCE]
        # layouts landing in the same raw table (a ФИС ОКО export in raw.vpr_participants) add
        # their columns to it
        known = tables.setdefault(layout.raw_table, {})
        known |= {c: types.get(c, "VARCHAR") for c in columns if c not in known}
    tables["vpr_task_points"] = TASK_POINT_COLUMNS | {
        c: types.get(c, "VARCHAR") for c in PROVENANCE
    }
    for table, columns in tables.items():
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{table} ({ddl})")
        existing = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = ?",
                [table],
            ).fetchall()
        }
        for name, kind in columns.items():
            if name not in existing:  # a warehouse made by an earlier version gains the column
                con.execute(f'ALTER TABLE raw.{table} ADD COLUMN "{name}" {kind}')


def delete_rows(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Delete a file's rows from every raw table a file can write (the layout tables and the
    ВПР task points)."""
    for table in sorted({layout.raw_table for layout in LAYOUTS} | {"vpr_task_points"}):
        con.execute(f"DELETE FROM raw.{table} WHERE _source_file = ?", [source])
