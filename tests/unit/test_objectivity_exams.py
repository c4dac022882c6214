"""The graded M3 (§6): a school's ВПР fails against what its own ОГЭ/ЕГЭ predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln
from test_objectivity import evidence

from shnor.methods.objectivity import objectivity_concerns, objectivity_markers, school_tests
from shnor.methods.objectivity_exams import (
    _negative_binomial_lower_mid_p,
    shrunk_ratio,
    vpr_below_exams_p_values,
)
from shnor.presets import load_preset, with_values

REFERENCE = load_preset()


def honest_region(seed: int, schools: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ВПР (4 procedures of ~20) and ОГЭ (2 of ~15) counts of schools whose ВПР and exam fail
    odds share the school's level, the ВПР with a school deviation of its own and each
    procedure with its own spread (logit-normal: not the test's gamma model)."""
    rng = np.random.default_rng(seed)
    level = rng.normal(0.0, 0.6, schools)
    own = rng.normal(0.0, 0.4, schools)  # the ВПР cohorts' own level beside the exam cohorts'
    ids = [f"s{i:03d}" for i in range(schools)]
    vpr, exams = [], []
    for grade, share in ((5, 0.15), (6, 0.18), (7, 0.2), (8, 0.17)):
        n = rng.poisson(20, schools) + 1
        odds = np.log(share / (1 - share)) + level + own + rng.normal(0, 0.35, schools)
        fails = rng.binomial(n, 1 / (1 + np.exp(-odds)))
        vpr.append(pd.DataFrame({"school_id": ids, "exam_year": 2025, "grade": grade,
                                 "subject": "math", "participant_count": n,
                                 "fail_count": fails}))  # fmt: skip
    for subject, share in (("math", 0.1), ("russian", 0.05)):
        n = rng.poisson(15, schools) + 1
        odds = np.log(share / (1 - share)) + 1.2 * level + rng.normal(0, 0.3, schools)
        fails = rng.binomial(n, 1 / (1 + np.exp(-odds)))
        exams.append(pd.DataFrame({"school_id": ids, "exam_year": 2025, "exam": "oge",
                                   "grade": 9, "subject": subject, "participant_count": n,
                                   "fail_count": fails}))  # fmt: skip
    return pd.concat(vpr, ignore_index=True), pd.concat(exams, ignore_index=True)


def test_honest_schools_are_judged_at_about_their_level():
    found = pd.concat(
        vpr_below_exams_p_values(*honest_region(seed), minimum=10) for seed in range(3)
    )
    assert len(found) == 1200  # every school with ВПР and exams, once
    share = (found["vpr_below_exams_p_value"] < 0.05).mean()
    assert 0.02 <= share <= 0.07
    assert (found["vpr_below_exams_p_value"] < 0.01).mean() <= 0.02


def test_no_vpr_fails_where_the_exams_predict_many_is_found_and_an_excellent_school_is_not():
    # 80 ВПР results each (the region: about 14 «2»); exams 60 results each (about 4.5 «2»)
    vpr, exams = honest_region(1)
    ids = ("weak_zero", "excellent_zero", "excellent_few", "no_exams")
    vpr = pd.concat([vpr, pd.DataFrame({
        "school_id": np.repeat(ids, 4), "exam_year": 2025, "grade": [5, 6, 7, 8] * 4,
        "subject": "math", "participant_count": 20,
        "fail_count": [0] * 8 + [2, 1, 2, 1] + [0] * 4})])  # fmt: skip
    exams = pd.concat([exams, pd.DataFrame({
        "school_id": np.repeat(ids[:3], 2), "exam_year": 2025,
        "exam": "oge", "grade": 9, "subject": ["math", "russian"] * 3,
        "participant_count": 30, "fail_count": [9, 5, 0, 0, 0, 0]})])  # fmt: skip
    found = vpr_below_exams_p_values(vpr, exams, minimum=10).set_index("school_id")
    p = found["vpr_below_exams_p_value"]
    assert p["weak_zero"] < 0.001
    # the same zero is far less remarkable where the exams show no «2» either
    assert p["excellent_zero"] > 10 * p["weak_zero"]
    assert p["excellent_few"] > 0.05  # six «2» of 80: as its exams predict
    assert "no_exams" not in p.index  # nothing to predict from: no test


def test_shrunk_ratio_pulls_a_school_with_few_exam_results_to_the_region():
    observed = np.array([0.0, 0.0] + [2.0] * 50)
    expected = np.array([0.2, 5.0] + [2.0] * 50)
    ratio, _ = shrunk_ratio(observed, expected)
    assert ratio[1] < ratio[0] < 1.0  # zero of 5 expected says more than zero of 0.2


def test_a_summary_only_school_with_no_vpr_fails_against_weak_exams_is_a_concern():
    # summary-only ВПР (no scores, no journal): only the graded M3 can judge it
    vpr, exams = honest_region(2, schools=120)
    rows = [
        {**evidence(r.school_id, grade=r.grade), "participant_count": r.participant_count,
         "fail_count": r.fail_count}
        for r in vpr.itertuples()
    ]  # fmt: skip
    summary = {
        "journal_pair_count": 0, "raised_count": 0, "lowered_count": 0, "scored_count": 0,
        "at_boundary_count": 0, "near_boundary_count": 0, "boundary_score": np.nan,
        "listed_count": np.nan, "absent_count": np.nan, "participant_count": 20, "fail_count": 0,
    }  # fmt: skip
    rows += [{**evidence("x", grade=g), **summary} for g in (5, 6, 7, 8)]
    exams = pd.concat([exams, pd.DataFrame({
        "school_id": "x", "exam_year": 2025, "exam": "oge", "grade": 9,
        "subject": ["math", "russian"], "participant_count": 30,
        "fail_count": [9, 5]})])  # fmt: skip
    markers = objectivity_markers(pd.DataFrame(rows), exams, REFERENCE)
    tested = school_tests(markers, REFERENCE).set_index("school_id")
    assert tested.loc["x", "school_vpr_below_exams_p_value"] < 0.001
    assert np.isnan(tested.loc["x", "school_boundary_spike_p_value"])
    concerns = objectivity_concerns(markers, REFERENCE).set_index("school_id")
    assert concerns.loc["x", "has_objectivity_concern"]
    assert "school_vpr_below_exams" in concerns.loc["x", "objectivity_reasons"]
    switched_off = with_values(REFERENCE, {"objectivity.exam_test": False})
    off = objectivity_concerns(markers, switched_off).set_index("school_id")
    assert not off.loc["x", "has_objectivity_concern"]


def test_too_few_schools_to_fit_the_relation_give_no_p_value():
    vpr, exams = honest_region(3, schools=5)
    assert vpr_below_exams_p_values(vpr, exams, minimum=10).empty


def test_the_negative_binomial_mid_p_is_its_pmf_summed_below_the_count():
    count = np.array([0, 1, 3, 17, 40, 250])
    mean = np.array([0.5, 4.0, 3.0, 30.0, 12.0, 240.0])
    shape = np.array([2.0, 0.7, 50.0, 3.5, 1.2, 1e3])
    p = shape / (shape + mean)
    for k, s, q, found in zip(
        count, shape, p, _negative_binomial_lower_mid_p(count, mean, shape), strict=True
    ):
        x = np.arange(k + 1)
        pmf = np.exp(
            gammaln(x + s) - gammaln(s) - gammaln(x + 1) + s * np.log(q) + x * np.log1p(-q)
        )
        assert found == pytest.approx(pmf[:-1].sum() + 0.5 * pmf[-1], rel=1e-10)
