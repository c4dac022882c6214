"""Year-on-year comparison (METHODOLOGY §7): per procedure and per school, with intervals and
tests, transitions, comparability and the regression-to-the-mean control."""

from __future__ import annotations

import pandas as pd
import pytest

from shnor.methods.intervals import newcombe_difference_interval, two_proportion_z_test
from shnor.methods.year_over_year import (
    BY_PERCENTILE,
    IMPROVED,
    NO_CHANGE,
    WORSENED,
    procedure_changes,
    school_changes,
    threshold_changes,
)
from shnor.presets import load_preset

PRESET = load_preset()


def results(rows):
    return pd.DataFrame(
        rows, columns=["school_id", "exam_year", "exam", "grade", "subject",
                       "participant_count", "fail_count"]
    )  # fmt: skip


def test_procedure_change_with_newcombe_interval_and_verdicts():
    frame = results([
        ("a", 2025, "oge", 9, "math", 100, 40), ("a", 2026, "oge", 9, "math", 100, 20),
        ("b", 2025, "oge", 9, "math", 100, 10), ("b", 2026, "oge", 9, "math", 100, 14),
        ("c", 2025, "oge", 9, "math", 50, 5), ("c", 2026, "oge", 9, "math", 50, 20),
        ("d", 2026, "oge", 9, "math", 30, 3),  # no Y−1: not compared
    ])  # fmt: skip
    changes = procedure_changes(frame, PRESET).set_index("school_id")
    assert sorted(changes.index) == ["a", "b", "c"]
    a = changes.loc["a"]
    assert a["change"] == pytest.approx(-0.2)
    lower, upper = newcombe_difference_interval(40, 100, 20, 100)
    assert (a["change_lower"], a["change_upper"]) == pytest.approx((lower, upper))
    assert a["change_p_value"] == pytest.approx(two_proportion_z_test(40, 100, 20, 100))
    assert changes["change_label"].to_dict() == {"a": IMPROVED, "b": NO_CHANGE, "c": WORSENED}
    assert changes["is_comparable"].all()
    # percentile among the region's schools in the procedure, 100 = worst
    assert changes.loc["c", "fail_share_percentile"] == pytest.approx(100.0)


def test_changed_ege_minimum_is_compared_by_percentile_with_a_note():
    minimums = pd.DataFrame(
        {"exam_year": [2025, 2026, 2025, 2026], "subject": ["russian", "russian", "math", "math"],
         "min_test_score": [24, 26, 27, 27]}
    )  # fmt: skip
    changed = threshold_changes(minimums)
    assert changed[["exam", "subject", "exam_year"]].values.tolist() == [["ege", "russian", 2026]]
    frame = results([
        ("a", 2025, "ege", 11, "russian", 40, 2), ("a", 2026, "ege", 11, "russian", 40, 12),
        ("a", 2025, "ege", 11, "math", 40, 2), ("a", 2026, "ege", 11, "math", 40, 12),
    ])  # fmt: skip
    rows = procedure_changes(frame, PRESET, changed).set_index("subject")
    assert rows.loc["russian", "change_label"] == BY_PERCENTILE
    assert "24 → 26" in rows.loc["russian", "comparability_note"]
    assert rows.loc["math", "change_label"] == WORSENED
    assert pd.isna(rows.loc["math", "comparability_note"])


def flags(rows, concerns=()):
    frame = pd.DataFrame(
        rows, columns=["school_id", "exam_year", "pool", "is_rated", "is_on_shnor_list",
                       "is_low_result", "composite_score", "composite_percentile"]
    )  # fmt: skip
    pairs = list(zip(frame["school_id"], frame["exam_year"], strict=True))
    return frame.assign(has_objectivity_concern=[pair in concerns for pair in pairs])


def test_transitions_and_regression_to_the_mean():
    # school, Y−1 (on list, low, composite, percentile), Y (rated, on list, low, composite)
    plan = {
        "stay": ((True, True, 1.0, 99), (True, True, True, 1.0)),
        "in": ((False, True, 0.5, 92), (True, True, True, 1.0)),
        "out": ((True, True, 0.0, 95), (True, False, False, -1.0)),
        "gone": ((True, True, 0.8, 97), (False, True, False, None)),
        "near": ((False, False, 0.0, 85), (True, False, False, 0.0)),
    }
    status = flags(
        [(s, 2025, "region", True, *before) for s, (before, _) in plan.items()]
        + [(s, 2026, "region", *after, 50) for s, (_, after) in plan.items()]
    )
    frame = results([
        (s, y, "oge", 9, "math", 100, k)
        for s, y, k in [("stay", 2025, 50), ("stay", 2026, 48), ("in", 2025, 30), ("in", 2026, 45),
                        ("out", 2025, 40), ("out", 2026, 5), ("gone", 2025, 40),
                        ("near", 2025, 20), ("near", 2026, 17)]
    ])  # fmt: skip
    changes = school_changes(frame, status, PRESET).set_index("school_id")
    y26 = changes[changes["exam_year"] == 2026]
    assert y26["transition"].to_dict() == {
        "stay": "остались",
        "in": "вошли",
        "out": "вышли",
        "gone": "не оценивается",
        "near": None,
    }
    # «out» had 40% fails with a composite of 0 (an average school): the model expects its share
    # to fall to the region's 2026 share without any help.
    region_2026 = (48 + 45 + 5 + 17) / 400
    assert y26.loc["out", "expected_change"] == pytest.approx(region_2026 - 0.40, abs=1e-6)
    assert y26.loc["out", "near_miss_change"] == pytest.approx(-0.03)  # «near»: 20% → 17%
    assert y26.loc["out", "change_label"] == IMPROVED
    assert bool(y26.loc["out", "has_positive_dynamics"])  # −35 pp beyond −11.25 and −3
    assert not y26.loc["stay", "has_positive_dynamics"]


def test_a_school_with_an_objectivity_concern_is_compared_on_its_exams_only():
    status = flags(
        [("a", y, "region", True, False, False, 0.0, 50) for y in (2025, 2026)]
        + [("b", y, "region", True, False, False, 0.0, 50) for y in (2025, 2026)],
        concerns={("a", 2026)},
    )
    frame = results([
        (s, y, exam, grade, "math", 100, k)
        for s in ("a", "b")
        for y, exam, grade, k in [(2025, "vpr", 5, 30), (2026, "vpr", 5, 2),
                                  (2025, "oge", 9, 20), (2026, "oge", 9, 18)]
    ])  # fmt: skip
    changes = school_changes(frame, status, PRESET).set_index("school_id")
    a, b = changes.loc["a"], changes.loc["b"]
    assert a["is_vpr_set_aside"] and not b["is_vpr_set_aside"]
    # «a»: its ВПР (30% → 2%, under a concern) are set aside: ОГЭ 20% → 18% only
    assert (a["previous_fail_share"], a["fail_share"]) == pytest.approx((0.20, 0.18))
    assert a["change_label"] == NO_CHANGE
    assert (b["previous_participant_count"], b["fail_share"]) == (200, pytest.approx(0.10))
    assert b["change_label"] == IMPROVED


def test_a_single_year_gives_empty_comparisons_not_an_error():
    status = flags([("a", 2026, "region", True, False, False, 0.0, 50)])
    frame = results([("a", 2026, "oge", 9, "math", 100, 10)])
    assert school_changes(frame, status, PRESET).empty
    assert procedure_changes(frame, PRESET).empty
