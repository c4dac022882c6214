"""Two ВПР summary files (§2b «Статистика по отметкам», §2c «Сравнение отметок с отметками по
журналу») giving a school's year, grade and subject different numbers (issue 18): neither counts
for it, whatever the files' names or the order they arrived in, until an analyst names the
authoritative file in reference/authoritative_files.csv; the same numbers count once; the files'
other rows load; run after run equals a cold build."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from builders import build_models

from shnor import warehouse
from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.raw_tables import ensure_raw_tables

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
    for files in steps:
        for name, content in files.items():
            _place(raw, name, content)
        ingest_raw(con, raw)
        build_models(con)
    return _marts(con)


@pytest.mark.parametrize("order", ["original first", "resent first"])
def test_neither_file_counts_for_a_conflicting_school_whatever_the_names(tmp_path, con, order):
    names = ("a.xlsx", "b.xlsx") if order == "original first" else ("b.xlsx", "a.xlsx")
    found = _run(con, tmp_path / "raw", [dict(zip(names, (ORIGINAL, RESENT), strict=True))])
    assert con.execute("SELECT count(*) FROM raw._files WHERE status <> 'loaded'").fetchone() == (
        0,
    )
    counted = {row[0]: row[3] for row in found["procedures"]}
    assert counted == {"sch200": 30, "sch300": 20, "sch400": 25}  # sch200 given twice: once
    journal = {row[0]: row[1] for row in found["journal"]}
    assert journal.get("sch100") is None and journal["sch200"] == "journal_comparison"
    conflicts = con.execute(
        "SELECT source_file, severity, value, message FROM ops.problems "
        "WHERE rule = 'summary_conflict' ORDER BY ALL"
    ).fetchall()
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
    results = {}
    for case, steps in {
        "cold a=original": [{"a.xlsx": ORIGINAL, "b.xlsx": RESENT}],
        "cold a=resent": [{"a.xlsx": RESENT, "b.xlsx": ORIGINAL}],
        "original, then resent": [{"a.xlsx": ORIGINAL}, {"b.xlsx": RESENT}],
        "resent, then original": [{"b.xlsx": RESENT}, {"a.xlsx": ORIGINAL}],
    }.items():
        with warehouse.connect(":memory:") as con:
            warehouse.prepare_connection(con, None)
            ensure_raw_tables(con)
            folder = tmp_path / case.replace(" ", "_").replace(",", "").replace("=", "_")
            results[case] = _run(con, folder / "raw", steps)
    first = next(iter(results.values()))
    assert first["procedures"] and first["journal"]
    for case, found in results.items():
        assert found == first, case


def test_the_analyst_names_the_authoritative_file(tmp_path, con):
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "authoritative_files.csv").write_text(
        "source_file,exam_year,municipality_name,reviewed_by,note\n"
        "vpr/2025/stats_b.xlsx,2025,,Иванова И. И.,повторная отправка — верная\n",
        encoding="utf-8",
    )
    warehouse.load_reference_tables(con, reference)
    found = _run(con, tmp_path / "raw", [{"a.xlsx": ORIGINAL, "b.xlsx": RESENT}])
    fails = {row[0]: row[4] for row in found["procedures"]}
    assert fails["sch100"] == 1  # 3.7 % of 27 from the resubmission (the original: 11.11 % = 3)
    conflicted = con.execute(
        "SELECT DISTINCT source_file FROM ops.problems WHERE rule = 'summary_conflict' ORDER BY 1"
    ).fetchall()
    assert conflicted == [("vpr/2025/journal_a.xlsx",), ("vpr/2025/journal_b.xlsx",)]
