"""Year-on-year comparison (docs/methodology.md): per procedure and per school, with intervals and
tests, transitions, comparability and the regression-to-the-mean control."""

from __future__ import annotations

import numpy as np
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


def flags(rows, concerns=(), predicted=None, counts=None):
    """Flag rows; `predicted` maps (school, year) to (expected share, improvement p-value)."""
    frame = pd.DataFrame(
        rows, columns=["school_id", "exam_year", "pool", "is_rated", "is_on_shnor_list",
                       "is_low_result", "composite_score", "composite_percentile"]
    )  # fmt: skip
    pairs = list(zip(frame["school_id"], frame["exam_year"], strict=True))
    predicted, counts = predicted or {}, counts or {}
    return frame.assign(
        has_objectivity_concern=[pair in concerns for pair in pairs],
        counted_participant_count=[counts.get(pair, 100) for pair in pairs],
        expected_fail_share=[predicted.get(pair, (float("nan"),))[0] for pair in pairs],
        improvement_p_value=[predicted.get(pair, (0, float("nan")))[1] for pair in pairs],
    )


def test_transitions_and_regression_to_the_mean():
    # school, Y−1 (on list, low, composite, percentile), Y (rated, on list, low, composite)
    plan = {
        "stay": ((True, True, 1.0, 99), (True, True, True, 1.0)),
        "in": ((False, True, 0.5, 92), (True, True, True, 1.0)),
        "out": ((True, True, 0.0, 95), (True, False, False, -1.0)),
        "gone": ((True, True, 0.8, 97), (False, True, False, None)),
        "near": ((False, False, 0.0, 85), (True, False, False, 0.0)),
    }
    # the model's prediction of 2026 from the data through 2025 (joint model, §3)
    predicted = {("out", 2026): (0.30, 0.001), ("stay", 2026): (0.45, 0.40),
                 ("near", 2026): (0.19, 0.30)}  # fmt: skip
    status = flags(
        [(s, 2025, "region", True, *before) for s, (before, _) in plan.items()]
        + [(s, 2026, "region", *after, 50) for s, (_, after) in plan.items()],
        predicted=predicted,
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
    # «out» had 40% fails; the model predicted 30% for 2026 without any help (expected change
    # −10 pp), it did better than predicted at 5%: positive dynamics. «stay» did not.
    assert y26.loc["out", "expected_change"] == pytest.approx(0.30 - 0.40)
    assert y26.loc["out", "near_miss_change"] == pytest.approx(-0.03)  # «near»: 20% → 17%
    assert y26.loc["out", "change_label"] == IMPROVED
    assert bool(y26.loc["out", "has_positive_dynamics"])
    assert not y26.loc["stay", "has_positive_dynamics"]


def test_positive_dynamics_needs_ten_results_in_both_years_whatever_the_p_value():
    status = flags(
        [("a", 2025, "region", True, True, True, 1.0, 99),
         ("a", 2026, "region", True, True, False, 0.0, 50)],
        predicted={("a", 2026): (0.5, 0.0001)},
        counts={("a", 2025): 9, ("a", 2026): 40},
    )  # fmt: skip
    frame = results([("a", 2025, "oge", 9, "math", 9, 8), ("a", 2026, "oge", 9, "math", 40, 2)])
    changes = school_changes(frame, status, PRESET)
    assert not changes["has_positive_dynamics"].any()
    # fewer than 10 results in a year: no test, no verdict (docs/methodology.md)
    assert changes["change_p_value"].isna().all()
    assert (changes["change_label"] == NO_CHANGE).all()


def test_small_counts_use_the_exact_mid_p_and_an_interval_with_zero_has_no_verdict():
    from shnor.methods.dynamics import change_p_value, fisher_mid_p

    # 3 of 3 against 0 of 3: the z-test said p = 0.014; the exact mid-p says 0.05, and with
    # fewer than 10 results nothing is claimed at all
    assert two_proportion_z_test(0, 3, 3, 3) == pytest.approx(0.0143, abs=1e-3)
    assert fisher_mid_p(0, 3, 3, 3) == pytest.approx(0.05)
    assert pd.isna(change_p_value([0], [3], [3], [3], PRESET)[0])
    # 0 of 12 against 4 of 12: expected counts 2 < 5, so Fisher's mid-p, not the z-test
    exact = change_p_value([0], [12], [4], [12], PRESET)[0]
    assert exact == pytest.approx(fisher_mid_p(0, 12, 4, 12))
    assert exact != pytest.approx(two_proportion_z_test(0, 12, 4, 12)[()], abs=1e-3)


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


def test_the_exact_mid_p_of_many_tables_at_once_equals_scipys_one_table_at_a_time():
    from scipy.stats import hypergeom

    from shnor.methods.dynamics import fisher_mid_p

    rng = np.random.default_rng(7)
    n1, n2 = rng.integers(0, 40, 300), rng.integers(0, 40, 300)
    k1, k2 = rng.binomial(n1, 0.3), rng.binomial(n2, 0.5)
    expected = []
    for a, m, b, n in zip(k1, n1, k2, n2, strict=True):
        support = np.arange(max(0, a + b - n), min(a + b, m) + 1)
        probability = hypergeom.pmf(support, m + n, a + b, m)
        observed = hypergeom.pmf(a, m + n, a + b, m)
        less = probability[probability < observed * (1 - 1e-7)].sum()
        equal = probability[np.abs(probability - observed) <= observed * 1e-7].sum()
        expected.append(min(1.0, less + 0.5 * equal) if m + n else 0.0)
    np.testing.assert_allclose(fisher_mid_p(k1, n1, k2, n2), expected, atol=1e-12)
