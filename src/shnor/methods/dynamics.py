"""Year-on-year verdicts (docs/methodology.md): the significance of a change of a fail share and
«положительная динамика» judged against the posterior predictive. One home for both rules,
called by the flags (exit from the list, deterioration) and by every report alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import hypergeom

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
    for i in exact:
        p_value[i] = fisher_mid_p(int(k1[i]), int(n1[i]), int(k2[i]), int(n2[i]))
    too_few = ~((n1 >= rules["min_results"]) & (n2 >= rules["min_results"]))
    p_value[too_few] = np.nan
    return p_value


def fisher_mid_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided mid-p of Fisher's exact test: P(tables less likely) + ½ P(as likely)."""
    total = k1 + k2
    support = np.arange(max(0, total - n2), min(total, n1) + 1)
    probability = hypergeom.pmf(support, n1 + n2, total, n1)
    observed = hypergeom.pmf(k1, n1 + n2, total, n1)
    tolerance = observed * 1e-7
    less = probability[probability < observed - tolerance].sum()
    equal = probability[np.abs(probability - observed) <= tolerance].sum()
    return float(min(1.0, less + 0.5 * equal))


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
