"""The ВПР participant exports ФИС ОКО gives a region (2020–2021 workbook, 2022 «протокол»),
written by tests/vpr_export_files.py from the data contract, read back: nothing quarantined,
participants and fails per school × grade × subject exact by the scale, no scale = no marks."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import xlsxwriter
from vpr_export_files import WORKS, write_login_list, write_region, write_scales

from shnor import warehouse
from shnor.ingest.headers import task_header
from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.readers import SheetRead, SheetSkipped, read_file
from shnor.ingest.school_matching import school_code_map
from shnor.ingest.vpr_exports import export_title, split_code_name
from shnor.ingest.vpr_scales import Scale, scale_notes, scales
from shnor.presets import load_preset
from shnor.stages.build import build
from shnor.stages.ingest import map_subjects

YEAR = 2021


@pytest.fixture
def db():
    """An empty in-memory warehouse."""
    with warehouse.connect(":memory:") as connection:
        yield connection


def _load(con, tmp_path: Path, reference: Path | None):
    """Ingest raw/ with the region's reference folder and build the models."""
    warehouse.prepare_connection(con, reference)
    summary = ingest_raw(con, tmp_path / "raw", reference)
    map_subjects(con, reference)
    build(con, load_preset())
    return con, summary


def _digits(school_id: str) -> str:
    return re.sub(r"^[a-z]+", "", school_id)


def _check_truth(con, truth) -> None:
    results = con.execute(
        "SELECT school_id, grade, subject, participant_count, fail_count, absent_count, "
        "not_counted_count FROM marts.fct_school_procedure_results WHERE exam = 'vpr'"
    ).fetchall()
    expected = set(truth.participants) | set(truth.unscaled) | set(truth.absent)
    got = {}
    for school, grade, subject, sat, failed, absent, not_counted in results:
        got[(_digits(school), grade, subject)] = (sat, failed, absent, not_counted)
    assert set(got) == expected
    for key in expected:
        assert got[key] == (
            truth.participants[key],
            truth.fails[key],
            truth.absent[key],
            truth.unscaled[key],
        ), key


@pytest.mark.parametrize("style", ["2021", "2022"])
def test_a_region_of_real_exports_loads_with_exact_participants_and_fails(db, tmp_path, style):
    reference = tmp_path / "reference"
    write_scales(reference, YEAR)
    truth = write_region(tmp_path / "raw", YEAR, school_count=6, rows_per_file=150, style=style)
    con, summary = _load(db, tmp_path, reference)

    assert summary.quarantined == []
    assert len(summary.loaded) == len(truth.files)
    assert summary.rows_loaded == truth.rows
    _check_truth(con, truth)
    # every row is in raw.vpr_participants (absentees and rows without a scale too)
    assert con.execute("SELECT count(*) FROM staging.stg_vpr__participants").fetchone() == (
        truth.rows,
    )
    # the same school under sch/edu/ksh logins is one school (the digits)
    ids = con.execute("SELECT DISTINCT school_id FROM staging.stg_vpr__participants").fetchall()
    ids = {r[0] for r in ids}
    assert len(ids) == 6 and len({_digits(i) for i in ids}) == 6
    # the municipality: the 2021 export's `регион`, the protocol's «code | name» cell split
    for school, municipality in con.execute(
        "SELECT school_id, municipality_name FROM marts.dim_schools"
    ).fetchall():
        assert municipality == f"Муниципалитет {int(_digits(school)[-2:]) % 7 + 1}"
    # the work without a scale: a Russian warning naming it, its rows kept without marks
    missing = con.execute(
        "SELECT source_file, message FROM ops.problems WHERE rule = 'vpr_scale_missing'"
    ).fetchall()
    assert len(missing) == 1 and "8 класс" in missing[0][1] and "без отметок" in missing[0][1]
    assert con.execute(
        "SELECT count(*), count(mark) FROM staging.stg_vpr__participants "
        "WHERE subject = 'physics' AND scale_status = 'no_scale'"
    ).fetchone() == (sum(truth.unscaled.values()), 0)
    assert not con.execute("SELECT * FROM ops.problems WHERE severity = 'blocking'").fetchall()


def test_protocol_task_maxima_reach_the_task_results(db, tmp_path):
    reference = tmp_path / "reference"
    write_scales(reference, YEAR)
    truth = write_region(tmp_path / "raw", YEAR, school_count=3, rows_per_file=60, style="2022")
    con, _ = _load(db, tmp_path, reference)
    rows = con.execute(
        "SELECT DISTINCT grade, subject, task, max_points FROM marts.fct_school_task_results"
    ).fetchall()
    assert rows
    for grade, subject, task, maximum in rows:
        assert maximum == truth.task_max[(grade, subject)][task]
    assert con.execute(
        "SELECT count(*) FROM ops.problems WHERE rule = 'sheet_skipped' "
        "AND message LIKE '%классов и учебников%'"
    ).fetchone() == (len(truth.files),)


