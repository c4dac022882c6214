"""The school effect (docs/methodology.md): MLE, empirical-Bayes composite and their edge cases."""

import math
import time

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.integrate import cumulative_trapezoid
from scipy.special import expit, logit, logsumexp
from scipy.stats import norm

from shnor.methods.school_effect import (
    RESULT_COLUMNS,
    SD_BOUNDS,
    THETA_CAP,
    PriorFit,
    school_effects,
)

COLUMNS = ["school_id", "procedure", "participant_count", "fail_count"]


def frame(rows, weight=None):
    """Return a results frame from (school_id, procedure, participants, fails) tuples."""
    results = pd.DataFrame(rows, columns=COLUMNS)
    if weight is not None:
        results["weight"] = weight
    return results


# Regional shares 0.2 (A) and 0.5 (B). X has double the regional odds in both procedures
# (1/3 and 2/3), Y matches the region exactly, Z makes the totals come out right.
HAND_POOL = frame(
    [
        ("X", "A", 90, 30),
        ("X", "B", 60, 40),
        ("Y", "A", 100, 20),
        ("Y", "B", 100, 50),
        ("Z", "A", 110, 10),
        ("Z", "B", 100, 40),
    ]
)


def by_school(table):
    return table.set_index("school_id")


def test_hand_pool_mle_is_checkable_by_hand():
    table, _ = school_effects(HAND_POOL)
    table = by_school(table)
    assert table.loc["X", "theta_mle"] == pytest.approx(math.log(2), abs=1e-6)
    assert table.loc["Y", "theta_mle"] == pytest.approx(0.0, abs=1e-6)
    # Z: the root of Σ_k (y_k − n_k·expit(logit p_k + θ)) = 0.
    score = lambda t: 10 - 110 * expit(logit(0.2) + t) + 40 - 100 * expit(t)  # noqa: E731
    assert table.loc["Z", "theta_mle"] == pytest.approx(optimize.brentq(score, -3, 3), abs=1e-7)
    # Standard errors from the information Σ n p (1 − p) at θ̂.
    assert table.loc["X", "theta_se"] == pytest.approx(1 / math.sqrt(90 * 2 / 9 + 60 * 2 / 9))
    assert table.loc["Y", "theta_se"] == pytest.approx(1 / math.sqrt(100 * 0.16 + 100 * 0.25))
    assert not table["is_separated"].any()
    assert table["informative_procedure_count"].tolist() == [2, 2, 2]
    assert table["counted_participant_count"].tolist() == [150, 200, 210]


def test_output_contract_one_sorted_row_per_school_and_input_untouched():
    shuffled = HAND_POOL.sample(frac=1.0, random_state=1).reset_index(drop=True)
    before = shuffled.copy()
    table, prior = school_effects(shuffled)
    pd.testing.assert_frame_equal(shuffled, before)
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert table["school_id"].tolist() == ["X", "Y", "Z"]
    assert table["is_separated"].dtype == bool and table["has_information"].dtype == bool
    assert table["informative_procedure_count"].dtype == np.int64
    assert table["counted_participant_count"].dtype == np.int64
    assert isinstance(prior, PriorFit)
    with pytest.raises(AttributeError):
        prior.mean = 1.0  # frozen


def test_composite_is_shrunk_from_the_mle_towards_the_prior_mean():
    table, prior = school_effects(HAND_POOL)
    shift_mle = table["theta_mle"] - prior.mean
    shift_composite = table["composite_score"] - prior.mean
    assert (np.sign(shift_composite) == np.sign(shift_mle)).all()
    assert (shift_composite.abs() < shift_mle.abs()).all()
    assert (table["composite_lower"] < table["composite_score"]).all()
    assert (table["composite_score"] < table["composite_upper"]).all()
    assert (table["composite_sd"] < table["theta_se"]).all()


