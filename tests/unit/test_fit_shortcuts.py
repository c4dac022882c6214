"""The fits' shortcuts against the direct computation they replace: per-school softplus sums
from the Taylor lattice, ρ by successive parabolas, P(low next year | θ) read from its table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit, logit, ndtr, xlogy

from shnor.methods import joint_effect
from shnor.methods.school_effect import _softplus, _SoftplusLattice


def test_lattice_sums_equal_the_sums_over_result_rows():
    rng = np.random.default_rng(3)
    offsets = rng.uniform(-5.0, 2.0, 30)
    design = rng.integers(0, 400, (60, 30)).astype(float)
    design[0] = 0.0
    design[0, 4] = 3.0  # a school with one small result
    theta = rng.uniform(-12.0, 12.0, (60, 101))
    lattice = _SoftplusLattice(offsets, theta.min(), theta.max())
    exact = np.array(
        [[design[s] @ _softplus(offsets + point) for point in theta[s]] for s in range(60)]
    )
    error = np.abs(lattice.sums(design, theta) - exact)
    # the documented bound, 2e-12 per participant (plus rounding of sums of ~1e5)
    assert (error <= 2e-12 * design.sum(axis=1, keepdims=True) + 1e-10).all()
    assert error.max() > 0  # a Taylor series, not the sums themselves


def _two_years(seed: int, rho: float, schools: int = 400):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(schools)
    effects = [latent, rho * latent + np.sqrt(1 - rho**2) * rng.standard_normal(schools)]
    frames = []
    for year, effect in enumerate(effects):
        for k, share in enumerate([0.05, 0.15, 0.3]):
            n = rng.integers(5, 80, schools)
            frames.append(
                pd.DataFrame(
                    {"school_id": np.arange(schools), "exam_year": 2020 + year, "procedure": k,
                     "participant_count": n,
                     "fail_count": rng.binomial(n, expit(logit(share) + 0.6 * effect))}
                )
            )  # fmt: skip
    results = pd.concat(frames, ignore_index=True)
    return [joint_effect._prepared_year(results, 2020 + y, False) for y in (0, 1)]


def _objective(last, current, monkeypatch):
    """The negative log marginal likelihood in ρ that ``_fitted_persistence`` minimises."""
    calls = []
    with monkeypatch.context() as patch:
        patch.setattr(joint_effect, "_parabolic_minimum", lambda f, *_: calls.append(f) or np.nan)
        joint_effect._fitted_persistence(last, current)
    return calls[0]


def test_persistence_by_parabolas_is_the_bounded_search_maximum(monkeypatch):
    for seed, rho in ((1, 0.3), (2, 0.8), (3, 0.93)):
        last, current = _two_years(seed, rho)
        fitted = joint_effect._fitted_persistence(last, current)
        objective = _objective(last, current, monkeypatch)
        reference = optimize.minimize_scalar(
            objective, bounds=joint_effect.PERSISTENCE_BOUNDS, method="bounded",
            options={"xatol": 1e-7},
        ).x  # fmt: skip
        assert abs(fitted - reference) < 1e-4, (rho, fitted, reference)
        if rho < 0.9:  # well inside the bounds: the parabolas find it, not the fallback
            by_parabolas = joint_effect._parabolic_minimum(objective, rho - 0.1)
            assert abs(by_parabolas - reference) < 1e-4


def test_next_year_table_reads_the_function_it_tabulates():
    grid = joint_effect._GRID
    tail = 1.0 - ndtr((grid - joint_effect._STEP / 2) / 0.6)  # a pool of N(0, 0.6²)
    table = ndtr((0.8 * joint_effect._normal_scores(joint_effect._NEXT_LATTICE, tail) - 1.28) / 0.6)
    points = np.random.default_rng(0).uniform(-9.0, 9.0, 20000)
    direct = ndtr((0.8 * joint_effect._normal_scores(points, tail) - 1.28) / 0.6)
    assert np.abs(joint_effect._on_lattice(table, points) - direct).max() < 1e-5


def test_predictive_mid_p_skips_only_nodes_decided_within_e_minus_40():
    rng = np.random.default_rng(5)
    count, grid = 400, joint_effect._GRID
    offsets = rng.uniform(-4.0, 0.5, count)
    share = expit(offsets[:, None] + grid[None, :])  # rises with the node, as a school's does
    n = rng.integers(1, 6000, count)
    n[:5] = 1  # a school of one result
    f = rng.binomial(n, expit(offsets + rng.normal(0.0, 1.5, count)))
    f[5], f[6] = 0, n[6]  # none failed, all failed
    weight = rng.random((count, len(grid))) ** 6
    weight /= weight.sum(axis=1, keepdims=True)
    mid = stats.binom.cdf(f[:, None] - 1, n[:, None], share)
    mid += 0.5 * stats.binom.pmf(f[:, None], n[:, None], share)
    direct = (weight * mid).sum(axis=1)
    fast = joint_effect._predictive_mid_p(share, n.astype(float), f.astype(float), weight)
    assert np.abs(fast - direct).max() < 1e-12
    # the run it computes is exactly the nodes the Chernoff bound leaves undecided
    first, last = joint_effect._undecided_nodes(share, n, f)
    divergence = xlogy(f[:, None], f[:, None] / (n[:, None] * share)) + xlogy(
        (n - f)[:, None], (n - f)[:, None] / (n[:, None] * (1.0 - share))
    )
    node = np.arange(len(grid))[None, :]
    run = (node >= first[:, None]) & (node <= last[:, None])
    assert (run == (divergence <= 40.0)).all()
    assert 0 < run.sum(axis=1).mean() < len(grid) / 2  # the run is a small part of the grid


def test_corrected_cumulative_is_the_running_euler_maclaurin_sum():
    from shnor.methods.school_effect import _FINE_Z, _corrected_cumulative

    step = _FINE_Z[1] - _FINE_Z[0]
    rng = np.random.default_rng(2)
    centre, width = rng.normal(0.0, 2.0, (50, 1)), rng.uniform(0.3, 2.0, (50, 1))
    density = np.exp(-0.5 * ((_FINE_Z[None, :] - centre) / width) ** 2)
    trapezoid = np.zeros_like(density)
    trapezoid[:, 1:] = np.cumsum(0.5 * step * (density[:, 1:] + density[:, :-1]), axis=1)
    slope = np.gradient(density, step, axis=1)
    direct = trapezoid - step * step / 12.0 * (slope - slope[:, :1])
    direct = np.maximum.accumulate(np.clip(direct, 0.0, None), axis=1)
    direct /= direct[:, -1:]
    assert np.abs(_corrected_cumulative(density, step) - direct).max() < 1e-13
    exact = ndtr((_FINE_Z[None, :] - centre) / width) - ndtr((_FINE_Z[0] - centre) / width)
    exact /= exact[:, -1:]
    # O(step⁴): 6 points per sd at the narrowest here (posterior grids hold 20)
    assert np.abs(_corrected_cumulative(density, step) - exact).max() < 1e-5
