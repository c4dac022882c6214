"""ВПР files as ФИС ОКО gives them to a region, written by hand (tests/fisoko_files.py), read
through ingest and build: nothing quarantined, every input row in a raw table or reported with
its reason, the results equal the hand count, summaries that name schools only by name give
their schools (matched to the registry, the rest to the review table)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import fetch
from fisoko_files import (
    JOURNAL_SCHOOLS,
    STATS_TITLE,
    UNMATCHED_NAME,
    write_login_list,
    write_region,
)
from hand_written import (
    assert_every_row_loaded_or_reported,
    assert_nothing_quarantined,
    ingested_and_built,
    save,
    workbook,
)

from shnor import warehouse
from shnor.ingest.raw_load import ingest_raw


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The files ingested and built once: (connection, files, ingest summary)."""
    root = tmp_path_factory.mktemp("fisoko")
    files = write_region(root / "raw", root / "reference")
    with ingested_and_built(root / "raw", root / "reference") as (con, summary):
        yield con, files, summary


def _name_ids(con) -> dict[str, str]:
    """school_id of each school named only by name (not in the registry)."""
    return dict(
        fetch(con, "SELECT school_name, school_id FROM marts.dim_schools WHERE NOT is_in_registry")
    )


def test_nothing_is_quarantined(region):
    assert_nothing_quarantined(*region)


def test_every_input_row_is_in_a_raw_table_or_reported(region):
    con, files, _ = region
    assert_every_row_loaded_or_reported(con, files)


def test_school_results_equal_the_hand_count(region):
    con, files, _ = region
    ids = _name_ids(con)
    truth = {
        (ids.get(school, school), *rest): value
        for file in files
        for (school, *rest), value in file.results.items()
    }
    got = {
        (school, year, grade, subject): (sat, failed, absent, not_counted)
        for school, year, grade, subject, sat, failed, absent, not_counted in fetch(
            con,
            "SELECT school_id, exam_year, grade, subject, participant_count, fail_count, "
            "coalesce(absent_count, 0), coalesce(not_counted_count, 0) "
            "FROM marts.fct_school_procedure_results WHERE exam = 'vpr'",
        )
    }
    assert got == truth
    # the registry's three schools under every login prefix, and the one name nobody knows
    assert set(fetch(con, "SELECT school_id, is_in_registry FROM marts.dim_schools")) == {
        ("sch220001", True), ("sch220002", True), ("sch220003", True),
        (ids[UNMATCHED_NAME], False),
    }  # fmt: skip


def test_exports_give_classes_marks_and_absences_as_the_file_says(region):
    con, _, _ = region
    rows = fetch(
        con,
        "SELECT school_id, class_label, mark, is_absent FROM staging.stg_vpr__participants "
        "WHERE subject = 'surrounding_world' ORDER BY _row",
    )
    assert rows == [
        ("sch220001", "4А", 5, False),
        ("sch220001", "4А", 2, False),  # «а»: the same class
        ("sch220001", "4-1", None, True),  # a class given as a number
        ("sch220002", None, 4, False),  # «НЕТ»: no class
        ("sch220002", "4Б", 3, False),
        ("sch220003", "4", 2, False),  # the grade's number alone
    ]
    # «х»: the task does not apply to the participant — no points, never a zero
    assert fetch(
        con,
        "SELECT regexp_extract(_source_file, '(окружающему|Математика)'), _row, task "
        "FROM staging.stg_vpr__task_points WHERE is_not_applicable AND points IS NULL "
        "ORDER BY ALL",
    ) == [("Математика", 5, "3К1"), ("окружающему", 3, "3"), ("окружающему", 6, "3")]


def test_a_work_without_a_scale_is_kept_without_marks_and_said_so(region):
    con, _, _ = region
    ((source, message),) = fetch(
        con, "SELECT source_file, message FROM ops.problems WHERE rule = 'vpr_scale_missing'"
    )
    assert "иностранному языку (английский)" in source
    assert "ВПР 2021, 7 класс" in message and "без отметок: 2 строки" in message
    assert fetch(
        con,
        "SELECT count(*), count(mark), count(*) FILTER (WHERE is_absent) "
        "FROM staging.stg_vpr__participants WHERE subject = 'english'",
    ) == [(3, 0, 1)]


