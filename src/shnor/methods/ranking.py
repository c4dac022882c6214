"""Rankings of schools within a pool (docs/methodology.md): worst/best shares, percentiles, medians.

Scores follow the composite's convention: higher = worse. Missing (NaN) scores are never
flagged and are not counted in the pool size.

Tie rule of the share masks (conservative): with ``n`` non-missing scores, a school is in the
worst ``share`` when the number of schools scoring at least as badly as it — itself and every
school tied with it included — is at most ``share · n``. So at most ``floor(share · n)`` schools
are flagged; a group of tied schools that straddles the cut-off is excluded as a whole (nobody
is flagged on a tie, and when all scores are equal nobody is flagged); and a pool smaller than
``1 / share`` schools flags nobody.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "above_median_mask",
    "below_median_mask",
    "best_share_mask",
    "expected_count_mask",
    "percentile_rank",
    "worst_share_mask",
]

_SHARE_TOLERANCE = 1e-9  # so that share · n = 3.0000000000000004 still admits 3 schools


def worst_share_mask(scores: pd.Series, share: float) -> pd.Series:
    """Return True for schools in the pool's worst share (higher score = worse), ties excluded."""
    return _share_mask(scores, share, worst_is_high=True)


def best_share_mask(scores: pd.Series, share: float) -> pd.Series:
    """Return True for schools in the pool's best share (lower score = better), ties excluded."""
    return _share_mask(scores, share, worst_is_high=False)


def expected_count_mask(probabilities: pd.Series) -> pd.Series:
    """Return True for the ``round(Σp)`` schools with the highest probability of an event: as
    many schools as the event is expected to hold for (the probabilities are calibrated), the
    most probable first; a tie straddling the cut-off is excluded as a whole, NaN never flagged.
    """
    values = probabilities.astype("float64")
    expected = np.floor(float(values.sum(skipna=True)) + 0.5)  # half up
    at_least_as_probable = values.rank(method="max", ascending=False, na_option="keep")
    mask = (at_least_as_probable <= expected) & (values > 0)
    return mask.fillna(False).astype(bool).rename(probabilities.name)


def percentile_rank(scores: pd.Series) -> pd.Series:
    """Return each score's percentile in the pool, 0 (best) to 100 (worst), ties averaged.

    The percentile is 100·(rank − 1)/(n − 1) with ascending average ranks over the n
    non-missing scores, so the best school gets 0 and the worst 100; a single score gets 50.
    NaN stays NaN.
    """
    values = scores.astype("float64")
    count = int(values.notna().sum())
    if count <= 1:
        return pd.Series(
            np.where(values.notna(), 50.0, np.nan), index=scores.index, name=scores.name
        )
    ranks = values.rank(method="average", ascending=True, na_option="keep")
    return (ranks - 1.0) * (100.0 / (count - 1))


def below_median_mask(scores: pd.Series) -> pd.Series:
    """Return True for scores strictly below the pool median (better than the median); NaN False."""
    values = scores.astype("float64")
    return (values < values.median()).fillna(False).astype(bool)


def above_median_mask(scores: pd.Series) -> pd.Series:
    """Return True for scores strictly above the pool median (worse than the median); NaN False."""
    values = scores.astype("float64")
    return (values > values.median()).fillna(False).astype(bool)


def _share_mask(scores: pd.Series, share: float, *, worst_is_high: bool) -> pd.Series:
    """Return the tie-excluding share mask of the worst (or best) end of the scores."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share!r}")
    values = scores.astype("float64")
    count = int(values.notna().sum())
    # rank "max" = number of schools at least as extreme as this one, ties included.
    at_least_as_extreme = values.rank(method="max", ascending=not worst_is_high, na_option="keep")
    mask = at_least_as_extreme <= share * count + _SHARE_TOLERANCE
    return mask.fillna(False).astype(bool).rename(scores.name)
