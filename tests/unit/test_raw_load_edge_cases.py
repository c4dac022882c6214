"""Raw loading at its edges: a procedure repeated under another spelling of the school code,
task points that are junk or come from a quarantined file, a year where no school is rated."""

from __future__ import annotations

from pathlib import Path

import pytest

from shnor.ingest.raw_load import ingest_raw

VPR_HEADER = "Код ОО;Класс;Предмет;Отметка;Первичный балл\n"


def _write(raw: Path, relative: str, rows: list[str]) -> None:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(VPR_HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")


@pytest.mark.parametrize("spelling", ["12.0", " 12.0"])
def test_a_vpr_class_repeated_under_another_spelling_of_the_code_conflicts(con, tmp_path, spelling):
    raw = tmp_path / "raw"
    _write(raw, "vpr/2025/a.csv", ["12;4А;Математика;4;10", "12;4А;Математика;2;3"])
    _write(
        raw, "vpr/2025/b.csv", [f"{spelling};4А;Математика;5;12", f"{spelling};4А;Математика;3;6"]
    )
    summary = ingest_raw(con, raw)
    # Staging sees one school: the two files are the same school-year-procedure twice.
    (schools,) = con.execute(
        "SELECT count(DISTINCT clean_code(school_code)) FROM raw.vpr_participants"
    ).fetchall()[0]
    assert schools == 1
    # neither file counts for the class (issue 18), both are named; nothing is quarantined
    assert summary.quarantined == []
    _conflict_built(con, ["vpr/2025/a.csv", "vpr/2025/b.csv"])


def _conflict_built(con, files: list[str]) -> None:
    """Built: each file named in a blocking participant_conflict, no participant counted."""
    from builders import build_models

    build_models(con)
    conflicts = con.execute(
        "SELECT DISTINCT source_file, severity FROM ops.problems "
        "WHERE rule = 'participant_conflict' ORDER BY 1"
    ).fetchall()
    assert conflicts == [(source, "blocking") for source in files]
    (counted,) = con.execute(
        "SELECT count(*) FROM intermediate.int_participant_results_counted"
    ).fetchone()
    assert counted == 0


def test_an_exam_procedure_repeated_under_another_spelling_of_the_code_conflicts(con, tmp_path):
    header = "Код ОУ;Код МСУ;Предмет;Первичный балл;Оценка;Этап\n"
    for name, code, mark in (("a.csv", "7", "4"), ("b.csv", "7.0", "3")):
        path = tmp_path / "raw" / "oge" / "2025" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + f"{code};01;Математика;15;{mark};основной\n", encoding="utf-8")
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.quarantined == []
    _conflict_built(con, ["oge/2025/a.csv", "oge/2025/b.csv"])


TASK_HEADER = "Код ОО;Класс;Предмет;Отметка;Первичный балл;1;2;3\n"


def _ingest_and_build(con, raw: Path) -> None:
    from shnor.presets import load_preset
    from shnor.stages.build import build
    from shnor.stages.ingest import ingest

    ingest(con, raw)
    build(con, load_preset("reference"))


def _task_file(raw: Path, relative: str, rows: list[str]) -> None:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TASK_HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")


def test_a_quarantined_vpr_file_leaves_no_task_points(con, tmp_path):
    raw = tmp_path / "raw"
    _task_file(raw, "vpr/2025/bad.csv", ["13;4А;Математика;7;10;1;1;1"])  # mark 7: blocking
    summary = ingest_raw(con, raw)
    assert summary.quarantined == ["vpr/2025/bad.csv"]
    (left,) = con.execute(
        "SELECT count(*) FROM raw.vpr_task_points WHERE _source_file = 'vpr/2025/bad.csv'"
    ).fetchall()[0]
    assert left == 0


def test_a_task_cell_that_is_not_a_number_is_reported(con, tmp_path):
    raw = tmp_path / "raw"
    _task_file(
        raw, "vpr/2025/a.csv", ["12;4А;Математика;4;10;1;abc;x", "12;4А;Математика;3;7;1;1;1"]
    )
    _ingest_and_build(con, raw)
    reported = con.execute(
        "SELECT count(*) FROM ops.problems WHERE source_file = 'vpr/2025/a.csv' AND value = 'abc'"
    ).fetchall()[0][0]
    assert reported == 1


def test_negative_task_points_are_not_published_as_results(con, tmp_path):
    raw = tmp_path / "raw"
    _task_file(
        raw, "vpr/2025/a.csv", ["12;4А;Математика;4;10;1;1;1", "12;4А;Математика;3;7;-5;1;1"]
    )
    _ingest_and_build(con, raw)
    (lowest,) = con.execute(
        "SELECT min(mean_points) FROM marts.fct_school_task_results"
    ).fetchall()[0]
    assert lowest >= 0


