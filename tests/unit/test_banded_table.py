"""Tables by their nonzero bands against the whole tables they replace: products, the
likelihood evaluated on a guessed band, posterior masses placed as runs, the context prior's
expected participants formed block by block; and the next-year chance read from its table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.special import expit

from shnor.methods import joint_effect
from shnor.methods.banded_table import banded_likelihood, banded_runs, banded_table, row_bands
from shnor.methods.context_prior import (
    _BAND_BLOCK,
    _banded_posterior,
    context_expected_participants,
    hat_weights,
)
from shnor.methods.school_effect import (
    _FIT_GRID,
    _grid_likelihood,
    _maximum_likelihood,
    _prepare,
)


def _banded_rows(rng: np.random.Generator, count: int, columns: int) -> np.ndarray:
    """Rows nonzero on one run each, most narrow, one in ten up to all columns (as small
    schools' likelihoods are), some rows all zero."""
    table = np.zeros((count, columns))
    for row in range(count):
        widest = columns if rng.random() < 0.1 else max(columns // 5, 1)
        width = int(rng.integers(1, widest + 1))
        start = int(rng.integers(0, columns - width + 1))
        table[row, start : start + width] = rng.uniform(0.1, 1.0, width)
    table[[3, count // 2, count - 1]] = 0.0
    return table


def test_row_bands_are_the_first_and_after_last_nonzero_columns():
    table = _banded_rows(np.random.default_rng(0), 300, 41)
    first, end = row_bands(table)
    for row in range(300):
        nonzero = np.flatnonzero(table[row])
        if len(nonzero):
            assert (first[row], end[row]) == (nonzero[0], nonzero[-1] + 1)
        else:
            assert (first[row], end[row]) == (41, 0)


def test_banded_products_equal_the_dense_products():
    rng = np.random.default_rng(1)
    table = _banded_rows(rng, 20_000, 241)  # 20 blocks, the last one short
    banded = banded_table(table)
    assert np.array_equal(banded.dense(), table)
    assert sum(block.values.size for block in banded.blocks) < 0.6 * table.size
    matrix = rng.standard_normal((241, 3))
    np.testing.assert_allclose(banded.product(matrix), table @ matrix, rtol=1e-12, atol=1e-12)
    # a kernel zero outside a band of columns: only the columns it reaches are computed
    kernel = np.where(np.abs(np.subtract.outer(np.arange(241), np.arange(241))) < 20, 1.0, 0.0)
    kernel *= rng.uniform(0.5, 1.0, kernel.shape)
    np.testing.assert_allclose(banded.product(kernel), table @ kernel, rtol=1e-12, atol=1e-12)
    # written in place at the rows asked for, the others left as they were
    positions = np.where(rng.random(20_000) < 0.7, rng.permutation(20_000), -1)
    out = np.zeros((20_000, 241))
    banded.product(kernel, out, positions)
    expected = np.zeros((20_000, 241))
    expected[positions[positions >= 0]] = (table @ kernel)[positions >= 0]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_banded_bilinear_forms_equal_the_dense_ones():
    rng = np.random.default_rng(2)
    first, second = _banded_rows(rng, 2100, 120), _banded_rows(rng, 2100, 90)
    matrix = rng.standard_normal((120, 90))
    a = banded_table(first)
    b = banded_table(second, blocks_of=a)
    assert [block.rows.tolist() for block in b.blocks] == [x.rows.tolist() for x in a.blocks]
    dense = np.einsum("sg,sg->s", first @ matrix, second)
    np.testing.assert_allclose(a.bilinear(matrix, b), dense, rtol=1e-12, atol=1e-12)


def test_context_expected_participants_are_those_of_the_whole_posterior_table():
    rng = np.random.default_rng(4)
    count = 2 * _BAND_BLOCK + 77
    centre = rng.normal(0.0, 1.0, count)
    spread = rng.uniform(0.05, 1.5, count)
    table = np.exp(-0.5 * ((_FIT_GRID[None, :] - centre[:, None]) / spread[:, None]) ** 2)
    table[table < 1e-150] = 0.0
    means = centre + rng.normal(0.0, 0.3, count)
    means[:5] = 7.5  # priors far from the likelihood: computed on the whole grid
    design = rng.integers(0, 50, (7, count)).astype(float)
    sd = 0.4
    got = context_expected_participants(design, table, means, sd)
    # the whole table of posteriors from the same bands (as the fit formed it before)
    start, band, far = _banded_posterior(table, means, sd)
    posterior = np.zeros_like(table)
    nodes = start[:, None] + np.arange(band.shape[1])[None, :]
    np.put_along_axis(posterior, nodes, band, axis=1)
    posterior[far] = table[far] * hat_weights(means[far], sd)
    assert len(far) >= 3
    posterior /= posterior.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(got, design @ posterior, rtol=1e-12, atol=1e-12)
    # and the exact hat weights on the whole grid (the bands' weights are tabulated)
    exact = table * hat_weights(means, sd)
    exact /= exact.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(got, design @ exact, rtol=1e-7, atol=1e-9)


def test_banded_runs_are_the_table_they_place():
    rng = np.random.default_rng(5)
    count, columns, width = 3000, 241, 40
    first = rng.integers(0, columns - width + 1, count)
    runs = rng.uniform(0.1, 1.0, (count, width))
    runs[:, :3] = 0.0  # runs that open with zeros
    runs[np.arange(count), rng.integers(3, width, count)] = 0.0  # and hold a zero inside
    runs[7] = 0.0
    table = np.zeros((count, columns))
    np.put_along_axis(table, first[:, None] + np.arange(width)[None, :], runs, axis=1)
    banded = banded_runs(first, runs, columns)
    assert np.array_equal(banded.dense(), table)
    reference = banded_table(table)
    assert [b.rows.tolist() for b in banded.blocks] == [b.rows.tolist() for b in reference.blocks]
    assert [(b.begin, b.end) for b in banded.blocks] == [(b.begin, b.end) for b in reference.blocks]
    other = banded_runs(first, runs * 0.5, columns, blocks_of=banded)
    assert np.array_equal(other.dense(), table * 0.5)


def test_banded_likelihood_is_the_whole_grid_table_whatever_the_guess():
    rng = np.random.default_rng(6)
    schools, procedures = 3000, 6
    size = rng.integers(1, 200, schools)
    frame = pd.DataFrame(
        {
            "school_id": np.repeat(np.arange(schools), procedures),
            "procedure": np.tile(np.arange(procedures), schools),
            "participant_count": np.repeat(size, procedures),
        }
    )
    effect = np.repeat(rng.normal(0.0, 1.0, schools), procedures)
    frame["fail_count"] = rng.binomial(frame["participant_count"], expit(effect - 1.5))
    _, _, _, _, evidence = _prepare(frame)
    dense, _ = _grid_likelihood(evidence)
    mle, se = _maximum_likelihood(evidence)
    first, end = joint_effect._likelihood_band_guess(mle, se)
    table, banded = banded_likelihood(evidence, first, end)
    np.testing.assert_allclose(table, dense, rtol=1e-12, atol=0.0)
    assert np.array_equal(table == 0, dense == 0)
    np.testing.assert_allclose(banded.dense(), dense, rtol=1e-12, atol=0.0)
    # a guess far too narrow (one node at the MLE): the rows reaching past it are redone whole
    centre = np.clip(np.rint((mle - _FIT_GRID[0]) / (_FIT_GRID[1] - _FIT_GRID[0])), 0, 240)
    narrow = centre.astype(np.intp)
    table, banded = banded_likelihood(evidence, narrow, narrow + 1)
    np.testing.assert_allclose(table, dense, rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(banded.dense(), dense, rtol=1e-12, atol=0.0)
    # written over a spent table: only its blocks cleared, none of its values left behind
    moved = dataclasses.replace(evidence, procedure_offset=evidence.procedure_offset + 0.7)
    moved_dense, _ = _grid_likelihood(moved)
    again, _ = banded_likelihood(moved, first, end, table, banded)
    assert again is table
    np.testing.assert_allclose(again, moved_dense, rtol=1e-12, atol=0.0)
    assert np.array_equal(again == 0, moved_dense == 0)


def test_projected_runs_are_the_masses_on_the_whole_grid():
    rng = np.random.default_rng(7)
    count = 300
    mode, scale = rng.uniform(-9.0, 9.0, count), rng.uniform(0.01, 1.0, count)
    points = mode[:, None] + scale[:, None] * np.linspace(-10.0, 10.0, 101)[None, :]
    weight = rng.random((count, 101))
    first, runs = joint_effect._projected(points, weight, 0.5 * weight)
    # the direct projection: each point's three nodes on the whole grid
    step = _FIT_GRID[1] - _FIT_GRID[0]
    position = np.clip((points - _FIT_GRID[0]) / step, 1.0, len(_FIT_GRID) - 2.0)
    index = np.rint(position).astype(np.intp)
    x = position - index
    dense = np.zeros((count, len(_FIT_GRID)))
    for share, shift in ((0.5 * x * (x - 1.0), -1), (1.0 - x * x, 0), (0.5 * x * (x + 1.0), 1)):
        for s in range(count):
            np.add.at(dense[s], index[s] + shift, weight[s] * share[s])
    for table, factor in ((runs[0], 1.0), (runs[1], 0.5)):
        placed = np.zeros((count, len(_FIT_GRID) + runs.shape[2]))
        np.put_along_axis(placed, first[:, None] + np.arange(runs.shape[2])[None, :], table, axis=1)
        assert not placed[:, len(_FIT_GRID) :].any()
        np.testing.assert_allclose(placed[:, : len(_FIT_GRID)], factor * dense, atol=1e-12)
        # mass and mean of every row kept
        np.testing.assert_allclose(table.sum(axis=1), factor * weight.sum(axis=1), rtol=1e-12)


def test_next_year_chance_table_reads_the_mixture_within_its_bound():
    rng = np.random.default_rng(8)
    ahead = joint_effect.persistence_prior(0.7, 0.2)
    assert ahead.values.max() > 0.9  # the steepest values of ρ the bound allows for
    lattice_scores = np.linspace(-7.94, 7.94, 500)
    cuts = rng.uniform(-2.0, 3.5, 200)
    table = joint_effect._ChanceTable.tabulated(ahead, lattice_scores, cuts)
    scores = rng.uniform(-7.94, 7.94, (200, 401))
    direct = joint_effect._next_low_chance(ahead, scores, cuts[:, None])
    error = np.abs(table.read(scores, cuts) - direct)
    assert error.max() < 4e-5
    assert error.max() > 1e-9  # a reading, not the function itself
    # the reading is linear in the table: the prior's is the average of those at its values
    single = [
        joint_effect._ChanceTable.tabulated(
            joint_effect.persistence_prior(rho, 0.0), lattice_scores, cuts
        ).read(scores, cuts)
        for rho in ahead.values
    ]
    np.testing.assert_allclose(table.read(scores, cuts), np.mean(single, axis=0), atol=1e-14)