def pool_with_regional_shares(extra_rows, seed=7):
    """Return a pool of 60 varied schools plus extra_rows, with regional shares exactly 0.2, 0.5."""
    rng = np.random.default_rng(seed)
    rows = list(extra_rows)
    for school in range(60):
        effect = rng.normal(0, 0.6)
        for procedure, share in (("A", 0.2), ("B", 0.5)):
            n = int(rng.integers(20, 80))
            rows.append(
                (
                    f"bg{school:02d}",
                    procedure,
                    n,
                    int(rng.binomial(n, expit(logit(share) + effect))),
                )
            )
    for procedure, share in (("A", 0.2), ("B", 0.5)):
        n_rest = sum(r[2] for r in rows if r[1] == procedure)
        f_rest = sum(r[3] for r in rows if r[1] == procedure)
        n = next(n for n in range(600, 800) if (n_rest + n) % 10 == 0)
        fails = round(share * (n_rest + n)) - f_rest
        assert 0 <= fails <= n
        rows.append(("balance", procedure, n, fails))
    results = frame(rows)
    totals = results.groupby("procedure")[["fail_count", "participant_count"]].sum()
    assert (totals["fail_count"] / totals["participant_count"]).tolist() == [0.2, 0.5]
    return results


def test_small_school_is_shrunk_more_than_large_school_with_the_same_mle():
    results = pool_with_regional_shares(
        [
            ("small", "A", 9, 3),
            ("small", "B", 6, 4),
            ("large", "A", 90, 30),
            ("large", "B", 60, 40),
        ]
    )
    table, prior = school_effects(results)
    table = by_school(table)
    assert table.loc["small", "theta_mle"] == pytest.approx(math.log(2), abs=1e-6)
    assert table.loc["large", "theta_mle"] == pytest.approx(math.log(2), abs=1e-6)
    assert 0.2 < prior.sd < 1.2
    small, large = table.loc["small", "composite_score"], table.loc["large", "composite_score"]
    assert prior.mean < small < large < math.log(2)
    assert table.loc["small", "composite_sd"] > table.loc["large", "composite_sd"]
    assert table.loc["small", "low_probability"] < table.loc["large", "low_probability"]


