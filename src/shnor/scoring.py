"""School-year composites: the school effect of docs/methodology.md, one model across the years of
each rating pool (joint prior, persistence fitted), so year Y's figures use the data through Y.

Works at school grain (procedure results, thousands of rows), never on participant rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from shnor import __version__
from shnor.fingerprints import digest
from shnor.methods import contextual, joint_effect, ranking, school_effect
from shnor.methods.contextual import prior_context
from shnor.methods.joint_effect import joint_school_effects
from shnor.methods.ranking import percentile_rank
from shnor.presets import Preset

SCORE_COLUMNS = (
    "school_id",
    "exam_year",
    "pool",
    "counted_participant_count",
    "procedure_count",
    "is_rated",
    "not_rated_reason",
    "theta_mle",
    "theta_se",
    "composite_score",
    "composite_sd",
    "composite_lower",
    "composite_upper",
    "composite_percentile",
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


def school_pools(schools: pd.DataFrame, preset: Preset) -> pd.Series:
    """The rating pool of every school (index school_id): the region, or a registry attribute."""
    pool_by = preset["school_effect.pool_by"]
    if pool_by == "region":
        return pd.Series("region", index=schools["school_id"], name="pool")
    return schools.set_index("school_id")[pool_by].fillna("unknown").rename("pool")


def procedure_weights(results: pd.DataFrame, preset: Preset) -> pd.Series:
    """Policy weight per result row: family weight × core/secondary weight (default all 1)."""
    weights = preset["school_effect.weights"]
    family = results["exam"].map(weights).astype(float)
    core = results["subject"].isin(preset["indicators.core_subjects"])
    return family * np.where(core, weights["core"], weights["secondary"])


def school_year_scores(
    results: pd.DataFrame,
    schools: pd.DataFrame,
    preset: Preset,
    evidence_mask: pd.Series | None = None,
    years: list[int] | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per school × year with a result: rated or not (and why), composite and intervals.

    `results` is fct_school_procedure_results; `evidence_mask` (same index) marks rows allowed
    as evidence (False for ВПР set aside for an objectivity concern). `years`: return only these
    (each is still fitted with the years before it). `context`: school_id, exam_year,
    context_index (int_school_context): with `school_effect.context_in_prior` the prior mean
    of the school effect follows the context (docs/methodology.md).
    """
    if years is not None:
        keep = results["exam_year"] <= max(years)
        results = results[keep]
        evidence_mask = None if evidence_mask is None else evidence_mask[keep]
    allowed = (
        pd.Series(True, index=results.index)
        if evidence_mask is None
        else evidence_mask.reindex(results.index, fill_value=True)
    )
    usable = results[(results["participant_count"] > 0) & allowed].copy()
    usable["procedure"] = list(zip(usable["exam"], usable["grade"], usable["subject"], strict=True))
    usable["weight"] = procedure_weights(usable, preset)
    usable["pool"] = usable["school_id"].map(school_pools(schools, preset)).fillna("unknown")

    # Rating counts the evidence actually used: ВПР set aside does not count.
    totals = (
        results.assign(
            used=results["participant_count"].where(allowed, 0),
            set_aside=results["participant_count"].where(~allowed, 0),
            with_results=(results["participant_count"] > 0) & allowed,
        )
        .groupby(["school_id", "exam_year"], as_index=False)
        .agg(
            counted_participant_count=("used", "sum"),
            set_aside_participant_count=("set_aside", "sum"),
            procedure_count=("with_results", "sum"),
        )
        .astype({"counted_participant_count": "int64", "procedure_count": "int64"})
    )
    minimum = preset["small_samples.min_rated_participants"]
    totals["is_rated"] = totals["counted_participant_count"] >= minimum
    too_few = f"менее {minimum} учтённых результатов участников"
    totals["not_rated_reason"] = np.select(
        [totals["is_rated"], totals["set_aside_participant_count"] > 0],
        [None, "результаты ВПР не учитываются (вопросы к объективности), других — " + too_few],
        default=too_few,
    )
    totals["pool"] = totals["school_id"].map(school_pools(schools, preset)).fillna("unknown")

    rated = totals.loc[totals["is_rated"], ["school_id", "exam_year"]]
    usable = usable.merge(rated, on=["school_id", "exam_year"])
    features = _prior_context(context, schools, totals, preset)
    fitted = [
        _pool_effects(group, preset, features).assign(pool=pool)
        for pool, group in usable.groupby("pool", sort=True)
    ]
    effects = pd.concat(fitted, ignore_index=True) if fitted else _empty_effects()
    scores = totals.merge(effects.drop(columns=["pool"]), on=["school_id", "exam_year"], how="left")
    scores["composite_percentile"] = scores.groupby(["exam_year", "pool"])[
        "composite_score"
    ].transform(percentile_rank)
    scores = scores[list(SCORE_COLUMNS)]
    if years is not None:
        scores = scores[scores["exam_year"].isin(years)]
    return scores.sort_values(["exam_year", "school_id"], ignore_index=True)


