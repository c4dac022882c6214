"""SQL models behind the objectivity markers and support signals, given raw rows → expected
rows: int_vpr_objectivity_evidence, int_vpr_class_results, int_vpr_students_at_risk,
fct_school_mock_results; and the whole `flag` on a tiny warehouse."""

from __future__ import annotations

import pytest
from builders import build_models as build
from builders import fetch as rows
from builders import insert_raw as insert

from shnor.presets import load_preset
from shnor.stages.flag import flag


def vpr(code, score, mark, journal=None, class_label="4А", subject="Математика", **rest) -> dict:
    return {
        "school_code": code,
        "class_label": class_label,
        "subject": subject,
        "mark": mark,
        "primary_score": score,
        "journal_mark": journal,
        **rest,
    }


# --- int_vpr_objectivity_evidence -----------------------------------------------------------


def _objectivity_region() -> list[dict]:
    """ВПР maths 4 in three schools. Score 7 is «2» for all 22 who have it, score 8 «3» for all
    24, so the boundary is 8 (score 3, all «3», has a single result: not enough). School A has
    12 of its 16 pupils around the boundary on it, raised marks and 3 absentees."""
    a = (
        [vpr("A", "7", "2", "3")] * 2  # lowered
        + [vpr("A", "8", "3", "2")] * 12  # raised
        + [vpr("A", "9", "3", "3")] * 2
        + [vpr("A", "15", "5", "4")] * 4  # raised
        + [vpr("A", "12", "4", None)]  # no journal mark: not a pair
        + [vpr("A", "", "отсутствовал", "4")] * 3
    )
    b = (
        [vpr("B", "7", "2", "2")] * 10
        + [vpr("B", "8", "3", "3")] * 6
        + [vpr("B", "9", "3", "4")] * 10  # lowered
        + [vpr("B", "14", "4", "4")] * 4
    )
    c = (
        [vpr("C", "7", "2", "3")] * 10  # lowered
        + [vpr("C", "8", "3", "3")] * 6
        + [vpr("C", "9", "3", "3")] * 10
        + [vpr("C", "3", "3", "3")]
    )
    return a + b + c


EVIDENCE_COLUMNS = (
    "school_id, exam_year, grade, subject, boundary_score, listed_count, absent_count, "
    "participant_count, fail_count, journal_pair_count, raised_count, lowered_count, "
    "scored_count, at_boundary_count, near_boundary_count"
)


def test_objectivity_evidence_boundary_window_journal_and_absentees(con):
    insert(con, "vpr_participants", "vpr/2025/vpr.csv", _objectivity_region())
    build(con)
    assert rows(
        con,
        f"SELECT {EVIDENCE_COLUMNS} FROM intermediate.int_vpr_objectivity_evidence "
        "ORDER BY school_id",
    ) == [
        ("A", 2025, 4, "math", 8.0, 24, 3, 21, 2, 20, 16, 2, 21, 12, 16),
        ("B", 2025, 4, "math", 8.0, 30, 0, 30, 10, 30, 0, 10, 30, 6, 26),
        ("C", 2025, 4, "math", 8.0, 27, 0, 27, 10, 27, 0, 10, 27, 6, 26),
    ]
    means = rows(
        con,
        "SELECT mean_mark, mean_mark_minus_journal, regional_raised_share, "
        "regional_at_boundary_share, regional_boundary_window_share "
        "FROM intermediate.int_vpr_objectivity_evidence ORDER BY school_id",
    )
    expected = [
        (70 / 21, 14 / 20, 16 / 77, 24 / 78, 24 / 68),
        (84 / 30, -10 / 30, 16 / 77, 24 / 78, 24 / 68),
        (71 / 27, -10 / 27, 16 / 77, 24 / 78, 24 / 68),
    ]
    for got, want in zip(means, expected, strict=True):
        assert got == pytest.approx(want)


