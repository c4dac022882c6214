"""Two ВПР summary files (§2b «Статистика по отметкам», §2c «Сравнение отметок с отметками по
журналу») giving a school's year, grade and subject different numbers (issue 18): neither counts
for it, whatever the files' names or the order they arrived in, until an analyst names the
authoritative file in reference/authoritative_files.csv; the same numbers count once; the files'
other rows load; run after run equals a cold build."""

from __future__ import annotations

from pathlib import Path

import openpyxl
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

STATS_TITLE = ("Статистика по отметкам", "Предмет: Математика", "Класс: 5", "ВПР 2025")
STATS_HEADER = ["ОО", "Название ОО", "Муниципалитет", "Кол-во участников", "2", "3", "4", "5"]
JOURNAL_TITLE = ("Сравнение отметок с отметками по журналу", "Математика 5 класс 2025")
JOURNAL_HEADER = ["ОО", "Название ОО", "Кол-во участников", "Понизили", "Подтвердили", "Повысили"]

ORIGINAL = {
    "stats": [
        ["sch100", "МБОУ СОШ № 1", "Ивановский район", 27, 11.11, 37.04, 33.33, 18.52],
        ["sch200", "МБОУ СОШ № 2", "Ивановский район", 30, 10, 40, 30, 20],
        ["sch300", "МБОУ СОШ № 3", "Ивановский район", 20, 5, 45, 30, 20],
    ],
    "journal": [
        ["sch100", "МБОУ СОШ № 1", 27, "20%", "70%", "10%"],
        ["sch200", "МБОУ СОШ № 2", 30, "10%", "80%", "10%"],
    ],
}
RESENT = {
    "stats": [
        ["sch100", "МБОУ СОШ № 1", "Ивановский район", 27, 3.7, 44.44, 33.33, 18.53],
        ["sch200", "МБОУ СОШ № 2", "Ивановский район", 30, 10, 40, 30, 20],
        ["sch400", "МБОУ СОШ № 4", "Ивановский район", 25, 8, 40, 32, 20],
    ],
    "journal": [
        ["sch100", "МБОУ СОШ № 1", 27, "10%", "80%", "10%"],
        ["sch200", "МБОУ СОШ № 2", 30, "10%", "80%", "10%"],
    ],
}


def _workbook(path: Path, title, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    sheet = book.active
    for line in title:
        sheet.append([line])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _place(raw: Path, name: str, files: dict[str, list]) -> None:
    folder = raw / "vpr" / "2025"
    _workbook(folder / f"stats_{name}", STATS_TITLE, STATS_HEADER, files["stats"])
    _workbook(folder / f"journal_{name}", JOURNAL_TITLE, JOURNAL_HEADER, files["journal"])


def _marts(con) -> dict[str, list]:
    procedures = con.execute(
        "SELECT school_id, grade, subject, participant_count, fail_count, high_count, "
        "round(mean_score, 6) FROM marts.fct_school_procedure_results ORDER BY ALL"
    ).fetchall()
    journal = con.execute(
        "SELECT school_id, journal_source, journal_pair_count, raised_count, lowered_count "
        "FROM intermediate.int_vpr_objectivity_evidence ORDER BY ALL"
    ).fetchall()
    return {"procedures": procedures, "journal": journal}


def _run(con, raw: Path, steps: list[dict[str, dict]]) -> dict[str, list]:
    built_after_steps(con, raw, steps, _place)
    return _marts(con)


@pytest.mark.parametrize("order", CONFLICT_ORDERS)
def test_neither_file_counts_for_a_conflicting_school_whatever_the_names(tmp_path, con, order):
    names = conflict_names(order, ".xlsx")
    found = _run(con, tmp_path / "raw", [dict(zip(names, (ORIGINAL, RESENT), strict=True))])
    assert files_not_loaded(con) == 0
    counted = {row[0]: row[3] for row in found["procedures"]}
    assert counted == {"sch200": 30, "sch300": 20, "sch400": 25}  # sch200 given twice: once
    journal = {row[0]: row[1] for row in found["journal"]}
    assert journal.get("sch100") is None and journal["sch200"] == "journal_comparison"
    conflicts = problems_of_rule(con, "summary_conflict")
    assert [(c[0], c[2]) for c in conflicts] == [
        ("vpr/2025/journal_a.xlsx", "vpr/2025/journal_b.xlsx"),
        ("vpr/2025/journal_b.xlsx", "vpr/2025/journal_a.xlsx"),
        ("vpr/2025/stats_a.xlsx", "vpr/2025/stats_b.xlsx"),
        ("vpr/2025/stats_b.xlsx", "vpr/2025/stats_a.xlsx"),
    ]
    assert all(
        c[1] == "blocking" and "не учитывается ни из одного файла" in c[3] and "sch100" in c[3]
        for c in conflicts
    )


def test_names_swapped_run_after_run_and_cold_give_the_same_marts(tmp_path):
    cases = conflict_cases(ORIGINAL, RESENT, ".xlsx")
    results = results_in_fresh_warehouses(tmp_path, cases, _run)
    first = next(iter(results.values()))
    assert first["procedures"] and first["journal"]
    for case, found in results.items():
        assert found == first, case


def test_the_analyst_names_the_authoritative_file(tmp_path, con):
    name_authoritative_files(
        con, tmp_path, "vpr/2025/stats_b.xlsx,2025,,Иванова И. И.,повторная отправка — верная\n"
    )
    found = _run(con, tmp_path / "raw", [{"a.xlsx": ORIGINAL, "b.xlsx": RESENT}])
    fails = {row[0]: row[4] for row in found["procedures"]}
    assert fails["sch100"] == 1  # 3.7 % of 27 from the resubmission (the original: 11.11 % = 3)
    conflicted = con.execute(
        "SELECT DISTINCT source_file FROM ops.problems WHERE rule = 'summary_conflict' ORDER BY 1"
    ).fetchall()
    assert conflicted == [("vpr/2025/journal_a.xlsx",), ("vpr/2025/journal_b.xlsx",)]
