"""Two ФИС ОКО questionnaire files giving a school-year different answers (issue 18): both
files load, neither counts for that school-year, whatever the files' names or the order they
arrived in, until an analyst names the authoritative file in reference/authoritative_files.csv;
each file's repeated school is reported with its reason; the same answers count once; the files'
other schools load; run after run equals a cold build."""

from __future__ import annotations

from dataclasses import replace
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
from context_inputs import School, plant_schools, write_questionnaire

YEAR = 2025
SCHOOLS = plant_schools(4)
# Resent: the first school with other teachers and transport, the second the same, a fourth new.
CHANGED = replace(
    SCHOOLS[0],
    top_category=SCHOOLS[0].teachers - SCHOOLS[0].top_category,
    has_transport=not SCHOOLS[0].has_transport,
    pupils=[n // 2 for n in SCHOOLS[0].pupils],
)
ORIGINAL = SCHOOLS[:3]
RESENT = [CHANGED, SCHOOLS[1], SCHOOLS[3]]


def _place(raw: Path, name: str, schools: list[School]) -> None:
    write_questionnaire(raw / "context" / str(YEAR) / name, schools, YEAR)


def _facts(con) -> dict[str, list]:
    return {
        "components": con.execute(
            "SELECT school_id, exam_year, component, share "
            "FROM staging.stg_context__questionnaire_components ORDER BY ALL"
        ).fetchall(),
        "schools": con.execute(
            "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools "
            "ORDER BY ALL"
        ).fetchall(),
    }


def _run(con, raw: Path, steps: list[dict[str, list[School]]]) -> dict[str, list]:
    built_after_steps(con, raw, steps, _place)
    return _facts(con)


@pytest.mark.parametrize("order", CONFLICT_ORDERS)
def test_neither_file_counts_for_a_conflicting_school_year_whatever_the_names(tmp_path, con, order):
    names = conflict_names(order, ".xlsx")
    found = _run(con, tmp_path / "raw", [dict(zip(names, (ORIGINAL, RESENT), strict=True))])
    assert files_not_loaded(con) == 0  # both files load
    first, second, third, fourth = (school.login for school in SCHOOLS)
    pupils = {school: n for school, _, n in found["schools"]}
    assert pupils == {s.login: s.student_count for s in SCHOOLS[1:]}
    assert {row[0] for row in found["components"]} == {second, third, fourth}
    # the second school, given twice with the same answers, counts once
    shares = {(school, component): share for school, _, component, share in found["components"]}
    top = shares[(second, "top_category_teacher_share")]
    assert top == pytest.approx(SCHOOLS[1].top_category / SCHOOLS[1].teachers)
    # each file's repeated school is reported, naming the other file, with its row
    conflicts = con.execute(
        "SELECT source_file, severity, value, row, message FROM ops.problems "
        "WHERE rule = 'questionnaire_conflict' ORDER BY ALL"
    ).fetchall()
    a, b = f"context/{YEAR}/a.xlsx", f"context/{YEAR}/b.xlsx"
    assert [(c[0], c[1], c[2], c[3]) for c in conflicts] == [
        (a, "blocking", b, 4),
        (b, "blocking", a, 4),
    ]
    assert all(first in c[4] and "ни из одного файла" in c[4] for c in conflicts)


def test_names_swapped_run_after_run_and_cold_give_the_same_context(tmp_path):
    results = results_in_fresh_warehouses(tmp_path, conflict_cases(ORIGINAL, RESENT, ".xlsx"), _run)
    first = next(iter(results.values()))
    assert first["components"] and first["schools"]
    for case, found in results.items():
        assert found == first, case


def test_the_same_questionnaire_in_a_second_file_counts_once(tmp_path, con):
    found = _run(con, tmp_path / "raw", [{"a.xlsx": ORIGINAL}, {"b.xlsx": ORIGINAL[:1]}])
    assert files_not_loaded(con) == 0
    assert problems_of_rule(con, "questionnaire_conflict") == []
    alone = _run(con, tmp_path / "alone", [{"a.xlsx": ORIGINAL}])
    assert found == alone


def test_the_analyst_names_the_authoritative_file(tmp_path, con):
    name_authoritative_files(
        con, tmp_path, f"context/{YEAR}/b.xlsx,{YEAR},,Иванова И. И.,уточнённая анкета\n"
    )
    found = _run(con, tmp_path / "raw", [{"a.xlsx": ORIGINAL, "b.xlsx": RESENT}])
    pupils = {school: n for school, _, n in found["schools"]}
    assert pupils[CHANGED.login] == CHANGED.student_count < SCHOOLS[0].student_count
    shares = {(school, component): share for school, _, component, share in found["components"]}
    assert shares[(CHANGED.login, "top_category_teacher_share")] == pytest.approx(
        CHANGED.top_category / CHANGED.teachers
    )
    assert problems_of_rule(con, "questionnaire_conflict") == []