def dense_grid_reference(results, mean, sd, threshold, confidence=0.95):
    """Return posterior summaries by brute-force integration on a dense θ grid (per school)."""
    totals = results.groupby("procedure")[["fail_count", "participant_count"]].sum()
    offset = logit(totals["fail_count"] / totals["participant_count"])
    grid = np.linspace(-12, 12, 120_001)
    rows = {}
    for school, group in results.groupby("school_id"):
        x = offset[group["procedure"]].to_numpy()[:, None] + grid[None, :]
        y = group["fail_count"].to_numpy()[:, None]
        n = group["participant_count"].to_numpy()[:, None]
        log_likelihood = (y * x - n * np.logaddexp(0, x)).sum(axis=0)
        log_posterior = log_likelihood - 0.5 * ((grid - mean) / sd) ** 2
        density = np.exp(log_posterior - log_posterior.max())
        cdf = cumulative_trapezoid(density, grid, initial=0)
        density, cdf = density / cdf[-1], cdf / cdf[-1]
        posterior_mean = np.trapezoid(density * grid, grid)
        tail = (1 - confidence) / 2
        rows[school] = {
            "composite_score": posterior_mean,
            "composite_sd": math.sqrt(np.trapezoid(density * (grid - posterior_mean) ** 2, grid)),
            "composite_lower": np.interp(tail, cdf, grid),
            "composite_upper": np.interp(1 - tail, cdf, grid),
            "low_probability": 1 - np.interp(threshold, grid, cdf),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def small_random_pool(seed=3, schools=40):
    rng = np.random.default_rng(seed)
    base = {"P0": 0.05, "P1": 0.2, "P2": 0.4, "P3": 0.6}
    rows = []
    for school in range(schools):
        effect, size = rng.normal(0.2, 0.6), int(rng.integers(1, 80))
        for procedure, share in base.items():
            n = int(rng.integers(0, size + 1))
            rows.append((school, procedure, n, int(rng.binomial(n, expit(logit(share) + effect)))))
    return frame(rows)


def test_posterior_summaries_match_brute_force_integration():
    results = small_random_pool()
    table, prior = school_effects(results, confidence=0.9)
    table = by_school(table)
    reference = dense_grid_reference(results, prior.mean, prior.sd, prior.low_threshold, 0.9)
    for column in reference.columns:
        np.testing.assert_allclose(
            table.loc[reference.index, column], reference[column], atol=1e-4, err_msg=column
        )


def test_prior_fit_maximises_the_brute_force_marginal_likelihood():
    results = small_random_pool(seed=5, schools=30)
    _, prior = school_effects(results)
    totals = results.groupby("procedure")[["fail_count", "participant_count"]].sum()
    offset = logit(totals["fail_count"] / totals["participant_count"])
    grid = np.linspace(-12, 12, 24_001)
    log_likelihood = []
    for _, group in results.groupby("school_id"):
        x = offset[group["procedure"]].to_numpy()[:, None] + grid[None, :]
        y = group["fail_count"].to_numpy()[:, None]
        n = group["participant_count"].to_numpy()[:, None]
        log_likelihood.append((y * x - n * np.logaddexp(0, x)).sum(axis=0))
    log_likelihood = np.array(log_likelihood)

    def log_marginal(mean, sd):
        log_prior = norm.logpdf(grid, mean, sd) + math.log(grid[1] - grid[0])
        return logsumexp(log_likelihood + log_prior, axis=1).sum()

    best = optimize.minimize(
        lambda p: -log_marginal(p[0], math.exp(p[1])),
        [0.0, math.log(0.5)],
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9},
    )
    assert prior.mean == pytest.approx(best.x[0], abs=1e-4)
    assert prior.sd == pytest.approx(math.exp(best.x[1]), abs=1e-4)
    assert prior.log_marginal_likelihood == pytest.approx(-best.fun, abs=1e-4)
    assert prior.school_count == 30
    assert prior.low_threshold == pytest.approx(prior.mean + norm.ppf(0.9) * prior.sd)


