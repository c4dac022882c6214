"""The raw checks' participant repeats on a large synthetic table: the macro participant_repeats
(rows grouped by a hash of their key; only rows of a repeated hash compared on the key itself)
against the SQL the two frames held before (group, semi-join, then a self-join on six columns),
on the same rows, with the same answer.

    .venv/bin/python benchmarks/participant_repeats.py [--rows 30000000]

Prints wall and CPU seconds of each (best of two, the table already in memory); the figures go
by hand into the notes of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time
from importlib import resources

import duckdb

# ВПР participant rows: 200 files, ~1 in 1000 rows a participant given again in its file, a few
# rows without a participant code.
CANDIDATES = """
CREATE TABLE candidates AS
SELECT
    'vpr/2025/file' || (i % 200) || '.csv' AS _source_file,
    NULL::VARCHAR AS _sheet,  -- CSV files: no sheet
    i // 200 AS _row,
    2025 AS exam_year,
    'sch' || ((j // 200) % 40000) AS school_id,
    (5 + (j % 4))::VARCHAR AS grade,
    ['математика', 'русский язык', 'история', 'биология'][1 + (j // 7) % 4] AS subject_key,
    CASE WHEN j % 5000 <> 1 THEN 'p' || (j // 200) END AS participant_key
-- (row i repeats the participant of the file's previous row where i % 997 = 0)
FROM (SELECT i, CASE WHEN i % 997 = 0 AND i >= 200 THEN i - 200 ELSE i END AS j
      FROM range($rows) AS t(i))
"""

BEFORE = """
WITH repeated_participants AS (
    SELECT _source_file, exam_year, school_id, grade, subject_key, participant_key
    FROM candidates
    WHERE participant_key IS NOT NULL
    GROUP BY ALL
    HAVING count(*) > 1
),
repeated_rows AS (
    SELECT c.*
    FROM candidates AS c
    SEMI JOIN repeated_participants AS p
        USING (_source_file, exam_year, school_id, grade, subject_key, participant_key)
)
SELECT r._source_file, r._row, min(o._row) AS first_row
FROM repeated_rows AS r
JOIN repeated_rows AS o
    ON o._source_file = r._source_file
    AND o.exam_year IS NOT DISTINCT FROM r.exam_year
    AND o.school_id IS NOT DISTINCT FROM r.school_id
    AND o.grade IS NOT DISTINCT FROM r.grade
    AND o.subject_key IS NOT DISTINCT FROM r.subject_key
    AND o.participant_key IS NOT DISTINCT FROM r.participant_key
WHERE o._row < r._row
GROUP BY r._source_file, r._row
"""

AFTER = """
SELECT _source_file, _row, first_row FROM participant_repeats('candidates')
"""


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[str, list]:
    """Best of two runs: wall and CPU seconds (all threads: fairer on a shared machine), and the
    repeats found (sorted)."""
    seconds = []
    for _ in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        found = con.execute(f"SELECT * FROM ({sql}) ORDER BY ALL").fetchall()
        seconds.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = min(seconds)
    return f"{wall:.2f} s wall, {cpu:.2f} s CPU", found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=30_000_000)
    rows = parser.parse_args().rows
    con = duckdb.connect()
    con.execute(resources.files("shnor.sql").joinpath("macros.sql").read_text("utf-8"))
    started = time.perf_counter()
    con.execute(CANDIDATES.replace("$rows", str(rows)))
    print(f"{rows:,} rows made in {time.perf_counter() - started:.1f} s")
    before, found_before = timed(con, BEFORE)
    after, found_after = timed(con, AFTER)
    assert found_before == found_after and found_after, "the two give other repeats"
    print(f"repeats: {len(found_after):,}; before {before}; after {after}")


if __name__ == "__main__":
    main()
