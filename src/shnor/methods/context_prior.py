"""The school effect's prior with context in its mean, N(μ + x·β, τ²), on the fixed grid.

Each school's prior is read on the grid by hat weights (exact for a likelihood linear between
the nodes), computed on a band of nodes around the school's own mean: beyond ``HAT_REACH``
prior sds the prior holds less than 5e-21 of its mass, so a school's posterior loses at most that
share of its marginal likelihood; a school whose band holds less than ``BAND_MARGINAL`` of it
(its likelihood far out in the prior's tail) is computed on the whole grid. (μ, β, τ) maximise
the pool's marginal likelihood by EM, accelerated by SQUAREM (the same fixed point in a few
cycles instead of hundreds of plain steps where the schools' evidence is weak).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import erfc

from shnor.methods.school_effect import _FIT_GRID, SD_BOUNDS

__all__ = ["context_expected_participants", "fitted_context_prior", "hat_weights"]

HAT_REACH = 9.5
"""Prior sds either side of a school's mean on which its hat weights are computed."""

BAND_MARGINAL = 1e-12
"""Smallest share of a school's (scaled) likelihood its band must hold; below, the whole grid."""

CONTEXT_EM_STEPS = 500
"""Most EM steps of the context prior's fit (each one a posterior on the grid; the fit stops
when an EM step moves no parameter by more than ``CONTEXT_EM_TOLERANCE``)."""
CONTEXT_EM_TOLERANCE = 1e-5

_BAND_OFFSETS = 1024  # positions of a mean between two nodes at which band weights are tabulated
_BAND_TABULATED = 31  # bands this wide or wider read tabulated weights
_BAND_BLOCK = 512  # schools per block of the banded posteriors (a block's band stays in cache)
_GRID = _FIT_GRID
_STEP = float(_GRID[1] - _GRID[0])
_FLOOR = 1e-300


def hat_weights(means: np.ndarray, sd: float, nodes: np.ndarray | None = None) -> np.ndarray:
    """Return, per mean, weights on the grid's nodes (all of them, or ``nodes``: each row a
    run of consecutive node indices) integrating a grid-linear function against N(mean, sd²).
    The grid's end nodes take the prior's mass beyond them."""
    spacing = _STEP
    sd = max(sd * sd / np.sqrt(sd * sd + spacing * spacing / 6.0), 1e-12)
    index = np.arange(len(_GRID))[None, :] if nodes is None else nodes
    u = (_GRID[index] - means[:, None]) / sd
    # Φ(−|u|) once (erfc: a third of ndtr's cost), each side's tail taken where it is small
    tail = 0.5 * erfc(np.abs(u) * np.sqrt(0.5))
    negative = u < 0
    below = np.where(negative, tail, 1.0 - tail)
    above = np.where(negative, 1.0 - tail, tail)
    density = np.exp(-0.5 * u * u) / np.sqrt(2.0 * np.pi)
    cell = np.where(u[:, :-1] > 0, above[:, :-1] - above[:, 1:], below[:, 1:] - below[:, :-1])
    step = density[:, 1:] - density[:, :-1]
    rising = ((means[:, None] - _GRID[index[:, :-1]]) * cell - sd * step) / spacing
    falling = ((_GRID[index[:, 1:]] - means[:, None]) * cell + sd * step) / spacing
    weights = np.zeros(u.shape)
    weights[:, :-1] += falling
    weights[:, 1:] += rising
    weights[:, 0] += np.where(index[:, 0] == 0, below[:, 0], 0.0)
    weights[:, -1] += np.where(index[:, -1] == len(_GRID) - 1, above[:, -1], 0.0)
    return np.clip(weights, 0.0, None)


