"""Raw checks pick the rows that can fail in the warehouse; the memory settings reach DuckDB."""

from __future__ import annotations

from shnor import warehouse
from shnor.ingest.raw_checks import INDEX_COLUMNS
from shnor.quality.suites import failing_frame, failing_rows_sql, suite_names
from shnor.stages.ingest import ingest

HEADER = "Код ОО;Класс;Предмет;Отметка;Отметка по журналу\n"


def test_only_rows_that_can_fail_reach_the_suite(tmp_path):
    """Of 1,000 rows two have a journal mark that is wrong (a warning: the file stays loaded):
    the frame the suite validates holds those two, in file order, and both are reported."""
    rows = [f"s{i % 40:03d};5А;Математика;{2 + i % 4};{2 + i % 4}" for i in range(1000)]
    rows[700] = "s001;5А;Математика;4;9"
    rows[300] = "s002;5А;Математика;4;пять"
    path = tmp_path / "raw" / "vpr" / "2025" / "vpr.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, None)
        ingest(con, tmp_path / "raw")
        frame = failing_frame(
            con, "raw_vpr_participants", {"files": ["vpr/2025/vpr.csv"]}, INDEX_COLUMNS
        )
        assert frame["_row"].tolist() == [302, 702]  # header on line 1
        found = con.execute(
            "SELECT rule, \"row\" FROM ops.problems WHERE severity = 'warning' ORDER BY 2"
        ).fetchall()
    assert [row for _, row in found] == [302, 702]


def test_a_suite_with_a_whole_table_expectation_is_validated_whole(tmp_path, monkeypatch):
    """A row count is not judged by rows: no filter, the whole frame. A key's uniqueness is
    (rows whose key repeats), so every kept suite, raw or mart, has its filter."""
    import json
    import shutil

    from shnor.quality.suites import expectations_dir, suite_json

    assert all(failing_rows_sql(n) for n in suite_names())
    strict = tmp_path / "expectations"
    shutil.copytree(expectations_dir(), strict)
    suite = suite_json("marts.dim_schools")
    suite["expectations"].append(
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}
    )
    (strict / "marts.dim_schools.json").write_text(json.dumps(suite), "utf-8")
    monkeypatch.setenv("SHNOR_EXPECTATIONS", str(strict))
    assert failing_rows_sql("marts.dim_schools") is None
    with warehouse.connect(":memory:") as con:
        con.execute(
            "CREATE TABLE marts.dim_schools AS SELECT 's' || range AS school_id, "
            "'urban' AS settlement_type FROM range(10)"
        )
        assert len(failing_frame(con, "marts.dim_schools")) == 10


def test_resource_settings_reach_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("SHNOR_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("SHNOR_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.setenv("SHNOR_THREADS", "1")
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        limit, temp, threads = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('threads')"
        ).fetchall()[0]
    assert limit == "953.6 MiB"  # 1 GB in DuckDB's units
    assert temp == str(tmp_path / "spill")
    assert threads == 1


def test_the_warehouse_draws_no_progress_bar_of_its_own(tmp_path):
    """shnor's console shows its own progress; DuckDB's bar (stdout, queries over 2 s) is off."""
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
