"""The ФИОКО lists of schools with signs of non-objective results (raw/objectivity/<year>/):
recognised by their headers, staged, counted as a concern by the preset's choice and compared
with shnor's own markers (both lists, ФИОКО only, shnor only)."""

from __future__ import annotations

import json

import pandas as pd
from builders import build_models, write_preset
from context_inputs import write_fioco_list

from shnor.ingest.readers import SheetSkipped, read_file
from shnor.methods.objectivity import MARKERS, vpr_evidence_mask
from shnor.methods.objectivity_lists import objectivity_comparison, with_fioco_list
from shnor.presets import load_preset
from shnor.publish import published_tables
from shnor.stages.flag import flag
from shnor.stages.ingest import ingest

LISTED = [
    {"login": "sch100001", "year": 2024, "grade": "5", "subject": "Математика"},
    {"login": "sch100001", "year": 2024, "grade": "6", "subject": "Русский язык"},
    {"login": "sch100002", "year": 2024, "grade": "4", "subject": "Окружающий мир"},
]


def _markers(rows: list[tuple[str, int, int, str, list[str]]]) -> pd.DataFrame:
    """int_vpr_objectivity_markers rows: school, year, grade, subject, markers that fired."""
    frame = []
    for school, year, grade, subject, fired in rows:
        row = {"school_id": school, "exam_year": year, "grade": grade, "subject": subject}
        row |= {m: m in fired for m in MARKERS}
        row["marker_count"] = len(fired)
        frame.append(row)
    return pd.DataFrame(frame)


def _concerns(rows: list[tuple[str, int, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"school_id": s, "exam_year": y, "has_objectivity_concern": c,
             "marked_procedure_count": int(c), "objectivity_reasons": "[]"}
            for s, y, c in rows
        ]
    )  # fmt: skip


def _staged(con) -> pd.DataFrame:
    return con.execute(
        "SELECT school_id, exam_year, grade, subject FROM staging.stg_objectivity__fioco_list"
    ).df()


def test_both_list_shapes_are_read_from_the_objectivity_folder(con, tmp_path):
    write_fioco_list(tmp_path / "raw/objectivity/2024/list.xlsx", LISTED)
    write_fioco_list(
        tmp_path / "raw/objectivity/2023/logins.xlsx",
        [{"login": "sch100003", "year": 2023}, {"login": None, "year": "прошлый"}],
        with_procedures=False,
    )
    summary = ingest(con, tmp_path / "raw")
    assert sorted(summary.loaded) == ["objectivity/2023/logins.xlsx", "objectivity/2024/list.xlsx"]
    build_models(con)
    staged = _staged(con).sort_values(["exam_year", "school_id", "grade"], ignore_index=True)
    assert staged.astype(object).where(staged.notna(), None).values.tolist() == [
        ["sch100003", 2023, None, None],  # login and year only: the whole school
        ["sch100001", 2024, 5, "math"],
        ["sch100001", 2024, 6, "russian"],
        ["sch100002", 2024, 4, "surrounding_world"],
    ]
    # the row without a login is not lost: it stays in raw and is reported
    problems = con.execute(
        "SELECT source_file, rule FROM ops.problems WHERE rule = 'list_row_without_login'"
    ).fetchall()
    assert problems == [("objectivity/2023/logins.xlsx", "list_row_without_login")]
    assert con.execute("SELECT count(*) FROM raw.fioco_objectivity_list").fetchall() == [(5,)]
    # no registry and no results here: every listed login is named as unknown
    unknown = con.execute(
        "SELECT value FROM ops.problems WHERE rule = 'fioco_list_unknown_school' ORDER BY 1"
    ).fetchall()
    assert unknown == [("sch100001",), ("sch100002",), ("sch100003",)]


def test_a_login_list_elsewhere_is_not_taken_for_a_fioco_list(tmp_path):
    path = write_fioco_list(tmp_path / "vpr/2024/list.xlsx", LISTED)
    [sheet] = read_file(path, "vpr")
    assert isinstance(sheet, SheetSkipped)  # recognised only in raw/objectivity/


