"""Support signals of docs/methodology.md: classes that need teacher support, and early warning from
mock exams. Both work at class or school grain and say where help should go, not who failed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import binom
from sklearn.linear_model import LogisticRegression

from shnor.methods.intervals import holm_adjusted, two_proportion_z_test
from shnor.methods.ranking import worst_share_mask
from shnor.presets import Preset


def class_support_signals(classes: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per ВПР class (int_vpr_class_results rows): fail shares of the class, the school's other
    classes and the region, and `is_support_needed` when the class fails significantly more
    than both (p-values Holm-adjusted within the school-year; classes of ≥ the small-sample
    size only)."""
    s = preset["support"]
    c = classes.copy()
    n, k = c["participant_count"], c["fail_count"]
    c["fail_share"] = k / n.where(n > 0)
    other_n = c["other_classes_participant_count"]
    c["other_classes_fail_share"] = c["other_classes_fail_count"] / other_n.where(other_n > 0)
    c["region_fail_share"] = c["region_fail_count"] / c["region_participant_count"]
    two_sided = two_proportion_z_test(
        c["other_classes_fail_count"].to_numpy(), other_n.to_numpy(), k.to_numpy(), n.to_numpy()
    )
    above_others = c["fail_share"] > c["other_classes_fail_share"]
    c["versus_other_classes_p_value"] = np.where(above_others, two_sided / 2, 1.0)
    c["versus_region_p_value"] = binom.sf(k - 1, n, c["region_fail_share"])
    keys = [c["school_id"], c["exam_year"]]
    adjusted_others = holm_adjusted(c["versus_other_classes_p_value"], keys)
    adjusted_region = holm_adjusted(c["versus_region_p_value"], keys)
    c["is_support_needed"] = (
        (n >= preset["small_samples.small_sample_size"])
        & (adjusted_others < s["class_alpha"])
        & (adjusted_region < s["class_alpha"])
    ).fillna(False)
    return c


def early_warning(mock: pd.DataFrame, results: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year × grade × subject with a mock exam: the main-exam fail share the mock
    predicts, `is_early_warning` for the worst predictions, and — once the main exam is in —
    the actual fail share to check the prediction against.

    The prediction for year Y is a logistic regression of main-exam fails on the school's
    (shrunk) mock fail share and the grade × subject, fitted on earlier years only; with no
    earlier year to learn from, the shrunk mock share itself (`is_calibrated` = False).
    """
    s = preset["support"]
    main = _main_exam_results(results)
    m = mock[mock["participant_count"] > 0].copy()
    m = m.merge(main, on=["school_id", "exam_year", "grade", "subject"], how="left")
    regional = m.groupby(["exam_year", "grade", "subject"])[["fail_count", "participant_count"]]
    sums = regional.transform("sum")
    m["region_mock_fail_share"] = sums["fail_count"] / sums["participant_count"]
    # Shrink the mock share toward the region's with the weight of `prior` results.
    prior = s["early_warning_prior_results"]
    m["mock_fail_share"] = m["fail_count"] / m["participant_count"]
    m["mock_fail_share_shrunk"] = (m["fail_count"] + prior * m["region_mock_fail_share"]) / (
        m["participant_count"] + prior
    )
    predictions = []
    for year, current in m.groupby("exam_year", sort=True):
        history = m[(m["exam_year"] < year) & (m["main_participant_count"] > 0)]
        predicted, calibrated = _predicted_fail_share(current, history)
        predictions.append(current.assign(predicted_fail_share=predicted, is_calibrated=calibrated))
    out = (
        pd.concat(predictions, ignore_index=True)
        if predictions
        else m.assign(predicted_fail_share=np.nan, is_calibrated=False)
    )
    eligible = out["predicted_fail_share"].where(
        out["participant_count"] >= preset["small_samples.small_sample_size"]
    )
    out["is_early_warning"] = (
        eligible.groupby([out["exam_year"], out["grade"], out["subject"]])
        .transform(lambda v: worst_share_mask(v, s["early_warning_share"]))
        .astype(bool)
    )
    out["main_fail_share"] = out["main_fail_count"] / out["main_participant_count"].where(
        out["main_participant_count"] > 0
    )
    return out.rename(
        columns={"participant_count": "mock_participant_count", "fail_count": "mock_fail_count"}
    )


def _main_exam_results(results: pd.DataFrame) -> pd.DataFrame:
    """Main-exam counts the mocks are checked against (ОГЭ grade 9, ЕГЭ grade 11)."""
    main = results[results["exam"].isin(["oge", "ege"])]
    return main[["school_id", "exam_year", "grade", "subject", "participant_count", "fail_count"]]\
        .rename(columns={"participant_count": "main_participant_count",
                         "fail_count": "main_fail_count"})  # fmt: skip


def _features(frame: pd.DataFrame, procedures: list[tuple[int, str]]) -> np.ndarray:
    share = frame["mock_fail_share_shrunk"].clip(1e-4, 1 - 1e-4)
    dummies = [
        ((frame["grade"] == g) & (frame["subject"] == s)).astype(float).to_numpy()
        for g, s in procedures
    ]
    return np.column_stack([logit(share.to_numpy()), *dummies])


def _predicted_fail_share(current: pd.DataFrame, history: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """Predicted main fail share for the current year's mocks, learnt from earlier years."""
    if history.empty or history["main_fail_count"].sum() == 0:
        return current["mock_fail_share_shrunk"].to_numpy(), False
    procedures = sorted(set(zip(history["grade"], history["subject"], strict=True)))
    x = _features(history, procedures)
    fails = history["main_fail_count"].to_numpy(dtype=float)
    passes = history["main_participant_count"].to_numpy(dtype=float) - fails
    model = LogisticRegression(C=10.0, max_iter=1000).fit(
        np.vstack([x, x]),
        np.r_[np.ones(len(x)), np.zeros(len(x))],
        sample_weight=np.r_[fails, passes],
    )
    return expit(model.decision_function(_features(current, procedures))), True
