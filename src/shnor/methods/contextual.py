"""Contextual results (docs/methodology.md): the context that enters the prior mean of the school
effect, and the contextual value added the joint model gives from it.

Context (index, rural settlement, log size) shifts the prior mean of a school's effect,
``m_s = μ + x_s·β``, with β fitted by marginal likelihood with τ and ρ (methods/joint_effect.py);
contextual value added is the posterior of ``m_s − θ_s`` (higher = better than schools of like
context). Regressing an already-shrunk composite on context afterwards would credit small schools
in hard conditions: their composites sit near the pool's mean while their context predicts worse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor.methods.ranking import percentile_rank

CVA_COLUMNS = [
    "school_id",
    "exam_year",
    "expected_composite",
    "contextual_value_added",
    "contextual_value_added_lower",
    "contextual_value_added_upper",
    "contextual_value_added_percentile",
]
PRIOR_CONTEXT_COLUMNS = ["context_index", "is_rural", "log_size"]


def prior_context(
    context: pd.DataFrame | None, schools: pd.DataFrame, totals: pd.DataFrame
) -> pd.DataFrame | None:
    """Per school × year of `totals`: the context columns of the prior mean (context index,
    rural, log size); None when no school has a context index (the prior mean is then the
    pool's). A school without a passport sits at the region's mean context (its imputation is
    flagged in int_school_context); size falls back to the participants counted that year."""
    if context is None or context.empty or context["context_index"].isna().all():
        return None
    data = (
        totals[["school_id", "exam_year", "counted_participant_count"]]
        .astype({"exam_year": "int64"})
        .merge(
            context[["school_id", "exam_year", "context_index"]].astype({"exam_year": "int64"}),
            on=["school_id", "exam_year"],
            how="left",
        )
        .merge(
            schools[["school_id", "settlement_type", "student_count"]], on="school_id", how="left"
        )
    )
    data["is_rural"] = (data["settlement_type"] == "rural").astype(float)
    size = data["student_count"].where(data["student_count"] > 0, data["counted_participant_count"])
    data["log_size"] = np.log(size.astype(float).clip(lower=1))
    return data[["school_id", "exam_year", *PRIOR_CONTEXT_COLUMNS]]


def contextual_value_added(scores: pd.DataFrame) -> pd.DataFrame:
    """Per rated school × year: the context-expected level of the effect (the prior mean) and
    the contextual value added from the model (its posterior mean, interval and percentile in
    the year × pool, higher = better than schools of like context)."""
    rated = scores[scores["is_rated"]]
    if rated.empty:
        return pd.DataFrame(columns=CVA_COLUMNS)
    out = pd.DataFrame(
        {
            "school_id": rated["school_id"],
            "exam_year": rated["exam_year"],
            "expected_composite": rated["prior_mean"],
            "contextual_value_added": rated["value_added"],
            "contextual_value_added_lower": rated["value_added_lower"],
            "contextual_value_added_upper": rated["value_added_upper"],
        }
    )
    # 0 = the best value added of the year × pool, 100 = the worst (as composite_percentile)
    out["contextual_value_added_percentile"] = (
        (-out["contextual_value_added"])
        .groupby([rated["exam_year"], rated["pool"]])
        .transform(percentile_rank)
    )
    return out.reset_index(drop=True)[CVA_COLUMNS]
