"""The Great Expectations suites in expectations/: what make_suites.py writes, one per raw
layout and per mart, every checked column present in its frame; and the raw rules on rows."""

from __future__ import annotations

import importlib.util
import json

import pytest
from builders import insert_raw
from summary_workbooks import summary_region, write_summary_workbook

from shnor import warehouse
from shnor.ingest.headers import subject_code
from shnor.ingest.layouts import LAYOUTS
from shnor.ingest.raw_checks import check_files, suite_for
from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.readers import read_file
from shnor.publish import published_tables
from shnor.quality.suites import _suite, check_sql, expectations_dir, frame_for, suite_names


def _make_suites():
    spec = importlib.util.spec_from_file_location(
        "make_suites", expectations_dir() / "make_suites.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_json_files_are_what_make_suites_writes():
    written = _make_suites().suites()
    assert sorted(written) == suite_names()
    for name, expectations in written.items():
        stored = json.loads((expectations_dir() / f"{name}.json").read_text("utf-8"))
        assert stored["expectations"] == json.loads(json.dumps(expectations)), name


@pytest.mark.parametrize("name", suite_names())
def test_every_expectation_is_understood_by_gx_and_says_what_to_do(name):
    suite = _suite(name)  # raises when GX dropped an expectation
    assert suite.expectations
    for expectation in suite.expectations:
        assert {"rule", "description_ru", "action_ru", "column_ru"} <= expectation.meta.keys()


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_every_raw_layout_has_a_suite_and_a_frame_with_its_columns(con, layout):
    name = suite_for(layout.name)
    assert name in suite_names()
    assert check_sql(name) is not None
    columns = set(frame_for(con, name, {"files": []}).columns)
    assert {"_source_file", "_sheet", "_row"} <= columns
    for expectation in json.loads((expectations_dir() / f"{name}.json").read_text())[
        "expectations"
    ]:
        kwargs = expectation["kwargs"]
        used = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")]
        assert {c for c in used if c} <= columns, expectation


def test_every_published_table_has_a_suite():
    tables = set(published_tables())
    assert {m.table for m in warehouse.models(("marts", "reports"))} <= tables
    assert tables <= set(suite_names())


# --- the raw rules on given rows -------------------------------------------------------------


def _file(con, source, status="unchecked", layout="vpr_participants"):
    con.execute(
        "INSERT INTO raw._files (source_file, checksum, status, layouts) VALUES (?, ?, ?, ?)",
        [source, f"sha-{source}", status, layout],
    )


def _vpr(school="s1", cls="5А", subject="Математика", pupil="p1", mark="4"):
    return {"school_code": school, "class_label": cls, "subject": subject,
            "participant_id": pupil, "mark": mark, "primary_score": "10"}  # fmt: skip


def _statuses(con):
    return dict(con.execute("SELECT source_file, status FROM raw._files").fetchall())


def _rules(con, source):
    rows = con.execute(
        "SELECT DISTINCT rule FROM ops.problems WHERE source_file = ? ORDER BY 1", [source]
    ).fetchall()
    return [r[0] for r in rows]


def test_a_participant_repeated_in_a_file_blocks_it_but_in_another_file_is_settled_later(con):
    _file(con, "vpr/2025/b.csv", status="loaded")
    insert_raw(con, "vpr_participants", "vpr/2025/b.csv", [_vpr()])
    _file(con, "vpr/2025/a.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/a.csv", [_vpr(cls="5Б")])
    _file(con, "vpr/2025/c.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/c.csv", [_vpr(), _vpr(cls="5Б", mark="3")])
    # in another file (another class): no earlier file wins; the build settles it whatever the
    # files' names or order (int_participant_file_procedures, issue 18)
    assert check_files(con, ["vpr/2025/a.csv", "vpr/2025/c.csv"]) == {"vpr/2025/c.csv"}
    assert _rules(con, "vpr/2025/a.csv") == []
    assert _rules(con, "vpr/2025/c.csv") == ["duplicate_participant_row"]
    assert _statuses(con) == {
        "vpr/2025/b.csv": "loaded", "vpr/2025/a.csv": "loaded", "vpr/2025/c.csv": "quarantined"
    }  # fmt: skip


def test_same_participant_in_another_year_or_subject_is_no_duplicate(con):
    _file(con, "vpr/2025/a.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/a.csv", [_vpr(), _vpr(subject="Русский язык")])
    _file(con, "vpr/2026/a.csv")
    insert_raw(con, "vpr_participants", "vpr/2026/a.csv", [_vpr()])
    assert check_files(con, ["vpr/2025/a.csv", "vpr/2026/a.csv"]) == set()
    assert set(_statuses(con).values()) == {"loaded"}


def test_absent_and_empty_marks_are_not_errors_but_a_one_is(con):
    _file(con, "vpr/2025/a.csv")
    rows = [_vpr(pupil="p1", mark="отсутствовал"), _vpr(pupil="p2", mark=""),
            _vpr(pupil="p3", mark=" 5 ")]  # fmt: skip
    insert_raw(con, "vpr_participants", "vpr/2025/a.csv", rows)
    _file(con, "vpr/2025/b.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/b.csv", [_vpr(cls="6А", mark="1")])
    assert check_files(con, ["vpr/2025/a.csv", "vpr/2025/b.csv"]) == {"vpr/2025/b.csv"}
    (row,) = con.execute(
        'SELECT "row", "column", value FROM ops.problems WHERE source_file = \'vpr/2025/b.csv\''
    ).fetchall()
    assert row == (2, "Отметка", "1")


def test_a_passport_row_of_another_year_loads_and_a_year_that_is_no_year_is_warned(con):
    # a row's stated year is its year (one file may give several); a cell stating no year is
    # a warning naming it, the row counted for the folder's year — the file is never quarantined
    _file(con, "context/2025/p.csv", layout="context")
    passport = {"school_code": "s1", "context_year": "2024/2025", "single_parent_share": "12"}
    insert_raw(con, "context", "context/2025/p.csv", [passport])
    _file(con, "context/2025/q.csv", layout="context")
    rows = [passport | {"school_code": "s2", "context_year": "2023"},
            passport | {"school_code": "s3", "context_year": "н/д"}]  # fmt: skip
    insert_raw(con, "context", "context/2025/q.csv", rows)
    assert check_files(con, ["context/2025/p.csv", "context/2025/q.csv"]) == set()
    assert _rules(con, "context/2025/p.csv") == []
    said = con.execute(
        'SELECT rule, severity, "row", value FROM ops.problems '
        "WHERE source_file = 'context/2025/q.csv'"
    ).fetchall()
    assert said == [("passport_year_unknown", "warning", 3, "н/д")]


def test_many_bad_cells_are_listed_up_to_a_limit_then_counted(con):
    _file(con, "vpr/2025/a.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/a.csv",
               [_vpr(pupil=f"p{i}", mark="9") for i in range(30)])  # fmt: skip
    check_files(con, ["vpr/2025/a.csv"])
    messages = [r[0] for r in con.execute("SELECT message FROM ops.problems").fetchall()]
    assert len(messages) == 21
    assert sum("ещё 10 строк" in m for m in messages) == 1


# --- the summary layouts (ВПР «Статистика по отметкам», сравнение с журналом, ЕГЭ сводная) ---


def _summary_region(schools=6):
    region = summary_region(seed=3, schools=schools, years=(2024, 2025), renamed=0)
    for year in region:
        for school in region[year]:  # every school sits Russian, so each has a row
            school.figures["Русский язык"] = (10, 1, 2, None, 61.5)
    return region


def _blocking(con, source):
    return con.execute(
        'SELECT rule, severity, "row", "column", value FROM ops.problems '
        "WHERE source_file = ? AND severity = 'blocking' ORDER BY ALL",
        [source],
    ).fetchall()


def test_an_ege_summary_with_more_fails_than_participants_is_quarantined(tmp_path, con):
    region = _summary_region()
    bad = region[2025][2]
    bad.figures["Русский язык"] = (5, 7, None, None, 40.0)
    folder = tmp_path / "raw" / "ege" / "2025"
    folder.mkdir(parents=True)
    path = write_summary_workbook(folder / "svod.xlsx", {2025: region[2025]})
    (sheet, _) = read_file(path, "ege")
    (row,) = {r["_row"] for r in sheet.table.to_pylist() if r["school_name"] == bad.name}
    other = tmp_path / "raw" / "ege" / "2024"
    other.mkdir()
    write_summary_workbook(other / "svod.xlsx", {2024: region[2024]})
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.quarantined == ["ege/2025/svod.xlsx"]
    assert _blocking(con, "ege/2025/svod.xlsx") == [
        ("counts_contradict", "blocking", row, "не преодолен min порог ≤ приняло участие",
         "5 / 7"),
    ]  # fmt: skip
    assert _statuses(con)["ege/2024/svod.xlsx"] == "loaded"
    assert con.execute("SELECT count(*) FROM raw.ege_school_summary").fetchall()[0][0] > 0


def test_a_second_summary_workbook_of_the_same_year_conflicts_only_where_it_differs(tmp_path, con):
    from builders import build_models

    region = _summary_region()
    raw = tmp_path / "raw" / "ege"
    for year in (2024, 2025):
        (raw / str(year)).mkdir(parents=True)
    # a 2024 sheet in the 2025 workbook yields to the 2024 folder's workbook: no conflict
    write_summary_workbook(raw / "2024" / "a.xlsx", {2024: region[2024]})
    write_summary_workbook(raw / "2025" / "b.xlsx", region)
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.quarantined == []
    # another workbook of 2025 giving the same schools again, one figure changed: the same
    # figures count once; the changed school-procedure counts from neither file (issue 18:
    # which file wins must not depend on names or order), said on both files' rows
    region[2025][0].figures["Русский язык"] = (11, 1, 2, None, 61.5)
    write_summary_workbook(raw / "2025" / "c.xlsx", {2025: region[2025]})
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.quarantined == []
    build_models(con)
    conflicts = con.execute(
        "SELECT source_file, value FROM ops.problems WHERE rule = 'summary_conflict' ORDER BY ALL"
    ).fetchall()
    assert conflicts == [
        ("ege/2025/b.xlsx", "ege/2025/c.xlsx"), ("ege/2025/c.xlsx", "ege/2025/b.xlsx")
    ]  # fmt: skip
    counted = con.execute(
        "SELECT s.school_name, f.subject, f.participant_count "
        "FROM marts.fct_school_procedure_results AS f JOIN (SELECT DISTINCT school_id, "
        "school_name FROM staging.stg_ege__school_summary WHERE exam_year = 2025) AS s "
        "USING (school_id) WHERE f.exam_year = 2025"
    ).fetchall()
    first = " ".join(region[2025][0].name.split())
    assert (first, "russian") not in {(school, subject) for school, subject, _ in counted}
    expected = sum(
        1 for school in region[2025] for subject, figures in school.figures.items()
        if figures[0] and subject_code(subject)[1]
    )  # fmt: skip
    assert len(counted) == expected - 1


def test_unreadable_counts_block_a_summary_but_junk_in_the_mean_does_not(con):
    good = {"municipality_name": "Район", "school_name": "СОШ № 1", "sheet_year": "2025",
            "subject": "Химия", "participant_count": "12", "fail_count": "",
            "hundred_count": "н/д", "mean_score": "—"}  # fmt: skip
    _file(con, "ege/2025/a.xlsx", layout="ege_school_summary")
    insert_raw(con, "ege_school_summary", "ege/2025/a.xlsx", [good])
    _file(con, "ege/2025/b.xlsx", layout="ege_school_summary")
    insert_raw(con, "ege_school_summary", "ege/2025/b.xlsx",
               [good | {"school_name": "СОШ № 2", "participant_count": "12,5"},
                good | {"school_name": "СОШ № 3", "fail_count": "-1"}])  # fmt: skip
    assert check_files(con, ["ege/2025/a.xlsx", "ege/2025/b.xlsx"]) == {"ege/2025/b.xlsx"}
    assert _blocking(con, "ege/2025/a.xlsx") == []
    assert [p[:3] for p in _blocking(con, "ege/2025/b.xlsx")] == [
        ("count_not_numeric", "blocking", 2), ("count_out_of_range", "blocking", 3)
    ]  # fmt: skip


def test_vpr_summary_shares_outside_0_100_or_not_numbers_block_the_file(con):
    school = {"school_code": "sch1", "title_subject": "Математика", "title_grade": "5",
              "title_year": "2025", "participant_count": "20"}  # fmt: skip
    marks = {"mark_2_percent": "10", "mark_3_percent": "40", "mark_4_percent": "30",
             "mark_5_percent": "20"}  # fmt: skip
    _file(con, "vpr/2025/stats.xlsx", layout="vpr_mark_stats")
    insert_raw(con, "vpr_mark_stats", "vpr/2025/stats.xlsx", [
        school | marks,
        school | marks | {"school_code": "sch2", "mark_2_percent": "-10", "mark_3_percent": "60"},
        {"school_name": "Вся выборка", "participant_count": "1000"} | marks,
    ])  # fmt: skip
    journal = {
        "school_code": "sch1",
        "title_subject": "Математика",
        "title_grade": "5",
        "lowered_percent": "20%",
        "confirmed_percent": "н/д",
        "raised_percent": "10%",
    }
    _file(con, "vpr/2025/journal.xlsx", layout="vpr_journal_comparison")
    insert_raw(con, "vpr_journal_comparison", "vpr/2025/journal.xlsx", [journal])
    # the same school, grade and subject from another file
    _file(con, "vpr/2025/stats_copy.xlsx", layout="vpr_mark_stats")
    insert_raw(con, "vpr_mark_stats", "vpr/2025/stats_copy.xlsx", [school | marks])
    files = ["vpr/2025/stats.xlsx", "vpr/2025/journal.xlsx", "vpr/2025/stats_copy.xlsx"]
    assert check_files(con, files) == set(files[:2])
    assert _blocking(con, "vpr/2025/stats.xlsx") == [
        ("share_out_of_range", "blocking", 3, "«2» (%)", "-10")
    ]
    assert _blocking(con, "vpr/2025/journal.xlsx") == [
        ("share_not_numeric", "blocking", 2, "Понизили / Подтвердили / Повысили (%)",
         "подтвердили: н/д"),
    ]  # fmt: skip
    # another file giving the same school is settled at build time whatever the files' names
    # (int_vpr_summary_file_rows, issue 18), not by blocking the later file
    assert _blocking(con, "vpr/2025/stats_copy.xlsx") == []


def test_a_passport_share_written_with_a_percent_sign_is_a_number_not_junk(con):
    _file(con, "context/2025/p.csv", layout="context")
    passport = {"school_code": "s1", "single_parent_share": "6,1%", "vacancy_share": "н/д"}
    insert_raw(con, "context", "context/2025/p.csv", [passport])
    assert check_files(con, ["context/2025/p.csv"]) == set()
    (row,) = con.execute('SELECT rule, "column", value FROM ops.problems').fetchall()
    assert row[0] == "value_unknown" and row[2] == "н/д"  # only the real junk is named


@pytest.mark.parametrize(
    ("layout", "numbers", "other_numbers"),
    [
        ("vpr_mark_stats",
         {"mark_2_percent": "10", "mark_3_percent": "40", "mark_4_percent": "30",
          "mark_5_percent": "20"},
         {"mark_2_percent": "30", "mark_3_percent": "40", "mark_4_percent": "20",
          "mark_5_percent": "10"}),
        ("vpr_journal_comparison",
         {"lowered_percent": "20", "confirmed_percent": "70", "raised_percent": "10"},
         {"lowered_percent": "5", "confirmed_percent": "90", "raised_percent": "5"}),
    ],
)  # fmt: skip
def test_a_school_given_twice_in_a_vpr_summary_file(con, layout, numbers, other_numbers):
    # The same row again is counted once (a warning naming the first row); other numbers for
    # the same school, grade and subject block the file; another grade is no repeat.
    school = {"school_code": "sch1", "title_subject": "Математика", "title_grade": "5",
              "title_year": "2025", "participant_count": "20"}  # fmt: skip
    _file(con, "vpr/2025/twice.xlsx", layout=layout)
    insert_raw(con, layout, "vpr/2025/twice.xlsx", [
        school | numbers,
        school | numbers,
        school | {"title_grade": "6"} | other_numbers,
        school | other_numbers,
    ])  # fmt: skip
    assert check_files(con, ["vpr/2025/twice.xlsx"]) == {"vpr/2025/twice.xlsx"}
    assert _blocking(con, "vpr/2025/twice.xlsx") == [
        ("repeated_procedure", "blocking", 5, "ОО", "строка 2")
    ]
    warnings = con.execute(
        "SELECT rule, \"row\", value FROM ops.problems WHERE severity = 'warning'"
    ).fetchall()
    assert warnings == [("repeated_school_row", 3, "строка 2")]
