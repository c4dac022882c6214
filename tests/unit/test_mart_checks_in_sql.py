"""The mart suites pick the rows that can fail in the warehouse: over tables of good and bad
rows the problems are those of Great Expectations over the whole table, in the same order; a
clean pass hands GX nothing and does not import it."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import textwrap

import duckdb
import pandas as pd
import pytest

from shnor.publish import published_tables
from shnor.quality import mart_checks
from shnor.quality.mart_checks import check_marts
from shnor.quality.suites import check_sql, failing_frame, suite_json

SUITES = sorted(published_tables())
ROWS = 400
BAD = 0.01  # the chance of a bad cell; a row repeats an earlier row's key as often
# What a frame's SQL reads from other tables (marts.fct_school_procedure_results: enrolment).
JOINED = {"staging.stg_context__schools": {"school_id": "VARCHAR", "exam_year": "INTEGER",
                                           "student_count": "INTEGER"}}  # fmt: skip
EXTRA = {"marts.dim_schools": {"student_count": "INTEGER"}}


def _rules(name: str) -> list[tuple[str, dict]]:
    """The suite's expectations (type, kwargs); none for a table without a suite."""
    if name not in SUITES:
        return []
    return [(e["type"], e["kwargs"]) for e in suite_json(name)["expectations"]]


def _columns(name: str) -> dict[str, str]:
    """Each column a suite names (not those its frame computes), typed as its rules need."""
    typed: dict[str, str] = {}
    for kind, kwargs in _rules(name):
        for column in kwargs.get("column_list", []):
            typed.setdefault(column, "INTEGER" if column.endswith("year") else "VARCHAR")
        if kind == "expect_column_values_to_be_between" or "column_A" in kwargs:
            for column in (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")):
                if column:
                    typed[column] = random.choice(["DOUBLE", "INTEGER"])
        elif "column" in kwargs:
            typed.setdefault(kwargs["column"], "VARCHAR")
    computed = set(re.findall(r"\bAS (\w+),?\s*$", check_sql(name) or "", re.M))
    return {c: t for c, t in typed.items() if c not in computed} | EXTRA.get(name, {})


def _good(name: str, column: str, kind: str, key: int) -> object:
    """A value every rule of the suite accepts: keys unique, numbers 1 or the range's low end
    (so that pairs hold), the first value of a set."""
    bounds = [k for t, k in _rules(name) if k.get("column") == column]
    sets = [k["value_set"] for k in bounds if "value_set" in k]
    if sets:
        return sets[0][0]
    if kind == "VARCHAR":
        return f"k{key}"
    if column.endswith("year"):
        return 2025
    if column == "student_count":
        return 1000
    low = max([k["min_value"] for k in bounds if "min_value" in k], default=1)
    return (
        1
        if low <= 1 <= min([k["max_value"] for k in bounds if "max_value" in k], default=1)
        else low
    )


def _bad(name: str, column: str, kind: str) -> object:
    """A value some rule may refuse: missing, NaN, outside any range, not in a set, zero."""
    if kind == "VARCHAR":
        return random.choice([None, "неизвестно"])
    pool = [None, -1, 0, 12, 101, -101, 1000]
    return random.choice(pool + ([float("nan"), 1.5, -0.5] if kind == "DOUBLE" else []))


def _warehouse(seed: int) -> duckdb.DuckDBPyConnection:
    """Every published table (and what its frame reads) with ROWS rows, a few of them bad:
    a cell refused by a rule, or a row repeating an earlier row's key."""
    random.seed(seed)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA reports; CREATE SCHEMA staging")
    tables = {name: _columns(name) for name in SUITES} | JOINED
    for table, columns in tables.items():
        body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        con.execute(f"CREATE TABLE {table} ({body})")
        rows: list[list] = []
        for number in range(ROWS):
            if rows and random.random() < BAD:
                rows.append(list(random.choice(rows)))
                continue
            rows.append([
                _bad(table, c, t) if random.random() < BAD else _good(table, c, t, number)
                for c, t in columns.items()
            ])  # fmt: skip
        frame = pd.DataFrame(rows, columns=list(columns), dtype=object)  # noqa: F841
        con.execute(f"INSERT INTO {table} SELECT * FROM frame")
    return con


def _whole_frame(con: duckdb.DuckDBPyConnection, name: str, *_args) -> pd.DataFrame:
    """The frame as the mart check read it before: the whole table (or its frame's SQL)."""
    sql = check_sql(name)
    if sql is None:
        return con.execute(f"SELECT * FROM {name}").df()
    return con.sql(sql).to_arrow_table().to_pandas()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_problems_are_those_of_gx_over_the_whole_table(seed, monkeypatch):
    con = _warehouse(seed)
    for _ in range(30):  # one key 31 times: 20 listed, the rest counted
        con.execute("INSERT INTO marts.dim_schools SELECT * FROM marts.dim_schools LIMIT 1")
    found = check_marts(con, SUITES)
    monkeypatch.setattr(mart_checks, "failing_frame", _whole_frame)
    assert found == check_marts(con, SUITES)
    # every suite found something, listed and counted (more than the listed 20 somewhere)
    assert {p.source_file for p in found} == {mart_checks.mart_source(t) for t in SUITES}
    assert {"key_not_unique", "key_missing"} <= {p.rule for p in found}
    assert any(p.rule == "key_not_unique" and "ещё" in p.message for p in found)
    # and only rows that can fail were fetched
    for name in SUITES:
        assert 0 < len(failing_frame(con, name)) < len(_whole_frame(con, name))


def test_one_planted_bad_row_is_the_only_row_fetched_and_reported():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.fct_school_flags AS SELECT 's' || range AS school_id, "
        "2025 AS exam_year, 0.5 AS low_probability, 0.1 AS stable_low_probability, "
        "0.2 AS next_low_probability, 'reference' AS preset, '[]' AS reasons FROM range(5000)"
    )
    assert check_marts(con, ["marts.fct_school_flags"]) == []
    con.execute("UPDATE marts.fct_school_flags SET school_id = 's7' WHERE school_id = 's4000'")
    con.execute("UPDATE marts.fct_school_flags SET low_probability = 1.5 WHERE school_id = 's9'")
    frame = failing_frame(con, "marts.fct_school_flags")
    assert sorted(frame["school_id"]) == ["s7", "s7", "s9"]
    found = [
        (p.rule, p.severity, p.message, p.value)
        for p in check_marts(con, ["marts.fct_school_flags"])
    ]
    key = "ключ school_id, exam_year в marts.fct_school_flags повторяется"
    assert found == [
        ("key_not_unique", "blocking", key, "{'school_id': 's7', 'exam_year': 2025}"),
        ("key_not_unique", "blocking", key, "{'school_id': 's7', 'exam_year': 2025}"),
        ("value_out_of_range", "blocking", "low_probability в marts.fct_school_flags вне [0, 1]",
         "1.5"),
    ]  # fmt: skip


def test_a_clean_pass_does_not_import_great_expectations():
    code = textwrap.dedent(
        """
        import sys, duckdb
        from shnor.quality.mart_checks import check_marts
        con = duckdb.connect()
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.dim_schools AS SELECT 's' || range AS school_id, "
                    "'urban' AS settlement_type FROM range(1000)")
        assert check_marts(con, ["marts.dim_schools"]) == []
        print("great_expectations" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
