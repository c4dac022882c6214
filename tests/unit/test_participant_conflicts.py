"""Two participant files giving the same school-procedure (ВПР: school × year × class ×
subject; ОГЭ/ЕГЭ/mock: school × year × exam × class × subject × stage) with different rows
(issue 18): neither counts for it, whatever the files' names or the order they arrived in, until
an analyst names the authoritative file in reference/authoritative_files.csv; the same rows in
another file count once; the files' other rows load; run after run equals a cold build."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import (
    CONFLICT_ORDERS,
    build_models,
    conflict_cases,
    conflict_names,
    files_not_loaded,
    fresh_warehouse,
    name_authoritative_files,
    problems_of_rule,
    results_in_fresh_warehouses,
)

from shnor.incremental import changes_since_last_build
from shnor.ingest.raw_load import ingest_raw
from shnor.presets import load_preset
from shnor.school_identity import map_schools
from shnor.stages.build import build, sql_parameters
from shnor.stages.ingest import map_subjects

VPR_HEADER = "Код ОО;Класс;Предмет;Код участника;Отметка;Первичный балл;1;2;3\n"
EXAM_HEADER = "Код ОУ;Код МСУ;Предмет;Код участника;Первичный балл;Оценка;Этап\n"

# The original files and a resubmission: s1's 5А mathematics (ВПР) and s1's ОГЭ/mock
# mathematics given with other numbers, s1's 5А Russian the same, each with a school of its own
# (every school is in both files' ВПР, so that a build after the second file is incremental).
ORIGINAL = {
    "vpr/2025": [
        "s1;5А;Математика;p1;4;10;1;1;1",
        "s1;5А;Математика;p2;2;3;0;1;0",
        "s1;5А;Русский язык;p1;3;8;1;0;1",
        "s1;5А;Русский язык;p2;2;2;0;0;1",
        "s2;5А;Математика;q1;5;12;1;1;1",
        "s3;5Б;Русский язык;r5;4;9;1;1;0",
    ],
    "oge/2025": [
        "s1;01;Математика;o1;15;4;основной",
        "s1;01;Математика;o2;5;2;основной",
        "s1;01;Русский язык;o1;30;5;основной",
        "s2;01;Математика;o9;20;5;основной",
    ],
    "mock/2025": [
        "s1;01;Математика;m1;15;4;основной",
        "s2;01;Математика;m9;20;5;основной",
    ],
}
RESENT = {
    "vpr/2025": [
        "s1;5А;Математика;p1;5;12;1;1;1",
        "s1;5А;Математика;p2;3;6;1;1;0",
        "s1;5А;Русский язык;p1;3;8;1;0;1",
        "s1;5А;Русский язык;p2;2;2;0;0;1",
        "s3;5А;Математика;r1;2;2;0;0;1",
        "s2;5Б;Русский язык;q5;4;9;1;1;0",
    ],
    "oge/2025": [
        "s1;01;Математика;o1;9;3;основной",
        "s1;01;Математика;o2;5;2;основной",
        "s1;01;Русский язык;o1;30;5;основной",
        "s3;01;Математика;o7;3;2;основной",
    ],
    "mock/2025": [
        "s1;01;Математика;m1;8;3;основной",
        "s3;01;Математика;m7;3;2;основной",
    ],
}
TABLES = (
    "marts.fct_school_procedure_results",
    "marts.fct_school_task_results",
    "marts.fct_school_mock_results",
    "intermediate.int_participant_results_counted",
    "intermediate.int_vpr_class_results",
    "intermediate.int_vpr_students_at_risk",
    "intermediate.int_vpr_objectivity_evidence",
)


def _place(raw: Path, name: str, files: dict[str, list[str]]) -> None:
    for folder, rows in files.items():
        path = raw / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        header = VPR_HEADER if folder.startswith("vpr") else EXAM_HEADER
        path.write_text(header + "".join(f"{row}\n" for row in rows), encoding="utf-8")


def _marts(con) -> dict[str, list[tuple]]:
    """The tables the participant rows feed, without the columns naming files or rows."""
    found = {}
    for table in TABLES:
        schema, name = table.split(".")
        columns = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ? ORDER BY ordinal_position",
                [schema, name],
            ).fetchall()
            if not c.startswith("_") and c not in ("source", "source_file")
        ]
        rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        found[table] = sorted(
            (tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
            key=repr,
        )
    return found


def _run(con, raw: Path, steps: list[dict[str, dict]]) -> dict[str, list[tuple]]:
    """Each step's files placed, ingested and built: the first build is full, the next ones
    incremental (only the changed files' schools and years), as `shnor build` does them."""
    for step, files in enumerate(steps):
        for name, content in files.items():
            _place(raw, name, content)
        ingest_raw(con, raw)
        if step == 0:
            build_models(con)
            continue
        preset = load_preset()
        map_subjects(con, None)
        map_schools(con)
        changes = changes_since_last_build(con, sql_parameters(preset))
        assert changes is not None and changes.sources  # built in place, not from scratch
        build(con, preset, changes=changes, schools_mapped=True)
    return _marts(con)


def _counted(con, exam: str) -> dict[tuple, int]:
    return {
        (school, subject): n
        for school, subject, n in con.execute(
            "SELECT school_id, subject, participant_count FROM marts.fct_school_procedure_results "
            "WHERE exam = ?",
            [exam],
        ).fetchall()
    }


@pytest.mark.parametrize("order", CONFLICT_ORDERS)
def test_neither_file_counts_for_a_conflicting_procedure_whatever_the_names(tmp_path, con, order):
    names = conflict_names(order, ".csv")
    _run(con, tmp_path / "raw", [dict(zip(names, (ORIGINAL, RESENT), strict=True))])
    assert files_not_loaded(con) == 0  # both files load: their other rows count
    vpr = _counted(con, "vpr")
    assert ("s1", "math") not in vpr  # the conflicting class counts from neither file
    assert vpr[("s1", "russian")] == 2  # the same rows in both files count once
    assert vpr[("s2", "math")] == 1 and vpr[("s3", "math")] == 1
    oge = _counted(con, "oge")
    assert ("s1", "math") not in oge and oge[("s1", "russian")] == 1
    assert {("s2", "math"), ("s3", "math")} <= oge.keys()
    mocks = {
        school
        for (school,) in con.execute(
            "SELECT school_id FROM marts.fct_school_mock_results"
        ).fetchall()
    }
    assert mocks == {"s2", "s3"}
    conflicts = problems_of_rule(con, "participant_conflict")
    # each file, each conflicting procedure, named with the other file
    assert sorted((c[0], c[2]) for c in conflicts) == sorted(
        (f"{folder}/{name}", f"{folder}/{other}")
        for folder in ORIGINAL
        for name, other in (("a.csv", "b.csv"), ("b.csv", "a.csv"))
    )
    assert all(
        c[1] == "blocking" and "не учитываются ни из одного файла" in c[3] for c in conflicts
    )


def test_names_swapped_run_after_run_and_cold_give_the_same_marts(tmp_path):
    results = results_in_fresh_warehouses(tmp_path, conflict_cases(ORIGINAL, RESENT, ".csv"), _run)
    first = next(iter(results.values()))
    assert first["marts.fct_school_procedure_results"]
    for case, found in results.items():
        assert found == first, case


def test_the_analyst_names_the_authoritative_file(tmp_path, con):
    name_authoritative_files(
        con,
        tmp_path,
        "vpr/2025/b.csv,2025,,Иванова И. И.,повторная отправка МО — верная\n"
        "oge/2025/b.csv,,,,не проверено — не в счёт\n",
    )
    _run(con, tmp_path / "raw", [{"a.csv": ORIGINAL, "b.csv": RESENT}])
    (fails,) = con.execute(
        "SELECT fail_count FROM marts.fct_school_procedure_results "
        "WHERE exam = 'vpr' AND school_id = 's1' AND subject = 'math'"
    ).fetchone()
    assert fails == 0  # the resubmission's numbers (no «2»), the original's had one
    assert _counted(con, "vpr")[("s1", "russian")] == 2
    conflicted = con.execute(
        "SELECT DISTINCT source_file FROM ops.problems WHERE rule = 'participant_conflict' "
        "ORDER BY 1"
    ).fetchall()
    # the unreviewed row settles nothing: ОГЭ and mock still conflict
    assert conflicted == [
        ("mock/2025/a.csv",), ("mock/2025/b.csv",), ("oge/2025/a.csv",), ("oge/2025/b.csv",)
    ]  # fmt: skip


def test_an_identical_repeat_in_another_file_counts_once_and_is_no_problem(tmp_path, con):
    same = {"vpr/2025": [*ORIGINAL["vpr/2025"][:2], "s4;6Б;Математика;t1;4;9;1;1;0"]}
    _run(con, tmp_path / "raw", [{"a.csv": {"vpr/2025": ORIGINAL["vpr/2025"]}, "b.csv": same}])
    assert files_not_loaded(con) == 0
    assert con.execute(
        "SELECT count(*) FROM ops.problems WHERE severity = 'blocking'"
    ).fetchone() == (0,)
    vpr = _counted(con, "vpr")
    assert vpr[("s1", "math")] == 2 and vpr[("s4", "math")] == 1
    (tasks,) = con.execute(
        "SELECT max(result_count) FROM marts.fct_school_task_results "
        "WHERE school_id = 's1' AND subject = 'math'"
    ).fetchone()
    assert tasks == 2


def test_nothing_is_lost_every_row_counts_or_is_named(tmp_path, con):
    _run(con, tmp_path / "raw", [{"a.csv": ORIGINAL, "b.csv": RESENT}])
    (missing,) = con.execute(
        """SELECT count(*) FROM (
               SELECT _source_file, _row, procedure_key FROM staging.stg_vpr__participants
               UNION ALL
               SELECT _source_file, _row, procedure_key FROM staging.stg_exam__participants
           ) AS s
           JOIN intermediate.int_participant_file_procedures AS f
               USING (_source_file, procedure_key)
           WHERE NOT f.is_counted
             -- neither counted nor named in the problems report
             AND NOT (f.is_conflict AND EXISTS (
                 SELECT 1 FROM ops.problems AS p WHERE p.rule = 'participant_conflict'
                 AND p.source_file = f._source_file AND p.row = f.first_row))
             -- nor the same rows counted from another file
             AND NOT EXISTS (
                 SELECT 1 FROM intermediate.int_participant_file_procedures AS o
                 WHERE o.procedure_key = f.procedure_key AND o.is_counted
                 AND o.rows_hash = f.rows_hash)"""
    ).fetchone()
    assert missing == 0
    (raw_rows,) = con.execute(
        "SELECT (SELECT count(*) FROM raw.vpr_participants) "
        "+ (SELECT count(*) FROM raw.exam_participants)"
    ).fetchone()
    assert raw_rows == sum(len(rows) for files in (ORIGINAL, RESENT) for rows in files.values())


def test_the_same_marks_with_other_task_points_conflict_too(tmp_path, con):
    # the task results must not depend on which of two files counts
    other_tasks = ["s1;5А;Математика;p1;4;10;0;1;1", "s1;5А;Математика;p2;2;3;0;1;0"]
    _run(
        con,
        tmp_path / "raw",
        [{"a.csv": {"vpr/2025": ORIGINAL["vpr/2025"][:2]}, "b.csv": {"vpr/2025": other_tasks}}],
    )
    assert ("s1", "math") not in _counted(con, "vpr")
    (message,) = con.execute(
        "SELECT any_value(message) FROM ops.problems WHERE rule = 'participant_conflict'"
    ).fetchone()
    assert "баллы за задания" in message


def test_a_corrected_resubmission_settles_the_conflict_as_a_cold_build_does(tmp_path):
    # run 1: the conflicting resubmission; run 2: it is corrected under the same name to agree
    # (built in place): the same marts as a cold build of the agreeing files, no conflict left
    extra = {
        "vpr/2025": "s2;6А;Математика;q7;4;9;1;1;0",
        "oge/2025": "s2;01;Физика;o8;20;4;основной",
        "mock/2025": "s2;01;Физика;m8;20;4;основной",
    }  # the same schools (a new school would change the code map: a full build)
    agreeing = {folder: [*rows, extra[folder]] for folder, rows in ORIGINAL.items()}
    results = {}
    for case, steps in {
        "cold": [{"a.csv": ORIGINAL, "b.csv": agreeing}],
        "corrected": [{"a.csv": ORIGINAL, "b.csv": RESENT}, {"b.csv": agreeing}],
    }.items():
        with fresh_warehouse() as con:
            results[case] = _run(con, tmp_path / case / "raw", steps)
            assert problems_of_rule(con, "participant_conflict") == []
    assert results["corrected"] == results["cold"]


@pytest.mark.parametrize("names", [("a.csv", "b.csv"), ("b.csv", "a.csv")])
def test_a_participant_in_two_files_under_other_classes_counts_from_neither(tmp_path, con, names):
    # the resubmission moves p2 to 5Б: s1's 5А and 5Б mathematics are in doubt in both files
    moved = {"vpr/2025": ["s1;5А;Математика;p1;4;10;1;1;1", "s1;5Б;Математика;p2;2;3;0;1;0",
                          "s2;5А;Математика;q1;5;12;1;1;1"]}  # fmt: skip
    original = {"vpr/2025": ORIGINAL["vpr/2025"]}
    _run(con, tmp_path / "raw", [dict(zip(names, (original, moved), strict=True))])
    assert files_not_loaded(con) == 0
    vpr = _counted(con, "vpr")
    assert ("s1", "math") not in vpr and vpr[("s2", "math")] == 1
    assert vpr[("s1", "russian")] == 2
    messages = con.execute(
        "SELECT source_file, message FROM ops.problems WHERE rule = 'participant_conflict' "
        "ORDER BY ALL"
    ).fetchall()
    assert {source for source, _ in messages} == {"vpr/2025/a.csv", "vpr/2025/b.csv"}
    assert any("в другом классе" in message for _, message in messages)
