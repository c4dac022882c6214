"""Checkpoints deferred while files load: the WAL is not written into the database file after
every commit, each commit stays durable, and the block ends checkpointed with the setting back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from shnor.ingest.checkpoints import checkpoints_deferred

COMMITS = 10  # ≈2.8 MB of WAL each: DuckDB's 16 MiB default checkpoints within them


def _wal_bytes(path: Path) -> int:
    wal = Path(f"{path}.wal")
    return wal.stat().st_size if wal.exists() else 0


def _commit_rows(con: duckdb.DuckDBPyConnection, start: int) -> None:
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO t SELECT range, 'школа ' || range FROM range(?, ? + 100000)",
                [start, start])  # fmt: skip
    con.execute("COMMIT")


def test_commits_stay_in_the_wal_until_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (i BIGINT, s VARCHAR)")
    default = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    sizes = []
    with checkpoints_deferred(con):
        for number in range(COMMITS):
            _commit_rows(con, number * 100000)
            sizes.append(_wal_bytes(path))
    assert sizes == sorted(sizes) and sizes[-1] > 16 * 2**20  # never checkpointed per commit
    assert _wal_bytes(path) == 0  # one checkpoint at the end
    assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0] == default
    assert con.execute("SELECT count(*), count(DISTINCT i) FROM t").fetchall() == [
        (COMMITS * 100000, COMMITS * 100000)
    ]
    con.close()


def test_the_default_checkpoints_within_the_same_commits(tmp_path: Path) -> None:
    """The contrast: without the block the WAL is emptied on the way (what cost the time)."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (i BIGINT, s VARCHAR)")
    sizes = []
    for number in range(COMMITS):
        _commit_rows(con, number * 100000)
        sizes.append(_wal_bytes(path))
    assert sizes != sorted(sizes)
    con.close()


def test_a_commit_in_the_block_survives_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    script = f"""
import os, duckdb
from shnor.ingest.checkpoints import checkpoints_deferred
con = duckdb.connect({str(path)!r})
con.execute("CREATE TABLE t (i BIGINT)")
with checkpoints_deferred(con):
    con.execute("BEGIN TRANSACTION"); con.execute("INSERT INTO t SELECT range FROM range(1000)")
    con.execute("COMMIT")
    con.execute("BEGIN TRANSACTION"); con.execute("INSERT INTO t SELECT range FROM range(5)")
    os._exit(9)  # killed inside a file's transaction: that file is not loaded, the one before is
"""
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == 9
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(1000,)]
    con.close()


def test_an_error_in_the_block_restores_the_setting(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    default = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0]
    try:
        with checkpoints_deferred(con):
            raise RuntimeError("a file's reader failed")
    except RuntimeError:
        pass
    assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()[0][0] == default
    con.close()