def context_expected_participants(
    design, table: np.ndarray, means: np.ndarray, sd: float
) -> np.ndarray:
    """Return Σ_s n_sk·posterior_s(θ) (procedures × grid; ``design``: procedures × schools)
    under the priors N(mean_s, sd²) (``table``: likelihoods on the grid), each block of
    schools' posteriors placed on the grid and used in cache, never the whole table at once."""
    start, band, far = _banded_posterior(table, means, sd)
    whole = table[far] * hat_weights(means[far], sd)  # the schools off their band
    is_far = np.zeros(len(table), dtype=bool)
    is_far[far] = True
    where_far = np.full(len(table), -1)
    where_far[far] = np.arange(len(far))
    offsets = np.arange(band.shape[1])[None, :]
    mass = np.zeros((design.shape[0], len(_GRID)))
    for begin in range(0, len(table), _BAND_BLOCK):
        rows = slice(begin, begin + _BAND_BLOCK)
        posterior = np.zeros((len(band[rows]), len(_GRID)))
        np.put_along_axis(posterior, start[rows, None] + offsets, band[rows], axis=1)
        off_band = np.flatnonzero(is_far[rows])
        posterior[off_band] = whole[where_far[rows][off_band]]
        posterior /= np.maximum(posterior.sum(axis=1), _FLOOR)[:, None]
        mass += design[:, rows] @ posterior
    return mass


