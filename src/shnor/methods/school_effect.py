"""The school effect and its empirical-Bayes composite (docs/methodology.md).

Model, for one year and one pool. For procedure ``k`` the regional fail share is
``p_k = Σ_s fail_sk / Σ_s participants_sk`` (clipped to ``[0.5/N_k, 1 − 0.5/N_k]``), and a
school's fail odds are shifted from the regional odds by one school effect common to all its
procedures: ``logit p_sk = logit p_k + θ_s``. A procedure whose regional share is 0 or 1, or
that has no participants, says nothing about ``θ`` and is left out of the likelihood (it is
still counted in ``procedure_count``). An optional policy ``weight`` multiplies both counts of a
row in the likelihood.

1. Maximum likelihood per school (safeguarded Newton steps, tolerance 1e-8). Under separation
   (no fails, or only fails, in the school's informative procedures) the estimate diverges: it
   is capped at ``±THETA_CAP`` and ``is_separated`` is set. The standard error comes from the
   observed information at the (capped) estimate, ``inf`` where the information is 0.
2. Empirical Bayes. The prior ``θ ~ N(μ, τ²)`` over the pool's schools is fitted by maximising
   the marginal likelihood Σ_s log ∫ L_s(θ) N(θ; μ, τ²) dθ with L-BFGS-B over (μ, log τ),
   ``τ`` bounded to ``SD_BOUNDS``. For the fit each school's likelihood is tabulated once on a
   fixed grid (``FIT_GRID_POINTS`` on ``[−THETA_CAP, THETA_CAP]``; computed per procedure and
   summed per school by a sparse product, so 40 000 schools × 30 procedures stay fast) and
   integrated against the prior with weights that are exact for a likelihood linear between
   grid points (see ``_prior_grid_weights``): accurate for any ``τ``, down to its lower bound.
   Each school's exact posterior is then evaluated on its own grid (``POSTERIOR_GRID_Z``: ±10
   Laplace standard deviations around the posterior mode, exact likelihood, refined by a cubic
   spline of the log-posterior), giving the posterior mean (``composite_score``, higher =
   worse), sd, equal-tailed credible interval and ``low_probability`` = P(θ_s > μ +
   z_{1−low_share}·τ): the posterior probability that the school belongs to the worst
   ``low_share`` of the pool's distribution of school effects.

Schools are only compared within the pool they were fitted in; ``θ`` and the composite are on
the logit scale (θ = log 2: twice the regional fail odds).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import interpolate, optimize, sparse
from scipy.special import expit, logit, ndtr, ndtri
from threadpoolctl import threadpool_limits

__all__ = [
    "FIT_GRID_POINTS",
    "POSTERIOR_GRID_Z",
    "RESULT_COLUMNS",
    "SD_BOUNDS",
    "THETA_CAP",
    "PriorFit",
    "school_effects",
]

THETA_CAP = 8.0
"""Largest |θ̂| reported by maximum likelihood (fail odds shifted e^8 ≈ 3000-fold)."""

SD_BOUNDS = (0.01, 5.0)
"""Bounds of the prior standard deviation τ; the lower one is reached when schools do not differ."""

FIT_GRID_POINTS = 241
"""Points of the fixed θ grid on [−THETA_CAP, THETA_CAP] used to fit the prior (spacing 1/15)."""

POSTERIOR_GRID_Z = np.linspace(-10.0, 10.0, 101)
"""Per-school posterior grid, in Laplace standard deviations around the posterior mode, at which
the exact log-likelihood is evaluated."""

POSTERIOR_REFINEMENT = 4
"""The log-posterior is interpolated by a cubic spline onto a grid this many times finer, on
which the mean, sd, CDF and quantiles are integrated (CDF error ≈ 1e-4)."""

NEWTON_TOLERANCE = 1e-8
MAX_NEWTON_ITERATIONS = 200

REQUIRED_COLUMNS = ("school_id", "procedure", "participant_count", "fail_count")

RESULT_COLUMNS = (
    "school_id",
    "theta_mle",
    "theta_se",
    "is_separated",
    "has_information",
    "informative_procedure_count",
    "procedure_count",
    "counted_participant_count",
    "composite_score",
    "composite_sd",
    "composite_lower",
    "composite_upper",
    "low_probability",
)

_FIT_GRID = np.linspace(-THETA_CAP, THETA_CAP, FIT_GRID_POINTS)
_SCHOOL_CHUNK = 1024  # schools per block of the fixed-grid likelihood table (~2 MB: in cache)
_POSTERIOR_SCHOOL_CHUNK = 1024  # schools per block of the per-school posterior grids
_FINE_Z = np.linspace(
    POSTERIOR_GRID_Z[0],
    POSTERIOR_GRID_Z[-1],
    POSTERIOR_REFINEMENT * (len(POSTERIOR_GRID_Z) - 1) + 1,
)
_REFINE = interpolate.CubicSpline(POSTERIOR_GRID_Z, np.eye(len(POSTERIOR_GRID_Z)))(_FINE_Z).T
_DENSE_DESIGN_CELLS = 16_000_000  # schools × procedures up to which the design is dense
_SOFTPLUS_BLOCK = 65536  # elements per in-place block of _softplus (fits a core's cache)
_SMALLEST_LIKELIHOOD = 1e-300  # floor of a school's marginal likelihood during the fit
_TAYLOR_STEP = 1.0 / 30.0  # lattice of the per-school softplus sums (_softplus_sums)
NEGLIGIBLE_LIKELIHOOD = 1e-150
"""Scaled likelihoods (peak 1) below this are set to 0 in the grid tables: no integral moves by
more than that share, and products of such values, subnormal numbers, run ~100× slower."""
_LOG_NEGLIGIBLE = float(np.log(NEGLIGIBLE_LIKELIHOOD))


@dataclass(frozen=True)
class PriorFit:
    """Normal prior N(mean, sd²) of school effects in one pool: the yardstick of every composite.

    ``school_count`` schools with information entered the fit; ``low_threshold`` is
    ``mean + z_{1−low_share}·sd``; ``log_marginal_likelihood`` is the maximised
    Σ_s log ∫ L_s(θ) N(θ; mean, sd²) dθ, with L_s the binomial likelihood without binomial
    coefficients. All NaN (0 schools, log marginal likelihood 0) when no school has information.
    """

    mean: float
    sd: float
    school_count: int
    low_threshold: float
    log_marginal_likelihood: float

    @property
    def sd_at_lower_bound(self) -> bool:
        """Return whether τ sits at its lower bound: no between-school variance was detected."""
        return bool(self.sd <= SD_BOUNDS[0] * (1.0 + 1e-6))


@dataclass(frozen=True)
class _Evidence:
    """Informative result rows, sorted by school, of the schools that have any (internal)."""

    school_position: np.ndarray  # position of each informative school among all schools
    row_school: np.ndarray  # informative school of each row, ascending
    row_procedure: np.ndarray  # informative procedure of each row
    row_offset: np.ndarray  # logit p_k of each row
    row_fails: np.ndarray  # weighted fail count
    row_trials: np.ndarray  # weighted participant count
    procedure_offset: np.ndarray  # logit p_k of each informative procedure
    school_fails: np.ndarray  # Σ weighted fails per informative school
    school_trials: np.ndarray  # Σ weighted participants per informative school
    school_offset_fails: np.ndarray  # Σ weighted fails · logit p_k per informative school
    is_separated: np.ndarray  # no fails or only fails in the informative rows

    @property
    def school_count(self) -> int:
        """Return the number of schools with information."""
        return len(self.school_position)


def one_blas_thread(function: Callable) -> Callable:
    """Run ``function`` with one BLAS thread: the fits multiply blocks of a few hundred schools,
    where threads cost more in hand-over than they share (on 2 loaded cores a block's products
    took 40× the wall time, and their CPU time 25×, of one thread's)."""

    @functools.wraps(function)
    def with_one_thread(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return with_one_thread


@one_blas_thread
def school_effects(
    results: pd.DataFrame,
    *,
    low_share: float = 0.10,
    confidence: float = 0.95,
    shrinkage: bool = True,
) -> tuple[pd.DataFrame, PriorFit]:
    """Return each school's effect θ (MLE and empirical-Bayes composite) and the pool's prior fit.

    ``results`` holds one year and one pool at grain school × procedure with columns
    ``school_id``, ``procedure``, ``participant_count``, ``fail_count`` and optional ``weight``.
    The frame returned has one row per ``school_id`` (sorted) with the columns of
    ``RESULT_COLUMNS``. ``shrinkage=False`` (sensitivity analysis) reports the capped MLE as
    the composite, with the Wald interval and the normal-approximation probability of exceeding
    the same threshold. A school without informative procedures is a draw from the prior: its
    composite is the prior mean, its interval the prior interval, its ``low_probability`` equals
    ``low_share`` (NaN throughout when ``shrinkage=False``).
    """
    if not 0.0 < low_share < 1.0:
        raise ValueError(f"low_share must be in (0, 1), got {low_share!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    school_ids, procedure_count, informative_count, participants, evidence = _prepare(results)
    school_total = len(school_ids)

    theta_mle = np.full(school_total, np.nan)
    theta_se = np.full(school_total, np.inf)
    is_separated = np.zeros(school_total, dtype=bool)
    where = evidence.school_position
    mle, se = _maximum_likelihood(evidence)
    theta_mle[where], theta_se[where], is_separated[where] = mle, se, evidence.is_separated

    prior = _fit_prior(evidence, mle, se, low_share)
    z = float(ndtri(0.5 + confidence / 2.0))
    if shrinkage:
        composite = np.full(school_total, prior.mean)
        composite_sd = np.full(school_total, prior.sd)
        lower = np.full(school_total, prior.mean - z * prior.sd)
        upper = np.full(school_total, prior.mean + z * prior.sd)
        low_probability = np.full(school_total, low_share if prior.school_count else np.nan)
        if evidence.school_count:
            summary = _posterior_summaries(evidence, prior, mle, confidence)
            composite[where], composite_sd[where] = summary[0], summary[1]
            lower[where], upper[where], low_probability[where] = summary[2:5]
    else:
        composite, composite_sd = theta_mle.copy(), theta_se.copy()
        with np.errstate(invalid="ignore"):
            lower, upper = composite - z * composite_sd, composite + z * composite_sd
            low_probability = ndtr((composite - prior.low_threshold) / composite_sd)
        composite_sd[~np.isfinite(theta_mle)] = np.nan

    table = pd.DataFrame(
        {
            "school_id": school_ids,
            "theta_mle": theta_mle,
            "theta_se": theta_se,
            "is_separated": is_separated,
            "has_information": informative_count > 0,
            "informative_procedure_count": informative_count,
            "procedure_count": procedure_count,
            "counted_participant_count": participants,
            "composite_score": composite,
            "composite_sd": composite_sd,
            "composite_lower": lower,
            "composite_upper": upper,
            "low_probability": low_probability,
        },
        columns=list(RESULT_COLUMNS),
    )
    return table, prior


def _prepare(
    results: pd.DataFrame,
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray, _Evidence]:
    """Return the sorted schools, their procedure counts and the informative evidence of a pool."""
    missing = [column for column in REQUIRED_COLUMNS if column not in results.columns]
    if missing:
        raise ValueError(f"results lack columns {missing}")
    school_codes, school_ids = pd.factorize(results["school_id"], sort=True)
    procedure_codes, procedures = pd.factorize(results["procedure"])
    if (school_codes < 0).any() or (procedure_codes < 0).any():
        raise ValueError("school_id and procedure must not be missing")
    school_total, procedure_total = len(school_ids), len(procedures)
    pair = school_codes.astype(np.int64) * max(procedure_total, 1) + procedure_codes
    if pd.Series(pair).duplicated().any():
        raise ValueError("results must have one row per school_id × procedure")

    participants = _count_column(results, "participant_count")
    fails = _count_column(results, "fail_count")
    if np.any(fails > participants):
        raise ValueError("fail_count must not exceed participant_count")
    if "weight" in results.columns:
        weights = results["weight"].to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.all(np.isfinite(weights) & (weights > 0)):
            raise ValueError("weight must be finite and > 0")
    else:
        weights = np.ones(len(results))

    procedure_participants = np.bincount(procedure_codes, participants, procedure_total)
    procedure_fails = np.bincount(procedure_codes, fails, procedure_total)
    informative_procedure = (procedure_fails > 0) & (procedure_fails < procedure_participants)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip(
            procedure_fails / procedure_participants,
            0.5 / procedure_participants,
            1.0 - 0.5 / procedure_participants,
        )
    informative_row = informative_procedure[procedure_codes] & (participants > 0)

    procedure_count = np.bincount(school_codes, minlength=school_total).astype(np.int64)
    informative_count = np.bincount(school_codes[informative_row], minlength=school_total).astype(
        np.int64
    )
    counted = np.bincount(
        school_codes[informative_row], participants[informative_row], school_total
    )
    counted = np.rint(counted).astype(np.int64)

    rows = np.flatnonzero(informative_row)
    rows = rows[np.argsort(school_codes[rows], kind="stable")]
    school_position = np.flatnonzero(informative_count)
    row_school = (np.cumsum(informative_count > 0) - 1)[school_codes[rows]]
    kept_procedures = np.flatnonzero(informative_procedure)
    row_procedure = (np.cumsum(informative_procedure) - 1)[procedure_codes[rows]]
    procedure_offset = logit(share[kept_procedures])
    row_offset = procedure_offset[row_procedure]
    row_fails = fails[rows] * weights[rows]
    row_trials = participants[rows] * weights[rows]
    informative_total = len(school_position)
    raw_fails = np.bincount(row_school, fails[rows], informative_total)
    raw_participants = np.bincount(row_school, participants[rows], informative_total)
    evidence = _Evidence(
        school_position=school_position,
        row_school=row_school.astype(np.intp),
        row_procedure=row_procedure.astype(np.intp),
        row_offset=row_offset,
        row_fails=row_fails,
        row_trials=row_trials,
        procedure_offset=procedure_offset,
        school_fails=np.bincount(row_school, row_fails, informative_total),
        school_trials=np.bincount(row_school, row_trials, informative_total),
        school_offset_fails=np.bincount(row_school, row_fails * row_offset, informative_total),
        is_separated=(raw_fails == 0) | (raw_fails == raw_participants),
    )
    return pd.Index(school_ids), procedure_count, informative_count, counted, evidence


def _count_column(results: pd.DataFrame, column: str) -> np.ndarray:
    """Return a count column as float64, rejecting missing, negative or fractional counts."""
    values = results[column].to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.all(np.isfinite(values) & (values >= 0) & (values == np.round(values))):
        raise ValueError(f"{column} must hold whole numbers >= 0")
    return values


def _score_and_information(theta: np.ndarray, evidence: _Evidence) -> tuple[np.ndarray, np.ndarray]:
    """Return dℓ/dθ and −d²ℓ/dθ² of each informative school's log-likelihood at θ."""
    probability = expit(evidence.row_offset + theta[evidence.row_school])
    expected = evidence.row_trials * probability
    count = evidence.school_count
    score = evidence.school_fails - np.bincount(evidence.row_school, expected, count)
    information = np.bincount(evidence.row_school, expected * (1.0 - probability), count)
    return score, information


def _bounded_exp(values: np.ndarray) -> np.ndarray:
    """Return e^x in place, x first raised to log(NEGLIGIBLE_LIKELIHOOD) − 1: for logarithms of
    densities scaled to peak 1, whose far tails would otherwise come out subnormal (below
    2.2e-308), where exp runs ~40× and every later product ~100× slower."""
    np.maximum(values, _LOG_NEGLIGIBLE - 1.0, out=values)
    return np.exp(values, out=values)


def _softplus(x: np.ndarray) -> np.ndarray:
    """Return log(1 + e^x) elementwise, in place on a fresh array and in cache-sized blocks.

    ``log(1 + e^x)`` rather than ``log1p(e^x)``: its absolute error is below 2.3e-16 (rounding
    1 + e^x), far below the likelihood's own rounding, and NumPy's vectorised log makes it about
    five times faster. Above 50, e^x is capped and the excess added back (exact: 1 + e^50 = e^50).
    """
    out = np.minimum(x, 50.0)
    flat = out.reshape(-1)
    for begin in range(0, len(flat), _SOFTPLUS_BLOCK):
        block = flat[begin : begin + _SOFTPLUS_BLOCK]
        np.exp(block, out=block)
        block += 1.0
        np.log(block, out=block)
    if out.size and x.max() > 50.0:
        out += np.maximum(x - 50.0, 0.0)
    return out


class _SoftplusLattice:
    """Σ_k n_sk·log(1 + e^(α_k + θ)) of any school at any of its own points θ, without a
    logarithm per result row and point (the likelihood's costly part on per-school grids).

    ``log(1 + e^(α_k + θ))`` and its derivatives are tabulated once per procedure on a lattice of
    spacing ``_TAYLOR_STEP`` over ``[low, high]``; a school's sums at the nearest node come from
    one product with its design row and are carried to the point by their Taylor series to the
    fourth power of the distance (at most half a spacing). The fifth derivative of log(1 + eˣ)
    is below 0.18, so the error is below 0.18·n·(1/60)⁵/5! < 2e-12·n: 2e-8 for a school of
    10 000 participants.
    """

    def __init__(self, offsets: np.ndarray, low: float, high: float) -> None:
        h = _TAYLOR_STEP
        self.first = np.floor(low / h)
        nodes = np.arange(self.first, np.ceil(high / h) + 1.0) * h
        x = offsets[:, None] + nodes[None, :]
        p = expit(x)
        q = p * (1.0 - p)
        # log(1 + eˣ), then its derivatives over k!: p, p(1−p)/2, p(1−p)(1−2p)/6, …/24
        self.terms = np.stack(
            [_softplus(x), p, 0.5 * q, q * (1.0 - 2.0 * p) / 6.0, q * (1.0 - 6.0 * q) / 24.0]
        )  # 5 × procedures × nodes
        self.nodes = nodes

    def sums(self, design: np.ndarray | sparse.csr_array, theta: np.ndarray) -> np.ndarray:
        """Return the sums of each school (a row of ``design``) at its points (schools × points)."""
        index = np.rint(theta / _TAYLOR_STEP - self.first).astype(np.intp)
        begin, end = int(index.min()), int(index.max()) + 1
        used = self.terms[:, :, begin:end]
        sums = (design @ used.transpose(1, 0, 2).reshape(used.shape[1], -1)).reshape(
            len(theta), 5, end - begin
        )
        delta = theta - self.nodes[index]
        rows = np.arange(len(theta))[:, None]
        local = index - begin
        result = sums[rows, 4, local]
        for power in (3, 2, 1, 0):
            result *= delta
            result += sums[rows, power, local]
        return result


def _newton_root(
    derivatives: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    start: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """Return the root of each school's decreasing score in [lower, upper] by safeguarded Newton.

    ``derivatives(θ)`` returns the score and the (positive) curvature. A Newton step that leaves
    the bracket known to hold the root is replaced by bisection, so convergence is guaranteed
    for the concave log-likelihoods and log-posteriors used here.
    """
    theta = np.clip(start, lower, upper)
    low, high = lower.copy(), upper.copy()
    active = low < high
    for _ in range(MAX_NEWTON_ITERATIONS):
        if not active.any():
            break
        score, curvature = derivatives(theta)
        low = np.where(active & (score > 0), theta, low)
        high = np.where(active & (score < 0), theta, high)
        with np.errstate(divide="ignore", invalid="ignore"):
            proposal = theta + score / curvature
        outside = ~((proposal >= low) & (proposal <= high))
        proposal = np.where(outside, 0.5 * (low + high), proposal)
        converged = (np.abs(proposal - theta) < NEWTON_TOLERANCE) | (score == 0)
        theta = np.where(active & (score != 0), proposal, theta)
        active &= ~converged
    return theta


def _maximum_likelihood(evidence: _Evidence) -> tuple[np.ndarray, np.ndarray]:
    """Return each informative school's MLE of θ, capped at ±THETA_CAP, and its standard error."""
    count = evidence.school_count
    cap = np.full(count, THETA_CAP)
    score_at_low, _ = _score_and_information(-cap, evidence)
    score_at_high, _ = _score_and_information(cap, evidence)
    capped_low = (evidence.is_separated & (evidence.school_fails == 0)) | (score_at_low <= 0)
    capped_high = ~capped_low & (evidence.is_separated | (score_at_high >= 0))
    lower = np.where(capped_high, THETA_CAP, -THETA_CAP)
    upper = np.where(capped_low, -THETA_CAP, THETA_CAP)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = evidence.row_trials * expit(evidence.row_offset)
        mean_offset = np.bincount(evidence.row_school, expected, count) / evidence.school_trials
        start = logit(evidence.school_fails / evidence.school_trials) - logit(mean_offset)
    start = np.where(np.isfinite(start), start, 0.0)
    theta = _newton_root(lambda value: _score_and_information(value, evidence), start, lower, upper)
    _, information = _score_and_information(theta, evidence)
    with np.errstate(divide="ignore"):
        standard_error = 1.0 / np.sqrt(information)
    return theta, standard_error


def _fit_prior(
    evidence: _Evidence, theta_mle: np.ndarray, theta_se: np.ndarray, low_share: float
) -> PriorFit:
    """Return the normal prior N(μ, τ²) of θ that maximises the pool's marginal likelihood."""
    if evidence.school_count == 0:
        return PriorFit(np.nan, np.nan, 0, np.nan, 0.0)
    likelihood, log_peak = _grid_likelihood(evidence)
    count = evidence.school_count

    def negative_mean_log_marginal(parameters: np.ndarray) -> float:
        weights = _prior_grid_weights(parameters[0], float(np.exp(parameters[1])))
        marginal = likelihood @ weights
        return float(-np.log(np.maximum(marginal, _SMALLEST_LIKELIHOOD)).sum() / count)

    bounds = [(-THETA_CAP, THETA_CAP), (np.log(SD_BOUNDS[0]), np.log(SD_BOUNDS[1]))]
    start = _moment_start(theta_mle, theta_se, evidence.is_separated)
    best = optimize.minimize(
        negative_mean_log_marginal,
        start,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-13, "gtol": 1e-8},
    )
    mean, sd = float(best.x[0]), float(np.clip(np.exp(best.x[1]), *SD_BOUNDS))
    threshold = mean + float(ndtri(1.0 - low_share)) * sd
    log_marginal = float(log_peak.sum()) - count * negative_mean_log_marginal(best.x)
    return PriorFit(mean, sd, count, threshold, log_marginal)


def _moment_start(
    theta_mle: np.ndarray, theta_se: np.ndarray, is_separated: np.ndarray
) -> np.ndarray:
    """Return a method-of-moments start (μ, log τ) for the marginal-likelihood fit."""
    usable = ~is_separated & np.isfinite(theta_se)
    if usable.sum() < 2:
        return np.array([0.0, np.log(0.5)])
    estimates = theta_mle[usable]
    excess = np.var(estimates) - np.median(theta_se[usable] ** 2)
    sd = float(np.clip(np.sqrt(max(excess, 0.1**2)), *SD_BOUNDS))
    return np.array([float(np.median(estimates)), np.log(sd)])


def _grid_likelihood(
    evidence: _Evidence, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return each school's likelihood on the fixed θ grid scaled to maximum 1, and log maxima
    (written into ``out`` when given: a table no longer needed, its pages already mapped)."""
    count = evidence.school_count
    design = _design(evidence)
    minus_softplus = -_softplus(evidence.procedure_offset[:, None] + _FIT_GRID[None, :])
    table = np.empty((count, len(_FIT_GRID))) if out is None else out
    log_peak = np.empty(count)
    for begin in range(0, count, _SCHOOL_CHUNK):  # each block computed in place, in cache
        end = min(begin + _SCHOOL_CHUNK, count)
        block = table[begin:end]
        if isinstance(design, np.ndarray):
            np.matmul(design[begin:end], minus_softplus, out=block)
        else:
            block[...] = design[begin:end] @ minus_softplus
        block += evidence.school_fails[begin:end, None] * _FIT_GRID[None, :]
        log_peak[begin:end] = block.max(axis=1)
        block -= log_peak[begin:end, None]
        _bounded_exp(block)
        block[block < NEGLIGIBLE_LIKELIHOOD] = 0.0
    return table, log_peak + evidence.school_offset_fails


def _design(evidence: _Evidence) -> np.ndarray | sparse.csr_array:
    """Return the schools × procedures matrix of (weighted) participants: dense while it is
    small (a dense product with the grid is several times faster), sparse otherwise."""
    shape = (evidence.school_count, len(evidence.procedure_offset))
    if shape[0] * shape[1] <= _DENSE_DESIGN_CELLS:
        cell = evidence.row_school * shape[1] + evidence.row_procedure  # one row per pair
        return np.bincount(cell, evidence.row_trials, shape[0] * shape[1]).reshape(shape)
    return sparse.csr_array(
        (evidence.row_trials, (evidence.row_school, evidence.row_procedure)), shape=shape
    )


def _prior_grid_weights(mean: float, sd: float) -> np.ndarray:
    """Return grid weights w with Σ_g w_g L(θ_g) ≈ ∫ L(θ) N(θ; mean, sd²) dθ for any sd > 0.

    Each weight integrates the grid point's hat function against a normal density exactly,
    i.e. integrates L read as linear between grid points. That reading adds the variance of the
    hat, spacing²/6, to the prior; it is taken back by integrating against a normal of variance
    sd⁴/(sd² + spacing²/6) (= sd² − spacing²/6 + O(spacing⁴/sd²)), which keeps the fit unbiased
    for sd well above the spacing and tends smoothly to linear interpolation of L at the mean
    as sd → 0. Prior mass beyond the grid goes to the end points.
    """
    grid = _FIT_GRID
    spacing = grid[1] - grid[0]
    sd = max(sd * sd / np.sqrt(sd * sd + spacing * spacing / 6.0), 1e-12)
    u = (grid - mean) / sd
    below, above = ndtr(u), ndtr(-u)
    density = np.exp(-0.5 * u * u) / np.sqrt(2.0 * np.pi)
    cell_mass = np.where(u[:-1] > 0, above[:-1] - above[1:], below[1:] - below[:-1])
    density_step = density[1:] - density[:-1]
    rising = ((mean - grid[:-1]) * cell_mass - sd * density_step) / spacing
    falling = ((grid[1:] - mean) * cell_mass + sd * density_step) / spacing
    weights = np.zeros(len(grid))
    weights[:-1] += falling
    weights[1:] += rising
    weights[0] += below[0]
    weights[-1] += above[-1]
    return np.clip(weights, 0.0, None)


def _posterior_summaries(
    evidence: _Evidence, prior: PriorFit, theta_mle: np.ndarray, confidence: float
) -> tuple[np.ndarray, ...]:
    """Return posterior mean, sd, lower, upper and P(θ > threshold) of each informative school.

    The posterior is evaluated exactly on a per-school grid around its mode.
    """
    mean, sd = prior.mean, prior.sd
    precision = 1.0 / (sd * sd)

    def derivatives(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        score, information = _score_and_information(theta, evidence)
        return score - (theta - mean) * precision, information + precision

    _, information_at_mle = _score_and_information(theta_mle, evidence)
    start = (theta_mle * information_at_mle + mean * precision) / (information_at_mle + precision)
    lower = mean - sd * sd * (evidence.school_trials - evidence.school_fails)
    upper = mean + sd * sd * evidence.school_fails
    mode = _newton_root(derivatives, start, lower, upper)
    _, information = _score_and_information(mode, evidence)
    scale = 1.0 / np.sqrt(information + precision)

    count = evidence.school_count
    outputs = [np.empty(count) for _ in range(5)]
    design = _design(evidence)
    reach = POSTERIOR_GRID_Z[-1] * scale
    lattice = _SoftplusLattice(
        evidence.procedure_offset, (mode - reach).min(), (mode + reach).max()
    )
    for begin in range(0, count, _POSTERIOR_SCHOOL_CHUNK):
        end = min(begin + _POSTERIOR_SCHOOL_CHUNK, count)
        block = _posterior_block(evidence, design, lattice, prior, mode, scale, begin, end,
                                 confidence)  # fmt: skip
        for output, values in zip(outputs, block, strict=True):
            output[begin:end] = values
    return tuple(outputs)


def _posterior_block(
    evidence: _Evidence,
    design: np.ndarray | sparse.csr_array,
    lattice: _SoftplusLattice,
    prior: PriorFit,
    mode: np.ndarray,
    scale: np.ndarray,
    begin: int,
    end: int,
    confidence: float,
) -> tuple[np.ndarray, ...]:
    """Return posterior mean, sd, lower, upper and low probability of schools begin..end−1."""
    theta = mode[begin:end, None] + scale[begin:end, None] * POSTERIOR_GRID_Z[None, :]
    expected = lattice.sums(design[begin:end], theta)
    log_density = (
        evidence.school_fails[begin:end, None] * theta
        - expected
        - 0.5 * ((theta - prior.mean) / prior.sd) ** 2
    ) @ _REFINE
    z = _FINE_Z
    step = z[1] - z[0]
    theta = mode[begin:end, None] + scale[begin:end, None] * z[None, :]
    peak = log_density.max(axis=1, keepdims=True)
    density = np.exp(log_density - peak)
    trapezoid = np.full(len(z), step)
    trapezoid[[0, -1]] = 0.5 * step
    mass = density @ trapezoid
    weight = density * trapezoid / mass[:, None]
    posterior_mean = (weight * theta).sum(axis=1)
    posterior_sd = np.sqrt((weight * (theta - posterior_mean[:, None]) ** 2).sum(axis=1))
    density /= mass[:, None]
    cumulative = _corrected_cumulative(density, step)
    tail = 0.5 * (1.0 - confidence)
    lower = _grid_quantile(density, cumulative, tail)
    upper = _grid_quantile(density, cumulative, 1.0 - tail)
    position = (prior.low_threshold - mode[begin:end]) / scale[begin:end]
    low_probability = np.clip(1.0 - _grid_cdf(density, cumulative, position), 0.0, 1.0)
    lower = mode[begin:end] + scale[begin:end] * lower
    upper = mode[begin:end] + scale[begin:end] * upper
    return posterior_mean, posterior_sd, lower, upper, low_probability


def _corrected_cumulative(density: np.ndarray, step: float) -> np.ndarray:
    """Per row, the normalised cumulative integral of `density` on an even grid: the running
    sum of ``_corrected_increments``."""
    increment = _corrected_increments(density, step)
    cumulative = np.empty_like(density)
    cumulative[:, 0] = 0.0
    np.cumsum(increment, axis=1, out=cumulative[:, 1:])
    return cumulative


def _corrected_increments(density: np.ndarray, step: float) -> np.ndarray:
    """Per row, the integral of `density` over each cell of an even grid, normalised to sum 1:
    the trapezoid with the Euler–Maclaurin end correction −step²/12·(f′(z) − f′(z_0)), f′ by
    central differences, so partial integrals are as accurate as the full one (error O(step⁴),
    not O(step²)); negative ones dropped (the cumulative is monotone). In units of step/24:
    14·P_i − P_i−1 − P_i+1 with P_i = f_i + f_i+1 inside, 12·P − the second difference at the
    ends: a few passes over the array instead of a dozen."""
    del step  # the common factor cancels in the normalisation
    pair = density[:, 1:] + density[:, :-1]
    increment = np.empty_like(pair)
    inner = increment[:, 1:-1]
    np.multiply(pair[:, 1:-1], 14.0, out=inner)
    inner -= pair[:, :-2]
    inner -= pair[:, 2:]
    second_first = density[:, 0] - 2.0 * density[:, 1] + density[:, 2]
    second_last = density[:, -1] - 2.0 * density[:, -2] + density[:, -3]
    increment[:, 0] = 12.0 * pair[:, 0] - second_first
    increment[:, -1] = 12.0 * pair[:, -1] - second_last
    np.maximum(increment, 0.0, out=increment)
    increment /= increment.sum(axis=1, keepdims=True)
    return increment


def _grid_quantile(density: np.ndarray, cumulative: np.ndarray, probability: float) -> np.ndarray:
    """Return the z where each school's grid CDF (density linear in cells) reaches probability."""
    z = _FINE_Z
    step = z[1] - z[0]
    index = np.clip((cumulative < probability).sum(axis=1), 1, len(z) - 1) - 1
    rows = np.arange(len(cumulative))
    left, right = density[rows, index], density[rows, index + 1]
    remaining = np.clip(probability - cumulative[rows, index], 0.0, None)
    # Solve left·t + (right − left)·t²/(2·step) = remaining for t in [0, step], stably.
    root = np.sqrt(np.maximum(left * left + 2.0 * (right - left) * remaining / step, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = 2.0 * remaining / (left + root)
    offset = np.where(np.isfinite(offset), np.clip(offset, 0.0, step), 0.0)
    return z[index] + offset


def _grid_cdf(density: np.ndarray, cumulative: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Return each school's grid CDF (density linear between grid points) at a position in z."""
    z = _FINE_Z
    step = z[1] - z[0]
    offset = np.clip(position - z[0], 0.0, z[-1] - z[0])
    index = np.minimum(np.floor(offset / step).astype(np.intp), len(z) - 2)
    inside = offset - index * step
    rows = np.arange(len(cumulative))
    left, right = density[rows, index], density[rows, index + 1]
    return cumulative[rows, index] + left * inside + (right - left) * inside * inside / (2.0 * step)
