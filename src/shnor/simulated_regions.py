"""Simulated regions with known truth for calibration (docs/methodology.md): built on purpose
with what the estimator does not assume — skewed or heavy-tailed school effects, persistence
through a non-normal copula, procedure-specific school deviations — and independent of the
demo region's generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

# Procedures: (family, grade, subject, regional fail share, typical class size).
PROCEDURES = (
    ("vpr", 4, "russian", 0.06, 22), ("vpr", 4, "math", 0.05, 22),
    ("vpr", 5, "russian", 0.14, 22), ("vpr", 5, "math", 0.12, 22),
    ("vpr", 6, "russian", 0.16, 21), ("vpr", 6, "math", 0.15, 21),
    ("vpr", 7, "russian", 0.18, 20), ("vpr", 7, "math", 0.17, 20),
    ("vpr", 8, "russian", 0.17, 19), ("vpr", 8, "math", 0.20, 19),
    ("oge", 9, "russian", 0.04, 20), ("oge", 9, "math", 0.09, 20),
    ("ege", 11, "russian", 0.01, 12), ("ege", 11, "math_profile", 0.06, 6),
)  # fmt: skip


def effect_scale(latent: np.ndarray, shape: str) -> np.ndarray:
    """Return standardised school effects of the given marginal shape from standard normal
    latents (the copula): "skewed" gamma(2), "heavy" t₄ scaled to sd 1, else the latents."""
    uniform = stats.norm.cdf(latent)
    if shape == "skewed":
        return (stats.gamma.ppf(uniform, 2.0) - 2.0) / np.sqrt(2.0)
    if shape == "heavy":
        return stats.t.ppf(uniform, 4) / np.sqrt(2.0)
    return latent


@dataclass(frozen=True)
class SimulatedRegion:
    """Results (school × year × procedure) and the truth (school × year θ and low flags)."""

    results: pd.DataFrame
    truth: pd.DataFrame


def simulated_region(
    seed: int,
    *,
    school_count: int = 400,
    years: int = 3,
    persistence: float = 0.7,
    effect_sd: float = 0.6,
    shape: str = "skewed",
    procedure_deviation_sd: float = 0.3,
    low_share: float = 0.10,
    improvement: float = 0.0,
    improved_share: float = 0.0,
) -> SimulatedRegion:
    """Return a region whose true school effect θ_sy has the given marginal shape ("normal",
    "skewed": standardised gamma(2), "heavy": t with 4 df) and rank correlation ``persistence``
    across years (a Gaussian AR(1) copula); each school × procedure × year adds an independent
    N(0, procedure_deviation_sd²). ``improvement`` (in sds of θ) is planted in the last year
    for ``improved_share`` of the schools truly low the year before."""
    rng = np.random.default_rng(seed)
    latent = np.empty((school_count, years))
    latent[:, 0] = rng.standard_normal(school_count)
    for y in range(1, years):
        innovation = rng.standard_normal(school_count)
        latent[:, y] = persistence * latent[:, y - 1] + np.sqrt(1 - persistence**2) * innovation
    theta = effect_scale(latent, shape) * effect_sd
    truth = pd.DataFrame(
        {
            "school_id": np.repeat([f"S{i:05d}" for i in range(school_count)], years),
            "exam_year": np.tile(2020 + np.arange(years), school_count),
            "theta": theta.ravel(),
            "latent": latent.ravel(),
        }
    )
    improved = np.zeros(school_count, dtype=bool)
    if improvement and years > 1:
        previous = theta[:, -2]
        was_low = previous >= np.quantile(previous, 1 - low_share)
        improved = was_low & (rng.random(school_count) < improved_share)
        theta[improved, -1] -= improvement * effect_sd
        truth["theta"] = theta.ravel()
    truth["is_improved"] = np.repeat(improved, years) & (truth["exam_year"] == 2020 + years - 1)

    level = rng.choice(["primary", "basic", "full"], school_count, p=[0.15, 0.35, 0.5])
    size = np.exp(rng.normal(0.0, 0.6, school_count))  # school size factor
    rows = []
    for k, (family, grade, subject, share, cls) in enumerate(PROCEDURES):
        offered = (
            (grade <= 4)
            | ((grade <= 9) & (level != "primary"))
            | ((grade == 11) & (level == "full"))
        )
        for y in range(years):
            n = rng.poisson(np.maximum(cls * size, 1.0))
            deviation = rng.normal(0.0, procedure_deviation_sd, school_count)
            p = expit(logit(share) + theta[:, y] + deviation)
            fails = rng.binomial(n, p)
            keep = offered & (n > 0)
            rows.append(
                pd.DataFrame(
                    {
                        "school_id": np.array([f"S{i:05d}" for i in range(school_count)])[keep],
                        "exam_year": 2020 + y,
                        "exam": family,
                        "grade": grade,
                        "subject": subject,
                        "procedure": k,
                        "participant_count": n[keep],
                        "fail_count": fails[keep],
                    }
                )
            )
    results = pd.concat(rows, ignore_index=True)
    totals = results.groupby(["school_id", "exam_year"])["participant_count"].sum()
    truth = truth.merge(totals.rename("participants").reset_index(), how="left")
    truth["is_rated"] = truth["participants"].fillna(0) >= 10
    rated_theta = truth["theta"].where(truth["is_rated"])
    cut = rated_theta.groupby(truth["exam_year"]).transform(lambda t: t.quantile(1 - low_share))
    truth["is_low"] = truth["is_rated"] & (truth["theta"] > cut)
    return SimulatedRegion(results, truth.drop(columns="participants"))


# ВПР procedures of the objectivity simulation: grades 4–8 × Russian, maths; 20-point scales
# with the «3» from 8 points, «4» from 12, «5» from 16.
OBJECTIVITY_GRADES = (4, 5, 6, 7, 8)
OBJECTIVITY_SUBJECTS = ("russian", "math")
BOUNDARY_SCORE, MARK_CUTS, MAX_SCORE = 8, (8, 12, 16), 20


@dataclass(frozen=True)
class SimulatedObjectivityRegion:
    """int_vpr_objectivity_evidence rows (two years), school ОГЭ/ЕГЭ results for M3, and the
    truth: which school-years inflated their ВПР."""

    evidence: pd.DataFrame
    results: pd.DataFrame
    truth: pd.DataFrame


def simulated_objectivity_region(
    seed: int,
    *,
    school_count: int = 400,
    inflated_share: float = 0.10,
    leniency_sd: float = 0.25,
    absence: tuple[float, float] = (2.0, 22.0),
    class_size: float = 19.0,
    class_effect_sd: float = 0.25,
) -> SimulatedObjectivityRegion:
    """Return two years of a region's ВПР objectivity evidence with honest heterogeneity the
    markers do not assume — school ability, journal leniency (sd ``leniency_sd`` of a mark), a
    school absence rate Beta(``absence``), a teacher effect per class — and, in the second
    year, ``inflated_share`` of the schools inflating: in most of their procedures a share of
    the «2» pupils put on the «3» boundary, some «3» raised to «4», some weak pupils kept away."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"S{i:05d}" for i in range(school_count)])
    ability = rng.normal(0.0, 0.45, school_count)
    leniency = rng.normal(0.0, leniency_sd, school_count)
    absent_rate = rng.beta(*absence, school_count)
    inflated = rng.random(school_count) < inflated_share
    rows, exams = [], []
    for year in (2024, 2025):
        for grade in OBJECTIVITY_GRADES:
            for subject in OBJECTIVITY_SUBJECTS:
                listed = np.maximum(rng.poisson(class_size, school_count), 1)
                school = np.repeat(np.arange(school_count), listed)
                teacher = rng.normal(0.0, class_effect_sd, school_count)[school]
                skill = ability[school] + teacher + rng.standard_normal(len(school))
                score = np.clip(np.rint(11.0 + 3.5 * skill), 0, MAX_SCORE)
                honest = 2 + np.searchsorted(MARK_CUTS, score, side="right")
                # The journal: the pupil's level as the teacher marks it, with school leniency.
                noise = rng.normal(0.0, 0.6, len(school))
                journal = np.clip(np.rint(honest + 0.3 + leniency[school] + noise), 2, 5)
                away = rng.random(len(school)) < absent_rate[school] * np.where(honest == 2, 1.5, 1)
                mark = honest.copy()
                if year == 2025:
                    cheat = inflated[school] & (rng.random(school_count) < 0.8)[school]
                    raise_share = rng.uniform(0.4, 0.9, school_count)[school]
                    lifted = cheat & (honest == 2) & (rng.random(len(school)) < raise_share)
                    score = np.where(lifted, BOUNDARY_SCORE, score)
                    mark = np.where(lifted, 3, mark)
                    upper = cheat & (honest == 3) & (rng.random(len(school)) < 0.2)
                    mark = np.where(upper, 4, mark)
                    away |= cheat & (honest == 2) & ~lifted & (rng.random(len(school)) < 0.5)
                present = ~away
                frame = pd.DataFrame(
                    {"school": school, "present": present, "fail": present & (mark == 2),
                     "mark": np.where(present, mark, np.nan),
                     "gap": np.where(present, mark - journal, np.nan),
                     "raised": present & (mark > journal), "lowered": present & (mark < journal),
                     "at": present & (score == BOUNDARY_SCORE),
                     "near": present & (np.abs(score - BOUNDARY_SCORE) <= 1)}
                )  # fmt: skip
                per = frame.groupby("school").agg(
                    listed_count=("present", "size"), participant_count=("present", "sum"),
                    fail_count=("fail", "sum"), mean_mark=("mark", "mean"),
                    mean_mark_minus_journal=("gap", "mean"), raised_count=("raised", "sum"),
                    lowered_count=("lowered", "sum"), at_boundary_count=("at", "sum"),
                    near_boundary_count=("near", "sum"),
                )  # fmt: skip
                per["absent_count"] = per["listed_count"] - per["participant_count"]
                per["journal_pair_count"] = per["participant_count"]
                per["scored_count"] = per["participant_count"]
                rows.append(per.reset_index().assign(
                    school_id=lambda t: ids[t["school"]], exam_year=year, grade=grade,
                    subject=subject, boundary_score=float(BOUNDARY_SCORE),
                ).drop(columns="school"))  # fmt: skip
        for family, grade, size in (("oge", 9, 18.0), ("ege", 11, 10.0)):
            n = np.maximum(rng.poisson(size, school_count), 1)
            p = expit(logit(0.08) + 1.2 * -ability * 1.0 + rng.normal(0, 0.2, school_count))
            exams.append(pd.DataFrame(
                {"school_id": ids, "exam_year": year, "exam": family, "grade": grade,
                 "subject": "math", "participant_count": n, "fail_count": rng.binomial(n, p)}
            ))  # fmt: skip
    evidence = pd.concat(rows, ignore_index=True)
    keys = ["exam_year", "grade", "subject"]
    sums = evidence.groupby(keys)[["raised_count", "lowered_count", "journal_pair_count",
                                   "at_boundary_count", "scored_count",
                                   "near_boundary_count"]].transform("sum")  # fmt: skip
    evidence["regional_raised_share"] = sums["raised_count"] / sums["journal_pair_count"]
    evidence["regional_changed_share"] = (sums["raised_count"] + sums["lowered_count"]) / sums[
        "journal_pair_count"
    ]
    evidence["regional_at_boundary_share"] = sums["at_boundary_count"] / sums["scored_count"]
    evidence["regional_boundary_window_share"] = (
        sums["at_boundary_count"] / sums["near_boundary_count"]
    )
    truth = pd.DataFrame(
        {"school_id": ids, "exam_year": 2025, "is_inflated": inflated, "leniency": leniency,
         "absent_rate": absent_rate}
    )  # fmt: skip
    return SimulatedObjectivityRegion(evidence, pd.concat(exams, ignore_index=True), truth)
