"""Calibration of the stated probabilities on simulated regions with known truth
(docs/methodology.md
§3): per decile of stated probability, the observed frequency, and the expected calibration
error, for ``low_probability``, ``stable_low_probability`` and ``next_low_probability``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from shnor.methods.joint_effect import joint_school_effects
from shnor.presets import Preset
from shnor.simulated_regions import effect_scale, simulated_region

PROBABILITIES = {
    "low_probability": "is_low",
    "stable_low_probability": "is_stable_low",
    "next_low_probability": "is_next_low",
}
# The simulated regions: persistence × shape of the school effects × their spread.
PERSISTENCES = (0.5, 0.7, 0.9)
SHAPES = ("skewed", "heavy", "normal")
EFFECT_SDS = (0.45, 0.6, 0.75)


@dataclass(frozen=True)
class Reliability:
    """A reliability table (bins of stated probability) and its expected calibration error."""

    table: pd.DataFrame
    ece: float
    worst_gap: float


def simulated_predictions(
    seed: int, preset: Preset, school_count: int = 500, known_persistence: bool = False
) -> pd.DataFrame:
    """Stated probabilities and true outcomes of one simulated region (3 years);
    ``known_persistence``: the first year predicts with the true ρ instead of the preset's prior
    (what it would state if it knew ρ, to measure what not knowing it costs)."""
    persistence = PERSISTENCES[seed % 3]
    prior = (
        preset["school_effect.default_persistence"],
        preset["school_effect.persistence_prior_sd"],
    )
    if known_persistence:
        prior = (persistence, 0.0)
    shape = SHAPES[(seed // 3) % 3]
    effect_sd = EFFECT_SDS[(seed // 9) % 3]
    region = simulated_region(
        seed, school_count=school_count, persistence=persistence, shape=shape,
        effect_sd=effect_sd, low_share=preset["flags.low_share"],
    )  # fmt: skip
    truth = region.truth
    rated = truth.loc[truth["is_rated"], ["school_id", "exam_year"]]
    effects, _ = joint_school_effects(
        region.results.merge(rated),
        low_share=preset["flags.low_share"],
        confidence=preset["school_effect.confidence"],
        default_persistence=prior[0],
        persistence_prior_sd=prior[1],
        overdispersion=preset["school_effect.overdispersion"],
    )
    low = truth.set_index(["school_id", "exam_year"])["is_low"]
    key = pd.MultiIndex.from_frame(effects[["school_id", "exam_year"]])
    before = pd.MultiIndex.from_arrays([effects["school_id"], effects["exam_year"] - 1])
    after = pd.MultiIndex.from_arrays([effects["school_id"], effects["exam_year"] + 1])
    out = effects.assign(
        is_low=low.reindex(key).to_numpy(dtype=float),
        was_low=low.reindex(before).to_numpy(dtype=float),
        is_next_low=low.reindex(after).to_numpy(dtype=float),
        persistence_true=persistence,
        shape=shape,
        effect_sd=effect_sd,
        seed=seed,
    )
    out["is_stable_low"] = out["is_low"] * out["was_low"]
    return out


def reliability(stated: pd.Series, observed: pd.Series, bins: int = 10) -> Reliability:
    """Reliability by bins of stated probability [0, 0.1), …, [0.9, 1]: count, mean stated,
    observed frequency, its binomial standard error; ECE = Σ n_b |stated − observed| / n."""
    known = stated.notna() & observed.notna()
    stated, observed = stated[known].astype(float), observed[known].astype(float)
    which = np.minimum((stated * bins).astype(int), bins - 1)
    table = (
        pd.DataFrame({"bin": which, "stated": stated, "observed": observed})
        .groupby("bin")
        .agg(count=("stated", "size"), stated=("stated", "mean"), observed=("observed", "mean"))
    )
    table["standard_error"] = np.sqrt(
        table["observed"].clip(0.01, 0.99)
        * (1 - table["observed"].clip(0.01, 0.99))
        / table["count"]
    )
    table["gap"] = table["stated"] - table["observed"]
    ece = float((table["count"] * table["gap"].abs()).sum() / table["count"].sum())
    return Reliability(table.reset_index(), ece, float(table["gap"].abs().max()))


def calibration_report(preset: Preset, regions: int = 27, school_count: int = 500) -> str:
    """The Markdown page of benchmarks/CALIBRATION.md: reliability tables pooled over the
    simulated regions, and the ECE of each region kind."""
    predictions = pd.concat(
        [simulated_predictions(seed, preset, school_count) for seed in range(regions)],
        ignore_index=True,
    )
    lines = [
        "# Calibration of the stated probabilities",
        "",
        f"Measured {dt.date.today().isoformat()} by `shnor calibration` (preset "
        f"`{preset.label}`): {regions} simulated regions × {school_count} schools × 3 years "
        "(`shnor.simulated_regions`, not the demo generator). Truth: a school's true effect θ "
        "in the worst share of the region's rated schools that year. The regions break what the "
        "estimator assumes: school effects skewed (gamma), heavy-tailed (t₄) or normal; "
        f"persistence through a Gaussian copula with ρ ∈ {list(PERSISTENCES)}; spread "
        f"{list(EFFECT_SDS)}; each school × procedure × year adds its own N(0, 0.3²) deviation. "
        "Targets (docs/methodology.md): per bin |stated − observed| ≤ 0.05, ECE ≤ 0.03.",
        "",
    ]
    for column, outcome in PROBABILITIES.items():
        result = reliability(predictions[column], predictions[outcome])
        lines += [
            f"## `{column}`",
            "",
            f"ECE {result.ece:.4f}; largest bin gap {result.worst_gap:.3f}.",
            "",
            "| stated bin | schools | mean stated | observed | ± s.e. | gap |",
            "|---|---|---|---|---|---|",
        ]
        for row in result.table.itertuples():
            lines.append(
                f"| {row.bin / 10:.1f}–{(row.bin + 1) / 10:.1f} | {row.count} | {row.stated:.3f} "
                f"| {row.observed:.3f} | {row.standard_error:.3f} | {row.gap:+.3f} |"
            )
        by_kind = [
            (shape, rho, reliability(group[column], group[outcome]).ece)
            for (shape, rho), group in predictions.groupby(["shape", "persistence_true"])
        ]
        lines += ["", "ECE by region kind: " + "; ".join(
            f"{shape} ρ={rho}: {ece:.3f}" for shape, rho, ece in by_kind
        ) + ".", ""]  # fmt: skip
        if column == "next_low_probability":
            known = pd.concat(
                [simulated_predictions(seed, preset, school_count, known_persistence=True)
                 for seed in range(regions)],
                ignore_index=True,
            )  # fmt: skip
            lines += _first_year_lines(predictions, known, preset)
    fitted = predictions.groupby(["seed", "persistence_true"])["persistence"].last().reset_index()
    lines += [
        "## Persistence fitted",
        "",
        "| true ρ (copula) | mean fitted ρ | min | max |",
        "|---|---|---|---|",
    ]
    for rho, group in fitted.groupby("persistence_true"):
        lines.append(
            f"| {rho} | {group['persistence'].mean():.3f} | {group['persistence'].min():.3f} "
            f"| {group['persistence'].max():.3f} |"
        )
    lines.append("")
    lines += _dynamics_lines(preset, max(3, regions // 3), school_count)
    lines += _objectivity_lines(preset, max(3, regions // 3))
    return "\n".join(lines)


def first_year(predictions: pd.DataFrame) -> pd.Series:
    """Whether each row is its region's first year, which has no pair of years to fit ρ from."""
    return predictions["exam_year"] == predictions.groupby("seed")["exam_year"].transform("min")


