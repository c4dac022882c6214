"""DuckDB on one thread while files are inserted: each file's rows are a small Arrow table, and
two threads insert it as two ordered batches that are then merged, twice the CPU for no gain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block's statements on one DuckDB thread, then give the setting back (the raw
    checks and the build after it use every thread)."""
    before = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(before)}")