def test_the_list_counts_as_a_concern_by_default_and_sets_aside_its_vpr(tmp_path):
    fioco = pd.DataFrame(
        {"school_id": ["b", "c"], "exam_year": [2024, 2024], "grade": [5, None],
         "subject": ["math", None]}
    )  # fmt: skip
    concerns = _concerns([("a", 2024, True), ("b", 2024, False), ("d", 2024, False)])
    combined = with_fioco_list(concerns, fioco, load_preset()).set_index("school_id")
    assert combined["has_objectivity_concern"].to_dict() == {
        "a": True, "b": True, "c": True, "d": False
    }  # fmt: skip
    assert combined["has_marker_concern"].to_dict() == {
        "a": True, "b": False, "c": False, "d": False
    }  # fmt: skip
    assert json.loads(combined.loc["b", "objectivity_reasons"]) == [
        {"grade": 5, "subject": "math", "markers": ["fioco_list"]}
    ]
    assert json.loads(combined.loc["c", "objectivity_reasons"]) == [
        {"grade": None, "subject": "all", "markers": ["fioco_list"]}
    ]
    results = pd.DataFrame(
        {"school_id": ["b", "b", "d"], "exam_year": [2024] * 3, "exam": ["vpr", "oge", "vpr"]}
    )
    usable = vpr_evidence_mask(results, combined.reset_index(), load_preset())
    assert usable.tolist() == [False, True, True]

    compared_only = load_preset(
        write_preset(tmp_path, "[objectivity]\nfioco_list_counts_as_concern = false\n")
    )
    kept = with_fioco_list(concerns, fioco, compared_only).set_index("school_id")
    assert kept["has_objectivity_concern"].to_dict() == {
        "a": True, "b": False, "c": False, "d": False
    }  # fmt: skip
    assert kept["is_on_fioco_list"].to_dict() == {"a": False, "b": True, "c": True, "d": False}
    assert json.loads(kept.loc["b", "objectivity_reasons"]) == []


def test_the_comparison_lists_agreement_and_each_lists_own_schools():
    fioco = pd.DataFrame(
        {"school_id": ["both", "both", "fioco", "whole"], "exam_year": [2024] * 4,
         "grade": [5, 6, 4, None], "subject": ["math", "russian", "math", None]}
    )  # fmt: skip
    markers = _markers(
        [
            ("both", 2024, 5, "math", ["m1_journal_mismatch", "m2_boundary_spike"]),
            ("both", 2024, 7, "math", ["m4_sudden_drop"]),
            ("shnor", 2024, 5, "russian", ["m1_journal_mismatch", "m5_absentees"]),
            ("whole", 2024, 8, "biology", ["m3_best_vpr_not_exams"]),
            ("quiet", 2024, 5, "math", []),
            ("old", 2023, 5, "math", ["m1_journal_mismatch", "m2_boundary_spike"]),
        ]
    )
    concerns = _concerns(
        [("both", 2024, True), ("shnor", 2024, True), ("whole", 2024, False),
         ("quiet", 2024, False), ("old", 2023, True)]
    )  # fmt: skip
    objectivity = with_fioco_list(concerns, fioco, load_preset())
    schools = pd.DataFrame(
        {"school_id": ["both", "fioco", "shnor", "whole"],
         "school_name": ["Школа 1", "Школа 2", "Школа 3", "Школа 4"],
         "municipality_name": ["Район"] * 4}
    )  # fmt: skip
    table = objectivity_comparison(objectivity, markers, fioco, schools).set_index("school_id")
    # 2023 has no ФИОКО list: «old» is not compared; «quiet» is on neither list
    assert table["agreement"].to_dict() == {
        "both": "both", "fioco": "fioco_only", "whole": "fioco_only", "shnor": "shnor_only"
    }  # fmt: skip
    assert table.loc["both", "common_procedure_count"] == 1  # 5 math on both; 7 math only shnor's
    assert table.loc["both", "fioco_procedures"] == "5 кл., Математика; 6 кл., Русский язык"
    assert table.loc["both", "shnor_procedures"].startswith("5 кл., Математика (M1, M2)")
    assert table.loc["whole", "fioco_procedures"] == "вся школа"
    assert table.loc["whole", "common_procedure_count"] == 1  # the whole school covers biology 8
    assert not table.loc["whole", "has_shnor_concern"]
    assert pd.isna(table.loc["fioco", "shnor_procedures"])
    assert table.loc["shnor", "agreement_label"] == "только по маркерам shnor"
    assert table.loc["shnor", "school_name"] == "Школа 3"


