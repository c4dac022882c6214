"""The fits' shortcuts against the direct computation they replace: per-school softplus sums
from the Taylor lattice, ρ by successive parabolas, P(low next year | θ) read from its table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit, logit, ndtr

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
