"""The joint model across years (docs/methodology.md) against brute-force 2-D quadrature, known
persistence and intercepts, weight normalisation and the no-shrinkage likelihood interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from scipy.stats import norm

from shnor.methods.joint_effect import PERSISTENCE_BOUNDS, joint_school_effects, persistence_prior


def _region(seed, schools=300, rho=0.8, tau=0.6, years=2, sizes=(8, 60), procedures=None):
    rng = np.random.default_rng(seed)
    procedures = procedures or [0.03, 0.1, 0.2, 0.35]
    latent = rng.standard_normal(schools)
    theta = [latent]
    for _ in range(1, years):
        theta.append(rho * theta[-1] + np.sqrt(1 - rho**2) * rng.standard_normal(schools))
    rows = []
    for y, t in enumerate(theta):
        for k, share in enumerate(procedures):
            n = rng.integers(*sizes, schools)
            f = rng.binomial(n, expit(logit(share) + tau * t))
            rows.append(
                pd.DataFrame(
                    {"school_id": np.arange(schools), "exam_year": 2020 + y, "procedure": k,
                     "participant_count": n, "fail_count": f}
                )
            )  # fmt: skip
    return pd.concat(rows, ignore_index=True), np.array(theta) * tau


def _loglik(rows, alphas, theta):
    p = expit(np.array([alphas[k] for k in rows["procedure"]])[:, None] + theta[None, :])
    f, n = rows["fail_count"].to_numpy()[:, None], rows["participant_count"].to_numpy()[:, None]
    return (f * np.log(p) + (n - f) * np.log1p(-p)).sum(axis=0)


def _grid_through(threshold, sd, points=1400):
    """A fine grid with a node on the cut-off, and the weight of each node above it."""
    grid = threshold + 14 * sd / points * np.arange(-points // 2, points // 2 + 1)
    above = (grid > threshold).astype(float)
    above[points // 2] = 0.5
    return grid, above


def test_posteriors_match_brute_force_two_dimensional_quadrature():
    results, _ = _region(1, schools=200)
    out, fits = joint_school_effects(results)
    first, second = fits
    grid1, above1 = _grid_through(first.low_threshold, first.sd)
    grid2, above2 = _grid_through(second.low_threshold, second.sd)
    rho = second.persistence
    a, b = np.meshgrid(grid1, grid2, indexing="ij")
    u, v = (a - first.mean) / first.sd, (b - second.mean) / second.sd
    log_prior = -0.5 * (u * u - 2 * rho * u * v + v * v) / (1 - rho * rho)

    def joint_posterior(school):
        rows = results[results["school_id"] == school]
        l1 = _loglik(rows[rows["exam_year"] == 2020], first.intercepts, grid1)
        l2 = _loglik(rows[rows["exam_year"] == 2021], second.intercepts, grid2)
        log_post = log_prior + l1[:, None] + l2[None, :]
        post = np.exp(log_post - log_post.max())
        return l2, post / post.sum()

    # the pool's estimated distribution of θ₂: the average of every school's posterior margin
    pool = np.mean([joint_posterior(s)[1].sum(axis=0) for s in range(200)], axis=0)
    scores = norm.ppf(np.clip(np.cumsum(pool) - 0.5 * pool, 1e-15, 1 - 1e-15))
    for school in (0, 5, 17, 42, 101):
        l2, post = joint_posterior(school)
        mine = out[(out["school_id"] == school) & (out["exam_year"] == 2021)].iloc[0]
        margin = post.sum(axis=0)
        assert mine["low_probability"] == pytest.approx(margin @ above2, abs=1e-3)
        # the composite rests on the year's own evidence: prior N(μ₂, τ₂²), not the predictive
        own = np.exp(l2 - 0.5 * v[0] ** 2 - (l2 - 0.5 * v[0] ** 2).max())
        own /= own.sum()
        own_mean = own @ grid2
        assert mine["composite_score"] == pytest.approx(own_mean, abs=1e-3)
        own_sd = np.sqrt(own @ (grid2 - own_mean) ** 2)
        assert mine["composite_sd"] == pytest.approx(own_sd, abs=1e-3)
        # jointly, never the product of the margins
        both = above1 @ post @ above2
        assert mine["stable_low_probability"] == pytest.approx(both, abs=1e-3)
        # next year: AR(1) on the normal scores of the pool's distribution (a Gaussian copula),
        # low when the score passes the pool's worst 10%
        nxt = margin @ norm.sf((norm.ppf(0.9) - rho * scores) / np.sqrt(1 - rho * rho))
        assert mine["next_low_probability"] == pytest.approx(nxt, abs=1e-3)
    school0 = out[(out["school_id"] == 0)].set_index("exam_year")
    product = school0.loc[2020, "low_probability"] * school0.loc[2021, "low_probability"]
    assert abs(school0.loc[2021, "stable_low_probability"] - product) > 0.1


def test_the_composite_rests_on_the_years_own_evidence_and_the_probabilities_on_all_years():
    # Flags that combine years rank the composite: year 2020's data must not reach 2021's
    # composite (else «low in 2020 and 2021» counts 2020 twice), but they do reach the
    # probabilities of the joint model.
    results, _ = _region(5, schools=200, rho=0.8)
    both, _ = joint_school_effects(results)
    alone, _ = joint_school_effects(results[results["exam_year"] == 2021])
    both = both[both["exam_year"] == 2021].set_index("school_id").sort_index()
    alone = alone.set_index("school_id").sort_index()
    columns = ["composite_score", "composite_sd", "composite_lower", "composite_upper"]
    np.testing.assert_allclose(both[columns], alone[columns], atol=1e-9)
    assert (both["low_probability"] - alone["low_probability"]).abs().max() > 0.1


def test_persistence_is_recovered_by_marginal_likelihood():
    for rho in (0.5, 0.85):
        results, _ = _region(2, schools=1500, rho=rho, sizes=(20, 80))
        _, fits = joint_school_effects(results)
        assert fits[1].persistence == pytest.approx(rho, abs=0.06)
        assert fits[1].sd == pytest.approx(0.6, abs=0.06)


def test_intercepts_are_fitted_jointly_not_logits_of_marginal_shares():
    # rare-fail procedure with heterogeneous schools: the marginal logit sits well above α
    results, _ = _region(3, schools=1500, tau=1.0, years=1, sizes=(20, 60))
    _, fits = joint_school_effects(results)
    fit = fits[0]
    year = results.groupby("procedure")[["fail_count", "participant_count"]].sum()
    marginal = logit(year["fail_count"] / year["participant_count"])
    for k, share in enumerate([0.03, 0.1, 0.2, 0.35]):
        assert fit.intercepts[k] + fit.mean == pytest.approx(logit(share), abs=0.1)
    assert marginal[0] - logit(0.03) > 0.3  # what the old offsets did


def test_all_weights_two_give_the_same_posterior_as_all_weights_one():
    results, _ = _region(4, schools=120)
    one, _ = joint_school_effects(results.assign(weight=1.0))
    two, _ = joint_school_effects(results.assign(weight=2.0))
    columns = ["composite_score", "composite_sd", "low_probability", "stable_low_probability"]
    np.testing.assert_allclose(one[columns], two[columns], atol=1e-9)
    # and weights do shrink the posterior less than raw counts did (the old inflation):
    # a school's result counts weighted 2 would have cut its posterior sd by about a quarter
    raw, _ = joint_school_effects(
        results.assign(
            participant_count=2 * results["participant_count"], fail_count=2 * results["fail_count"]
        )
    )
    assert raw["composite_sd"].mean() < 0.85 * two["composite_sd"].mean()


def test_no_shrinkage_gives_likelihood_intervals_open_at_a_cap():
    results, _ = _region(5, schools=60, years=1)
    separated = pd.DataFrame(
        {"school_id": 999, "exam_year": 2020, "procedure": [1, 2],
         "participant_count": [40, 35], "fail_count": [0, 0]}
    )  # fmt: skip
    out, fits = joint_school_effects(pd.concat([results, separated]), shrinkage=False)
    row = out[out["school_id"] == 999].iloc[0]
    assert row["composite_lower"] == -np.inf
    assert np.isfinite(row["composite_upper"]) and row["composite_upper"] < 0
    ordinary = out[out["school_id"] == 0].iloc[0]
    rows = pd.concat([results, separated])
    rows = rows[rows["school_id"] == 0]
    grid = np.linspace(-6, 6, 120001)
    ll = _loglik(rows, fits[0].intercepts, grid)
    inside = grid[ll >= ll.max() - 0.5 * 1.959964**2]
    assert ordinary["composite_lower"] == pytest.approx(inside.min(), abs=1e-3)
    assert ordinary["composite_upper"] == pytest.approx(inside.max(), abs=1e-3)


def test_overdispersion_is_estimated_from_the_pool_and_none_when_binomial():
    from shnor.methods.joint_effect import _overdispersion_weighted

    rng = np.random.default_rng(0)
    schools, shares = 2000, [0.05, 0.1, 0.2, 0.3]
    theta = rng.normal(0, 0.5, schools)
    effects = []
    for deviation_sd in (0.0, 0.5):
        rows = []
        for k, share in enumerate(shares):
            n = rng.integers(10, 60, schools)
            deviation = rng.normal(0, deviation_sd, schools)
            rows.append(
                pd.DataFrame(
                    {"school_id": np.arange(schools), "exam_year": 2020, "procedure": k,
                     "participant_count": n,
                     "fail_count": rng.binomial(n, expit(logit(share) + theta + deviation))}
                )
            )  # fmt: skip
        frame = pd.concat(rows, ignore_index=True)
        weighted = _overdispersion_weighted(frame)
        weight = weighted["weight"] if "weight" in weighted else pd.Series(1.0, frame.index)
        # the design effect 1 + (n − 1)·p(1 − p)·σ², with σ² = 0.25: about 1.7 on average here
        effects.append(float((1 / weight).mean()))
    assert effects[0] < 1.02
    assert 1.4 < effects[1] < 2.2


def test_the_copula_kernel_is_the_ar1_for_normal_effects_and_follows_a_skewed_pool():
    # The §7 prediction carries the year before's posterior by the AR(1) on the normal scores of
    # the pool's distributions: for normal effects that is the AR(1) in θ (slope ρτ'/τ, sd
    # τ'√(1 − ρ²)); for skewed ones the law of θ_Y given θ_Y−1 of 400 000 simulated pairs.
    from shnor.methods.joint_effect import _GRID, _STEP, copula_kernel

    def tail(cdf):  # P(θ ≥ node − ½ step), as the pool's estimated distribution is kept
        return 1.0 - cdf(_GRID - 0.5 * _STEP)

    rho, before, after = 0.7, 0.5, 0.6
    kernel = copula_kernel(tail(norm(0, before).cdf), tail(norm(0, after).cdf), rho)
    assert np.allclose(kernel.sum(axis=1), 1.0)
    for start in (-1.0, 0.0, 0.8, 1.5):
        row = kernel[np.argmin(np.abs(_GRID - start))]
        node = _GRID[np.argmin(np.abs(_GRID - start))]
        mean = row @ _GRID
        assert mean == pytest.approx(rho * after / before * node, abs=0.01)
        sd = np.sqrt(row @ (_GRID - mean) ** 2)
        assert sd == pytest.approx(after * np.sqrt(1 - rho**2), rel=0.03)

    from scipy.stats import gamma

    def skewed(u):
        return (gamma.ppf(u, 2.0) - 2.0) / np.sqrt(2.0) * 0.6

    margin = gamma(2.0, loc=-2.0, scale=1.0)

    def cdf(x):
        return margin.cdf(x / 0.6 * np.sqrt(2.0))

    kernel = copula_kernel(tail(cdf), tail(cdf), rho)
    rng = np.random.default_rng(7)
    z0 = rng.standard_normal(400_000)
    z1 = rho * z0 + np.sqrt(1 - rho**2) * rng.standard_normal(len(z0))
    theta0, theta1 = skewed(norm.cdf(z0)), skewed(norm.cdf(z1))
    for start in (0.0, 1.2, 2.4):  # the middle, the worst 10%, the far tail
        i = np.argmin(np.abs(_GRID - start))
        near = np.abs(theta0 - _GRID[i]) < 0.5 * _STEP
        simulated = np.quantile(theta1[near], [0.05, 0.5, 0.95])
        cumulative = np.cumsum(kernel[i])
        stated = np.interp([0.05, 0.5, 0.95], cumulative, _GRID + 0.5 * _STEP)
        assert stated == pytest.approx(simulated, abs=0.06)


def test_the_persistence_prior_is_nine_equally_likely_values_with_its_mean_and_sd():
    prior = persistence_prior(0.7, 0.2)
    assert len(prior.values) == 9 and prior.weights.sum() == pytest.approx(1.0)
    assert np.all(np.diff(prior.values) > 0)
    assert PERSISTENCE_BOUNDS[0] < prior.values[0] and prior.values[-1] <= PERSISTENCE_BOUNDS[1]
    assert prior.values @ prior.weights == pytest.approx(0.7, abs=0.01)
    spread = np.sqrt(((prior.values - 0.7) ** 2) @ prior.weights)
    assert spread == pytest.approx(0.2, abs=0.03)  # mid-quantiles lose a little of the tails
    assert persistence_prior(0.6, 0.0).values.tolist() == [0.6]
    with pytest.raises(ValueError):
        persistence_prior(0.7, 0.5)  # no beta distribution is that wide at this mean


@pytest.mark.parametrize("with_context", [False, True])
def test_a_first_year_predicts_averaged_over_the_prior_of_persistence(with_context):
    # A pool's first year has no pair of years to fit ρ from: its next-year probability is the
    # average of the predictions at the prior's equally likely values of ρ, not the one at its
    # mean; the later years, with a fitted ρ, and every other figure do not depend on the prior.
    results, theta = _region(11, schools=150, rho=0.8, years=2)
    context = None
    if with_context:
        noise = np.random.default_rng(3).standard_normal(theta.shape)
        context = pd.concat(
            [pd.DataFrame({"school_id": np.arange(150), "exam_year": 2020 + y,
                           "context_index": theta[y] / 0.6 + noise[y]}) for y in range(2)]
        )  # fmt: skip
    first = results[results["exam_year"] == 2020]

    def fitted(rows, mean, sd):
        out, _ = joint_school_effects(
            rows, default_persistence=mean, persistence_prior_sd=sd, context=context
        )
        return out

    mixed = fitted(first, 0.7, 0.2)["next_low_probability"]
    prior = persistence_prior(0.7, 0.2)
    at_values = [fitted(first, rho, 0.0)["next_low_probability"] for rho in prior.values]
    assert mixed.to_numpy() == pytest.approx(np.mean(at_values, axis=0), abs=1e-12)
    at_mean = fitted(first, 0.7, 0.0)["next_low_probability"]
    assert np.abs(mixed - at_mean).max() > 0.02  # the prior's spread matters, not just its mean
    both, point = fitted(results, 0.7, 0.2), fitted(results, 0.7, 0.0)
    other = both.columns.drop("next_low_probability")
    pd.testing.assert_frame_equal(both[other], point[other], check_exact=True)
    later = both["exam_year"] == 2021
    assert both.loc[later, "next_low_probability"].equals(point.loc[later, "next_low_probability"])


def test_a_later_year_changes_no_figure_of_an_earlier_year():
    # Every figure of year Y uses the data through Y: next year's probability of the first year
    # is predicted over the prior of persistence, not with ρ fitted on the year it predicts.
    results, _ = _region(7, schools=120, rho=0.8, years=3)
    everything, _ = joint_school_effects(results)
    for last in (2020, 2021):
        through, _ = joint_school_effects(results[results["exam_year"] <= last])
        kept = everything[everything["exam_year"] <= last].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, through, check_exact=False, rtol=0, atol=1e-9)
    persistence = everything.groupby("exam_year")["persistence"].first()
    assert persistence[2020] == 0.7 and (persistence[[2021, 2022]] > 0.7).all()  # fitted: ρ 0.8