def test_the_boundary_needs_ninety_percent_passing_and_twenty_results(con):
    russian = (
        [vpr("D", "9", "3", subject="Русский язык")] * 19  # all pass, but only 19
        + [vpr("D", "10", "3", subject="Русский язык")] * 17
        + [vpr("D", "10", "2", subject="Русский язык")] * 3  # 85%
        + [vpr("D", "11", "3", subject="Русский язык")] * 18
        + [vpr("D", "11", "2", subject="Русский язык")] * 2  # exactly 90%
        + [vpr("D", "12", "4", subject="Русский язык")] * 20
    )
    # the same school's maths has too few results at any score: no boundary, nothing at it
    maths = [vpr("D", str(s), "3" if s >= 5 else "2") for s in range(10)]
    insert(con, "vpr_participants", "vpr/2025/vpr.csv", russian + maths)
    build(con)
    assert rows(
        con,
        "SELECT subject, boundary_score, at_boundary_count, near_boundary_count, scored_count, "
        "regional_boundary_window_share FROM intermediate.int_vpr_objectivity_evidence "
        "ORDER BY subject",
    ) == [
        ("math", None, 0, 0, 10, None),
        ("russian", 11.0, 20, 60, 79, 20 / 60),
    ]


def test_the_boundary_is_found_per_year_grade_and_subject(con):
    grade4 = [vpr("A", "8", "3")] * 20 + [vpr("A", "7", "2")] * 20
    grade5 = [vpr("A", "8", "2", class_label="5А")] * 20 + [
        vpr("A", "9", "3", class_label="5А")
    ] * 20
    insert(con, "vpr_participants", "vpr/2025/vpr.csv", grade4 + grade5)
    insert(con, "vpr_participants", "vpr/2024/vpr.csv", [vpr("A", "6", "3")] * 20)
    build(con)
    assert rows(
        con,
        "SELECT exam_year, grade, boundary_score, at_boundary_count "
        "FROM intermediate.int_vpr_objectivity_evidence ORDER BY exam_year, grade",
    ) == [(2024, 4, 6.0, 20), (2025, 4, 8.0, 20), (2025, 5, 9.0, 20)]


# --- int_vpr_class_results --------------------------------------------------------------------


def test_class_results_next_to_the_other_classes_and_the_region(con):
    insert(
        con,
        "vpr_participants",
        "vpr/2025/vpr.csv",
        [
            # an absentee and an unusable mark are not results
            *[vpr("001", None, m) for m in ["2", "2", "3", "4", "отсутствовал", "7"]],
            *[vpr("001", None, m, class_label="4Б") for m in ["3", "3", "2"]],
            vpr("001", None, "2", class_label=""),  # no class: not a class result
            *[vpr("002", None, m) for m in ["2", "5"]],
            *[vpr("001", None, m, subject="Русский язык") for m in ["3", "3"]],
        ],
    )
    build(con)
    assert rows(
        con,
        "SELECT school_id, exam_year, grade, subject, class_label, participant_count, "
        "fail_count, other_classes_participant_count, other_classes_fail_count, "
        "region_participant_count, region_fail_count FROM intermediate.int_vpr_class_results",
    ) == [
        ("001", 2025, 4, "math", "4А", 4, 2, 3, 1, 9, 4),
        ("001", 2025, 4, "math", "4Б", 3, 1, 4, 2, 9, 4),
        ("001", 2025, 4, "russian", "4А", 2, 0, 0, 0, 2, 0),
        ("002", 2025, 4, "math", "4А", 2, 1, 0, 0, 9, 4),
    ]


# --- int_vpr_students_at_risk -------------------------------------------------------------------


def _student(pid, subject, mark, journal=None, code="001", class_label="4А") -> dict:
    return vpr(code, None, mark, journal, class_label, subject, participant_id=pid)


def test_students_at_risk_two_fails_or_a_fail_with_a_low_journal_mark(con):
    m, r = "Математика", "Русский язык"
    insert(
        con,
        "vpr_participants",
        "vpr/2025/vpr.csv",
        [
            _student("P1", m, "2", "4"), _student("P1", r, "2", "4"),  # two fails
            _student("P2", m, "2", "3"), _student("P2", r, "4", "4"),  # fail, journal 3
            _student("P3", m, "2", "4"), _student("P3", r, "3", "3"),  # fail, journal 4
            _student("P4", m, "4", "4"), _student("P4", r, "5", "5"),
            _student("P5", m, "2"), _student("P5", r, "3"),  # fail, no journal mark
            _student("P6", m, "отсутствовал", "2"), _student("P6", r, "2", "4"),
            _student(None, m, "2", "2"), _student(None, r, "2", "2"),  # no code: not followed
            _student("P1", m, "2", class_label="5А"),  # another grade: another student
            _student("P1", m, "2", "2", code="002"),  # another school: another student
            _student("P7", m, "2", "4"), _student("P7", m, "2", "4"),  # one subject twice
        ],
    )  # fmt: skip
    build(con)
    assert rows(
        con,
        "SELECT school_id, exam_year, grade, participant_id, class_label, subject_count, "
        "failed_subject_count, failed_with_low_journal_count, is_at_risk "
        "FROM intermediate.int_vpr_students_at_risk ORDER BY ALL",
    ) == [
        ("001", 2025, 4, "P1", "4А", 2, 2, 0, True),
        ("001", 2025, 4, "P2", "4А", 2, 1, 1, True),
        ("001", 2025, 4, "P3", "4А", 2, 1, 0, False),
        ("001", 2025, 4, "P4", "4А", 2, 0, 0, False),
        ("001", 2025, 4, "P5", "4А", 2, 1, 0, False),
        ("001", 2025, 4, "P6", "4А", 1, 1, 0, False),
        ("001", 2025, 4, "P7", "4А", 1, 1, 0, False),
        ("001", 2025, 5, "P1", "5А", 1, 1, 0, False),
        ("002", 2025, 4, "P1", "4А", 1, 1, 1, True),
    ]


