"""Wilson and Newcombe intervals and the two-proportion test against published values."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from shnor.methods.intervals import (
    newcombe_difference_interval,
    two_proportion_z_test,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "trials", "lower", "upper"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (1, 10, 0.0179, 0.4042),
        # Newcombe (1998a) Table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_wilson_interval_matches_published_values(successes, trials, lower, upper):
    low, high = wilson_interval(successes, trials)
    assert low == pytest.approx(lower, abs=5e-5)
    assert high == pytest.approx(upper, abs=5e-5)


def test_wilson_interval_edges_are_exact_and_scalars_give_floats():
    low, high = wilson_interval(0, 7)
    assert isinstance(low, float)
    assert low == 0.0
    low, high = wilson_interval(7, 7)
    assert high == 1.0


def test_wilson_interval_is_vectorised_and_zero_trials_give_nan():
    low, high = wilson_interval(np.array([0, 5, 3]), pd.Series([0, 10, 3]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    np.testing.assert_allclose(low[1:], [0.236593, 0.438503], atol=1e-6)
    np.testing.assert_allclose(high[1:], [0.763407, 1.0], atol=1e-6)


def test_wilson_interval_narrows_with_lower_confidence():
    wide = np.subtract(*wilson_interval(30, 100, 0.99)[::-1])
    narrow = np.subtract(*wilson_interval(30, 100, 0.80)[::-1])
    assert narrow < wide


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(-1, 10)
    with pytest.raises(ValueError):
        wilson_interval(1, 10, confidence=1.5)


# Newcombe (1998), Stat Med 17:873–890, Table II, method 10 (hybrid score), for p1 − p2 with
# p1 = a/m and p2 = b/n. The function gives p2 − p1, so it is called with the groups swapped.
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("a", "m", "b", "n", "lower", "upper"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_matches_newcombe_1998_table_ii(a, m, b, n, lower, upper):
    low, high = newcombe_difference_interval(b, n, a, m)
    assert low == pytest.approx(lower, abs=5e-5)
    assert high == pytest.approx(upper, abs=5e-5)


def test_newcombe_interval_is_antisymmetric_and_vectorised():
    a, m, b, n, *_ = zip(*NEWCOMBE_TABLE_II, strict=True)
    low, high = newcombe_difference_interval(b, n, a, m)
    swapped_low, swapped_high = newcombe_difference_interval(a, m, b, n)
    np.testing.assert_allclose(low, -swapped_high, atol=1e-12)
    np.testing.assert_allclose(high, -swapped_low, atol=1e-12)


def test_newcombe_interval_with_an_empty_group_is_nan():
    low, high = newcombe_difference_interval([0, 3], [0, 10], [4, 0], [10, 0])
    assert np.isnan(low).all() and np.isnan(high).all()


def test_two_proportion_z_test_matches_the_uncorrected_chi_square_test():
    p_value = two_proportion_z_test(48, 80, 56, 70)
    reference = chi2_contingency([[56, 14], [48, 32]], correction=False)[1]
    assert p_value == pytest.approx(reference, rel=1e-10)
    assert p_value == pytest.approx(0.008045, abs=1e-6)


def test_two_proportion_z_test_is_symmetric_vectorised_and_handles_degenerate_groups():
    p_values = two_proportion_z_test(
        [10, 0, 5, 0, 20], [50, 10, 10, 0, 100], [20, 0, 10, 1, 20], [50, 10, 10, 5, 100]
    )
    assert p_values[0] == pytest.approx(two_proportion_z_test(20, 50, 10, 50))
    assert p_values[0] == pytest.approx(0.0291, abs=1e-4)
    assert p_values[1] == 1.0  # no fails anywhere: no evidence of a difference
    assert p_values[2] == pytest.approx(2 * 0.5 * math.erfc(math.sqrt(20 / 3) / math.sqrt(2)))
    assert math.isnan(p_values[3])  # an empty group
    assert p_values[4] == pytest.approx(1.0)
