"""Support signals of docs/methodology.md: ВПР classes that need teacher support, and early warning
from mock exams. Given hand-built int_vpr_class_results / fct_school_mock_results rows →
expected signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from shnor.methods.support import class_support_signals, early_warning
from shnor.presets import load_preset

REFERENCE = load_preset()

# --- classes needing support ---------------------------------------------------------------


def classes_frame(rows: list[tuple]) -> pd.DataFrame:
    """int_vpr_class_results rows from (school, year, grade, subject, class, n, fails): the
    school's other classes and the region summed as the SQL model does."""
    c = pd.DataFrame(
        rows,
        columns=["school_id", "exam_year", "grade", "subject", "class_label",
                 "participant_count", "fail_count"],
    )  # fmt: skip
    procedure = ["exam_year", "grade", "subject"]
    school = c.groupby(["school_id", *procedure])
    region = c.groupby(procedure)
    c["other_classes_participant_count"] = (
        school["participant_count"].transform("sum") - c["participant_count"]
    )
    c["other_classes_fail_count"] = school["fail_count"].transform("sum") - c["fail_count"]
    c["region_participant_count"] = region["participant_count"].transform("sum")
    c["region_fail_count"] = region["fail_count"].transform("sum")
    return c


def background(grade: int = 5, subject: str = "math", schools: int = 10) -> list[tuple]:
    """Ordinary schools: three classes of 25 with 2 fails each."""
    return [
        (f"b{i:02d}", 2025, grade, subject, f"{grade}{letter}", 25, 2)
        for i in range(schools)
        for letter in "АБВ"
    ]


def signals(rows: list[tuple], preset=REFERENCE) -> pd.DataFrame:
    out = class_support_signals(classes_frame(rows), preset)
    return out.set_index(["school_id", "exam_year", "grade", "subject", "class_label"])


def supported(out: pd.DataFrame) -> list[tuple]:
    return sorted(
        (school, grade, subject, label)
        for school, _, grade, subject, label in out.index[out["is_support_needed"]]
    )


def test_a_class_failing_far_more_than_its_school_and_region_needs_support():
    rows = [
        *background(),
        ("x", 2025, 5, "math", "5А", 25, 12),
        ("x", 2025, 5, "math", "5Б", 25, 2),
        ("x", 2025, 5, "math", "5В", 25, 2),
    ]
    out = signals(rows)
    assert supported(out) == [("x", 5, "math", "5А")]
    row = out.loc[("x", 2025, 5, "math", "5А")]
    assert row["fail_share"] == pytest.approx(0.48)
    assert row["other_classes_fail_share"] == pytest.approx(0.08)
    assert row["region_fail_share"] == pytest.approx(76 / 825)
    assert row["versus_other_classes_p_value"] < 1e-4
    assert row["versus_region_p_value"] < 1e-5
    # the other classes are below their school: no one-sided evidence at all
    assert out.loc[("x", 2025, 5, "math", "5Б"), "versus_other_classes_p_value"] == 1.0


def test_the_same_class_of_nine_pupils_does_not():
    rows = [
        *background(),
        ("x", 2025, 5, "math", "5А", 9, 8),
        ("x", 2025, 5, "math", "5Б", 25, 2),
        ("x", 2025, 5, "math", "5В", 25, 2),
    ]
    out = signals(rows)
    row = out.loc[("x", 2025, 5, "math", "5А")]
    assert row["versus_other_classes_p_value"] < 1e-4
    assert row["versus_region_p_value"] < 1e-5
    assert supported(out) == []
    # ten pupils are enough
    rows[-3] = ("x", 2025, 5, "math", "5А", 10, 8)
    assert supported(signals(rows)) == [("x", 5, "math", "5А")]


def test_a_school_failing_in_every_class_needs_support_for_the_school_not_a_class():
    rows = [
        *background(),
        *[("x", 2025, 5, "math", f"5{letter}", 25, 12) for letter in "АБВ"],
    ]
    out = signals(rows)
    assert out.loc[("x", 2025, 5, "math", "5А"), "versus_region_p_value"] < 1e-4
    assert supported(out) == []


def test_a_class_alone_in_its_procedure_is_never_compared_with_itself():
    rows = [*background(), ("x", 2025, 5, "math", "5А", 25, 20)]
    out = signals(rows)
    row = out.loc[("x", 2025, 5, "math", "5А")]
    assert row["other_classes_participant_count"] == 0
    assert np.isnan(row["other_classes_fail_share"])
    assert row["versus_other_classes_p_value"] == 1.0
    assert supported(out) == []