# --- fct_school_mock_results ----------------------------------------------------------------


def _mock(code, subject, pid, class_label=None, **rest) -> dict:
    return {
        "school_code": code,
        "subject": subject,
        "participant_id": pid,
        "class_label": class_label,
        **rest,
    }


def test_mock_results_grade_fail_rules_and_first_sitting(con):
    insert(
        con,
        "exam_participants",
        "mock/2025/mock.csv",
        [
            _mock("001", "Математика", "M1", "9А", mark="2"),
            _mock("001", "Математика", "M2", "9Б", mark="3"),
            # sat twice: the March sitting comes first in the file, the February one counts
            _mock("001", "Математика", "M3", "9А", mark="2", exam_date="10.03.2025"),
            _mock("001", "Математика", "M3", "9А", mark="4", exam_date="01.02.2025"),
            _mock("001", "Математика", None, None, mark="2"),  # no class, no score: grade 9
            _mock("001", "Русский язык", "R1", "11Б", test_score="23"),  # below 24
            _mock("001", "Русский язык", "R2", "11Б", test_score="24"),
            _mock("001", "Русский язык", "R3", None, test_score="50"),  # a score: grade 11
            _mock("001", "Математика (профильная)", "P1", "11А", test_score="26"),  # below 27
            _mock("001", "Математика (профильная)", "P2", "11А", test_score="27"),
            _mock("001", "Математика (профильная)", "P3", "11А"),  # nothing to judge
            _mock("001", "Математика (базовая)", "B1", "11А", mark="2"),
            _mock("001", "Математика (базовая)", "B2", "11А", mark="4", test_score="12"),
        ],
    )
    insert(
        con,
        "exam_participants",
        "mock/2024/mock.csv",
        [_mock("001", "Математика", "M1", "9 А", mark="3")],
    )
    # real exams are not mocks
    insert(
        con, "exam_participants", "oge/2025/oge.csv", [_mock("001", "Математика", "X", mark="2")]
    )
    build(con)
    assert rows(con, "SELECT * FROM marts.fct_school_mock_results") == [
        ("001", 2024, 9, "math", 1, 0, 0),
        ("001", 2025, 9, "math", 4, 2, 0),
        ("001", 2025, 11, "math_base", 2, 1, 0),
        ("001", 2025, 11, "math_profile", 2, 1, 1),
        ("001", 2025, 11, "russian", 3, 1, 0),
    ]


# --- the whole flag stage -----------------------------------------------------------------------


SCHOOLS = [f"{i:03d}" for i in range(12)]