def year_input_keys(
    results: pd.DataFrame,
    schools: pd.DataFrame,
    preset: Preset,
    evidence_mask: pd.Series,
    context: pd.DataFrame | None = None,
) -> dict[int, str]:
    """Per year, a hash of all that `school_year_scores` reads for it: the year's result rows
    (any column, in a canonical order) and which are evidence, the rating pools, the preset and
    the scoring code. Year Y is fitted with the years before it, so its key chains theirs:
    equal keys mean equal scores."""
    pools = school_pools(schools, preset).sort_index()
    modules = (
        __file__, school_effect.__file__, joint_effect.__file__, ranking.__file__,
        contextual.__file__,
    )  # fmt: skip
    common = digest(
        [
            __version__,
            *(Path(module).read_bytes() for module in modules),
            json.dumps(preset.values, sort_keys=True, default=str),
            pd.util.hash_pandas_object(pools.reset_index(), index=False).to_numpy(),
            # settlement and size enter the prior mean with the context index
            pd.util.hash_pandas_object(
                schools.reindex(columns=["school_id", "settlement_type", "student_count"])
                .sort_values("school_id")
                .astype(str),
                index=False,
            ).to_numpy(),
        ]
    )
    rows = results.assign(_evidence=evidence_mask.reindex(results.index, fill_value=True))
    rows = rows.sort_values(["school_id", "exam", "grade", "subject"], kind="stable")
    keys = {}
    chained = common
    by_year = {}
    if context is not None and not context.empty:
        ordered = context[["school_id", "exam_year", "context_index"]]
        ordered = ordered.astype({"exam_year": "int64"}).sort_values(
            ["exam_year", "school_id"], kind="stable"
        )
        by_year = dict(tuple(ordered.groupby("exam_year", sort=True)))
    for year, group in rows.groupby("exam_year", sort=True):
        parts = [pd.util.hash_pandas_object(group, index=False).to_numpy()]
        if int(year) in by_year:  # the context of the prior mean is an input of the year's fit
            parts.append(pd.util.hash_pandas_object(by_year[int(year)], index=False).to_numpy())
        chained = digest(parts, chained)
        keys[int(year)] = chained.hexdigest()
    return keys


def _prior_context(
    context: pd.DataFrame | None, schools: pd.DataFrame, totals: pd.DataFrame, preset: Preset
) -> pd.DataFrame | None:
    """The context columns of the prior mean per school × year, or None (preset off, or no
    context index in the region)."""
    if not preset["school_effect.context_in_prior"]:
        return None
    return prior_context(context, schools, totals)


def _pool_effects(
    group: pd.DataFrame, preset: Preset, context: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The joint model of one pool over all its years (docs/methodology.md)."""
    if context is not None:
        context = context[context["school_id"].isin(group["school_id"].unique())]
    effects, _ = joint_school_effects(
        group[["school_id", "exam_year", "procedure", "participant_count", "fail_count", "weight"]],
        low_share=preset["flags.low_share"],
        confidence=preset["school_effect.confidence"],
        default_persistence=preset["school_effect.default_persistence"],
        persistence_prior_sd=preset["school_effect.persistence_prior_sd"],
        overdispersion=preset["school_effect.overdispersion"],
        shrinkage=preset["school_effect.shrinkage"],
        fit_persistence=preset["school_effect.fit_persistence"],
        context=context,
    )
    return effects


def _empty_effects() -> pd.DataFrame:
    """No school rated anywhere: the effect columns, typed, with no rows."""
    columns = [
        c
        for c in SCORE_COLUMNS
        if c not in ("counted_participant_count", "procedure_count", "is_rated",
                     "not_rated_reason", "composite_percentile")
    ]  # fmt: skip
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    return frame.astype({"school_id": "object", "pool": "object", "exam_year": "int64"})
