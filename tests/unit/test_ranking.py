"""Worst/best share masks, percentiles and median masks (docs/methodology.md)."""

import numpy as np
import pandas as pd
import pytest

from shnor.methods.ranking import (
    above_median_mask,
    below_median_mask,
    best_share_mask,
    expected_count_mask,
    percentile_rank,
    worst_share_mask,
)


def flagged(mask):
    return mask[mask].index.tolist()


def test_worst_share_of_twenty_distinct_scores_is_the_two_highest():
    scores = pd.Series(np.arange(20.0), index=[f"s{i:02d}" for i in range(20)], name="composite")
    mask = worst_share_mask(scores, 0.10)
    assert flagged(mask) == ["s18", "s19"]
    assert mask.dtype == bool and mask.name == "composite"
    assert mask.index.equals(scores.index)
    assert flagged(best_share_mask(scores, 0.10)) == ["s00", "s01"]


def test_count_is_floor_of_share_times_pool_size():
    scores = pd.Series(np.arange(25.0))
    assert worst_share_mask(scores, 0.10).sum() == 2  # 2.5 → 2
    assert worst_share_mask(pd.Series(np.arange(9.0)), 0.10).sum() == 0  # pool below 1/share
    assert (
        worst_share_mask(pd.Series(np.arange(30.0)), 0.10).sum() == 3
    )  # 0.1·30 = 3.0000000000000004
    assert (
        worst_share_mask(pd.Series(np.arange(10.0)), 0.7).sum() == 7
    )  # 0.7·10 = 7.000000000000001
    assert worst_share_mask(pd.Series(np.arange(10.0)), 0.0).sum() == 0
    assert worst_share_mask(pd.Series(np.arange(10.0)), 1.0).sum() == 10


def test_ties_straddling_the_cut_off_are_all_excluded():
    scores = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], dtype=float)
    assert worst_share_mask(scores, 0.10).sum() == 0  # one place, two tied schools
    assert flagged(worst_share_mask(scores, 0.20)) == [8, 9]  # both fit
    assert flagged(worst_share_mask(scores, 0.30)) == [7, 8, 9]
    scores = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 8, 10], dtype=float)
    assert flagged(worst_share_mask(scores, 0.20)) == [9]  # the tied 8s would need a third place
    scores = pd.Series([1, 1, 1, 4, 5, 6, 7, 8, 9, 10], dtype=float)
    assert best_share_mask(scores, 0.20).sum() == 0
    assert flagged(best_share_mask(scores, 0.30)) == [0, 1, 2]


def test_all_equal_scores_flag_nobody():
    scores = pd.Series(np.full(50, 0.3))
    assert not worst_share_mask(scores, 0.10).any()
    assert not best_share_mask(scores, 0.10).any()


def test_missing_scores_are_never_flagged_and_not_counted():
    scores = pd.Series([np.nan] * 5 + list(np.arange(10.0)))
    mask = worst_share_mask(scores, 0.10)
    assert flagged(mask) == [14]
    assert not mask.iloc[:5].any()
    nullable = pd.Series(pd.array([None, 1.0, 2.0], dtype="Float64"))
    assert worst_share_mask(nullable, 0.5).tolist() == [False, False, True]
    assert not worst_share_mask(pd.Series([], dtype=float), 0.1).any()


def test_invalid_share_is_rejected():
    with pytest.raises(ValueError):
        worst_share_mask(pd.Series([1.0]), 1.5)
    with pytest.raises(ValueError):
        best_share_mask(pd.Series([1.0]), -0.1)


def test_percentile_rank_runs_from_best_zero_to_worst_hundred_with_averaged_ties():
    scores = pd.Series([3.0, 1.0, np.nan, 2.0, 2.0, 5.0], index=list("abcdef"), name="x")
    ranks = percentile_rank(scores)
    expected = pd.Series([75.0, 0.0, np.nan, 37.5, 37.5, 100.0], index=list("abcdef"), name="x")
    pd.testing.assert_series_equal(ranks, expected)
    assert percentile_rank(pd.Series([4.0, np.nan])).tolist()[0] == 50.0
    assert percentile_rank(pd.Series([], dtype=float)).empty


def test_median_masks_are_strict():
    scores = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])
    assert below_median_mask(scores).tolist() == [True, True, False, False, False, False]
    assert above_median_mask(scores).tolist() == [False, False, False, True, True, False]
    even = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert below_median_mask(even).tolist() == [True, True, False, False]
    assert not above_median_mask(pd.Series([2.0, 2.0, 2.0])).any()


def test_expected_count_mask_flags_round_sum_of_the_most_probable():
    p = pd.Series([0.9, 0.8, 0.5, 0.3, 0.2, 0.1, np.nan, 0.0])
    assert expected_count_mask(p).tolist() == [True, True, True] + [False] * 5  # Σ 2.8 → 3
    assert expected_count_mask(pd.Series([0.6, 0.6, 0.3])).tolist() == [True, True, False]
    # a tie straddling the cut-off (Σ 1.5 → 2 of three tied at 0.5) flags none of them
    assert not expected_count_mask(pd.Series([0.5, 0.5, 0.5])).any()
    assert not expected_count_mask(pd.Series([np.nan, np.nan])).any()