def telling_gaps(result: Reliability) -> str:
    """The bins whose gap passes ±0.05 by more than twice its standard error, or «none»."""
    table = result.table
    telling = table[
        (table["gap"].abs() > 0.05) & (table["gap"].abs() > 2 * table["standard_error"])
    ]
    return (
        ", ".join(
            f"{row.bin / 10:.1f}–{(row.bin + 1) / 10:.1f} {row.gap:+.2f} ({row.count})"
            for row in telling.itertuples()
        )
        or "none"
    )


def _first_year_lines(predictions: pd.DataFrame, known: pd.DataFrame, preset: Preset) -> list[str]:
    """The next-year prediction by true ρ, from a region's first year (ρ unknown: the preset's
    prior) and from later years (ρ fitted), and what the first year would state knowing ρ."""
    drawn = predictions.drop_duplicates("seed")["persistence_true"]
    prior_mean = preset["school_effect.default_persistence"]
    prior_sd = preset["school_effect.persistence_prior_sd"]
    lines = [
        "A region's first year has no pair of years to fit ρ from: it predicts averaged over the "
        "preset's prior of ρ, which is calibrated over regions of every persistence but not "
        "within each (stated too high where ρ is low, too low where it is high). With the true ρ "
        "the same first years would be calibrated: the gap is what not knowing ρ costs. "
        f"The row «all» is near-calibrated by construction, not by evidence: the simulated "
        f"regions draw ρ from {sorted(drawn.unique().tolist())} (mean {drawn.mean():.2f}, sd "
        f"{drawn.std(ddof=0):.2f}), close to the prior itself (mean {prior_mean}, sd {prior_sd}), "
        "so the over- and understatement cancel over them; regions whose ρ were spread otherwise "
        "would not. The honest figures of the first year are the rows by true ρ. "
        "Telling gaps: beyond ±0.05 by more than 2 s.e. (stated bin, gap, schools).",
        "",
        "| true ρ | first year: ECE | telling gaps | first year, ρ known: ECE | later years: ECE "
        "| telling gaps |",
        "|---|---|---|---|---|---|",
    ]
    rows = [(rho, first_year(group), group, known[known["persistence_true"] == rho])
            for rho, group in predictions.groupby("persistence_true")]  # fmt: skip
    rows.append(("all", first_year(predictions), predictions, known))
    for rho, first, group, oracle in rows:
        start, later = _next_reliability(group[first]), _next_reliability(group[~first])
        knowing = _next_reliability(oracle[first_year(oracle)])
        lines.append(
            f"| {rho} | {start.ece:.3f} | {telling_gaps(start)} | {knowing.ece:.3f} "
            f"| {later.ece:.3f} | {telling_gaps(later)} |"
        )
    return [*lines, ""]


