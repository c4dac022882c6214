"""Two summary files giving the same school-procedures different numbers (issue 18): neither
counts for those, whatever the files' names or the order they arrived in, until an analyst names
the authoritative file in reference/authoritative_files.csv; run after run equals a cold build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import (
    CONFLICT_ORDERS,
    build_models,
    conflict_cases,
    conflict_names,
    files_not_loaded,
    name_authoritative_files,
    problems_of_rule,
    results_in_fresh_warehouses,
)
from openpyxl import load_workbook
from regional_workbooks import make_variant

from shnor.ingest.raw_load import ingest_raw

CHANGED = 3  # schools whose Russian figures the resubmission changes


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> tuple[Path, Path, set[str]]:
    """The original workbook and a resubmission with other numbers for three schools."""
    folder = tmp_path_factory.mktemp("conflict")
    original = folder / "original.xlsx"
    make_variant("repeated_total_first", original)
    resent = folder / "resent.xlsx"
    book = load_workbook(original)
    sheet = book["2023"]
    changed = set()
    for row in range(1, sheet.max_row + 1):
        name, sat = sheet.cell(row, 2).value, sheet.cell(row, 5).value
        if isinstance(name, str) and "СОШ" in name and isinstance(sat, int) and sat > 2:
            sheet.cell(row, 5).value = sat - 1
            changed.add(name)
            if len(changed) == CHANGED:
                break
    book.save(resent)
    return original, resent, changed


def _facts(con) -> dict[tuple, tuple]:
    return {
        (school, subject): (n, fails, high, round(mean, 6) if mean is not None else None)
        for school, subject, n, fails, high, mean in con.execute(
            "SELECT d.school_name, f.subject, f.participant_count, f.fail_count, f.high_count, "
            "f.mean_score FROM marts.fct_school_procedure_results AS f "
            "JOIN marts.dim_schools AS d USING (school_id) WHERE f.exam = 'ege'"
        ).fetchall()
    }


def _place(raw: Path, files: dict[str, Path]) -> None:
    folder = raw / "ege" / "2023"
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in files.items():
        shutil.copy(path, folder / name)


def _cold(tmp_path: Path, con, files: dict[str, Path]) -> dict[tuple, tuple]:
    _place(tmp_path / "raw", files)
    ingest_raw(con, tmp_path / "raw")
    build_models(con)
    return _facts(con)


@pytest.mark.parametrize("order", CONFLICT_ORDERS)
def test_neither_file_counts_for_the_conflicting_schools_whatever_the_names(
    tmp_path, con, workbooks, order
):
    original, resent, changed = workbooks
    names = conflict_names(order, ".xlsx")
    facts = _cold(tmp_path, con, dict(zip(names, (original, resent), strict=True)))
    assert {school for school, subject in facts if subject == "russian"} & changed == set()
    # the other schools and the changed schools' other subjects still count
    assert len({school for school, _ in facts}) >= 10
    assert any(school in changed for school, _ in facts)
    conflicts = problems_of_rule(con, "summary_conflict")
    assert len(conflicts) == 2 * CHANGED  # each file, each school, named with the other file
    assert {(c[0], c[2]) for c in conflicts} == {
        ("ege/2023/a.xlsx", "ege/2023/b.xlsx"),
        ("ege/2023/b.xlsx", "ege/2023/a.xlsx"),
    }
    assert all(
        c[1] == "blocking" and "не учитывается ни из одного файла" in c[3] for c in conflicts
    )
    assert files_not_loaded(con) == 0  # the files' other rows load


def test_names_swapped_run_after_run_and_cold_give_the_same_marts(tmp_path, workbooks):
    original, resent, _ = workbooks

    def run(con, raw: Path, steps: list[dict[str, Path]]) -> dict[tuple, tuple]:
        for files in steps:
            _place(raw, files)
            ingest_raw(con, raw)
            build_models(con)
        return _facts(con)

    cases = conflict_cases(original, resent, ".xlsx")
    results = results_in_fresh_warehouses(tmp_path, cases, run)
    first = next(iter(results.values()))
    assert any(subject == "russian" for _, subject in first)  # (a build that counts nothing)
    for case, found in results.items():
        assert found == first, case


def test_the_analyst_names_the_authoritative_file(tmp_path, con, workbooks):
    original, resent, changed = workbooks
    name_authoritative_files(
        con, tmp_path, "ege/2023/b.xlsx,2023,,Иванова И. И.,повторная отправка МО — верная\n"
    )
    facts = _cold(tmp_path, con, {"a.xlsx": original, "b.xlsx": resent})
    book = load_workbook(resent)["2023"]
    sent = {
        book.cell(r, 2).value: book.cell(r, 5).value
        for r in range(1, book.max_row + 1)
        if book.cell(r, 2).value in changed
    }
    assert {school: facts[(school, "russian")][0] for school in changed} == sent
    assert problems_of_rule(con, "summary_conflict") == []