def test_a_login_list_is_the_registry_and_names_the_schools(db, tmp_path):
    reference = tmp_path / "reference"
    write_scales(reference, YEAR)
    truth = write_region(tmp_path / "raw", YEAR, school_count=4, rows_per_file=40,
                         works=WORKS[:2])  # fmt: skip
    write_login_list(
        tmp_path / "raw" / "schools" / "Логины.xlsx", [f"22{n:04d}" for n in (1, 2, 3, 4)]
    )
    con, summary = _load(db, tmp_path, reference)
    assert summary.quarantined == []
    # every login spelling is the registry's `sch` school
    ids = con.execute("SELECT DISTINCT school_id FROM staging.stg_vpr__participants").fetchall()
    assert {r[0] for r in ids} == {"sch220001", "sch220002", "sch220003", "sch220004"}
    assert con.execute(
        "SELECT school_name, municipality_name FROM marts.dim_schools WHERE school_id = 'sch220002'"
    ).fetchone() == ('МБОУ "СОШ № 2"', "Муниципалитет 3")
    _check_truth(con, truth)


def test_file_name_and_folder_give_subject_grade_and_form():
    title = export_title(
        Path("vpr/2021/Проведение работы по биологии, 7 класс (по образцу 8 класса). ВПР 2021.xlsx")
    )
    assert (title.subject, title.grade, title.form) == ("биологии", 7, "по образцу 8 класса")
    title = export_title(
        Path("vpr/2021/Проведение работы по русскому языку, 4 класс. ВПР 2021.xlsx")
    )
    assert (title.subject, title.grade, title.form) == ("русскому языку", 4, None)
    title = export_title(Path("vpr/2022/5 класс/Английский язык.xlsx"))
    assert (title.subject, title.grade, title.form) == ("Английский язык", 5, None)
    # a renamed file keeps what its name says
    title = export_title(Path("vpr/2021/Математика 5 класс (по образцу 6 класса) 2021.xlsx"))
    assert (title.subject, title.grade, title.form) == ("Математика", 5, "по образцу 6 класса")


def test_a_year_in_the_file_name_other_than_the_folder_is_a_warning(tmp_path):
    import random

    from vpr_export_files import ExportTruth, write_2021_export

    folder = tmp_path / "vpr" / "2022"
    folder.mkdir(parents=True)
    path = write_2021_export(folder, WORKS[0], 2021, ["220001"], 5, random.Random(1), ExportTruth())
    (read,) = read_file(path, "vpr")
    assert [(n.rule, n.value) for n in read.notes] == [("vpr_year_differs", "2021")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("балл за 1", ("1", None)), ("Балл за 10.2", ("10.2", None)), ("1 (5б)", ("1", 5)),
     ("5К1 (1б)", ("5К1", 1)), ("4.1", ("4.1", None)), ("Код", None), ("Итого баллов", None)],
)  # fmt: skip
def test_task_headers_of_both_exports(header, expected):
    assert task_header(header) == expected


def test_protocol_cells_split_into_code_and_name_and_class_no_is_kept(tmp_path):
    folder = tmp_path / "vpr" / "2022"
    folder.mkdir(parents=True)
    path = folder / "Математика.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Протокол")
    sheet.write_row(0, 0, ["Пользователь", "Код региона", "Регион", "Муниципалитет", "Школа",
                           "Дата загрузки", "Код", "Вариант", "1 (2б)", "Наименование класса",
                           "Пол", "Отметка за предыдущий триместр/ четверть/полугодие",
                           "Итого баллов"])  # fmt: skip
    sheet.write_row(1, 0, [None, 22, "reg220000 | Алтайский край",
                           "reg22_m030 | Павловский муниципальный район",
                           'edu223574 | МБОУ "Шаховская СОШ"', "2022-04-20", 5, 1, 2, "НЕТ",
                           "Ж", None, 2])  # fmt: skip
    book.close()
    (read,) = read_file(path, "vpr")
    assert isinstance(read, SheetRead) and read.layout.name == "vpr_export"
    row = read.table.to_pylist()[0]
    assert (row["school_code"], row["school_name"]) == ("edu223574", 'МБОУ "Шаховская СОШ"')
    assert (row["municipality_code"], row["municipality_name"]) == (
        "reg22_m030", "Павловский муниципальный район")  # fmt: skip
    assert (row["region_name"], row["class_label"], row["subject"]) == (
        "Алтайский край", "НЕТ", "Математика")  # fmt: skip
    # no grade in the file name or folder, nor in the class «НЕТ»: said so
    assert row["grade"] is None
    assert [n.rule for n in read.notes] == ["vpr_grade_from_class"]


def test_login_prefixes_are_reconciled_by_digits_with_the_registry():
    registry = pd.DataFrame({"school_id": ["sch220206", "edu225555"]})
    mapped = school_code_map(
        ["edu220206", "ksh220206", "sch225555", "sch229999", "edu229999", "sch221111"], registry
    )
    assert dict(zip(mapped["raw_code"], mapped["school_id"], strict=True)) == {
        "edu220206": "sch220206",  # the registry's spelling
        "ksh220206": "sch220206",
        "sch225555": "edu225555",
        "edu229999": "edu229999",  # not in the registry: one school, first spelling
        "sch229999": "edu229999",
        "sch221111": "sch221111",
    }