def _next_reliability(predictions: pd.DataFrame) -> Reliability:
    """The reliability of ``next_low_probability`` in these rows."""
    return reliability(predictions["next_low_probability"], predictions["is_next_low"])


def objectivity_figures(preset: Preset, regions: int = 9, school_count: int = 400) -> pd.DataFrame:
    """Per simulated region (``simulated_objectivity_region``, seeds 0…): of the honest schools
    of the second year, the share with an objectivity concern, and of the inflating, the share
    found (docs/methodology.md §6)."""
    from shnor.methods.objectivity import objectivity_concerns, objectivity_markers
    from shnor.simulated_regions import simulated_objectivity_region

    rows = []
    for seed in range(regions):
        region = simulated_objectivity_region(seed, school_count=school_count)
        markers = objectivity_markers(region.evidence, region.results, preset)
        concerns = objectivity_concerns(markers, preset).merge(
            region.truth, on=["school_id", "exam_year"]
        )
        concern, inflated = concerns["has_objectivity_concern"], concerns["is_inflated"]
        rows.append(
            {
                "seed": seed,
                "honest": int((~inflated).sum()),
                "inflated": int(inflated.sum()),
                "false_alarm_share": float(concern[~inflated].mean()),
                "found_share": float(concern[inflated].mean()),
            }
        )
    return pd.DataFrame(rows)


def _objectivity_lines(preset: Preset, regions: int, school_count: int = 400) -> list[str]:
    """The §6 section: false alarms among honest schools and planted inflation found, by the
    preset's rule, by it without the graded M3 (ВПР against the school's exams) and by the first
    rule (procedure markers counted) for comparison."""
    from shnor.presets import with_values

    lines = [
        "## Objectivity concerns (§6)",
        "",
        f"{regions} simulated regions (`simulated_objectivity_region`, seeds 0–{regions - 1}) × "
        f"{school_count} schools × 10 ВПР procedures (grades 4–8, Russian and maths) × 2 years; "
        "classes Poisson(19). Honest heterogeneity the tests do not assume: school ability, "
        "journal leniency N(0, 0.25²) of a mark, a school absence rate Beta(2, 22) (weak pupils "
        "1.5× as often), a teacher effect per class. In the second year 10% of schools inflate "
        "80% of their procedures: 40–90% of the «2» pupils put on the «3» boundary, 20% of "
        "«3» raised to «4», half of the other «2» pupils kept away. Targets: ≤ 5% of honest "
        "schools with a concern, ≥ 70% of inflating schools found.",
        "",
        "| rule | honest schools | with a concern | inflating schools | found |",
        "|---|---|---|---|---|",
    ]
    variants = {
        f"`{preset['objectivity.concern_rule']}` ({preset['objectivity.combination']}, "
        f"p < {preset['objectivity.concern_alpha']})": preset,
        "the same without the graded M3 (`exam_test` = false)": with_values(
            preset, {"objectivity.exam_test": False}
        ),
        "`markers` (the first rule)": with_values(preset, {"objectivity.concern_rule": "markers"}),
    }
    for label, variant in variants.items():
        f = objectivity_figures(variant, regions, school_count)
        false_alarm = (f["false_alarm_share"] * f["honest"]).sum() / f["honest"].sum()
        found = (f["found_share"] * f["inflated"]).sum() / f["inflated"].sum()
        lines.append(
            f"| {label} | {f['honest'].sum()} | {false_alarm:.3f} (regions "
            f"{f['false_alarm_share'].min():.3f}–{f['false_alarm_share'].max():.3f}) "
            f"| {f['inflated'].sum()} | {found:.3f} |"
        )
    return [*lines, ""]


