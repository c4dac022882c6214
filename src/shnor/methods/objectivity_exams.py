"""The graded M3 of §6: a school's ВПР fails against what its own ОГЭ/ЕГЭ predict.

A school whose ВПР shows far fewer «2» than schools of its exam level do is the pattern M3
names («лучшие результаты ВПР при не высоких ОГЭ/ЕГЭ»), judged here as a sampling test instead
of a rank rule: the ВПР fails are compared with the region's between-school relation of ВПР and
exam fail ratios, allowing for the school's own exam sampling error and the region's spread of
honest schools around that relation. It reads the fail counts only, so the ВПР known from the
«Статистика по отметкам» summaries (no scores, no journal) is judged too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import nbinom

KEYS = ["school_id", "exam_year"]


def fail_ratios(frame: pd.DataFrame, procedure: list[str]) -> pd.DataFrame:
    """Per school × year: fails observed and expected at the region's share of each procedure
    (the `procedure` columns), summed over the school's procedures, and the participants."""
    f = frame[frame["participant_count"] > 0]
    totals = f.groupby(procedure)[["fail_count", "participant_count"]].transform("sum")
    expected = f["participant_count"] * totals["fail_count"] / totals["participant_count"]
    return (
        f.assign(expected=expected)
        .groupby(KEYS, as_index=False)
        .agg(
            observed=("fail_count", "sum"),
            expected=("expected", "sum"),
            participants=("participant_count", "sum"),
        )
    )


def shrunk_ratio(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the posterior mean of each school's true fail ratio (observed / expected) under a
    gamma prior of mean 1 fitted by moments on the region, and the prior-plus-data shape
    (observed + a): a school with few exam results is pulled towards the region's level."""
    excess = ((observed - expected) ** 2 - observed).sum() / max((expected**2).sum(), 1e-9)
    prior = 1.0 / float(np.clip(excess, 0.02, 2.0))
    return (observed + prior) / (expected + prior), observed + prior


def _negative_binomial_lower_mid_p(count, mean, shape) -> np.ndarray:
    """P(X < k) + ½ P(X = k) for X negative binomial with the given mean and gamma shape, all
    rows at once (scipy's cdf and pmf, no support table up to the largest count)."""
    count, mean, shape = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (count, mean, shape))
    )
    p = shape / (shape + mean)
    return np.clip(nbinom.cdf(count - 1, shape, p) + 0.5 * nbinom.pmf(count, shape, p), 0.0, 1.0)


def vpr_below_exams_p_values(
    evidence: pd.DataFrame, results: pd.DataFrame, minimum: int
) -> pd.DataFrame:
    """Per school × year with ≥ `minimum` ВПР results and an ОГЭ/ЕГЭ result: the one-sided
    p-value of so few ВПР fails given the school's exam fails (`vpr_below_exams_p_value`).

    The ВПР fails are negative binomial around the region's log-linear relation of the ВПР ratio
    to the school's shrunk exam ratio; the spread around it adds the honest schools' residual
    spread (fitted so that the central half of the region's p-values spans half of [0, 1]) and
    the school's exam sampling error (the relative variance of its shrunk ratio, times the
    slope squared)."""
    vpr = fail_ratios(evidence, ["exam_year", "grade", "subject"])
    exams = results[results["exam"].isin(["oge", "ege"])]
    exam = fail_ratios(exams, ["exam_year", "exam", "grade", "subject"])
    frame = vpr.merge(exam, on=KEYS, suffixes=("", "_exam"))
    frame = frame[(frame["participants"] >= minimum) & (frame["expected"] > 0)]
    found = []
    for _, part in frame.groupby("exam_year"):
        if len(part) < 20:
            continue
        ratio, shape = shrunk_ratio(part["observed_exam"].to_numpy(float),
                                    part["expected_exam"].to_numpy(float))  # fmt: skip
        observed, expected = part["observed"].to_numpy(float), part["expected"].to_numpy(float)
        intercept, slope = _log_linear_fit(observed, expected, np.log(ratio))
        mean = expected * np.exp(intercept + slope * np.log(ratio))
        exam_variance = slope**2 / shape  # relative variance of ratio**slope

        def mid_p(residual: float, mean=mean, exam_variance=exam_variance, observed=observed):
            return _negative_binomial_lower_mid_p(
                observed, mean, 1.0 / np.maximum(residual + exam_variance, 1e-6)
            )

        residual = _residual_spread(mid_p)
        found.append(part[KEYS].assign(vpr_below_exams_p_value=mid_p(residual)))
    columns = [*KEYS, "vpr_below_exams_p_value"]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)


def _log_linear_fit(observed, expected, predictor) -> tuple[float, float]:
    """Poisson regression log(mean / expected) = a + b · predictor by Newton's method."""
    design = np.column_stack([np.ones_like(predictor), predictor])
    beta = np.array([np.log(observed.sum() / expected.sum()), 1.0])
    for _ in range(25):
        mean = expected * np.exp(design @ beta)
        step = np.linalg.solve(design.T @ (design * mean[:, None]), design.T @ (observed - mean))
        beta = beta + step
        if np.abs(step).max() < 1e-8:
            break
    return float(beta[0]), float(beta[1])


def _residual_spread(mid_p) -> float:
    """The smallest relative variance at which the region's mid-p values have an interquartile
    range of ½ (as under the null): fitted on the middle, so a few inflating schools in the lower
    tail do not widen it."""

    def spread(residual: float) -> float:
        q1, q3 = np.quantile(mid_p(residual), [0.25, 0.75])
        return float(q3 - q1)

    low, high = 0.0, 4.0
    if spread(low) <= 0.5:
        return low
    for _ in range(25):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if spread(middle) > 0.5 else (low, middle)
    return high