def _moderate(school: str, extra_procedures: int, fails=(7, 2, 2)) -> list[tuple]:
    """Maths 5 in three classes of 25 with `fails` (by default 7 against 2 and 2: one-sided
    p ≈ 0.011 against the other classes, 0.006 against the region), and `extra_procedures`
    ordinary procedures of three classes."""
    rows = [
        (school, 2025, 5, "math", f"5{letter}", 25, k)
        for letter, k in zip("АБВ", fails, strict=True)
    ]
    for grade, subject in [(6, "math"), (5, "russian"), (6, "russian")][:extra_procedures]:
        rows += [(school, 2025, grade, subject, f"{grade}{ch}", 25, 2) for ch in "АБВ"]
    return rows


@pytest.mark.parametrize(
    "fails",
    [
        pytest.param((7, 2, 2), id="both-tests-moderate"),
        pytest.param((12, 5, 5), id="versus-other-classes-decides"),
        pytest.param((6, 0, 0), id="versus-region-decides"),
    ],
)
def test_holm_within_the_school_year_a_class_significant_among_three_is_not_among_twelve(fails):
    rows = [
        *background(5, "math"),
        *background(6, "math"),
        *background(5, "russian"),
        *background(6, "russian"),
        *_moderate("alone", 0, fails),
        *_moderate("among", 3, fails),
    ]
    out = signals(rows)
    alone = out.loc[("alone", 2025, 5, "math", "5А")]
    among = out.loc[("among", 2025, 5, "math", "5А")]
    # the same raw evidence …
    for test in ("versus_other_classes_p_value", "versus_region_p_value"):
        assert alone[test] == pytest.approx(among[test])
        assert alone[test] < 0.05 / 3
    assert max(alone["versus_other_classes_p_value"], alone["versus_region_p_value"]) > 0.05 / 12
    # … adjusted over 3 classes in one case and 12 in the other
    assert supported(out) == [("alone", 5, "math", "5А")]


def test_classes_of_other_years_are_other_families():
    rows = [*background(), *_moderate("x", 0)]
    rows += [("x", 2024, g, "math", f"{g}А", 25, 2) for g in range(5, 15)]
    rows += [(f"b{i:02d}", 2024, g, "math", f"{g}А", 25, 2) for i in range(3) for g in range(5, 15)]
    assert supported(signals(rows)) == [("x", 5, "math", "5А")]