def _dynamics_lines(preset: Preset, regions: int, school_count: int) -> list[str]:
    """The §7 section: positive dynamics with no intervention (3 × ``regions`` regions, by
    shape and persistence) and with planted improvements (``regions`` regions per size)."""
    quiet = quiet_dynamics(preset, 3 * regions, school_count)
    total = quiet["credited"].sum() / quiet["low_last_year"].sum()

    def shares(column: str) -> str:
        sums = quiet.groupby(column)[["credited", "low_last_year"]].sum()
        return ", ".join(
            f"{key} {row.credited}/{row.low_last_year} = {row.credited / row.low_last_year:.3f}"
            for key, row in sums.iterrows()
        )

    lines = [
        "## Positive dynamics (§7)",
        "",
        "Of the schools low in Y−1 (worst share of the composite), the share credited with "
        "«положительная динамика» in Y (fails below the posterior predictive at 5%, ≥ 10 results "
        "in both years). Target: ≤ 5% credited with no intervention.",
        "",
        f"**No intervention**: {3 * regions} simulated regions (seeds 2000–{2000 + 3 * regions - 1}"
        f", ρ {list(PERSISTENCES)}, shapes {list(SHAPES)}), {school_count} schools: "
        f"{quiet['credited'].sum()} of {quiet['low_last_year'].sum()} credited = {total:.3f}. "
        f"By shape: {shares('shape')}. By ρ: {shares('persistence')}.",
        "",
        f"**Planted improvements**: {regions} simulated regions per row (seeds 1000–"
        f"{1000 + regions - 1}); every truly low school of Y−1 given a true improvement of k sd "
        "of θ in Y; found = the share of them credited. Best possible: the share a test knowing "
        "the true θ of both years and the true law of their change would credit (θ_Y below the "
        "5% quantile of its distribution given the true θ_Y−1).",
        "",
        "| planted improvement (sd of θ) | found | best possible |",
        "|---|---|---|",
    ]
    for size in (0.5, 1.0, 2.0):
        figures = dynamics_figures(preset, regions, school_count, improvement=size, quiet=False)
        found = figures["found_share"].mean()
        ceiling = figures["oracle_share"].mean()
        lines.append(f"| {size} | {found:.3f} | {ceiling:.3f} |")
    return [*lines, ""]


