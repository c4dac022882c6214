"""One model across years: the school effect with a persistent prior (docs/methodology.md).

Model, for one pool. ``logit p_sky = α_ky + θ_sy``; the school effects follow an AR(1) prior
over the years, ``θ_sy − μ_y = a_y (θ_s,y−1 − μ_y−1) + e``, with ``Var θ_sy = τ_y²`` and
``corr(θ_s,y−1, θ_sy) = ρ_y`` (so ``a_y = ρ_y τ_y / τ_y−1``). Fitting (empirical Bayes):

1. Per year, the intercepts ``α_ky`` and ``(μ_y, τ_y)`` by marginal likelihood, alternating an
   EM step of the intercepts (the exact score equation Σ_s f_sk = Σ_s n_sk E[expit(α_k + θ_s)]
   with the posterior on the fixed grid) with the prior fit of ``school_effect`` — intercepts
   fitted jointly with the effects, not logits of the marginal shares.
2. Per pair of consecutive years, ``ρ_y`` maximises the marginal likelihood of the schools
   with evidence in both years, Σ_s log ∫∫ L_s,y−1 L_sy N₂ (exact for likelihoods linear
   between the points of the fixed grid).
3. A forward pass (a hidden Markov chain on the fixed grid) gives each school's posterior of
   ``θ_sy`` given its data through ``y``: its prior is the predictive from ``y−1``, a mixture of
   normals, evaluated on the school's own grid around its mode with the exact likelihood.

From it: ``low_probability`` = P(θ_sy > cut-off | data through y),
``stable_low_probability`` = P(worst share in y−1 **and** y) jointly, ``next_low_probability``
= P(worst share in y+1 | data through y) and, for §7, the fail share expected in ``y`` given
the data through ``y−1`` with the predictive mid-p of the observed fails (``improvement_p_value``:
small when the school did better than predicted); both predictions carry a school's posterior
by the AR(1) on the normal scores of the pool's distribution of effects (``copula_kernel``).

``composite_score`` and its interval rest on the year's own evidence only (prior the margin
N(μ_y, τ_y²), intercepts as fitted): the flags that combine years rank it, so that two years are
two independent pieces of evidence; the probabilities above are the joint model's. Both
posteriors of a year are read from one likelihood evaluation on the composite's grid.

Context (§5): with columns x per school-year, the prior mean is μ_y + x_sy·β_y (β by EM with μ
and τ); the AR(1), ρ and the forward pass then act on φ = θ − x·β (the likelihood tables are
evaluated at θ = grid + x·β), and the contextual value added is μ_y + x·β − θ_sy on the year's
own evidence.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import bdtr, expit, gammaln, ndtr, ndtri, xlog1py, xlogy

from shnor.methods.banded_table import (
    BandedTable,
    banded_likelihood,
    banded_runs,
    banded_table,
    row_bands,
)
from shnor.methods.context_prior import (
    context_expected_participants,
    fitted_context_prior,
    hat_weights,
)
from shnor.methods.school_effect import (
    _FINE_Z,
    _FIT_GRID,
    _REFINE,
    NEGLIGIBLE_LIKELIHOOD,
    POSTERIOR_GRID_Z,
    SD_BOUNDS,
    THETA_CAP,
    _bounded_exp,
    _corrected_cumulative,
    _design,
    _Evidence,
    _grid_cdf,
    _grid_quantile,
    _maximum_likelihood,
    _moment_start,
    _newton_root,
    _prepare,
    _prior_grid_weights,
    _score_and_information,
    _softplus,
    _SoftplusLattice,
    one_blas_thread,
)

__all__ = [
    "JOINT_COLUMNS",
    "OWN_EVIDENCE_COLUMNS",
    "PERSISTENCE_BOUNDS",
    "YearFit",
    "copula_kernel",
    "expected_result",
    "joint_school_effects",
    "persistence_prior",
]

PERSISTENCE_BOUNDS = (0.0, 0.95)
"""Bounds of the year-to-year correlation ρ of school effects (the upper one keeps the
conditional spread τ·√(1−ρ²) resolvable on the fixed grid)."""

INTERCEPT_STEPS = 4
"""Alternations of the intercept EM step and the prior fit (tested: within 0.1 of the truth)."""

JOINT_COLUMNS = (
    "school_id",
    "exam_year",
    "theta_mle",
    "theta_se",
    "composite_score",
    "composite_sd",
    "composite_lower",
    "composite_upper",
    "low_probability",
    "stable_low_probability",
    "next_low_probability",
    "expected_fail_share",
    "improvement_p_value",
    "prior_mean",
    "prior_sd",
    "persistence",
    "value_added",
    "value_added_lower",
    "value_added_upper",
)

OWN_EVIDENCE_COLUMNS = ("composite_score", "composite_sd", "composite_lower", "composite_upper")
"""The columns that rest on year Y's own evidence: the posterior under the pool's margin
N(μ_Y, τ_Y²) with the jointly fitted intercepts, without the years before (the ρ = 0 margin).
Flags that combine years rank them, so two years are two independent pieces of evidence."""

_DECIDED_DIVERGENCE = 40.0  # n·KL beyond which a binomial tail is below e^−40
_GRID = _FIT_GRID
_FILTER_CHUNK = 256  # schools per block of the forward pass (its arrays stay in a core's cache)
_BLOCK = 1024  # schools per block of the passes over grid tables (~2 MB a block: in cache)
_STEP = float(_GRID[1] - _GRID[0])
_FLOOR = 1e-300
# Nodes where P(low next year | θ) is tabulated: the pool distribution's knots (``_normal_scores``)
# each cut in 32, so that its kinks are nodes and linear reading errs by < 1e-5.
_NEXT_STEP = _STEP / 32
_NEXT_LATTICE = _GRID[0] - 0.5 * _STEP + _NEXT_STEP * np.arange(32 * len(_GRID) + 1)
_REFINE_BACK = np.ascontiguousarray(_REFINE.T)  # fine weights → coarse points
_CHANCE_STEP = 1.0 / 128  # spacing of the (score, cut-off) table of the next-year chance


@dataclasses.dataclass(frozen=True)
class YearFit:
    """One year's fitted prior in a pool: mean μ, sd τ, persistence ρ from the year before."""

    year: int
    mean: float
    sd: float
    persistence: float
    low_threshold: float
    school_count: int
    intercepts: dict = dataclasses.field(default_factory=dict, compare=False)


