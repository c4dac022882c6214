"""Year-on-year verdicts (docs/methodology.md): the significance of a change of a fail share and
«положительная динамика» judged against the posterior predictive. One home for both rules,
called by the flags (exit from the list, deterioration) and by every report alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import gammaln

from shnor.methods.intervals import two_proportion_z_test
from shnor.presets import Preset


def change_p_value(
    k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike, preset: Preset
) -> np.ndarray:
    """Two-sided p-value of p1 = p2: the z-test when every expected count is at least the
    preset's minimum, else Fisher's exact mid-p; NaN (nothing claimed) with fewer than the
    preset's minimum results in either year."""
    rules = preset["year_over_year"]
    k1, n1, k2, n2 = (np.asarray(v, dtype=float) for v in (k1, n1, k2, n2))
    p_value = np.asarray(two_proportion_z_test(k1, n1, k2, n2), dtype=float).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (k1 + k2) / (n1 + n2)
        smallest = np.minimum.reduce([n1 * share, n1 * (1 - share), n2 * share, n2 * (1 - share)])
    exact = np.flatnonzero(np.nan_to_num(smallest, nan=np.inf) < rules["exact_test_expected_count"])
    p_value[exact] = fisher_mid_p(k1[exact], n1[exact], k2[exact], n2[exact])
    too_few = ~((n1 >= rules["min_results"]) & (n2 >= rules["min_results"]))
    p_value[too_few] = np.nan
    return p_value


def fisher_mid_p(k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike) -> np.ndarray:
    """Two-sided mid-p of Fisher's exact test: P(tables less likely) + ½ P(as likely); every
    table's support at once (its hypergeometric log-probabilities from log-gamma), not one
    scipy call per table."""
    k1, n1, k2, n2 = (np.atleast_1d(np.asarray(v, dtype=np.int64)) for v in (k1, n1, k2, n2))
    total = k1 + k2
    first = np.maximum(0, total - n2)
    size = np.minimum(total, n1) - first + 1
    table = np.repeat(np.arange(len(k1)), size)
    x = first[table] + np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)

    def log_probability(x: np.ndarray, i: np.ndarray) -> np.ndarray:
        a, b, t = n1[i], n2[i], total[i]
        return (
            gammaln(a + 1.0) - gammaln(x + 1.0) - gammaln(a - x + 1.0)
            + gammaln(b + 1.0) - gammaln(t - x + 1.0) - gammaln(b - t + x + 1.0)
            - gammaln(a + b + 1.0) + gammaln(t + 1.0) + gammaln(a + b - t + 1.0)
        )  # fmt: skip

    probability = np.exp(log_probability(x, table))
    observed = np.exp(log_probability(k1, np.arange(len(k1))))
    tolerance = observed[table] * 1e-7
    less = probability < observed[table] - tolerance
    equal = np.abs(probability - observed[table]) <= tolerance
    count = len(k1)
    # not in place: bincount of no tables at all is an integer array
    p_value = np.bincount(table, probability * less, count) + 0.5 * np.bincount(
        table, probability * equal, count
    )
    return np.where(n1 + n2 > 0, np.minimum(1.0, p_value), 0.0)  # scipy's pmf is NaN at M = 0


def positive_dynamics(
    improvement_p_value: pd.Series,
    previous_count: pd.Series,
    count: pd.Series,
    preset: Preset,
) -> pd.Series:
    """«положительная динамика»: year Y's fails fewer than the posterior predictive from the data
    through Y−1 expects, one-sided at the preset's alpha (regression to the mean, including
    ρ < 1, is in the prediction), with at least the preset's minimum results in both years."""
    rules = preset["year_over_year"]
    enough = (previous_count >= rules["min_results"]) & (count >= rules["min_results"])
    return ((improvement_p_value < rules["alpha"]) & enough).fillna(False).astype(bool)
