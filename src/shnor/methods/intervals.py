"""Intervals and tests for proportions (docs/methodology.md).

All functions are vectorised: they accept scalars, sequences, numpy arrays or pandas Series
(broadcast together) and return float numpy arrays (a numpy float for scalar input; pandas
indexes are not kept). A group with zero trials gives NaN. Counts outside
``0 <= successes <= trials`` raise ``ValueError``; NaN counts propagate as NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

__all__ = [
    "newcombe_difference_interval",
    "two_proportion_z_test",
    "wilson_interval",
]


def _counts(successes: ArrayLike, trials: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return validated float arrays of counts so every function rejects impossible input."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = (k < 0) | (n < 0) | (k > n)
    if np.any(bad):
        raise ValueError("counts must satisfy 0 <= successes <= trials")
    return k, n


def _result(values: ArrayLike) -> np.ndarray:
    """Return a float array, unwrapped to a numpy float for scalar input, so outputs are uniform."""
    return np.asarray(values, dtype=np.float64)[()]


def _two_sided_z(confidence: float) -> float:
    """Return the normal quantile z_{(1+confidence)/2} for a two-sided interval."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(ndtri(0.5 + confidence / 2.0))


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval (lower, upper) of a share; honest at small n and 0/n."""
    k, n = _counts(successes, trials)
    z = _two_sided_z(confidence)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denominator
        half_width = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
        lower = np.clip(centre - half_width, 0.0, 1.0)
        upper = np.clip(centre + half_width, 0.0, 1.0)
    # The exact bounds at the edges are 0 and 1; rounding must not move them.
    lower = np.where(k == 0, 0.0, lower)
    upper = np.where(k == n, 1.0, upper)
    empty = ~(n > 0)
    return _result(np.where(empty, np.nan, lower)), _result(np.where(empty, np.nan, upper))


def newcombe_difference_interval(
    k1: ArrayLike,
    n1: ArrayLike,
    k2: ArrayLike,
    n2: ArrayLike,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Return Newcombe's hybrid score interval (method 10) for p2 − p1, the year-on-year change."""
    k1, n1 = _counts(k1, n1)
    k2, n2 = _counts(k2, n2)
    lower1, upper1 = wilson_interval(k1, n1, confidence)
    lower2, upper2 = wilson_interval(k2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = k1 / n1
        p2 = k2 / n2
    difference = p2 - p1
    lower = difference - np.sqrt((p2 - lower2) ** 2 + (upper1 - p1) ** 2)
    upper = difference + np.sqrt((upper2 - p2) ** 2 + (p1 - lower1) ** 2)
    return _result(lower), _result(upper)


def two_proportion_z_test(k1: ArrayLike, n1: ArrayLike, k2: ArrayLike, n2: ArrayLike) -> np.ndarray:
    """Return the two-sided p-value of the pooled two-proportion z-test of p1 = p2.

    When the pooled share is 0 or 1 both groups are identical (all 0 or all 1) and the p-value
    is 1; a group with zero trials gives NaN.
    """
    k1, n1 = _counts(k1, n1)
    k2, n2 = _counts(k2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        standard_error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        z = (k2 / n2 - k1 / n1) / standard_error
        p_value = 2.0 * ndtr(-np.abs(z))
    p_value = np.where(standard_error == 0.0, 1.0, p_value)
    return _result(np.where((n1 > 0) & (n2 > 0), p_value, np.nan))


def holm_adjusted(p_values: pd.Series, groups: pd.Series | list[pd.Series]) -> pd.Series:
    """Holm–Bonferroni adjusted p-values within each group (family), NaN left out of the family.

    Used where one school is tested on many procedures at once, so that chance alone does not
    make a school «significantly worse» somewhere.
    """
    frame = pd.DataFrame({"p": p_values})
    keys = groups if isinstance(groups, list) else [groups]
    frame = frame.join(
        pd.concat(keys, axis=1).set_axis([f"g{i}" for i in range(len(keys))], axis=1)
    )
    names = [f"g{i}" for i in range(len(keys))]
    valid = frame[frame["p"].notna()].sort_values([*names, "p"])
    size = valid.groupby(names)["p"].transform("size")
    rank = valid.groupby(names).cumcount()
    scaled = (valid["p"] * (size - rank)).clip(upper=1.0)
    adjusted = scaled.groupby([valid[n] for n in names]).cummax()
    return adjusted.reindex(frame.index)