@one_blas_thread
def joint_school_effects(
    results: pd.DataFrame,
    *,
    low_share: float = 0.10,
    confidence: float = 0.95,
    default_persistence: float = 0.7,
    shrinkage: bool = True,
    overdispersion: bool = False,
    fit_persistence: bool = True,
    persistence_prior_sd: float = 0.2,
    context: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[YearFit]]:
    """Return each school × year's posterior summaries (``JOINT_COLUMNS``) and the yearly fits.

    ``results``: one pool at grain school × year × procedure with ``school_id``, ``exam_year``,
    ``procedure``, ``participant_count``, ``fail_count`` and optional ``weight`` (normalised
    per school-year so that weights change emphasis, never the amount of evidence). A pool's
    first year, with no pair of years to fit ρ from, predicts the next averaged over a beta
    prior of ρ with mean ``default_persistence`` and sd ``persistence_prior_sd`` (0: the point
    value); a pair of years too thin to fit ρ (< 10 schools in both) uses the mean.
    ``overdispersion``:
    each result row counts as 1 / (1 + (n − 1)·p(1 − p)·σ²) of its size, σ² the between-school
    spread of procedure-specific deviations estimated from the pool-year (quasi-likelihood).
    ``fit_persistence`` false (a sensitivity run): every pair of years uses
    ``default_persistence`` instead of the fitted ρ. ``context``: school_id, exam_year and
    numeric columns x (context index, rural, log size): the prior mean of θ_sy is μ_y + x_sy·β_y
    with β fitted by marginal likelihood with τ and ρ; without it (or with no varying column)
    the prior mean is μ_y for every school.
    """
    results = _normalised_weights(results)
    years = sorted(int(y) for y in results["exam_year"].unique())
    if not shrinkage:
        context = None
    prepared = [_prepared_year(results, year, overdispersion, context) for year in years]
    # ρ of each year from the year before. A pool's first year predicts the next over the
    # preset's prior of ρ, a year after a gap with the first pair's ρ (a pooled figure from
    # earlier years): a prediction uses the data through its year, never the year it predicts,
    # so a later year's file cannot change an earlier year's figures (the kept scores stay exact).
    first_pair = persistence_prior(
        default_persistence, persistence_prior_sd if fit_persistence else 0.0
    )
    fits: list[YearFit] = []
    tables: list[pd.DataFrame] = []
    state: _State | None = None
    for position, year in enumerate(years):
        current = prepared[position]
        if current is None:
            state = None
            continue
        rows, evidence, school_ids, mle, se, mean, sd, table, _ = current
        rho = default_persistence
        if state is not None and fit_persistence:
            rho = _fitted_persistence(state.year, current)
            if position == 1:
                rho = rho if np.isfinite(rho) else default_persistence
                first_pair = persistence_prior(rho, 0.0)
        predictive = _predictive_density(state, school_ids, YearFit(0, mean, sd, rho, np.nan, 0))
        threshold, tail = _pool_threshold(table, predictive[0], low_share, current.shift)
        fit = YearFit(year, mean, sd, rho, threshold, evidence.school_count,
                      _intercepts_by_procedure(rows, evidence))  # fmt: skip
        if shrinkage:
            ahead = persistence_prior(rho, 0.0) if state is not None else first_pair
            expected = expected_result(evidence, school_ids, state, fit, tail, current.shift)
            frame, state = _filtered_year(
                current, fit, state, predictive, tail, low_share, confidence, ahead
            )
            frame["expected_fail_share"], frame["improvement_p_value"] = expected
        else:
            frame = _unshrunk_year(evidence, school_ids, mle, fit, confidence)
            state = None
        frame["theta_mle"] = mle
        frame["theta_se"] = se
        # Contextual value added (higher = better): the context-expected level minus θ_sy, on
        # the year's own evidence as the composite is (docs/methodology.md).
        frame["prior_mean"] = fit.mean + current.shift
        frame["value_added"] = frame["prior_mean"] - frame["composite_score"]
        frame["value_added_lower"] = frame["prior_mean"] - frame["composite_upper"]
        frame["value_added_upper"] = frame["prior_mean"] - frame["composite_lower"]
        fits.append(fit)
        tables.append(frame.assign(exam_year=year))
    if not tables:
        return pd.DataFrame(columns=list(JOINT_COLUMNS)), fits
    out = pd.concat(tables, ignore_index=True)
    return out[list(JOINT_COLUMNS)], fits


class _Prepared(NamedTuple):
    """One year of a pool before the forward pass: evidence with fitted intercepts and prior."""

    rows: pd.DataFrame
    evidence: _Evidence
    school_ids: np.ndarray
    mle: np.ndarray
    se: np.ndarray
    mean: float
    sd: float
    table: np.ndarray  # schools × grid likelihood (scaled) of φ = θ − shift
    shift: np.ndarray  # x_s·β per school: the prior mean of θ_sy is mean + shift (0: no context)


def _prepared_year(
    results: pd.DataFrame, year: int, overdispersion: bool, context: pd.DataFrame | None = None
) -> _Prepared | None:
    """Return a year's evidence, MLE, jointly fitted intercepts and prior (None: no evidence)."""
    rows = results[results["exam_year"] == year]
    if overdispersion:
        rows = _overdispersion_weighted(rows)
    ids, _, _, _, evidence = _prepare(rows)
    if evidence.school_count == 0:
        return None
    school_ids = np.asarray(ids)[evidence.school_position]
    features = _context_features(context, year, school_ids)
    mle, se = _maximum_likelihood(evidence)
    evidence, mean, sd, table, shift = _fitted_intercepts(evidence, mle, se, features)
    if shift.any():
        table = _shifted_likelihood(evidence, shift)
    return _Prepared(rows, evidence, school_ids, mle, se, mean, sd, table, shift)


def _context_features(
    context: pd.DataFrame | None, year: int, school_ids: np.ndarray
) -> np.ndarray | None:
    """Return the year's context columns per school, standardised over the pool's schools (a
    missing value at the mean); None without context, with too few schools or no column that
    varies (the prior mean is then the pool's, as without context)."""
    if context is None or context.empty:
        return None
    rows = context[context["exam_year"] == year].drop_duplicates("school_id")
    columns = [c for c in rows.columns if c not in ("school_id", "exam_year")]
    values = rows.set_index("school_id")[columns].astype(float).reindex(school_ids)
    values = values.fillna(values.mean())
    spread = values.std(ddof=0)
    kept = [c for c in columns if np.isfinite(spread[c]) and spread[c] > 1e-9]
    if not kept or len(school_ids) < len(kept) + 10:
        return None
    return ((values[kept] - values[kept].mean()) / spread[kept]).to_numpy()


def _shifted_likelihood(evidence: _Evidence, shift: np.ndarray) -> np.ndarray:
    """Return each school's likelihood at θ = grid + shift (the grid of φ = θ − x·β), scaled
    to maximum 1, so that the prior of φ is one normal for the whole pool."""
    design = _design(evidence)
    points = _GRID[None, :] + shift[:, None]
    lattice = _SoftplusLattice(evidence.procedure_offset, points.min(), points.max())
    table = np.empty((evidence.school_count, len(_GRID)))
    for begin in range(0, evidence.school_count, _FILTER_CHUNK):
        end = min(begin + _FILTER_CHUNK, evidence.school_count)
        block = evidence.school_fails[begin:end, None] * points[begin:end]
        block -= lattice.sums(design[begin:end], points[begin:end])
        block -= block.max(axis=1, keepdims=True)
        table[begin:end] = _bounded_exp(block)
    table[table < NEGLIGIBLE_LIKELIHOOD] = 0.0
    return table


