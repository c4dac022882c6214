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
    uniform = stats.norm.cdf(latent)
    if shape == "skewed":
        theta = (stats.gamma.ppf(uniform, 2.0) - 2.0) / np.sqrt(2.0)
    elif shape == "heavy":
        theta = stats.t.ppf(uniform, 4) / np.sqrt(2.0)
    else:
        theta = latent
    theta = theta * effect_sd
    truth = pd.DataFrame(
        {
            "school_id": np.repeat([f"S{i:05d}" for i in range(school_count)], years),
            "exam_year": np.tile(2020 + np.arange(years), school_count),
            "theta": theta.ravel(),
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