def test_summaries_tell_schools_from_the_sample_region_and_municipalities(region):
    con, _, _ = region
    ids = _name_ids(con)
    assert fetch(
        con, "SELECT row_kind, school_id FROM staging.stg_vpr__mark_stats ORDER BY _row"
    ) == [
        ("sample", None), ("region", None), ("municipality", None),
        ("school", "sch220001"), ("school", "sch220002"),  # «Шаховская СОШ» in other quotes
        ("municipality", None), ("school", "sch220003"), ("school", ids[UNMATCHED_NAME]),
    ]  # fmt: skip
    journal = fetch(
        con,
        "SELECT school_id, participant_count, lowered_count, confirmed_count, raised_count "
        "FROM staging.stg_vpr__journal_comparison WHERE row_kind = 'school' ORDER BY _row",
    )
    assert journal == [(ids.get(s, s), *counts) for s, *counts in JOURNAL_SCHOOLS]
    assert fetch(
        con,
        "SELECT row_kind, count(*) FROM staging.stg_vpr__journal_comparison "
        "WHERE row_kind <> 'school' GROUP BY ALL ORDER BY ALL",
    ) == [("municipality", 1), ("region", 1), ("sample", 1)]


def test_a_name_in_no_registry_goes_to_the_review_table(region):
    con, _, _ = region
    review = fetch(
        con,
        "SELECT DISTINCT school_name, match_status FROM marts.review_school_matches",
    )
    assert review == [(UNMATCHED_NAME, "unmatched")]
    ((message,),) = fetch(
        con, "SELECT message FROM ops.problems WHERE rule = 'school_name_unmatched'"
    )
    assert UNMATCHED_NAME in message and "review_school_matches" in message


def test_a_school_named_twice_in_a_summary_with_other_figures_blocks_the_file(tmp_path: Path):
    """A name-only school given twice in one «Статистика по отметкам» with other numbers is a
    repeat (as a coded school's would be); the aggregates around it never are."""
    raw = tmp_path / "raw"
    write_login_list(raw)
    rows = [*STATS_TITLE, ["Название ОО", "Муниципалитет", "Кол-во участников", "2", "3", "4",
                           "5"],
            ["Вся выборка", None, 1000, 10, 40, 35, 15],
            ['МБОУ "СОШ № 1"', "Павловский район", 25, 12, 40, 36, 12],
            [None, "Павловский район", 300, 10, 40, 35, 15],
            [None, "Павловский район", 300, 10, 40, 35, 15],
            ['МБОУ "СОШ № 1"', "Павловский район", 24, 12.5, 37.5, 37.5, 12.5]]  # fmt: skip
    save(workbook(rows), raw, "vpr/2021/Статистика.xlsx")
    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, None)
        summary = ingest_raw(con, raw)
        repeats = fetch(
            con, "SELECT rule, row FROM ops.problems WHERE rule LIKE 'repeated%' ORDER BY row"
        )
    assert summary.quarantined == ["vpr/2021/Статистика.xlsx"]
    assert repeats == [("repeated_procedure", 11)]  # the second «СОШ № 1», not the districts


def test_two_rows_taken_for_the_region_on_one_sheet_are_named(tmp_path: Path):
    """Bare towns («Красноярск», «Ачинск») the registry does not know, on a sheet without the
    region's own row, are neither schools' nor municipalities' names: not silently two regions —
    both rows are named in a warning. (With the region's row on the sheet, or a registry that
    knows them, they are municipalities: tests/unit/test_town_files.py.)"""
    raw = tmp_path / "raw"
    write_login_list(raw)
    rows = [*STATS_TITLE, ["Название ОО", "Кол-во участников", "2", "3", "4", "5"],
            ["Красноярск", 300, 10, 40, 35, 15],
            ['МБОУ "СОШ № 1"', 25, 12, 40, 36, 12],
            ["Ачинск", 300, 10, 40, 35, 15],
            ['МБОУ "СОШ № 2"', 24, 12.5, 37.5, 37.5, 12.5]]  # fmt: skip
    save(workbook(rows), raw, "vpr/2021/Статистика.xlsx")
    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, None)
        summary = ingest_raw(con, raw)
        said = fetch(
            con,
            "SELECT severity, row, value FROM ops.problems "
            "WHERE rule = 'summary_several_regions' ORDER BY row",
        )
    assert summary.quarantined == []
    both = "строка 7 «Красноярск», строка 9 «Ачинск»"
    assert said == [("warning", 7, both), ("warning", 9, both)]
