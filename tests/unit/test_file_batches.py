"""Files loaded many to a transaction: a file that fails to insert is retried alone and
quarantined with its reason while the others of its batch load; a run killed inside a batch
loses nothing (the batch's files load next time, once)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from shnor import warehouse
from shnor.ingest import file_batches, raw_load
from shnor.stages.ingest import ingest

HEADER = "Код ОО;Класс;Предмет;Отметка;Отметка по журналу\n"
FILES = 6


def _region(root: Path) -> Path:
    """FILES ВПР files of 50 rows each under root/raw/vpr/2025/."""
    folder = root / "raw" / "vpr" / "2025"
    folder.mkdir(parents=True)
    for number in range(FILES):
        rows = [f"s{i % 10:03d};{5 + number % 3}А;Математика;{2 + i % 4};4" for i in range(50)]
        rows = [row.replace("Математика", f"Предмет {number}") for row in rows]
        (folder / f"f{number}.csv").write_text(HEADER + "\n".join(rows) + "\n", "utf-8")
    return root / "raw"


def _loaded(con: duckdb.DuckDBPyConnection) -> tuple[list, list, int]:
    files = con.execute(
        "SELECT source_file, status, row_count FROM raw._files ORDER BY 1"
    ).fetchall()
    rules = con.execute(
        "SELECT source_file, rule FROM ops.problems WHERE severity = 'blocking' ORDER BY 1"
    ).fetchall()
    rows = con.execute("SELECT count(*) FROM raw.vpr_participants").fetchall()[0][0]
    return files, rules, rows


@pytest.mark.parametrize(("rows_per_commit", "tried_again"), [(1, 1), (120, 1), (10**6, 4)])
def test_a_file_that_fails_to_insert_is_retried_alone(
    tmp_path, monkeypatch, rows_per_commit, tried_again
):
    """f3 cannot be inserted: it is quarantined with load_failed; the files before it in its
    batch (rolled back with it) and after it load, whatever the batch size."""
    raw = _region(tmp_path)
    monkeypatch.setattr(file_batches, "ROWS_PER_COMMIT", rows_per_commit)
    insert = raw_load._insert_sheet
    tries = []

    def failing(con, sheet, source, *args):
        tries.append(source)
        if source.endswith("f3.csv"):
            con.execute("SELECT error('не вставляется')")  # a DuckDB error
        return insert(con, sheet, source, *args)

    monkeypatch.setattr(raw_load, "_insert_sheet", failing)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        warehouse.prepare_connection(con, None)
        summary = ingest(con, raw)
        files, rules, rows = _loaded(con)
    names = [f"vpr/2025/f{n}.csv" for n in range(FILES)]
    assert files == [(n, "quarantined" if n.endswith("f3.csv") else "loaded",
                      0 if n.endswith("f3.csv") else 50) for n in names]  # fmt: skip
    assert rules == [("vpr/2025/f3.csv", "load_failed")]
    assert rows == 50 * (FILES - 1)
    assert summary.quarantined == ["vpr/2025/f3.csv"]
    assert sorted(summary.loaded) == [n for n in names if not n.endswith("f3.csv")]
    # f3 first in its batch: only f3 again; after f0–f2 in its batch: those again, then f3
    assert tries.count("vpr/2025/f3.csv") == 2 and len(set(tries)) == FILES
    assert len(tries) == FILES + tried_again


def test_files_share_a_transaction_until_the_rows_per_commit(tmp_path, monkeypatch):
    """Three files of 50 rows to a commit of 120: six files, two commits."""
    raw = _region(tmp_path)
    monkeypatch.setattr(file_batches, "ROWS_PER_COMMIT", 120)
    commits = []
    commit = file_batches.FileBatches.commit

    def counted(self):
        commits.append(self.rows)
        commit(self)

    monkeypatch.setattr(file_batches.FileBatches, "commit", counted)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        warehouse.prepare_connection(con, None)
        ingest(con, raw)
    assert commits == [150, 150, 0]  # the last at the end of the pass, nothing left open


def test_a_run_killed_inside_a_batch_loses_nothing(tmp_path):
    """Killed while inserting the fifth file with two files to a commit: the first two
    batches are in, the third is not; the next run loads what is missing, once."""
    raw = _region(tmp_path)
    path = tmp_path / "w.duckdb"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from shnor import warehouse
        from shnor.ingest import file_batches, raw_load
        from shnor.stages.ingest import ingest
        file_batches.ROWS_PER_COMMIT = 100
        insert = raw_load._insert_sheet
        def killing(con, sheet, source, *args):
            if source.endswith("f4.csv"):
                os._exit(9)
            return insert(con, sheet, source, *args)
        raw_load._insert_sheet = killing
        with warehouse.connect(Path({str(path)!r})) as con:
            warehouse.prepare_connection(con, None)
            ingest(con, Path({str(raw)!r}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == 9
    with warehouse.connect(path) as con:
        kept = con.execute("SELECT source_file FROM raw._files ORDER BY 1").fetchall()
        assert [k[0] for k in kept] == [f"vpr/2025/f{n}.csv" for n in range(4)]
        warehouse.prepare_connection(con, None)
        ingest(con, raw)
        files, rules, rows = _loaded(con)
    assert files == [(f"vpr/2025/f{n}.csv", "loaded", 50) for n in range(FILES)]
    assert rules == [] and rows == 50 * FILES
