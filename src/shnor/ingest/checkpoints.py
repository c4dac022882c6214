"""DuckDB checkpoints batched over an ingest pass: each file keeps its own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

# WAL size between checkpoints while many files load one transaction each: DuckDB's 16 MiB
# default checkpointed after nearly every file, rewriting the tables' open row groups each time
# (≈4 of 14 CPU seconds of a 300-school ingest); this bounds the WAL and the memory it holds.
LOAD_CHECKPOINT_THRESHOLD = "256MiB"


@contextmanager
def checkpoints_deferred(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Checkpoint every LOAD_CHECKPOINT_THRESHOLD of WAL instead of every 16 MiB inside the
    block, then once at its end: each commit stays durable in the WAL, so a transaction's
    all-or-nothing is unchanged; only the rewriting of the database file is batched."""
    before = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"SET checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    try:
        yield
    finally:
        con.execute(f"SET checkpoint_threshold = '{before}'")
    con.execute("CHECKPOINT")