def _posterior_moments(
    table: np.ndarray, means: np.ndarray, sd: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each school's marginal likelihood and first two posterior moments of θ under the
    prior N(mean_s, sd²), from its band of nodes (the node at band position j: start + j)."""
    start, band, far = _banded_posterior(table, means, sd)
    offset = np.arange(band.shape[1], dtype=float)
    sums = band @ np.column_stack([np.ones_like(offset), offset, offset * offset])
    marginal = np.maximum(sums[:, 0], _FLOOR)
    low = _GRID[start]
    first = low + _STEP * sums[:, 1] / marginal
    second = low * low + (2.0 * low * _STEP * sums[:, 1] + _STEP * _STEP * sums[:, 2]) / marginal
    if len(far):
        whole = table[far] * hat_weights(means[far], sd)
        marginal[far] = np.maximum(whole.sum(axis=1), _FLOOR)
        first[far] = whole @ _GRID / marginal[far]
        second[far] = whole @ _GRID**2 / marginal[far]
    return marginal, first, second


def _banded_posterior(
    table: np.ndarray, means: np.ndarray, sd: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each school's first band node, its unnormalised posterior on the band (table ×
    hat weights) and the schools whose band holds less than ``BAND_MARGINAL`` (to be computed on
    the whole grid; their band rows are zero). Formed block by block of schools, in cache."""
    shape = _band_shape(sd)
    start = np.empty(len(means), dtype=np.intp)
    band = np.empty((len(means), shape.width))
    for begin in range(0, len(means), _BAND_BLOCK):
        rows = slice(begin, begin + _BAND_BLOCK)
        start[rows], weights = _prior_band(means[rows], sd, shape)
        windows = np.lib.stride_tricks.sliding_window_view(table[rows], shape.width, axis=1)
        np.multiply(windows[np.arange(len(weights)), start[rows]], weights, out=band[rows])
    far = np.flatnonzero(band.sum(axis=1) < BAND_MARGINAL)
    band[far] = 0.0
    return start, band, far


class _BandShape(NamedTuple):
    """The prior's band for one sd: nodes either side of the mean's nearest node, the band's
    width and its weights tabulated at ``_BAND_OFFSETS`` offsets (None: computed exactly)."""

    half: int
    width: int
    patterns: np.ndarray | None


def _band_shape(sd: float) -> _BandShape:
    """Return the band of the prior N(·, sd²): ``HAT_REACH`` sds either side (the whole grid
    when that is as wide), its weights tabulated when the band is ``_BAND_TABULATED`` or wider."""
    size = len(_GRID)
    effective = sd * sd / np.sqrt(sd * sd + _STEP * _STEP / 6.0)
    half = int(np.ceil(HAT_REACH * effective / _STEP)) + 1
    if 2 * half + 1 >= size - 2:
        return _BandShape(half, size, None)
    width = 2 * half + 1
    if width < _BAND_TABULATED:
        return _BandShape(half, width, None)
    middle = size // 2
    tabulated = np.linspace(-0.5, 0.5, _BAND_OFFSETS + 1)
    nodes = np.broadcast_to(middle - half + np.arange(width), (len(tabulated), width))
    patterns = hat_weights(_GRID[middle] + tabulated * _STEP, sd, nodes)
    return _BandShape(half, width, patterns)


def _prior_band(
    means: np.ndarray, sd: float, shape: _BandShape | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return each prior's first band node and its hat weights on the band (``HAT_REACH`` sds
    either side of the mean's nearest node). The weights depend only on where the mean sits
    between two nodes: tabulated at ``_BAND_OFFSETS`` offsets and read linearly (relative error
    below 1e-9); a band at the grid's ends (whose end nodes take the tails) is computed exactly."""
    size = len(_GRID)
    shape = _band_shape(sd) if shape is None else shape
    half, width = shape.half, shape.width
    if width == size:
        return np.zeros(len(means), dtype=np.intp), hat_weights(means, sd)
    position = (means - _GRID[0]) / _STEP
    start = np.clip(np.rint(position).astype(np.intp) - half, 0, size - width)
    if shape.patterns is None:  # a narrow prior: few nodes, computed exactly
        return start, hat_weights(means, sd, start[:, None] + np.arange(width)[None, :])
    offset = position - start - half  # the mean from the band's middle node, in spacings
    place = np.clip((offset + 0.5) * _BAND_OFFSETS, 0.0, _BAND_OFFSETS)
    index = np.minimum(place.astype(np.intp), _BAND_OFFSETS - 1)
    share = (place - index)[:, None]
    weights = shape.patterns[index] * (1.0 - share)
    weights += shape.patterns[index + 1] * share
    edge = np.flatnonzero((start == 0) | (start == size - width) | (np.abs(offset) > 0.5))
    if len(edge):
        own = start[edge, None] + np.arange(width)[None, :]
        weights[edge] = hat_weights(means[edge], sd, own)
    return start, weights


def fitted_context_prior(
    table: np.ndarray, features: np.ndarray, start: np.ndarray, beta: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """Return (μ, τ, β) maximising Σ_s log ∫ L_s N(μ + x_s·β, τ²) for a likelihood table on
    the grid. An EM step: the posterior moments of θ_s, then least squares of E[θ_s] on (1, x_s)
    and τ² the mean posterior square about the line (the normal prior's exact M-step)."""
    design = np.column_stack([np.ones(len(features)), features])
    pseudo = np.linalg.pinv(design)

    def em_step(parameters: np.ndarray) -> tuple[np.ndarray, float]:
        sd = float(np.clip(parameters[-1], *SD_BOUNDS))
        marginal, first, second = _posterior_moments(table, design @ parameters[:-1], sd)
        updated = pseudo @ first
        line = design @ updated
        variance = np.mean(second - 2.0 * first * line + line * line)
        new_sd = float(np.clip(np.sqrt(max(variance, 0.0)), *SD_BOUNDS))
        log_marginal = float(np.log(np.maximum(marginal, _FLOOR)).sum())
        return np.append(updated, new_sd), log_marginal

    parameters = np.concatenate([[start[0]], beta, [np.exp(start[-1])]])
    parameters = accelerated_fixed_point(em_step, parameters, CONTEXT_EM_TOLERANCE,
                                         CONTEXT_EM_STEPS)  # fmt: skip
    return float(parameters[0]), float(np.clip(parameters[-1], *SD_BOUNDS)), parameters[1:-1]


def accelerated_fixed_point(
    step: Callable[[np.ndarray], tuple[np.ndarray, float]],
    start: np.ndarray,
    tolerance: float,
    most: int,
) -> np.ndarray:
    """Return the fixed point of an EM map by SQUAREM (Varadhan and Roland, 2008): two steps,
    a jump along their squared extrapolation, a step from there; the jump is kept only if it
    does not lower the objective (``step`` returns the next point and the objective at its
    argument). It stops, as plain EM would, at the first step that moves every parameter by
    less than ``tolerance``, and after at most ``most`` steps."""
    point, steps = start, 0
    while steps < most:
        first, objective = step(point)
        if np.abs(first - point).max() < tolerance:
            return first
        second, _ = step(first)
        steps += 2
        if np.abs(second - first).max() < tolerance:
            return second
        r = first - point
        v = second - first - r
        curvature = float(v @ v)
        if curvature == 0.0:
            point = second
            continue
        alpha = min(-np.sqrt(float(r @ r) / curvature), -1.0)
        jump = point - 2.0 * alpha * r + alpha * alpha * v
        following, jumped = step(jump)
        steps += 1
        if not jumped >= objective - 1e-9 * abs(objective):
            point = second  # the jump lowered the likelihood: keep the plain steps
            continue
        if np.abs(following - jump).max() < tolerance:
            return following
        point = following
    return point
