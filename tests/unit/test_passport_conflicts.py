"""Two social-passport files giving a school-year different values (issue 18): neither counts
for it, whatever the files' names or the order they arrived in, until an analyst names the
authoritative file in reference/authoritative_files.csv; the same values count once; the files'
other schools load; run after run equals a cold build."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import (
    CONFLICT_ORDERS,
    built_after_steps,
    conflict_cases,
    conflict_names,
    files_not_loaded,
    name_authoritative_files,
    problems_of_rule,
    results_in_fresh_warehouses,
)

HEADER = "Код ОО;Доля малообеспеченных семей;Доля неполных семей;Численность обучающихся\n"
ORIGINAL = ["s1;12;20;400", "s2;5;10;300", "s3;7;15;250"]
RESENT = ["s1;18;25;410", "s2;5;10;300", "s4;9;11;200"]


def _place(raw: Path, name: str, rows: list[str]) -> None:
    path = raw / "context" / "2025" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")


def _facts(con) -> dict[str, list]:
    return {
        "components": con.execute(
            "SELECT school_id, exam_year, component, share, scale "
            "FROM staging.stg_context__components ORDER BY ALL"
        ).fetchall(),
        "schools": con.execute(
            "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools "
            "ORDER BY ALL"
        ).fetchall(),
    }


def _run(con, raw: Path, steps: list[dict[str, list[str]]]) -> dict[str, list]:
    built_after_steps(con, raw, steps, _place)
    return _facts(con)


@pytest.mark.parametrize("order", CONFLICT_ORDERS)
def test_neither_file_counts_for_a_conflicting_school_year_whatever_the_names(tmp_path, con, order):
    names = conflict_names(order, ".csv")
    found = _run(con, tmp_path / "raw", [dict(zip(names, (ORIGINAL, RESENT), strict=True))])
    assert files_not_loaded(con) == 0
    pupils = {school: n for school, _, n in found["schools"]}
    assert pupils == {"s2": 300, "s3": 250, "s4": 200}
    assert {row[0] for row in found["components"]} == {"s2", "s3", "s4"}
    assert sum(1 for row in found["components"] if row[0] == "s2") == 2  # given twice: once
    conflicts = problems_of_rule(con, "passport_conflict")
    assert [(c[0], c[2]) for c in conflicts] == [
        ("context/2025/a.csv", "context/2025/b.csv"),
        ("context/2025/b.csv", "context/2025/a.csv"),
    ]
    assert all(c[1] == "blocking" and "ни из одного файла" in c[3] for c in conflicts)


def test_names_swapped_run_after_run_and_cold_give_the_same_context(tmp_path):
    results = results_in_fresh_warehouses(tmp_path, conflict_cases(ORIGINAL, RESENT, ".csv"), _run)
    first = next(iter(results.values()))
    assert first["components"] and first["schools"]
    for case, found in results.items():
        assert found == first, case


def test_the_analyst_names_the_authoritative_file(tmp_path, con):
    name_authoritative_files(
        con, tmp_path, "context/2025/b.csv,2025,,Иванова И. И.,уточнённый паспорт\n"
    )
    found = _run(con, tmp_path / "raw", [{"a.csv": ORIGINAL, "b.csv": RESENT}])
    assert {school: n for school, _, n in found["schools"]}["s1"] == 410
    assert problems_of_rule(con, "passport_conflict") == []
