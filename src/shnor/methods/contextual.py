"""Contextual value added (docs/methodology.md): how much better a school does than schools of like
context, so that a list can show raw and context-fair results side by side.

Per year and pool, a weighted least-squares regression (weights = counted participants) of the
composite on the context index, rural settlement and log size. The composite is already an
empirical-Bayes posterior mean (shrunk as in §3), so its residual is the shrunk value added.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

CVA_COLUMNS = ["school_id", "exam_year", "expected_composite", "contextual_value_added"]


def contextual_value_added(
    scores: pd.DataFrame, context: pd.DataFrame, schools: pd.DataFrame
) -> pd.DataFrame:
    """Per rated school × year: expected composite from context and the value added
    (expected − composite: higher = better than schools of like context)."""
    data = (
        scores[scores["is_rated"]]
        .merge(
            context[["school_id", "exam_year", "context_index"]],
            on=["school_id", "exam_year"],
            how="left",
        )
        .merge(
            schools[["school_id", "settlement_type", "student_count"]], on="school_id", how="left"
        )
    )
    # A school without a passport sits at the region's mean context (its imputation is flagged
    # in int_school_context); size falls back to the participants counted that year.
    data["context_index"] = data["context_index"].fillna(0.0)
    data["is_rural"] = (data["settlement_type"] == "rural").astype(float)
    size = data["student_count"].where(data["student_count"] > 0, data["counted_participant_count"])
    data["log_size"] = np.log(size.astype(float).clip(lower=1))
    features = ["context_index", "is_rural", "log_size"]
    parts = []
    for _, group in data.groupby(["exam_year", "pool"], sort=True):
        if len(group) < len(features) + 2:
            weights = group["counted_participant_count"]
            expected = np.full(len(group), np.average(group["composite_score"], weights=weights))
        else:
            model = LinearRegression().fit(
                group[features], group["composite_score"],
                sample_weight=group["counted_participant_count"],
            )  # fmt: skip
            expected = model.predict(group[features])
        parts.append(
            group[["school_id", "exam_year"]].assign(
                expected_composite=expected,
                contextual_value_added=expected - group["composite_score"].to_numpy(),
            )
        )
    if not parts:
        return pd.DataFrame(columns=CVA_COLUMNS)
    return pd.concat(parts, ignore_index=True)[CVA_COLUMNS]