def test_flags_of_a_year_with_no_rated_school_do_not_crash(con, tmp_path):
    from shnor.presets import load_preset
    from shnor.stages.flag import flag

    raw = tmp_path / "raw"
    _task_file(raw, "vpr/2025/a.csv", ["12;4А;Математика;4;10;1;1;1", "12;4А;Математика;3;7;1;1;1"])
    _ingest_and_build(con, raw)
    flag(con, load_preset("reference"))
    rated = con.execute("SELECT school_id, is_rated FROM marts.fct_school_flags").fetchall()
    assert rated == [("12", False)]


def test_a_vpr_class_repeated_without_the_leading_zeros_is_not_counted_twice(con, tmp_path):
    from shnor.presets import load_preset
    from shnor.stages.build import build
    from shnor.stages.ingest import ingest

    raw = tmp_path / "raw"
    (raw / "schools").mkdir(parents=True)
    (raw / "schools" / "reg.csv").write_text(
        "Код ОО;Полное наименование;Муниципалитет;Тип поселения\n0012;МБОУ СОШ № 12;Район;город\n",
        encoding="utf-8",
    )
    _write(raw, "vpr/2025/a.csv", ["0012;4А;Математика;4;10", "0012;4А;Математика;2;3"])
    _write(raw, "vpr/2025/b.csv", ["12;4А;Математика;4;10", "12;4А;Математика;2;3"])
    ingest(con, raw)
    build(con, load_preset("reference"))
    counted = con.execute(
        "SELECT school_id, participant_count FROM marts.fct_school_procedure_results"
    ).fetchall()
    assert counted == [("0012", 2)]


def test_an_alias_code_without_leading_zeros_is_the_registry_school(con, tmp_path):
    from summary_workbooks import SummarySchool, write_summary_workbook

    from shnor import warehouse
    from shnor.presets import load_preset
    from shnor.stages.build import build
    from shnor.stages.ingest import ingest

    raw, reference = tmp_path / "raw", tmp_path / "reference"
    (raw / "schools").mkdir(parents=True)
    (raw / "ege" / "2025").mkdir(parents=True)
    reference.mkdir()
    (raw / "schools" / "reg.csv").write_text(
        "Код ОО;Полное наименование;Муниципалитет;Тип поселения\n"
        "0012;МБОУ СОШ № 12;Ивановский район;город\n",
        encoding="utf-8",
    )
    school = SummarySchool(
        "k", "Ивановский район", "Школа двенадцать", 30, {"Русский язык": (20, 2, 3, 0, 61.0)}
    )
    write_summary_workbook(raw / "ege" / "2025" / "svod.xlsx", {2025: [school]}, other_sheet=False)
    (reference / "school_aliases.csv").write_text(
        "municipality,school_name,school_code\nИвановский район,Школа двенадцать,12\n",
        encoding="utf-8",
    )
    warehouse.prepare_connection(con, reference)
    ingest(con, raw, reference)
    build(con, load_preset("reference"))
    results = con.execute(
        "SELECT school_id, participant_count FROM marts.fct_school_procedure_results"
    ).fetchall()
    assert results == [("0012", 20)]


def test_a_school_repeated_within_a_vpr_mark_statistics_file_is_blocked(con, tmp_path):
    import openpyxl

    from shnor.presets import load_preset
    from shnor.stages.build import build
    from shnor.stages.ingest import map_subjects

    folder = tmp_path / "raw" / "vpr" / "2025"
    folder.mkdir(parents=True)
    book = openpyxl.Workbook()
    sheet = book.active
    for line in ("Статистика по отметкам", "Предмет: Математика", "Класс: 5", "ВПР 2025", None):
        sheet.append([line])
    sheet.append(["ОО", "Название ОО", "Муниципалитет", "Кол-во участников", "2", "3", "4", "5"])
    sheet.append(["sch100", "МБОУ СОШ № 1", "Ивановский район", 27, 11.11, 37.04, 33.33, 18.52])
    sheet.append(["sch100", "МБОУ СОШ № 1", "Ивановский район", 40, 50, 25, 15, 10])
    book.save(folder / "stat.xlsx")
    summary = ingest_raw(con, tmp_path / "raw")
    map_subjects(con, None)
    build(con, load_preset())
    rows = con.execute(
        "SELECT count(*) FROM ops.problems WHERE source_file = 'vpr/2025/stat.xlsx' AND row = 8"
    ).fetchall()[0][0]
    assert summary.quarantined == ["vpr/2025/stat.xlsx"]
    rules = con.execute(
        "SELECT DISTINCT rule FROM ops.problems WHERE source_file = 'vpr/2025/stat.xlsx'"
    ).fetchall()
    assert ("repeated_procedure",) in rules and rows >= 1