def _shifted_masses(weights: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Return masses on the grid of θ from masses on the grid of φ = θ − shift: each node's
    mass split between the two θ nodes around it (mass and mean kept, all masses ≥ 0); mass
    moved beyond the grid's ends stays at the end nodes. A row's nodes all move by the same
    shift, so each row is one shifted copy, placed on a grid extended past both ends."""
    count, size = weights.shape
    whole = np.floor(shift / _STEP)
    share = (shift / _STEP - whole)[:, None]
    whole = whole.astype(np.intp)
    margin = int(np.abs(whole).max()) + 2
    moved = np.zeros((count, size + 1))
    moved[:, :-1] = weights * (1.0 - share)
    moved[:, 1:] += weights * share
    extended = np.zeros((count, size + 2 * margin + 1))
    columns = (whole + margin)[:, None] + np.arange(size + 1)[None, :]
    np.put_along_axis(extended, columns, moved, axis=1)
    masses = extended[:, margin : margin + size].copy()
    masses[:, 0] += extended[:, :margin].sum(axis=1)
    masses[:, -1] += extended[:, margin + size :].sum(axis=1)
    return masses


def _overdispersion_weighted(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the rows with their weight divided by the design effect of a procedure-specific
    school deviation, 1 + (n − 1)·p(1 − p)·σ², σ² by moments of the Pearson residuals."""
    ids, _, _, _, evidence = _prepare(rows)
    if evidence.school_count == 0:
        return rows
    mle, _ = _maximum_likelihood(evidence)
    usable = ~evidence.is_separated[evidence.row_school]
    p = expit(evidence.row_offset + mle[evidence.row_school])
    n, f = evidence.row_trials, evidence.row_fails
    variance = n * p * (1.0 - p)
    pearson = ((f - n * p) ** 2 / np.maximum(variance, 1e-12))[usable].sum()
    freedom = usable.sum() - (~evidence.is_separated).sum() - len(evidence.procedure_offset)
    spread = (np.maximum(n - 1.0, 0.0) * p * (1.0 - p))[usable].sum()
    sigma2 = max(pearson - freedom, 0.0) / max(spread, 1e-12)
    if sigma2 <= 0:
        return rows
    # Each row of the frame, at its school's MLE (0 where separated) and its intercept.
    codes = pd.factorize(rows["school_id"], sort=True)[0]
    proc_codes, labels = pd.factorize(rows["procedure"])
    count = rows["participant_count"].to_numpy(float)
    pooled_n = np.bincount(proc_codes, count, len(labels))
    pooled_f = np.bincount(proc_codes, rows["fail_count"].to_numpy(float), len(labels))
    informative = (pooled_f > 0) & (pooled_f < pooled_n)
    kept = np.cumsum(informative) - 1
    offset = np.where(informative[proc_codes], evidence.procedure_offset[kept[proc_codes]], 0.0)
    theta = np.zeros(len(ids))
    theta[evidence.school_position] = np.where(evidence.is_separated, 0.0, mle)
    share = expit(offset + theta[codes])
    effect = 1.0 + np.maximum(count - 1.0, 0.0) * share * (1.0 - share) * sigma2
    weight = rows["weight"].to_numpy(float) if "weight" in rows.columns else np.ones(len(rows))
    return rows.assign(weight=weight / effect)


def _intercepts_by_procedure(rows: pd.DataFrame, evidence: _Evidence) -> dict:
    """Return the fitted intercept α_k of each informative procedure, by procedure label."""
    codes, labels = pd.factorize(rows["procedure"])
    n = np.bincount(codes, rows["participant_count"].to_numpy(float), len(labels))
    f = np.bincount(codes, rows["fail_count"].to_numpy(float), len(labels))
    kept = labels[(f > 0) & (f < n)]
    return dict(zip(kept, evidence.procedure_offset.tolist(), strict=True))


def _normalised_weights(results: pd.DataFrame) -> pd.DataFrame:
    """Scale policy weights per school-year so Σ weight·n = Σ n (emphasis, same information)."""
    if "weight" not in results.columns:
        return results
    frame = results.copy()
    n = frame["participant_count"].astype(float)
    key = [frame["school_id"], frame["exam_year"]]
    weighted = (frame["weight"] * n).groupby(key).transform("sum")
    total = n.groupby(key).transform("sum")
    factor = (total / weighted).where(weighted > 0, 1.0)
    frame["weight"] = frame["weight"] * factor
    return frame


def _with_offsets(evidence: _Evidence, offsets: np.ndarray) -> _Evidence:
    """Return the evidence with new procedure intercepts."""
    row_offset = offsets[evidence.row_procedure]
    return dataclasses.replace(
        evidence,
        procedure_offset=offsets,
        row_offset=row_offset,
        school_offset_fails=np.bincount(
            evidence.row_school, evidence.row_fails * row_offset, evidence.school_count
        ),
    )


def _fitted_prior(
    table: BandedTable, start: np.ndarray, fixed_mean: float | None = None
) -> tuple[float, float]:
    """Return (μ, τ) maximising Σ_s log ∫ L_s N(μ, τ²) for a likelihood table on the grid
    (banded: each evaluation over the schools' nonzero nodes only)."""

    def negative(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        mean = parameters[0] if fixed_mean is None else fixed_mean
        weights = _prior_weights_and_slopes(mean, float(parameters[-1]))
        if fixed_mean is not None:
            weights = weights[:, [0, 2]]
        marginal = table.product(weights)  # one pass over the table: value and gradient
        value = np.maximum(marginal[:, 0], _FLOOR)
        gradient = -(marginal[:, 1:] / value[:, None]).mean(axis=0)
        return float(-np.log(value).mean()), gradient

    bounds = [(-THETA_CAP, THETA_CAP), (np.log(SD_BOUNDS[0]), np.log(SD_BOUNDS[1]))]
    if fixed_mean is not None:
        start, bounds = start[-1:], bounds[-1:]
    best = optimize.minimize(negative, start, method="L-BFGS-B", jac=True, bounds=bounds)
    mean = float(best.x[0]) if fixed_mean is None else fixed_mean
    return mean, float(np.clip(np.exp(best.x[-1]), *SD_BOUNDS))


def _prior_weights_and_slopes(mean: float, log_sd: float, step: float = 1e-6) -> np.ndarray:
    """Return the grid weights of N(mean, e^(2·log_sd)) and their derivatives in mean and log_sd
    (central differences of the weights, error ~1e-10) as the columns of a grid × 3 matrix, so
    that the marginal likelihood and its gradient take one product with the table."""
    sd = float(np.exp(log_sd))
    columns = [
        _prior_grid_weights(mean, sd),
        (_prior_grid_weights(mean + step, sd) - _prior_grid_weights(mean - step, sd)) / (2 * step),
        (
            _prior_grid_weights(mean, sd * np.exp(step))
            - _prior_grid_weights(mean, sd * np.exp(-step))
        )
        / (2 * step),
    ]
    return np.stack(columns, axis=1)


def _fitted_intercepts(
    evidence: _Evidence, mle: np.ndarray, se: np.ndarray, features: np.ndarray | None = None
) -> tuple[_Evidence, float, float, np.ndarray, np.ndarray]:
    """Return the evidence with jointly fitted intercepts, the prior (μ, τ), the grid table and
    each school's shift x_s·β of the prior mean (zeros without ``features``)."""
    procedures = len(evidence.procedure_offset)
    design = _design(evidence).T
    fails = np.bincount(evidence.row_procedure, evidence.row_fails, procedures)
    start = _moment_start(mle, se, evidence.is_separated)
    shift = np.zeros(evidence.school_count)
    beta = None if features is None else np.zeros(features.shape[1])
    table, banded = None, None
    first, end = _likelihood_band_guess(mle, se)
    for step in range(INTERCEPT_STEPS + 1):
        # the last step's table is spent: written over
        table, banded = banded_likelihood(evidence, first, end, table, banded)
        if beta is None:
            mean, sd = _fitted_prior(banded, start)
        else:
            mean, sd, beta = fitted_context_prior(table, features, start, beta)
            shift = features @ beta
        start = np.array([mean, np.log(sd)])
        if step == INTERCEPT_STEPS:
            break
        # procedures × grid: expected participants at each θ
        if beta is None:
            mass = _expected_participants(design, banded, _prior_grid_weights(mean, sd))
        else:
            mass = context_expected_participants(design, table, mean + shift, sd)
        offsets = evidence.procedure_offset.copy()
        for _ in range(30):
            p = expit(offsets[:, None] + _GRID[None, :])
            gap = (mass * p).sum(axis=1) - fails
            slope = np.maximum((mass * p * (1.0 - p)).sum(axis=1), 1e-12)
            offsets = offsets - np.clip(gap / slope, -1.0, 1.0)
            if np.abs(gap / slope).max() < 1e-6:
                break
        # Centre: the prior mean goes into the intercepts' common level.
        moved = np.abs(offsets - evidence.procedure_offset).max()
        evidence = _with_offsets(evidence, offsets)
        # each school's run moves with the intercepts by at most about as far as they did
        first, end = row_bands(table)
        margin = int(np.ceil(moved / _STEP)) + 2
        first, end = np.maximum(first - margin, 0), np.minimum(end + margin, len(_GRID))
        if moved < 1e-3:
            table, banded = banded_likelihood(evidence, first, end, table, banded)
            if beta is None:
                mean, sd = _fitted_prior(banded, start)
            else:
                mean, sd, beta = fitted_context_prior(table, features, start, beta)
                shift = features @ beta
            break
    return evidence, mean, sd, table, shift


def _likelihood_band_guess(mle: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return a guess of the nodes where each school's scaled likelihood is not negligible:
    30 standard errors either side of its MLE (e^−450 for a normal likelihood, the cut-off
    e^−346); the whole grid for a school at a cap or without a finite standard error."""
    reach = 30.0 * se
    usable = np.isfinite(mle) & np.isfinite(reach) & (np.abs(mle) < THETA_CAP)
    low = np.where(usable, (mle - reach - _GRID[0]) / _STEP, 0.0)
    high = np.where(usable, (mle + reach - _GRID[0]) / _STEP, len(_GRID))
    first = np.clip(np.floor(low), 0, len(_GRID) - 1).astype(np.intp)
    end = np.clip(np.ceil(high) + 1, first + 1, len(_GRID)).astype(np.intp)
    return first, end


def _expected_participants(design, table: BandedTable, weights: np.ndarray) -> np.ndarray:
    """Return Σ_s n_sk·posterior_s(θ) (procedures × grid) under one prior on the grid, the
    posteriors formed and used block by block of the banded table, over its nonzero nodes."""
    mass = np.zeros((design.shape[0], len(_GRID)))
    for block in table.blocks:
        posterior = block.values * weights[block.begin : block.end]
        posterior /= np.maximum(posterior.sum(axis=1, keepdims=True), _FLOOR)
        mass[:, block.begin : block.end] += design[:, block.rows] @ posterior
    return mass


def _pool_threshold(
    table: np.ndarray, density: np.ndarray, low_share: float, shift: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Return the θ above which lie the pool's worst ``low_share`` of schools: the quantile of
    the average of the schools' posteriors (the estimated distribution of effects), so that a
    skewed or heavy-tailed distribution is not forced into the normal's quantile; and the
    distribution of φ = θ − x·β (θ itself without context) as its upper tail
    P(φ ≥ node − ½ step) at each grid node (linear between them): persistence acts on φ."""
    shifted = shift is not None and bool(shift.any())
    total, total_shifted = np.zeros(len(_GRID)), np.zeros(len(_GRID))
    for begin in range(0, len(table), _BLOCK):  # block by block of schools, in cache
        rows = slice(begin, begin + _BLOCK)
        posterior = table[rows] * density[rows]
        posterior /= np.maximum(posterior.sum(axis=1, keepdims=True), _FLOOR)
        total += posterior.sum(axis=0)
        if shifted:
            total_shifted += _shifted_masses(posterior, shift[rows]).sum(axis=0)
    deviation_tail = np.cumsum((total / len(table))[::-1])[::-1]
    if not shifted:
        upper_tail = deviation_tail
    else:  # P(θ ≥ grid node), nodes as hat masses
        upper_tail = np.cumsum((total_shifted / len(table))[::-1])[::-1]
    # Linear interpolation of the tail between nodes (masses sit at nodes: shift half a step).
    index = int(np.searchsorted(-upper_tail, -low_share))
    index = min(max(index, 1), len(_GRID) - 1)
    high, low = upper_tail[index - 1], upper_tail[index]
    t = 0.0 if high == low else (high - low_share) / (high - low)
    return float(_GRID[index - 1] + t * _STEP - 0.5 * _STEP), deviation_tail


def _normal_scores(theta: np.ndarray, upper_tail: np.ndarray) -> np.ndarray:
    """Return Φ⁻¹(G(θ)), G the pool's estimated distribution of effects (``_pool_threshold``):
    the school's rank in the pool on the normal scale, where persistence is modelled for the
    next year so that a skewed or heavy tail is not extrapolated linearly."""
    knots = np.append(_GRID - 0.5 * _STEP, _GRID[-1] + 0.5 * _STEP)
    below = 1.0 - np.append(upper_tail, 0.0)
    cdf = np.interp(theta, knots, np.maximum.accumulate(np.clip(below, 0.0, 1.0)))
    return ndtri(np.clip(cdf, 1e-15, 1.0 - 1e-15))


@dataclasses.dataclass
class _State:
    """Filtered posteriors of the last year on the fixed grid (masses per node), banded: next
    year's products with them run over each school's nonzero nodes only."""

    school_ids: np.ndarray
    banded_mass: BandedTable  # schools × grid, rows sum to 1
    banded_low: BandedTable  # the part of each row with θ above the year's low threshold
    year: _Prepared  # the last year's evidence, prior and likelihood table
    fit: YearFit
    upper_tail: np.ndarray  # the pool's distribution of effects that year (``_pool_threshold``)


class _Persistence(NamedTuple):
    """The persistence ρ with which next year is predicted: equally likely values (one once
    it is fitted, a prior's quantiles in a pool's first year) and their weights."""

    values: np.ndarray
    weights: np.ndarray


def persistence_prior(mean: float, sd: float, count: int = 9) -> _Persistence:
    """Return ``count`` equally likely values of ρ, the mid-quantiles (i + ½)/count of the beta
    distribution with this mean and sd, within ``PERSISTENCE_BOUNDS`` (one value when sd is 0):
    what a pool's first year, which has no pair of years to fit ρ from, knows about it."""
    if sd <= 0.0:
        return _Persistence(np.array([float(mean)]), np.ones(1))
    size = mean * (1.0 - mean) / (sd * sd) - 1.0
    if not (0.0 < mean < 1.0 and size > 0.0):
        raise ValueError(f"no beta distribution on (0, 1) has mean {mean} and sd {sd}")
    values = stats.beta.ppf((np.arange(count) + 0.5) / count, mean * size, (1 - mean) * size)
    return _Persistence(np.clip(values, *PERSISTENCE_BOUNDS), np.full(count, 1.0 / count))


def _transition(previous: YearFit, mean: float, sd: float, rho: float) -> tuple[float, float]:
    """Return the slope a and the conditional sd of θ_y given θ_y−1 (centred)."""
    return rho * sd / previous.sd, sd * np.sqrt(max(1.0 - rho * rho, 1e-12))


def _fitted_persistence(last: _Prepared, current: _Prepared) -> float:
    """Return ρ maximising the two years' marginal likelihood of the schools seen in both."""
    both, here, there = np.intersect1d(current.school_ids, last.school_ids, return_indices=True)
    if len(both) < 10:
        return float("nan")
    previous, mean, sd = last, current.mean, current.sd
    prior = _prior_grid_weights(previous.mean, previous.sd)
    keep = np.flatnonzero(prior > 1e-12)
    first = banded_table(_submatrix(last.table, there, keep) * prior[keep])
    nodes = _GRID[keep] - previous.mean
    # θ_y lies where its own margin N(μ, τ²) has mass, whatever ρ: only those columns count.
    reach = np.abs(_GRID - mean) < 8.0 * sd
    second = banded_table(_submatrix(current.table, here, np.flatnonzero(reach)), first)

    def negative(rho: float) -> float:
        slope, spread = _transition(previous, mean, sd, rho)
        conditional = hat_weights(mean + slope * nodes, spread)[:, reach]
        marginal = first.bilinear(conditional, second)  # each school's nonzero nodes only
        return float(-np.log(np.maximum(marginal, _FLOOR)).sum())

    usable = ~last.evidence.is_separated[there] & ~current.evidence.is_separated[here]
    start = np.nan
    if usable.sum() >= 10:  # moments: the estimates' errors are independent between years
        deviations = (last.mle - last.shift)[there], (current.mle - current.shift)[here]
        pair = np.cov(deviations[0][usable], deviations[1][usable])
        start = pair[0, 1] / (previous.sd * sd)
    rho = _parabolic_minimum(negative, start)
    if np.isnan(rho):
        best = optimize.minimize_scalar(negative, bounds=PERSISTENCE_BOUNDS, method="bounded",
                                        options={"xatol": 1e-4})  # fmt: skip
        rho = float(best.x)
    return rho


def _submatrix(table: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Return table[rows][:, columns] as one copy (the columns a contiguous run, as here)."""
    if len(columns) and columns[-1] - columns[0] + 1 == len(columns):
        block = table[:, columns[0] : columns[-1] + 1]
        if len(rows) == len(table) and (rows == np.arange(len(table))).all():
            return block.copy()
        return block[rows]
    return table[np.ix_(rows, columns)]


def _parabolic_minimum(function, start: float, tolerance: float = 1e-5) -> float:
    """Return the minimiser of a smooth convex function of ρ near ``start`` by successive
    parabolas through the three lowest points (about six evaluations from a start within a few
    hundredths, against bounded golden-section's ten from the whole interval); NaN when a
    parabola is not convex or its vertex is not well inside the bounds."""
    low, high = PERSISTENCE_BOUNDS
    if not np.isfinite(start):
        return float("nan")
    centre, step = float(np.clip(start, low + 0.05, high - 0.05)), 0.02
    points = [(x, function(x)) for x in (centre - step, centre, centre + step)]
    previous = np.inf
    for _ in range(12):
        (a, fa), (b, fb), (c, fc) = sorted(sorted(points, key=lambda p: p[1])[:3])
        slope_left, slope_right = (fb - fa) / (b - a), (fc - fb) / (c - b)
        curvature = (slope_right - slope_left) / (c - a)
        if not curvature > 0:
            return float("nan")
        vertex = 0.5 * (a + b) - slope_left / (2.0 * curvature)
        if not low + 0.01 < vertex < high - 0.01 or abs(vertex - b) > 0.2:
            return float("nan")
        if min(abs(vertex - previous), abs(vertex - b)) < tolerance:
            return vertex
        points.append((vertex, function(vertex)))
        previous = vertex
    return float("nan")


def _predictive_density(
    state: _State | None, school_ids: np.ndarray, fit: YearFit
) -> tuple[np.ndarray, np.ndarray]:
    """Return each school's prior density of θ_y on the grid and its part with θ_y−1 low (NaN
    for a school with no year before; without a year before at all, the margin as one
    read-only row for every school and one NaN column: no whole tables to write)."""
    count = len(school_ids)
    base = _bounded_exp(-0.5 * ((_GRID - fit.mean) / fit.sd) ** 2) / (fit.sd * np.sqrt(2 * np.pi))
    if state is None or not np.isfinite(fit.persistence):
        return np.broadcast_to(base, (count, len(_GRID))), np.full((count, 1), np.nan)
    previous = state.fit
    slope, spread = _transition(previous, fit.mean, fit.sd, fit.persistence)
    centre = fit.mean + slope * (_GRID - previous.mean)
    kernel = _bounded_exp(-0.5 * ((_GRID[None, :] - centre[:, None]) / spread) ** 2)
    kernel[kernel < NEGLIGIBLE_LIKELIHOOD] = 0.0
    kernel /= spread * np.sqrt(2 * np.pi)
    both, here, there = np.intersect1d(school_ids, state.school_ids, return_indices=True)
    density, low = np.zeros((count, len(_GRID))), np.zeros((count, len(_GRID)))
    if len(both) < count:  # schools new this year: the margin, no year before
        new = np.ones(count, dtype=bool)
        new[here] = False
        density[new], low[new] = base, np.nan
    # each school's nonzero nodes only (the rest are exact zeros) enter the product
    positions = np.full(len(state.school_ids), -1)
    positions[there] = here
    state.banded_mass.product(kernel, density, positions)
    state.banded_low.product(kernel, low, positions)
    return density, low


def _filtered_year(
    current: _Prepared,
    fit: YearFit,
    state: _State | None,
    predictive: tuple[np.ndarray, np.ndarray],
    upper_tail: np.ndarray,
    low_share: float,
    confidence: float,
    ahead: _Persistence,
) -> tuple[pd.DataFrame, _State]:
    """Return the year's posterior summaries of every informative school and the next state;
    ``predictive``: each school's prior density on the grid and its part with θ_y−1 low;
    ``ahead``: the persistence ρ with which the next year is predicted (its prior values in
    a pool's first year). With context the
    prior, the state and persistence are on φ = θ − x·β (``current.shift``); the likelihood,
    the low threshold and the summaries on θ."""
    evidence, school_ids, shift = current.evidence, current.school_ids, current.shift
    has_context = bool(shift.any())
    density, low_density = predictive
    no_year_before = np.isnan(low_density[:, 0])

    # One grid per school for both posteriors of the year, that of the year's own evidence
    # (the composite, prior N(μ_y + x·β, τ_y²)) and that given the data through y (the filtered
    # pass, its prior the predictive, no wider than the margin): the likelihood, the costly
    # part, is evaluated once. The grid is the composite's own (mode ± 10 Laplace scales), so
    # the composite is what year y alone gives.
    mode, scale = _own_evidence_mode(evidence, fit, shift, current.mle)

    count = evidence.school_count
    names = ("low", "stable", "next", "own_mean", "own_sd", "own_lower", "own_upper")
    out = {name: np.empty(count) for name in names}
    first_node = np.empty(count, dtype=np.intp)  # each school's masses from this node on
    runs: list[np.ndarray] = []
    design = _design(evidence)
    reach = POSTERIOR_GRID_Z[-1] * scale
    lattice = _SoftplusLattice(
        evidence.procedure_offset, (mode - reach).min(), (mode + reach).max()
    )
    cut = float(ndtri(1.0 - low_share))
    step = _FINE_Z[1] - _FINE_Z[0]
    trapezoid = np.full(len(_FINE_Z), step)
    trapezoid[[0, -1]] *= 0.5
    coarse_step = POSTERIOR_GRID_Z[1] - POSTERIOR_GRID_Z[0]
    joint = state is not None and np.isfinite(fit.persistence)
    # P(low next year | θ) depends on θ alone: tabulated once, read linearly per point
    score = _normal_scores(_NEXT_LATTICE, upper_tail)
    next_low = _next_low_chance(ahead, score, cut)
    if has_context:
        # low next year: θ' = φ' + x·β above the cut-off, i.e. φ' above the school's own
        # level, on the normal scores of φ's distribution (the same quantile without context)
        school_cut = _normal_scores(fit.low_threshold - shift, upper_tail)
        chance_table = _ChanceTable.tabulated(ahead, score, school_cut)
    for begin in range(0, count, _FILTER_CHUNK):
        sl = slice(begin, min(begin + _FILTER_CHUNK, count))
        theta = mode[sl, None] + scale[sl, None] * POSTERIOR_GRID_Z[None, :]
        loglik = evidence.school_fails[sl, None] * theta - lattice.sums(design[sl], theta)
        deviation = theta - shift[sl, None]  # φ at the school's points
        reading = _grid_reading(deviation)  # where the predictive tables are read, once
        prior = np.maximum(density[sl], _FLOOR)
        coarse = loglik + _read(np.log(prior), reading)
        log_density = coarse @ _REFINE
        dens = _bounded_exp(log_density - log_density.max(axis=1, keepdims=True))
        dens /= (dens @ trapezoid)[:, None]
        w = dens * trapezoid
        cumulative = _corrected_cumulative(dens, step)
        position = (fit.low_threshold - mode[sl]) / scale[sl]
        out["low"][sl] = np.clip(1.0 - _grid_cdf(dens, cumulative, position), 0.0, 1.0)
        own_prior = -0.5 * ((theta - fit.mean - shift[sl, None]) / fit.sd) ** 2
        own = _refined_summaries((loglik + own_prior) @ _REFINE, confidence)
        out["own_mean"][sl] = mode[sl] + scale[sl] * own[0]
        out["own_sd"][sl] = scale[sl] * own[1]
        out["own_lower"][sl] = mode[sl] + scale[sl] * own[2]
        out["own_upper"][sl] = mode[sl] + scale[sl] * own[3]
        # share of each fine cell above the cut-off (a sharp cut would err by half a cell)
        edge = (mode[sl] - fit.low_threshold) / (scale[sl] * step) + 0.5
        above = np.clip(edge[:, None] + _FINE_Z[None, :] / step, 0.0, 1.0)
        # P(low in y−1 | θ_y) is known at the coarse points and refined by the spline as the
        # log-density is: it integrates against the fine weights as its coarse values against
        # their product with _REFINE.T (one product, not a fine table and its pass).
        if joint:
            back = (w * above) @ _REFINE_BACK
            ratio = np.nan_to_num(np.clip(low_density[sl] / prior, 0.0, 1.0))
            stable = np.clip(np.einsum("sp,sp->s", _read(ratio, reading), back), 0, 1)
            out["stable"][sl] = np.where(no_year_before[sl], np.nan, stable)
        else:
            out["stable"][sl] = np.nan
        # Next year: the AR(1) on the normal scores of the pool's distribution (a Gaussian
        # copula), low when the score passes the same quantile; linear in θ, a skewed or heavy
        # tail would be carried over whole and the extreme schools stated too sure.
        # (read at the fine points: the pool's distribution has kinks a spline would round)
        fine = mode[sl, None] + scale[sl, None] * _FINE_Z[None, :]
        if has_context:
            scores = _on_lattice(score, fine - shift[sl, None])
            chance = chance_table.read(scores, school_cut[sl])
        else:
            chance = _on_lattice(next_low, fine)
        out["next"][sl] = np.einsum("sp,sp->s", chance, w)
        # The state for next year, from the school's own (coarser) grid: exact likelihood there.
        coarse_weight = _bounded_exp(coarse - coarse.max(axis=1, keepdims=True))
        coarse_weight /= coarse_weight.sum(axis=1, keepdims=True)
        edge = (mode[sl] - fit.low_threshold) / (scale[sl] * coarse_step) + 0.5
        coarse_above = np.clip(edge[:, None] + POSTERIOR_GRID_Z[None, :] / coarse_step, 0.0, 1.0)
        first_node[sl], run = _projected(deviation, coarse_weight, coarse_weight * coarse_above)
        runs.append(run)
    frame = pd.DataFrame(
        {
            "school_id": school_ids,
            "composite_score": out["own_mean"],
            "composite_sd": out["own_sd"],
            "composite_lower": out["own_lower"],
            "composite_upper": out["own_upper"],
            "low_probability": out["low"],
            "stable_low_probability": out["stable"],
            "next_low_probability": np.clip(out["next"], 0.0, 1.0),
            "expected_fail_share": np.nan,
            "improvement_p_value": np.nan,
            "prior_mean": fit.mean,
            "prior_sd": fit.sd,
            "persistence": fit.persistence,
        }
    )
    width = max((run.shape[2] for run in runs), default=1)
    padded = np.zeros((2, count, width))
    for begin, run in zip(range(0, count, _FILTER_CHUNK), runs, strict=True):
        padded[:, begin : begin + run.shape[1], : run.shape[2]] = run
    mass = banded_runs(first_node, padded[0], len(_GRID))
    mass_low = banded_runs(first_node, padded[1], len(_GRID), blocks_of=mass)
    return frame, _State(school_ids, mass, mass_low, current, fit, upper_tail)


def _next_low_chance(ahead: _Persistence, score: np.ndarray, cut) -> np.ndarray:
    """Return P(next year's normal score > cut | this year's ``score``) under the AR(1) of the
    copula, Σ_i w_i Φ((ρ_i·score − cut) / √(1 − ρ_i²)): averaged over the values of ρ that
    ``ahead`` holds (one, weight 1, once ρ is fitted; the prior's in a first year)."""
    chance = np.zeros(np.broadcast_shapes(np.shape(score), np.shape(cut)))
    for rho, weight in zip(ahead.values, ahead.weights, strict=True):
        chance += weight * ndtr((rho * score - cut) / np.sqrt(1.0 - rho * rho))
    return chance


class _ChanceTable(NamedTuple):
    """``_next_low_chance`` tabulated on a square lattice of (score, cut-off) of spacing
    ``_CHANCE_STEP`` and read bilinearly: one reading per point instead of a normal cdf per
    value of ρ (nine in a pool's first year). Its second derivatives are below
    ρ²/(1 − ρ²)·φ′max and 1/(1 − ρ²)·φ′max (≤ 2.3 and 2.5 at ρ ≤ 0.95), so a reading errs by
    less than h²/8·4.8 < 4e-5. The reading is linear in the table, and the table of a prior
    over ρ is the average of the tables at its values: so is every reading."""

    score_start: float
    cut_start: float
    values: np.ndarray  # cut-offs × scores

    @classmethod
    def tabulated(cls, ahead: _Persistence, score: np.ndarray, cut: np.ndarray) -> _ChanceTable:
        """Return the table over the range of the scores (``score``: every score read lies
        between its ends) and of the cut-offs ``cut``."""
        score_nodes = _lattice_nodes(float(score.min()), float(score.max()))
        cut_nodes = _lattice_nodes(float(cut.min()), float(cut.max()))
        values = _next_low_chance(ahead, score_nodes[None, :], cut_nodes[:, None])
        return cls(float(score_nodes[0]), float(cut_nodes[0]), values)

    def read(self, score: np.ndarray, cut: np.ndarray) -> np.ndarray:
        """Return the chance at each row's scores (schools × points), ``cut`` one per row."""
        cuts, scores = self.values.shape
        row = np.clip((cut - self.cut_start) / _CHANCE_STEP, 0.0, cuts - 1.0)
        row_index = np.minimum(row.astype(np.intp), cuts - 2)
        row_share = (row - row_index)[:, None]
        column = np.clip((score - self.score_start) / _CHANCE_STEP, 0.0, scores - 1.0)
        index = np.minimum(column.astype(np.intp), scores - 2)
        share = column - index
        index += (row_index * scores)[:, None]
        flat = self.values.reshape(-1)
        low = flat[index] * (1.0 - share)
        low += flat[index + 1] * share
        high = flat[index + scores] * (1.0 - share)
        high += flat[index + scores + 1] * share
        high -= low
        high *= row_share
        low += high
        return low


def _lattice_nodes(low: float, high: float) -> np.ndarray:
    """Return nodes of spacing ``_CHANCE_STEP`` from ``low`` past ``high`` (two at least)."""
    count = max(int(np.ceil((high - low) / _CHANCE_STEP)) + 1, 2)
    return low + _CHANCE_STEP * np.arange(count)


def _own_evidence_mode(
    evidence: _Evidence, fit: YearFit, shift: np.ndarray, mle: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the mode and Laplace scale of each school's posterior of θ_sy given the year's own
    data, prior N(μ_y + x·β, τ_y²) (Newton from the precision-weighted MLE and prior mean)."""
    mean = fit.mean + shift
    precision = 1.0 / (fit.sd * fit.sd)

    def derivatives(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        score, information = _score_and_information(theta, evidence)
        return score - (theta - mean) * precision, information + precision

    _, information = _score_and_information(mle, evidence)
    start = (mle * information + mean * precision) / (information + precision)
    lower = mean - fit.sd * fit.sd * (evidence.school_trials - evidence.school_fails)
    upper = mean + fit.sd * fit.sd * evidence.school_fails
    mode = _newton_root(derivatives, start, lower, upper)
    _, information = _score_and_information(mode, evidence)
    return mode, 1.0 / np.sqrt(information + precision)


def _refined_summaries(log_density: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    """Return the mean, sd and equal-tailed interval of densities given as logarithms on
    ``_FINE_Z`` (in those units), the cumulative trapezoid with the Euler–Maclaurin end
    correction as in ``school_effect`` (partial integrals as accurate as the full one)."""
    step = _FINE_Z[1] - _FINE_Z[0]
    trapezoid = np.full(len(_FINE_Z), step)
    trapezoid[[0, -1]] *= 0.5
    density = _bounded_exp(log_density - log_density.max(axis=1, keepdims=True))
    density /= (density @ trapezoid)[:, None]
    weight = density * trapezoid
    mean = weight @ _FINE_Z
    sd = np.sqrt(np.maximum(weight @ _FINE_Z**2 - mean * mean, 0.0))
    cumulative = _corrected_cumulative(density, step)
    tail = 0.5 * (1.0 - confidence)
    lower = _grid_quantile(density, cumulative, tail)
    upper = _grid_quantile(density, cumulative, 1.0 - tail)
    return mean, sd, lower, upper


def _on_lattice(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Return a function tabulated on ``_NEXT_LATTICE`` at points, linear between its nodes
    and constant beyond its ends."""
    position = np.clip((points - _NEXT_LATTICE[0]) / _NEXT_STEP, 0.0, len(_NEXT_LATTICE) - 1.0)
    index = np.minimum(position.astype(np.intp), len(_NEXT_LATTICE) - 2)
    share = position - index
    return values[index] * (1.0 - share) + values[index + 1] * share


class _Reading(NamedTuple):
    """Where points are read on the fixed grid by Catmull-Rom: the flat index of the node left
    of each point in a (points' rows × grid) table and the four nodes' coefficients."""

    index: np.ndarray
    coefficients: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _grid_reading(points: np.ndarray) -> _Reading:
    """Return the reading of per-row points on the fixed grid (positions computed once for
    every table read at them)."""
    position = np.clip((points - _GRID[0]) / _STEP, 0.0, len(_GRID) - 1.0)
    index = np.clip(np.floor(position).astype(np.intp), 1, len(_GRID) - 3)
    t = position - index
    square, cube = t * t, t * t * t
    coefficients = (
        0.5 * (2.0 * square - t - cube),
        1.0 + 0.5 * (3.0 * cube - 5.0 * square),
        0.5 * (t + 4.0 * square - 3.0 * cube),
        0.5 * (cube - square),
    )
    index += (np.arange(len(points)) * len(_GRID))[:, None]
    return _Reading(index, coefficients)


def _read(values: np.ndarray, reading: _Reading) -> np.ndarray:
    """Return per-row Catmull-Rom interpolation of values on the fixed grid at the reading's
    points (``values``: one row per row of the points, C-contiguous)."""
    flat = values.reshape(-1)
    c0, c1, c2, c3 = reading.coefficients
    result = c0 * flat[reading.index - 1]
    result += c1 * flat[reading.index]
    result += c2 * flat[reading.index + 1]
    result += c3 * flat[reading.index + 2]
    return result


def _projected(points: np.ndarray, *weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return masses on the fixed grid, one table per weights: each point's weight spread on its
    three nearest nodes so that the mass, mean and variance of every point are kept exactly
    (small negative weights); the points' nodes found once, one count for all tables. Each
    school's masses as its first node and its run of nodes from there (all as wide as the
    widest): the rest of its row on the grid is zero."""
    position = np.clip((points - _GRID[0]) / _STEP, 1.0, len(_GRID) - 2.0)
    index = np.rint(position).astype(np.intp)
    x = position - index  # in [−½, ½] spacings
    first = index.min(axis=1) - 1
    index -= first[:, None]
    count, size = points.shape[0], int(index.max()) + 2
    base = ((np.arange(count) * size)[:, None] + index).ravel()
    shares = (0.5 * x * (x - 1.0), 1.0 - x * x, 0.5 * x * (x + 1.0))
    cells = np.concatenate(
        [base + (shift + table * count * size) for table in range(len(weights))
         for shift in (-1, 0, 1)]
    )  # fmt: skip
    values = np.concatenate([(weight * share).ravel() for weight in weights for share in shares])
    flat = np.bincount(cells, values, len(weights) * count * size)
    flat[np.abs(flat) < NEGLIGIBLE_LIKELIHOOD] = 0.0  # no subnormal masses in later products
    return first, flat.reshape(len(weights), count, size)


def expected_result(
    evidence: _Evidence,
    school_ids: np.ndarray,
    state: _State | None,
    fit: YearFit,
    upper_tail: np.ndarray,
    shift: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the fail share of year y expected from the data through y−1 and the predictive
    mid-p of the observed fails (§7, ``expected_fail_share`` and ``improvement_p_value``).

    The prediction is the one ``next_low_probability`` makes: the year before's posterior
    carried by the AR(1) on the normal scores of the pool's distributions (``copula_kernel``),
    so a skewed or heavy tail reverts as the pool's ranks do; a school with no year before is
    predicted by the pool's margin N(μ_y, τ_y²). With context (``shift`` = x·β) the carried
    distribution is of φ = θ − x·β, moved to θ by the school's shift."""
    base = _prior_grid_weights(fit.mean, fit.sd)
    count = len(school_ids)
    source = np.full(count, -1)  # each school's row in the state (−1: no year before)
    if state is not None and np.isfinite(fit.persistence):
        kernel = copula_kernel(state.upper_tail, upper_tail, fit.persistence)
        _, here, there = np.intersect1d(school_ids, state.school_ids, return_indices=True)
        source[here] = there
        positions = np.full(len(state.school_ids), -1)
        positions[there] = here
        carried_mass = np.zeros((count, len(_GRID)))  # over each school's nonzero nodes
        state.banded_mass.product(kernel, carried_mass, positions)
    shifted = shift is not None and bool(shift.any())
    design = _design(evidence)
    share_of = expit(evidence.procedure_offset[:, None] + _GRID[None, :])
    expected, p_value = np.empty(count), np.empty(count)
    for begin in range(0, count, _BLOCK):  # block by block of schools, in cache
        rows = slice(begin, begin + _BLOCK)
        weight = np.tile(base / base.sum(), (len(source[rows]), 1))
        carried = np.flatnonzero(source[rows] >= 0)
        if len(carried):
            mass = np.clip(carried_mass[rows][carried], 0.0, None)
            weight[carried] = mass / mass.sum(axis=1, keepdims=True)
        if shifted:
            weight = _shifted_masses(weight, shift[rows])
        share = (design[rows] / evidence.school_trials[rows, None]) @ share_of
        expected[rows] = np.einsum("sg,sg->s", weight, share)
        fails = evidence.school_fails[rows]
        p_value[rows] = _predictive_mid_p(share, evidence.school_trials[rows], fails, weight)
    return expected, p_value


def copula_kernel(before: np.ndarray, after: np.ndarray, rho: float) -> np.ndarray:
    """Return the grid × grid law of θ_y given θ_y−1 at each node: the normal score
    z = Φ⁻¹(G_y−1(θ_y−1)) moves by the AR(1) z' ~ N(ρz, 1 − ρ²), and θ_y = G_y⁻¹(Φ(z')), each G
    the pool's estimated distribution that year (``before``, ``after``: its upper tails at the
    nodes, as ``_pool_threshold`` returns); row i: the mass of each node's cell."""
    start = _normal_scores(_GRID, before)
    edges = _normal_scores(np.append(_GRID - 0.5 * _STEP, _GRID[-1] + 0.5 * _STEP), after)
    spread = np.sqrt(max(1.0 - rho * rho, 1e-12))
    cdf = ndtr((edges[None, :] - rho * start[:, None]) / spread)
    cdf[:, 0], cdf[:, -1] = 0.0, 1.0  # the end cells take the tails beyond the grid
    return np.diff(cdf, axis=1)


def _predictive_mid_p(
    share: np.ndarray, trials: np.ndarray, fails: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Return the predictive mid-p of the observed fails, P(F < f) + ½P(F = f), F binomial on
    the school's participants with the fail share at each node (``share``), averaged over the
    nodes with the predictive ``weight``."""
    count = len(share)
    n = np.rint(trials).astype(np.int64)
    f = np.rint(fails).astype(np.int64)
    # Where f lies far in a tail of Bin(n, p), the mid-p is 1 (f above the mean) or 0 within
    # e^−40 (Chernoff: P(F ≤ f) ≤ e^(−n·KL(f/n ‖ p)) below the mean, P(F ≥ f) likewise above).
    # The share rises with the node and n·KL is convex in p: the undecided nodes are one run.
    first, last = _undecided_nodes(share, n, f)
    length = np.maximum(last - first + 1, 0)
    school = np.repeat(np.arange(count), length)
    node = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length - first, length)
    p, k, size = share[school, node], f[school], n[school]
    below = np.where(k >= 1, bdtr(np.maximum(k - 1, 0), size, p), 0.0)
    # P(F = f) from its logarithm, the binomial coefficient once per school (bdtr costs ~5×)
    log_choose = gammaln(n + 1.0) - gammaln(f + 1.0) - gammaln(n - f + 1.0)
    mid = below + 0.5 * np.exp(log_choose[school] + xlogy(k, p) + xlog1py(size - k, -p))
    before_run = np.arange(len(_GRID))[None, :] < first[:, None]  # mid-p 1 there
    decided = np.where(before_run, weight, 0.0).sum(axis=1)
    p_value = decided + np.bincount(school, weight[school, node] * mid, count)
    return np.clip(p_value / weight.sum(axis=1), 0.0, 1.0)


def _undecided_nodes(share: np.ndarray, n: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return each school's first and last grid node where n·KL(f/n ‖ share) ≤ 40 (last < first:
    none). Along the nodes the share rises, so the nodes decided with the mean below f are a
    prefix and those decided with it above f a suffix: two bisections over 241 nodes."""
    rows = np.arange(len(share))
    size = len(_GRID)

    def decided(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = share[rows, np.minimum(index, size - 1)]
        with np.errstate(divide="ignore", invalid="ignore"):
            divergence = xlogy(f, f / (n * p)) + xlogy(n - f, (n - f) / (n * (1.0 - p)))
        far = divergence > _DECIDED_DIVERGENCE
        return far & (n * p < f), far & (n * p > f)

    def first_false(side: int) -> np.ndarray:
        """Return the first node where the prefix (side 0) ends or the suffix (side 1) starts."""
        low, high = np.zeros(len(share), dtype=np.intp), np.full(len(share), size, dtype=np.intp)
        while (low < high).any():
            half = (low + high) // 2
            holds = decided(half)[side]
            go_right = holds if side == 0 else ~holds
            open_ = low < high
            low = np.where(open_ & go_right, half + 1, low)
            high = np.where(open_ & ~go_right, half, high)
        return low

    return first_false(0), first_false(1) - 1


def _unshrunk_year(
    evidence: _Evidence, school_ids: np.ndarray, mle: np.ndarray, fit: YearFit, confidence: float
) -> pd.DataFrame:
    """Return the sensitivity run's MLE with a likelihood-ratio interval (open at a cap)."""
    lower, upper = _likelihood_interval(evidence, mle, confidence)
    _, information = _score_and_information(mle, evidence)
    with np.errstate(divide="ignore"):
        se = 1.0 / np.sqrt(information)
    return pd.DataFrame(
        {
            "school_id": school_ids,
            "composite_score": mle,
            "composite_sd": np.where(evidence.is_separated, np.nan, se),
            "composite_lower": lower,
            "composite_upper": upper,
            "low_probability": np.where(
                evidence.is_separated, (mle > 0).astype(float), ndtr((mle - fit.low_threshold) / se)
            ),
            "stable_low_probability": np.nan,
            "next_low_probability": np.nan,
            "expected_fail_share": np.nan,
            "improvement_p_value": np.nan,
            "prior_mean": fit.mean,
            "prior_sd": fit.sd,
            "persistence": fit.persistence,
        }
    )


def _log_likelihood(theta: np.ndarray, evidence: _Evidence) -> np.ndarray:
    """Return each informative school's binomial log-likelihood at θ (without constants)."""
    expected = evidence.row_trials * _softplus(evidence.row_offset + theta[evidence.row_school])
    return (
        evidence.school_fails * theta
        + evidence.school_offset_fails
        - np.bincount(evidence.row_school, expected, evidence.school_count)
    )


def _likelihood_interval(
    evidence: _Evidence, mle: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return {θ: 2(ℓ(θ̂) − ℓ(θ)) ≤ χ²₁}; a side at the cap is open (±inf)."""
    drop = 0.5 * float(ndtri(0.5 + confidence / 2.0)) ** 2
    target = _log_likelihood(mle, evidence) - drop
    bounds = []
    for side in (-1.0, 1.0):
        near, far = mle.copy(), np.full_like(mle, side * THETA_CAP)
        open_side = _log_likelihood(far, evidence) >= target
        for _ in range(60):
            middle = 0.5 * (near + far)
            inside = _log_likelihood(middle, evidence) >= target
            near, far = np.where(inside, middle, near), np.where(inside, far, middle)
        bounds.append(np.where(open_side, side * np.inf, 0.5 * (near + far)))
    return bounds[0], bounds[1]