def quiet_dynamics(preset: Preset, regions: int = 27, school_count: int = 500) -> pd.DataFrame:
    """Per simulated region with no intervention (seeds 2000…): last year's low schools (worst
    share of the composite) and how many of them are credited with positive dynamics."""
    rows = []
    for seed in range(regions):
        persistence, shape = PERSISTENCES[seed % 3], SHAPES[(seed // 3) % 3]
        region = simulated_region(
            2000 + seed, school_count=school_count, persistence=persistence, shape=shape,
            low_share=preset["flags.low_share"],
        )  # fmt: skip
        credited, low = _credited(region, preset)
        rows.append(
            {
                "seed": seed,
                "persistence": persistence,
                "shape": shape,
                "low_last_year": int(low.sum()),
                "credited": int(credited[low].sum()),
            }
        )
    return pd.DataFrame(rows)


def dynamics_figures(
    preset: Preset,
    regions: int = 9,
    school_count: int = 500,
    improvement: float = 0.5,
    quiet: bool = True,
) -> pd.DataFrame:
    """Per simulated region: of last year's low schools (worst share of the composite), the
    share credited with positive dynamics with no intervention, and of the schools given a
    true improvement of ``improvement`` sd of θ, the share found (docs/methodology.md);
    ``quiet`` false leaves out the regions with no intervention."""
    rows = []
    for seed in range(regions):
        persistence = PERSISTENCES[seed % 3]
        shape = SHAPES[(seed // 3) % 3]
        for planted in (0.0, improvement) if quiet else (improvement,):
            region = simulated_region(
                1000 + seed, school_count=school_count, persistence=persistence, shape=shape,
                low_share=preset["flags.low_share"], improvement=planted, improved_share=1.0,
            )  # fmt: skip
            credited, low = _credited(region, preset)
            last = region.truth[region.truth["exam_year"] == region.truth["exam_year"].max()]
            improved = last.set_index("school_id")["is_improved"].reindex(credited.index)
            oracle = _oracle_credited(region.truth, persistence, shape, preset)
            rows.append(
                {
                    "seed": seed,
                    "persistence": persistence,
                    "shape": shape,
                    "planted": planted,
                    "low_last_year": int(low.sum()),
                    "credited_share": float(credited[low].mean()),
                    "found_share": float(credited[improved.fillna(False)].mean())
                    if planted
                    else np.nan,
                    "oracle_share": float(oracle[last["is_improved"].to_numpy()].mean())
                    if planted
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _oracle_credited(
    truth: pd.DataFrame, persistence: float, shape: str, preset: Preset, effect_sd: float = 0.6
) -> np.ndarray:
    """Per school of the last year: the best any test could do — the true effect θ_Y below the
    ``alpha`` quantile of its true distribution given the true θ_Y−1 (the copula's conditional),
    as if θ_Y−1 and θ_Y were measured without error. It bounds the share of improvements found."""
    last_year = truth["exam_year"].max()
    last = truth[truth["exam_year"] == last_year]
    before = truth[truth["exam_year"] == last_year - 1].set_index("school_id")["latent"]
    latent = before.reindex(last["school_id"]).to_numpy()
    z = stats.norm.ppf(preset["year_over_year.alpha"])
    quantile = persistence * latent + z * np.sqrt(1.0 - persistence**2)
    return last["theta"].to_numpy() < effect_scale(quantile, shape) * effect_sd


def last_year_dynamics(region, preset: Preset) -> pd.DataFrame:
    """Per school rated in the last year of a simulated region: ``was_low`` (worst share of the
    composite the year before), its fail share, the share expected from the data through the
    year before, the predictive mid-p of its fails (``improvement_p_value``) and
    ``has_positive_dynamics`` by the rule the flags and the reports use."""
    from shnor.methods.dynamics import positive_dynamics

    truth = region.truth
    rated = truth.loc[truth["is_rated"], ["school_id", "exam_year"]]
    effects, _ = joint_school_effects(
        region.results.merge(rated),
        low_share=preset["flags.low_share"],
        default_persistence=preset["school_effect.default_persistence"],
        persistence_prior_sd=preset["school_effect.persistence_prior_sd"],
        overdispersion=preset["school_effect.overdispersion"],
    )
    counts = region.results.groupby(["school_id", "exam_year"])[
        ["participant_count", "fail_count"]
    ].sum()
    effects = effects.join(counts, on=["school_id", "exam_year"])
    last = effects["exam_year"].max()
    before = effects[effects["exam_year"] == last - 1].set_index("school_id")
    now = effects[effects["exam_year"] == last].set_index("school_id")
    cut = before["composite_score"].quantile(1 - preset["flags.low_share"])
    low = (before["composite_score"] > cut).reindex(now.index).fillna(False)
    credited = positive_dynamics(
        now["improvement_p_value"],
        before["participant_count"].reindex(now.index),
        now["participant_count"],
        preset,
    )
    return pd.DataFrame(
        {
            "was_low": low.astype(bool),
            "previous_participant_count": before["participant_count"].reindex(now.index),
            "participant_count": now["participant_count"],
            "fail_share": now["fail_count"] / now["participant_count"],
            "expected_fail_share": now["expected_fail_share"],
            "improvement_p_value": now["improvement_p_value"],
            "has_positive_dynamics": credited,
        }
    )


def _credited(region, preset: Preset) -> tuple[pd.Series, pd.Series]:
    """Positive dynamics in the last year (by the flags' rule) and low in the year before."""
    dynamics = last_year_dynamics(region, preset)
    return dynamics["has_positive_dynamics"], dynamics["was_low"]