def _small_region(con, tmp_path) -> list:
    """12 schools × ВПР 2024–2025, questionnaires (no passport) and a ФИОКО list of 2025."""
    from builders import insert_raw
    from context_inputs import plant_schools, write_questionnaire

    schools = plant_schools(12, seed=5)
    for year in (2024, 2025):
        rows = []
        for i, school in enumerate(schools):
            for subject in ("Математика", "Русский язык"):
                for p in range(12):
                    mark = "2" if p < 1 + i // 3 else str(3 + (p + i) % 3)
                    rows.append(
                        {"school_code": school.login, "class_label": "5А", "subject": subject,
                         "mark": mark, "primary_score": str(4 + p), "journal_mark": mark,
                         "participant_id": f"{i}-{p}"}
                    )  # fmt: skip
        insert_raw(con, "vpr_participants", f"vpr/{year}/vpr.csv", rows)
        write_questionnaire(tmp_path / f"raw/context/{year}/anketa.xlsx", schools, year)
    write_fioco_list(
        tmp_path / "raw/objectivity/2025/list.xlsx",
        [{"login": schools[0].login, "year": 2025, "grade": "5", "subject": "Математика"},
         {"login": schools[5].login, "year": 2025}],
    )  # fmt: skip
    ingest(con, tmp_path / "raw")
    build_models(con)
    flag(con, load_preset())
    return schools


def test_the_flag_stage_counts_the_list_uses_the_questionnaire_and_the_workbook_shows_both(
    con, tmp_path
):
    from python_calamine import CalamineWorkbook

    from shnor.reports.build import write_reports

    schools = _small_region(con, tmp_path)
    listed = {schools[0].login, schools[5].login}
    assert not con.execute(
        "SELECT count(*) FROM ops.problems WHERE rule = 'fioco_list_unknown_school'"
    ).fetchall()[0][0]
    context = con.execute(
        "SELECT exam_year, context_source, count(*), count(*) FILTER (WHERE is_shnsu) "
        "FROM intermediate.int_school_context GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert context == [(2024, "questionnaire", 12, 3), (2025, "questionnaire", 12, 3)]
    flags = con.execute(
        "SELECT school_id FROM marts.fct_school_flags "
        "WHERE exam_year = 2025 AND has_objectivity_concern"
    ).fetchall()
    assert {s for (s,) in flags} >= listed
    compared = con.execute(
        "SELECT school_id, agreement, fioco_procedures FROM reports.rpt_objectivity_comparison"
    ).df()
    on_list = compared[compared["agreement"].isin(["both", "fioco_only"])]
    assert set(on_list["school_id"]) == listed
    assert set(compared.loc[compared["agreement"] == "shnor_only", "school_id"]).isdisjoint(listed)
    assert compared.set_index("school_id").loc[schools[5].login, "fioco_procedures"] == (
        "вся школа"
    )

    marts = {
        name.split(".")[1]: con.execute(f"SELECT * FROM {name}").df() for name in published_tables()
    }
    written = write_reports(marts, load_preset(), [], tmp_path / "reports", [2025])
    [workbook] = [p for p in written if p.name == "school_list_2025.xlsx"]
    book = CalamineWorkbook.from_path(str(workbook))
    assert "Объективность ФИОКО и shnor" in book.sheet_names
    cells = book.get_sheet_by_name("Объективность ФИОКО и shnor").to_python()
    text = "\n".join(" ".join(str(c) for c in row) for row in cells)
    for login in listed:
        assert login in text
    # 2024 has no ФИОКО list: the sheet says so instead of looking like agreement
    from shnor.reports.support_sheets import objectivity_sheet

    _, rows_2024, _, note = objectivity_sheet(marts, 2024)
    assert rows_2024.empty and "не загружен" in note


def test_a_list_with_longer_headers_is_read_too(tmp_path):
    import xlsxwriter

    path = tmp_path / "objectivity/2025/perechen.xlsx"
    path.parent.mkdir(parents=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Логин образовательной организации", "Год проведения ВПР",
                           "Класс (параллель)", "Учебный предмет"])  # fmt: skip
    sheet.write_row(1, 0, ["ksh0001", 2025, 7, "История"])
    book.close()
    [read] = read_file(path, "objectivity")
    assert read.layout.name == "fioco_objectivity_list"
    [row] = read.table.select(["school_code", "context_year", "class_label", "subject"]).to_pylist()
    assert row == {
        "school_code": "ksh0001", "context_year": "2025", "class_label": "7", "subject": "История"
    }  # fmt: skip