def test_scales_give_marks_and_a_region_file_overrides_the_packaged_row(tmp_path):
    packaged = scales()
    assert packaged[(2026, 4, "russian", "")] == Scale(24, 10, 16, 21)
    assert [packaged[(2026, 4, "russian", "")].mark(s) for s in (0, 9, 10, 16, 21, 24, 25)] == [
        2, 2, 3, 4, 5, 5, None]  # fmt: skip
    (tmp_path / "vpr_scales.csv").write_text(
        "exam_year;grade;subject;form;max_score;min_score_3;min_score_4;min_score_5;source\n"
        "2026;4;russian;;24;11;17;22;региональная проверка\n",
        encoding="utf-8",
    )
    assert scales(tmp_path)[(2026, 4, "russian", "")] == Scale(24, 11, 17, 22)
    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, tmp_path)
        assert con.execute(
            "SELECT min_score_3 FROM ref.vpr_scales WHERE exam_year = 2026 AND grade = 4 "
            "AND subject = 'russian'"
        ).fetchall() == [(11,)]


def test_a_mark_disagreeing_with_the_scale_is_a_warning_naming_the_rows():
    import pyarrow as pa

    table = pa.table({
        "subject": ["Русский язык"] * 4, "class_label": ["4А"] * 4,
        "mark": ["2", "3", "5", "отсутствовал"], "primary_score": ["9", "16", "24", None],
        "_row": [2, 3, 4, 5],
    })  # fmt: skip
    notes = scale_notes(table, 2026)
    assert [(n.rule, n.row) for n in notes] == [("vpr_mark_scale_mismatch", 3)]
    assert "строках 3;" in notes[0].message


def test_class_sheet_of_a_protocol_is_skipped_with_a_note(tmp_path):
    write_scales(tmp_path / "reference", YEAR)
    truth = write_region(tmp_path / "raw", YEAR, school_count=2, rows_per_file=10, style="2022",
                         works=WORKS[:1])  # fmt: skip
    sheets = read_file(truth.files[0], "vpr")
    assert isinstance(sheets[0], SheetSkipped) and "учебников" in sheets[0].reason
    assert isinstance(sheets[1], SheetRead) and sheets[1].table.column_names[0] == "school_code"


def test_export_rows_without_a_scale_or_above_it_are_named_and_never_given_marks():
    import pyarrow as pa

    table = pa.table({
        "subject": ["русскому языку"] * 3 + ["физике"], "grade": ["4", "4", "4", "8"],
        "mark_source": ["scale"] * 4, "primary_score": ["24", "25", None, "7"],
        "_row": [2, 3, 4, 5],
    })  # fmt: skip
    notes = {n.rule: n for n in scale_notes(table, 2026)}
    assert set(notes) == {"vpr_scale_missing", "vpr_score_above_scale"}
    assert notes["vpr_score_above_scale"].row == 3
    assert "«физике»" in notes["vpr_scale_missing"].message
    assert "1 строк" in notes["vpr_scale_missing"].message


def test_an_export_that_gives_marks_uses_them_and_compares_them_with_the_scale(db, tmp_path):
    folder = tmp_path / "raw" / "vpr" / "2026"
    folder.mkdir(parents=True)
    path = folder / "Проведение работы по русскому языку, 4 класс. ВПР 2026.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Лист1")
    rows = [
        ["логин школы", "класс", "вариант", "всего баллов", "Отметка"],
        ["sch220001", "А", 1, 9, 2],
        ["sch220001", "А", 2, 16, 5],  # the scale says «4»: the file's mark, with a warning
        ["sch220001", "Б", "отсутствовал", None, None],
    ]
    for line, row in enumerate(rows):
        sheet.write_row(line, 0, row)
    book.close()
    con, summary = _load(db, tmp_path, None)
    assert summary.quarantined == []
    assert con.execute(
        "SELECT class_label, mark, is_absent FROM staging.stg_vpr__participants ORDER BY _row"
    ).fetchall() == [("4А", 2, False), ("4А", 5, False), ("4Б", None, True)]
    assert con.execute(
        "SELECT row FROM ops.problems WHERE rule = 'vpr_mark_scale_mismatch'"
    ).fetchall() == [(3,)]


def test_split_code_name_cell_by_cell_over_repeated_cells_and_chunks():
    cells = ["reg22_m030 | Павловский район", None, "МБОУ СОШ № 1", " | Без кода", "edu1 | ",
             "reg22_m030 | Павловский район", "", "edu1 | "]  # fmt: skip
    codes, names = split_code_name(pa.chunked_array([cells[:3], cells[3:]]))
    assert codes.to_pylist() == ["reg22_m030", None, None, None, "edu1", "reg22_m030", None, "edu1"]
    assert names.to_pylist() == ["Павловский район", None, "МБОУ СОШ № 1", "Без кода", None,
                                 "Павловский район", "", None]  # fmt: skip
