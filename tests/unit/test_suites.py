"""The Great Expectations suites in expectations/: what make_suites.py writes, one per raw
layout and per mart, every checked column present in its frame; and the raw rules on rows."""

from __future__ import annotations

import importlib.util
import json

import pytest
from builders import insert_raw

from shnor import warehouse
from shnor.ingest.layouts import LAYOUTS
from shnor.quality.raw_checks import check_files, suite_for
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


def test_every_mart_model_has_a_suite():
    tables = {m.table for m in warehouse.models(("marts", "reports"))}
    tables |= {
        "marts.fct_school_flags",
        "marts.fct_class_support_signals",
        "marts.fct_school_early_warning",
    }
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
        "SELECT DISTINCT rule FROM raw._problems WHERE source_file = ? ORDER BY 1", [source]
    ).fetchall()
    return [r[0] for r in rows]


def test_the_earlier_loaded_file_wins_a_repeated_participant(con):
    _file(con, "vpr/2025/b.csv", status="loaded")
    insert_raw(con, "vpr_participants", "vpr/2025/b.csv", [_vpr()])
    _file(con, "vpr/2025/a.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/a.csv", [_vpr(cls="5Б")])
    assert check_files(con, ["vpr/2025/a.csv"]) == {"vpr/2025/a.csv"}
    assert _rules(con, "vpr/2025/a.csv") == ["duplicate_participant_row"]
    assert _statuses(con) == {"vpr/2025/b.csv": "loaded", "vpr/2025/a.csv": "quarantined"}
    assert con.execute("SELECT count(*) FROM raw.vpr_participants").fetchall()[0][0] == 1


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
        'SELECT "row", "column", value FROM raw._problems WHERE source_file = \'vpr/2025/b.csv\''
    ).fetchall()
    assert row == (2, "Отметка", "1")


def test_a_school_year_passport_for_both_school_years_is_the_folder_year(con):
    _file(con, "context/2025/p.csv", layout="context")
    passport = {"school_code": "s1", "context_year": "2024/2025", "single_parent_share": "12"}
    insert_raw(con, "context", "context/2025/p.csv", [passport])
    _file(con, "context/2025/q.csv", layout="context")
    insert_raw(
        con,
        "context",
        "context/2025/q.csv",
        [passport | {"school_code": "s2", "context_year": "2023"}],
    )
    assert check_files(con, ["context/2025/p.csv", "context/2025/q.csv"]) == {"context/2025/q.csv"}
    assert _rules(con, "context/2025/q.csv") == ["year_mismatch"]


def test_many_bad_cells_are_listed_up_to_a_limit_then_counted(con):
    _file(con, "vpr/2025/a.csv")
    insert_raw(con, "vpr_participants", "vpr/2025/a.csv",
               [_vpr(pupil=f"p{i}", mark="9") for i in range(30)])  # fmt: skip
    check_files(con, ["vpr/2025/a.csv"])
    messages = [r[0] for r in con.execute("SELECT message FROM raw._problems").fetchall()]
    assert len(messages) == 21
    assert sum("ещё 10 строк" in m for m in messages) == 1