def _region_rows() -> dict[str, list[dict]]:
    """12 schools × 2 years: ВПР maths and Russian 4 (classes 4А/4Б of 10 with codes, journal
    marks and scores), ОГЭ maths (10), mocks in 9А (10), a registry and passports. School 000
    fails more each year and its class 4А fails every maths result in 2025."""
    files: dict[str, list[dict]] = {"schools/registry.csv": []}
    for i, code in enumerate(SCHOOLS):
        files["schools/registry.csv"].append(
            {"school_code": code, "school_name": f"Школа {i}", "municipality_name": "Район",
             "settlement_type": "село" if i % 3 == 0 else "город", "school_level": "СОШ",
             "student_count": str(200 + 50 * i)}
        )  # fmt: skip
    for year in (2024, 2025):
        vpr_rows, oge, mock, passport = [], [], [], []
        for i, code in enumerate(SCHOOLS):
            fails = 1 + (12 - i) // 3 + (2 if i == 0 and year == 2025 else 0)
            for subject in ("Математика", "Русский язык"):
                for c, label in enumerate(("4А", "4Б")):
                    for p in range(10):
                        failing = p < fails // 2 + (fails % 2 if c == 0 else 0)
                        if code == "000" and year == 2025 and subject == "Математика" and c == 0:
                            failing = True
                        mark = "2" if failing else str(3 + (p + i) % 3)
                        score = str(5 + p + (0 if failing else 3))
                        vpr_rows.append(
                            vpr(code, score, mark, str(min(5, int(mark) + p % 2)), label,
                                subject, participant_id=f"{label}-{p}")
                        )  # fmt: skip
            for p in range(10):
                oge.append(_mock(code, "Математика", f"O{p}", mark="2" if p < fails else "4"))
                mock.append(_mock(code, "Математика", f"O{p}", "9А",
                                  mark="2" if p < fails + 1 else "3"))  # fmt: skip
            passport.append(
                {"school_code": code, "low_income_share": str(5 + 3 * (12 - i)),
                 "single_parent_share": str(10 + i)}
            )  # fmt: skip
        files[f"vpr/{year}/vpr.csv"] = vpr_rows
        files[f"oge/{year}/oge.csv"] = oge
        files[f"mock/{year}/mock.csv"] = mock
        files[f"context/{year}/passport.csv"] = passport
    return files


def test_the_flag_stage_writes_class_signals_and_early_warning(con):
    tables = {"schools": "schools", "vpr": "vpr_participants", "oge": "exam_participants",
              "mock": "exam_participants", "context": "context"}  # fmt: skip
    for path, file_rows in _region_rows().items():
        insert(con, tables[path.split("/")[0]], path, file_rows)
    built = build(con)
    assert built["marts.fct_school_mock_results"] == 24
    assert built["intermediate.int_vpr_class_results"] == 96
    assert built["intermediate.int_vpr_students_at_risk"] == 480

    counts = flag(con, load_preset())
    assert counts["marts.fct_school_flags"] == 24
    assert counts["marts.fct_class_support_signals"] == 96
    assert counts["marts.fct_school_early_warning"] == 24
    assert counts["reports.rpt_school_list"] == 24

    assert rows(
        con,
        "SELECT school_id, exam_year, grade, subject, class_label "
        "FROM marts.fct_class_support_signals WHERE is_support_needed",
    ) == [("000", 2025, 4, "math", "4А")]
    assert rows(
        con,
        "SELECT exam_year, bool_and(is_calibrated), bool_or(is_calibrated), "
        "count(main_fail_share), count(*) FILTER (WHERE is_early_warning) "
        "FROM marts.fct_school_early_warning GROUP BY ALL ORDER BY ALL",
    ) == [(2024, False, False, 12, 1), (2025, True, True, 12, 1)]
    assert rows(
        con,
        "SELECT school_id FROM marts.fct_school_early_warning "
        "WHERE is_early_warning AND exam_year = 2025",
    ) == [("000",)]
    flags = rows(
        con,
        "SELECT school_id, exam_year, is_rated, at_risk_student_share, contextual_value_added "
        "FROM marts.fct_school_flags ORDER BY exam_year, school_id",
    )
    assert all(rated for _, _, rated, _, _ in flags)
    assert all(share is not None and 0 <= share <= 1 for *_, share, _ in flags)
    assert all(value is not None for *_, value in flags)
    assert rows(
        con,
        "SELECT school_id FROM marts.fct_school_flags "
        "WHERE exam_year = 2025 AND is_prevention_group",
    ) == [("000",)]


def test_a_base_maths_mock_without_a_class_is_grade_eleven(con):
    insert(
        con,
        "exam_participants",
        "mock/2025/mock.csv",
        [_mock("001", "Математика (базовая)", "B1", mark="2")],
    )
    build(con)
    assert rows(con, "SELECT grade, subject FROM marts.fct_school_mock_results") == [
        (11, "math_base")
    ]


def test_two_fails_in_the_same_subject_are_one_failed_subject(con):
    insert(
        con,
        "vpr_participants",
        "vpr/2025/vpr.csv",
        [
            _student("P1", "Математика", "2", "4"),
            _student("P1", "Математика", "2", "4"),
            _student("P1", "Русский язык", "4", "4"),
        ],
    )
    build(con)
    assert rows(
        con,
        "SELECT failed_subject_count, is_at_risk FROM intermediate.int_vpr_students_at_risk",
    ) == [(1, False)]