def test_class_alpha_comes_from_the_preset(tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text(
        '[preset]\nname = "strict"\nversion = "1"\n\n[support]\nclass_alpha = 0.01\n',
        encoding="utf-8",
    )
    rows = [*background(), *_moderate("x", 0)]
    assert supported(signals(rows)) == [("x", 5, "math", "5А")]
    assert supported(signals(rows, load_preset(path))) == []


# --- early warning from mock exams -------------------------------------------------------------


MOCK_COLUMNS = ["school_id", "exam_year", "grade", "subject", "participant_count", "fail_count"]
RESULT_COLUMNS = ["school_id", "exam_year", "exam", "grade", "subject", "participant_count",
                  "fail_count"]  # fmt: skip


def mocks(year: int, fails: dict[str, int], n: int = 20, grade: int = 9, subject: str = "math"):
    return [(s, year, grade, subject, n, k) for s, k in fails.items()]


def main_results(year: int, fails: dict[str, int], n: int = 40, exam: str = "oge", grade=9,
                 subject="math"):  # fmt: skip
    return [(s, year, exam, grade, subject, n, k) for s, k in fails.items()]


def warn(mock_rows: list[tuple], result_rows: list[tuple], preset=REFERENCE) -> pd.DataFrame:
    out = early_warning(
        pd.DataFrame(mock_rows, columns=MOCK_COLUMNS),
        pd.DataFrame(result_rows, columns=RESULT_COLUMNS),
        preset,
    )
    return out.set_index(["school_id", "exam_year", "grade", "subject"])


SCHOOLS = [f"s{i:02d}" for i in range(20)]
MOCK_FAILS = {s: i for i, s in enumerate(SCHOOLS)}  # mock fail shares 0%, 5%, … 95%
# the main exam fails less than the mock, rising with it
MAIN_FAILS = {s: round(40 * expit(-2.5 + 3.0 * i / 20)) for i, s in enumerate(SCHOOLS)}


def test_without_an_earlier_year_the_prediction_is_the_shrunk_mock_share():
    out = warn(mocks(2026, MOCK_FAILS), [])
    assert not out["is_calibrated"].any()
    region = sum(MOCK_FAILS.values()) / 400
    assert out["region_mock_fail_share"].eq(region).all()
    expected = [(k + 10 * region) / 30 for k in MOCK_FAILS.values()]
    np.testing.assert_allclose(out["predicted_fail_share"], expected)
    np.testing.assert_allclose(out["mock_fail_share_shrunk"], expected)
    assert out.loc[("s03", 2026, 9, "math"), "mock_fail_share"] == pytest.approx(0.15)
    assert out["main_fail_share"].isna().all()
    assert {"mock_participant_count", "mock_fail_count"} <= set(out.columns)


def test_with_an_earlier_year_the_prediction_is_calibrated_on_the_main_exam():
    mock_rows = mocks(2025, MOCK_FAILS) + mocks(2026, MOCK_FAILS)
    out = warn(mock_rows, main_results(2025, MAIN_FAILS))
    current = out.xs(2026, level="exam_year").loc[SCHOOLS]
    assert current["is_calibrated"].all()
    assert not out.xs(2025, level="exam_year")["is_calibrated"].any()  # nothing before 2025
    predicted = current["predicted_fail_share"].to_numpy()
    assert (np.diff(predicted) > 0).all()  # higher mock fail share → higher prediction
    main_share = np.array(list(MAIN_FAILS.values())) / 40
    # calibrated: the same mocks predict last year's main shares, not the mock shares
    assert predicted.mean() == pytest.approx(main_share.mean(), abs=0.01)
    assert np.abs(predicted - main_share).max() < 0.08
    shrunk = current["mock_fail_share_shrunk"].to_numpy()
    assert np.abs(shrunk - main_share).mean() > 0.1  # the mock alone would be far off


def test_the_main_fail_share_is_joined_where_the_main_exam_exists():
    mock_rows = mocks(2025, MOCK_FAILS) + mocks(2026, MOCK_FAILS)
    result_rows = main_results(2025, MAIN_FAILS) + main_results(2026, {"s05": 10})
    result_rows += [("s05", 2026, "vpr", 9, "math", 30, 30)]  # ВПР is not the main exam
    out = warn(mock_rows, result_rows)
    assert out.loc[("s07", 2025, 9, "math"), "main_fail_share"] == pytest.approx(
        MAIN_FAILS["s07"] / 40
    )
    assert out.loc[("s05", 2026, 9, "math"), "main_fail_share"] == pytest.approx(0.25)
    assert out.loc[("s05", 2026, 9, "math"), "main_participant_count"] == 40
    assert np.isnan(out.loc[("s06", 2026, 9, "math"), "main_fail_share"])
    assert len(out) == 40


def test_the_worst_tenth_of_predictions_is_warned_per_grade_and_subject():
    eleven = {f"e{i:02d}": 19 - i for i in range(20)}  # e00 worst
    russian = {f"r{i:02d}": i for i in range(20)}  # r19 worst of the ranked
    mock_rows = (
        mocks(2026, MOCK_FAILS)
        + mocks(2026, eleven, grade=11, subject="russian")
        + mocks(2026, russian, n=100, subject="russian")
        + mocks(2026, {"tiny": 9}, n=9, subject="russian")  # all failing but only 9
    )
    out = warn(mock_rows, [])
    warned = sorted(out.index[out["is_early_warning"]])
    assert warned == [
        ("e00", 2026, 11, "russian"),
        ("e01", 2026, 11, "russian"),
        ("r18", 2026, 9, "russian"),
        ("r19", 2026, 9, "russian"),
        ("s18", 2026, 9, "math"),
        ("s19", 2026, 9, "math"),
    ]
    tiny = out.loc[("tiny", 2026, 9, "russian"), "predicted_fail_share"]
    assert tiny > 2 * out.loc[("r19", 2026, 9, "russian"), "predicted_fail_share"]


def test_early_warning_share_comes_from_the_preset(tmp_path):
    path = tmp_path / "wide.toml"
    path.write_text(
        '[preset]\nname = "wide"\nversion = "1"\n\n[support]\nearly_warning_share = 0.25\n',
        encoding="utf-8",
    )
    out = warn(mocks(2026, MOCK_FAILS), [], load_preset(path))
    assert sorted(out.index[out["is_early_warning"]].get_level_values("school_id")) == [
        "s15", "s16", "s17", "s18", "s19"
    ]  # fmt: skip


def test_mocks_without_participants_are_left_out():
    out = warn([*mocks(2026, MOCK_FAILS), ("none", 2026, 9, "math", 0, 0)], [])
    assert "none" not in out.index.get_level_values("school_id")


def test_no_mock_exams_give_an_empty_table_with_the_same_columns():
    full = warn(mocks(2026, MOCK_FAILS), []).reset_index()
    empty = early_warning(
        pd.DataFrame(columns=MOCK_COLUMNS), pd.DataFrame(columns=RESULT_COLUMNS), REFERENCE
    )
    assert empty.empty
    assert set(full.columns) <= set(empty.columns)
