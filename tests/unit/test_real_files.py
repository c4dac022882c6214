"""Regional files written by hand from the data contract (tests/hand_files.py), read through
ingest and build: every input row is in a raw table or reported with its reason, no total is a
school, and the school results equal the hand count."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from builders import fetch, fresh_warehouse
from hand_files import (
    OGE_BOTTOM,
    OGE_TOP,
    PASSPORT_SHARES,
    REGISTRY_ROWS,
    write_oge_workbook,
    write_passport,
    write_registry,
    write_vpr_tab_csv,
)
from hand_written import (
    assert_every_row_loaded_or_reported,
    assert_nothing_quarantined,
    ingested_and_built,
)
from openpyxl import Workbook

from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.readers import _hidden_sheet, _without_total_rows


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The hand files ingested and built once: (connection, files)."""
    raw = tmp_path_factory.mktemp("hand") / "raw"
    files = [
        write_registry(raw),
        write_oge_workbook(raw),
        write_vpr_tab_csv(raw),
        write_passport(raw),
    ]
    with ingested_and_built(raw) as (con, summary):
        yield con, files, summary


def test_no_hand_file_is_quarantined(region):
    assert_nothing_quarantined(*region)


def test_every_input_row_is_loaded_or_reported_as_a_total(region):
    con, files, _ = region
    assert_every_row_loaded_or_reported(con, files)


def test_school_results_equal_the_hand_count(region):
    con, files, _ = region
    truth = {key: value for file in files for key, value in file.results.items()}
    got = {
        (school, exam, grade, subject): (sat, failed, absent)
        for school, exam, grade, subject, sat, failed, absent, not_counted in fetch(
            con,
            "SELECT school_id, exam, grade, subject, participant_count, fail_count, "
            "absent_count, not_counted_count FROM marts.fct_school_procedure_results",
        )
        if not_counted == 0
    }
    assert got == truth
    # no total, subtotal or mean became a school: the schools are the registry's
    schools = {row[0] for row in fetch(con, "SELECT school_id FROM marts.dim_schools")}
    assert schools == {row[0] for row in REGISTRY_ROWS}


def test_passport_shares_are_read_per_column_and_said_which(region):
    """Percent in one column (one cell with «%»), fractions in another: each column read on its
    own scale, the lost leading zeros restored, the unknown column kept and reported."""
    con, _, _ = region
    shares = {
        (school, component): round(share, 6)
        for school, component, share in fetch(
            con, "SELECT school_id, component, share FROM staging.stg_context__components"
        )
    }
    assert shares == {
        (school, component): value
        for school, (parents, low_income) in PASSPORT_SHARES.items()
        for component, value in (
            ("parents_higher_education_share", parents),
            ("low_income_share", low_income),
        )
    }
    ((message,),) = fetch(con, "SELECT message FROM ops.problems WHERE rule = 'context_scale'")
    said = dict(part.split(": ") for part in message.split(" — ")[1].split("; "))
    assert said == {
        "доля родителей с высшим образованием": "проценты",
        "доля малообеспеченных семей": "доли единицы",
    }
    unknown = fetch(
        con, "SELECT \"column\", message FROM ops.problems WHERE rule = 'unknown_column'"
    )
    assert [(c, "extra_columns" in m) for c, m in unknown] == [("Число компьютеров", True)]
    extra = fetch(con, "SELECT school_code, extra_columns FROM raw.context ORDER BY _row")
    assert [json.loads(e) if e else None for _, e in extra] == [
        {"Число компьютеров": "30"}, {"Число компьютеров": "12"}, None]  # fmt: skip


def test_two_sheets_of_one_subject_keep_their_rows_apart(region):
    """Sheets 9А and 9Б give their rows under the same row numbers: the counted results are
    keyed by file, sheet and row, every staged row once."""
    con, _, _ = region
    repeated = fetch(
        con,
        "SELECT _source_file, _sheet, _row, subject FROM "
        "intermediate.int_participant_results_counted GROUP BY ALL HAVING count(*) > 1",
    )
    assert repeated == []
    by_sheet = fetch(
        con,
        "SELECT _sheet, count(*) FROM intermediate.int_participant_results_counted "
        "WHERE exam = 'oge' GROUP BY ALL ORDER BY ALL",
    )
    assert by_sheet == [("9А", 5), ("9Б", 3)]