def simulated_pool(seed, schools=400, sd=0.5):
    """Return a seeded pool with known θ ~ N(0, sd²), sizes 5–300, five procedures."""
    rng = np.random.default_rng(seed)
    effect = rng.normal(0.0, sd, schools)
    base = np.array([0.05, 0.12, 0.2, 0.3, 0.45])
    size = rng.integers(5, 301, schools)
    rows = []
    for school in range(schools):
        for procedure in rng.choice(5, size=rng.integers(1, 6), replace=False):
            n = int(rng.integers(max(1, size[school] // 3), size[school] + 1))
            p = expit(logit(base[procedure]) + effect[school])
            rows.append((school, procedure, n, int(rng.binomial(n, p))))
    results = frame(rows)
    # The model measures θ against the pool's regional odds, not the generating base rates:
    # its target for a school is θ plus the information-weighted shift logit(base) − logit(p_k).
    totals = results.groupby("procedure")[["fail_count", "participant_count"]].sum()
    regional = logit(totals["fail_count"] / totals["participant_count"])
    truth = effect[results["school_id"]]
    p = expit(logit(base[results["procedure"]]) + truth)
    information = results["participant_count"] * p * (1 - p)
    shift = (
        logit(base[results["procedure"]]) - regional[results["procedure"]].to_numpy()
    ) * information
    target = truth + shift.groupby(results["school_id"]).transform("sum") / information.groupby(
        results["school_id"]
    ).transform("sum")
    target = target.groupby(results["school_id"]).first()
    return results, pd.Series(effect, name="theta"), target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulated_pool_recovers_known_effects(seed):
    results, effect, target = simulated_pool(seed)
    table, prior = school_effects(results)
    table = by_school(table)
    assert prior.sd == pytest.approx(0.5, abs=0.1)
    assert prior.school_count == 400
    raw_share = (
        results.groupby("school_id")["fail_count"].sum()
        / results.groupby("school_id")["participant_count"].sum()
    )
    r_composite = np.corrcoef(table["composite_score"], effect)[0, 1]
    r_raw = np.corrcoef(raw_share[table.index], effect)[0, 1]
    r_mle = np.corrcoef(table["theta_mle"], effect)[0, 1]
    assert r_composite > r_raw + 0.1
    assert r_composite > r_mle
    covered = (table["composite_lower"] <= target) & (target <= table["composite_upper"])
    assert 0.90 <= covered.mean() <= 0.99
    # Calibration: the expected number of schools beyond the threshold is about low_share · n.
    assert table["low_probability"].mean() == pytest.approx(0.10, abs=0.03)


def test_separated_tiny_schools_get_finite_composites():
    rows = [
        (f"s{i}", p, 40, f) for i in range(20) for p, f in (("A", 8 + i % 5), ("B", 16 + i % 7))
    ]
    rows += [("zero", "A", 3, 0), ("zero", "B", 2, 0), ("all", "A", 2, 2), ("all", "B", 1, 1)]
    table, prior = school_effects(frame(rows))
    table = by_school(table)
    assert table.loc["zero", "is_separated"] and table.loc["all", "is_separated"]
    assert table.loc["zero", "theta_mle"] == -THETA_CAP
    assert table.loc["all", "theta_mle"] == THETA_CAP
    assert np.isfinite(table.loc[["zero", "all"], "theta_se"]).all()
    numeric = table.loc[
        ["zero", "all"], ["composite_score", "composite_sd", "composite_lower", "composite_upper"]
    ]
    assert np.isfinite(numeric.to_numpy()).all()
    assert -THETA_CAP < table.loc["zero", "composite_score"] < prior.mean
    assert prior.mean < table.loc["all", "composite_score"] < THETA_CAP
    assert table.loc["zero", "low_probability"] < 0.10
    assert not table.drop(index=["zero", "all"])["is_separated"].any()


def test_zero_participant_rows_and_uninformative_procedures_carry_no_information():
    rows = [
        ("a", "A", 50, 10),
        ("a", "B", 40, 30),
        ("a", "C", 30, 0),  # C: no fails in the whole region
        ("b", "A", 60, 20),
        ("b", "B", 0, 0),  # nobody sat B
        ("b", "C", 25, 0),
        ("c", "A", 45, 5),
        ("c", "B", 35, 20),
        ("d", "A", 0, 0),  # only empty or uninformative rows
        ("d", "C", 10, 0),
    ]
    table, prior = school_effects(frame(rows))
    table = by_school(table)
    assert table["procedure_count"].tolist() == [3, 3, 2, 2]
    assert table["informative_procedure_count"].tolist() == [2, 1, 2, 0]
    assert table["counted_participant_count"].tolist() == [90, 60, 80, 0]
    assert table["has_information"].tolist() == [True, True, True, False]
    assert prior.school_count == 3
    # Dropping the rows that carry no information changes nothing.
    informative = frame([r for r in rows if r[1] != "C" and r[2] > 0])
    reduced, reduced_prior = school_effects(informative)
    reduced = by_school(reduced)
    for column in ["theta_mle", "theta_se", "composite_score", "low_probability"]:
        np.testing.assert_allclose(table.loc[["a", "b", "c"], column], reduced[column], rtol=1e-9)
    assert reduced_prior == prior
    # A school without information is a draw from the prior.
    d = table.loc["d"]
    assert math.isnan(d["theta_mle"]) and d["theta_se"] == math.inf and not d["is_separated"]
    assert d["composite_score"] == prior.mean
    assert d["composite_sd"] == prior.sd
    assert d["composite_lower"] == pytest.approx(prior.mean - 1.959964 * prior.sd)
    assert d["composite_upper"] == pytest.approx(prior.mean + 1.959964 * prior.sd)
    assert d["low_probability"] == 0.10


def test_single_school_gives_finite_sensible_results():
    table, prior = school_effects(frame([(1, "A", 50, 5), (1, "B", 40, 20)]))
    assert prior.sd_at_lower_bound and prior.sd == pytest.approx(SD_BOUNDS[0])
    assert prior.school_count == 1
    assert prior.mean == pytest.approx(0.0, abs=1e-3)
    row = table.iloc[0]
    assert row["theta_mle"] == pytest.approx(0.0, abs=1e-9)
    assert row["composite_score"] == pytest.approx(prior.mean, abs=1e-3)
    assert np.isfinite(table.select_dtypes("number").to_numpy()).all()
    assert row["low_probability"] == pytest.approx(0.10, abs=0.01)


def test_identical_schools_put_tau_at_its_lower_bound_and_flag_nobody():
    rows = [(school, p, n, f) for school in range(30) for p, n, f in (("A", 50, 5), ("B", 40, 20))]
    table, prior = school_effects(frame(rows))
    assert prior.sd_at_lower_bound
    assert prior.mean == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_allclose(table["composite_score"], prior.mean, atol=1e-3)
    assert np.ptp(table["composite_score"]) < 1e-12
    assert (table["low_probability"] < 0.2).all()
    assert (table["composite_upper"] - table["composite_lower"] < 0.05).all()


def test_empty_pool_and_pool_without_information():
    table, prior = school_effects(frame([]))
    assert table.empty and list(table.columns) == list(RESULT_COLUMNS)
    assert prior.school_count == 0 and math.isnan(prior.mean)
    table, prior = school_effects(frame([(1, "A", 10, 0), (2, "A", 0, 0)]))
    assert table["has_information"].tolist() == [False, False]
    assert table["composite_score"].isna().all() and table["low_probability"].isna().all()
    assert prior.school_count == 0 and prior.log_marginal_likelihood == 0.0


def test_without_shrinkage_the_composite_is_the_capped_mle_with_wald_interval():
    results = pool_with_regional_shares([("zero", "A", 3, 0), ("zero", "B", 2, 0)])
    shrunk, prior = school_effects(results)
    table, raw_prior = school_effects(results, shrinkage=False)
    assert raw_prior == prior
    np.testing.assert_array_equal(table["composite_score"], table["theta_mle"])
    np.testing.assert_array_equal(table["composite_sd"], table["theta_se"])
    np.testing.assert_allclose(
        table["composite_lower"], table["theta_mle"] - 1.959964 * table["theta_se"], rtol=1e-6
    )
    np.testing.assert_allclose(
        table["composite_upper"], table["theta_mle"] + 1.959964 * table["theta_se"], rtol=1e-6
    )
    expected = norm.sf(prior.low_threshold, table["theta_mle"], table["theta_se"])
    np.testing.assert_allclose(table["low_probability"], expected, rtol=1e-9)
    zero = by_school(table).loc["zero"]
    assert zero["composite_score"] == -THETA_CAP and np.isfinite(zero["composite_upper"])
    pd.testing.assert_frame_equal(
        table.drop(
            columns=[
                "composite_score",
                "composite_sd",
                "composite_lower",
                "composite_upper",
                "low_probability",
            ]
        ),
        shrunk.drop(
            columns=[
                "composite_score",
                "composite_sd",
                "composite_lower",
                "composite_upper",
                "low_probability",
            ]
        ),
    )


def test_weight_multiplies_both_counts_in_the_likelihood():
    doubled = HAND_POOL.assign(
        participant_count=HAND_POOL["participant_count"] * 2, fail_count=HAND_POOL["fail_count"] * 2
    )
    weighted, _ = school_effects(HAND_POOL.assign(weight=2.0))
    reference, _ = school_effects(doubled)
    for column in ["theta_mle", "theta_se", "composite_score", "composite_sd", "low_probability"]:
        np.testing.assert_allclose(weighted[column], reference[column], rtol=1e-6, atol=1e-9)
    # Counted participants stay unweighted.
    assert weighted["counted_participant_count"].tolist() == [150, 200, 210]
    # Down-weighting B pulls Z's estimate towards its A-only estimate.
    only_a = school_effects(
        HAND_POOL.assign(weight=np.where(HAND_POOL["procedure"] == "B", 1e-6, 1.0))
    )[0]
    z_only_a = logit(10 / 110) - logit(0.2)
    assert by_school(only_a).loc["Z", "theta_mle"] == pytest.approx(z_only_a, abs=1e-4)


def test_low_share_and_confidence_parameters():
    results = small_random_pool(seed=11)
    base, prior = school_effects(results)
    wider_share, prior_20 = school_effects(results, low_share=0.2)
    narrow, _ = school_effects(results, confidence=0.8)
    assert prior_20.low_threshold < prior.low_threshold
    assert (wider_share["low_probability"] >= base["low_probability"] - 1e-12).all()
    pd.testing.assert_series_equal(narrow["composite_score"], base["composite_score"])
    assert (
        narrow["composite_upper"] - narrow["composite_lower"]
        < base["composite_upper"] - base["composite_lower"]
    ).all()


def test_procedure_keys_may_be_tuples_and_school_ids_strings():
    rows = [
        ("0002", ("vpr", 4, "ru"), 30, 6),
        ("0001", ("vpr", 4, "ru"), 25, 2),
        ("0001", ("oge", 9, "ma"), 20, 4),
        ("0002", ("oge", 9, "ma"), 22, 9),
        ("0003", ("vpr", 4, "ru"), 28, 4),
    ]
    table, _ = school_effects(frame(rows))
    assert table["school_id"].tolist() == ["0001", "0002", "0003"]
    assert table["informative_procedure_count"].tolist() == [2, 2, 1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(columns="fail_count"), "lack columns"),
        (lambda r: pd.concat([r, r.iloc[:1]]), "one row per"),
        (lambda r: r.assign(fail_count=r["participant_count"] + 1), "exceed"),
        (lambda r: r.assign(participant_count=-r["participant_count"]), "whole numbers"),
        (lambda r: r.assign(fail_count=r["fail_count"] + 0.5), "whole numbers"),
        (lambda r: r.assign(fail_count=np.nan), "whole numbers"),
        (lambda r: r.assign(weight=0.0), "weight"),
        (lambda r: r.assign(school_id=None), "missing"),
    ],
)
def test_invalid_input_is_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        school_effects(change(HAND_POOL))


def test_invalid_parameters_are_rejected():
    with pytest.raises(ValueError):
        school_effects(HAND_POOL, low_share=0.0)
    with pytest.raises(ValueError):
        school_effects(HAND_POOL, confidence=1.0)


def test_forty_thousand_schools_by_thirty_procedures_run_in_seconds():
    rng = np.random.default_rng(0)
    schools, procedures = 40_000, 30
    school = np.repeat(np.arange(schools), procedures)
    procedure = np.tile(np.arange(procedures), schools)
    effect = rng.normal(0, 0.5, schools)
    size = rng.integers(5, 301, schools)
    n = rng.binomial(size[school], 0.8)
    base = rng.uniform(0.02, 0.4, procedures)
    fails = rng.binomial(n, expit(logit(base[procedure]) + effect[school]))
    results = pd.DataFrame(
        {"school_id": school, "procedure": procedure, "participant_count": n, "fail_count": fails}
    )
    start = time.perf_counter()
    table, prior = school_effects(results)
    elapsed = time.perf_counter() - start
    print(f"school_effects: {schools} schools × {procedures} procedures in {elapsed:.1f} s")
    assert len(table) == schools
    assert np.isfinite(table["composite_score"]).all()
    assert prior.sd == pytest.approx(0.5, abs=0.03)
    assert np.corrcoef(table["composite_score"], effect)[0, 1] > 0.95
    assert elapsed < 60
