"""The ref.* tables are loaded once per version of the reference files: a stage's connection to
a warehouse loaded from the same files does not load them again, and any change of the files
(or a missing table) loads them anew."""

from __future__ import annotations

import duckdb

from shnor import warehouse


def _minimum(con: duckdb.DuckDBPyConnection, year: int) -> list[tuple]:
    return con.execute(
        "SELECT min_test_score FROM ref.ege_min_scores WHERE exam_year = ? AND subject = 'russian'",
        [year],
    ).fetchall()


def test_reference_tables_are_loaded_again_only_when_their_files_change(tmp_path):
    path, reference = tmp_path / "shnor.duckdb", tmp_path / "reference"
    reference.mkdir()
    with warehouse.connect(path) as con:
        warehouse.prepare_connection(con, reference)
        assert _minimum(con, 2019) == [(24,)]
        # a mark only a load would wipe out: the next connection with the same files keeps it
        con.execute("UPDATE ref.ege_min_scores SET min_test_score = 99 WHERE exam_year = 2019")
    with warehouse.connect(path) as con:
        warehouse.prepare_connection(con, reference)
        assert _minimum(con, 2019) == [(99,)]
    # the region's own file changes: loaded again, the region's row replacing the packaged one
    (reference / "ege_min_scores.csv").write_text(
        "exam_year,subject,min_test_score\n2019,russian,30\n", encoding="utf-8"
    )
    with warehouse.connect(path) as con:
        warehouse.prepare_connection(con, reference)
        assert _minimum(con, 2019) == [(30,)]
        con.execute("UPDATE ref.ege_min_scores SET min_test_score = 99 WHERE exam_year = 2019")
    # its file removed: the packaged rows again
    (reference / "ege_min_scores.csv").unlink()
    with warehouse.connect(path) as con:
        warehouse.prepare_connection(con, reference)
        assert _minimum(con, 2019) == [(24,)]
        con.execute("DROP TABLE ref.subjects")
    # a table gone (the same files): loaded again
    with warehouse.connect(path) as con:
        warehouse.prepare_connection(con, reference)
        assert con.execute("SELECT count(*) FROM ref.subjects").fetchall()[0][0] > 10