def test_the_same_participant_on_two_class_sheets_is_a_repeat_naming_the_sheet(tmp_path):
    """p01 on both sheets, at the same row number: one participant given twice (blocking)."""
    book = Workbook()
    day = dt.datetime(2024, 6, 4)
    for title in ("9А", "9Б"):
        sheet = book.active if title == "9А" else book.create_sheet(title)
        sheet.title = title
        sheet.append([t or b for t, b in zip(OGE_TOP, OGE_BOTTOM, strict=True)])
        sheet.append(["012345", "СОШ № 1", "Математика", "p01", 20, 4, day, "основной"])
        sheet.append(["012345", "СОШ № 1", "Математика", f"p-{title}", 20, 4, day, "основной"])
    path = tmp_path / "raw" / "oge" / "2024" / "ОГЭ.xlsx"
    path.parent.mkdir(parents=True)
    book.save(path)
    with fresh_warehouse() as con:
        summary = ingest_raw(con, tmp_path / "raw")
        repeats = fetch(
            con,
            "SELECT sheet, row, message FROM ops.problems WHERE rule = 'duplicate_participant_row'",
        )
    assert summary.quarantined == ["oge/2024/ОГЭ.xlsx"]
    assert [(sheet, row) for sheet, row, _ in repeats] == [("9Б", 2)]


@pytest.mark.parametrize(
    "cell", ["", "н/я", "Н/Я", "н.я.", "н", "неявка", "не явился", "отсутствовал", "отс."]
)
def test_absence_markers(cell):
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT is_absent_mark(?)", cell) == [(True,)]


@pytest.mark.parametrize("cell", ["5", "2", "3,0", "нет", "на"])
def test_marks_and_words_are_not_absences(cell):
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT is_absent_mark(?)", cell) == [(False,)]


def test_total_labels_and_place_rows_are_totals_but_middle_schools_are_schools():
    rows = [
        ("012345", "Средняя школа № 3", None, "p1"),
        ("012346", "МБОУ «Средняя общеобразовательная школа № 1»", "Берёзовский район", "p2"),
        (None, "Среднее по региону", None, None),
        (None, "Средний балл", None, None),
        (None, "ВСЕГО ПО РАЙОНУ", None, None),
        (None, "По муниципалитету", None, None),
        (None, None, "Каменский район", None),  # a district's subtotal: a place, no code
        (None, "СОШ № 9", None, "p9"),  # a pupil without a code: reported later, not a total
    ]
    table = pa.table(
        {
            "school_code": [r[0] for r in rows],
            "school_name": [r[1] for r in rows],
            "municipality_name": [r[2] for r in rows],
            "participant_id": [r[3] for r in rows],
            "_row": list(range(2, 2 + len(rows))),
        }
    )
    kept, totals = _without_total_rows(table)
    assert kept["_row"].to_pylist() == [2, 3, 9]
    assert totals == [4, 5, 6, 7, 8]


def test_a_pupil_without_code_and_id_but_with_a_result_is_not_a_total():
    """A school's code filled only on its first row: the next pupils have a school name and a
    result but no code and no participant id — left to missing_school_code, not dropped as a
    total. «Средний …» names with a code are schools; «Средний балл» with a code is no total."""
    rows = [
        ("012345", "МБОУ СОШ № 1", "4", "15", "4А"),
        (None, "МБОУ СОШ № 1", "5", "18", "4А"),  # a pupil: the code only on the first row
        (None, "МБОУ СОШ № 1", None, None, None),  # a subtotal: a place and nothing else
        ("012346", "Среднее профессиональное училище № 2", "3", "9", "9Б"),
        ("012347", "Средний Икорец СОШ", "4", "14", "9А"),
        ("012348", "Средний балл", "4", "14", "9А"),
        (None, "Средний балл", None, "14,5", None),
        (None, "Средний Икорец", "3", "10", "9А"),  # a village school, its code missing
    ]
    table = pa.table(
        {
            "school_code": [r[0] for r in rows],
            "school_name": [r[1] for r in rows],
            "mark": [r[2] for r in rows],
            "primary_score": [r[3] for r in rows],
            "class_label": [r[4] for r in rows],
            "participant_id": pa.array([None] * len(rows), pa.string()),
            "_row": list(range(2, 2 + len(rows))),
        }
    )
    kept, totals = _without_total_rows(table)
    assert kept["_row"].to_pylist() == [2, 3, 5, 6, 7, 9]
    assert totals == [4, 8]


@pytest.mark.parametrize(
    ("filled", "said"),
    [(1, "в нём 1 непустая строка"), (3, "в нём 3 непустые строки"),
     (5, "в нём 5 непустых строк"), (21, "в нём 21 непустая строка"),
     (101, "в нём 101 непустая строка")],
)  # fmt: skip
def test_a_hidden_sheet_says_how_many_rows_it_holds_in_agreement(filled, said):
    skipped = _hidden_sheet("Старое", [["Код ОО", "Отметка"]] * filled + [[None, ""]])
    assert said in skipped.reason
