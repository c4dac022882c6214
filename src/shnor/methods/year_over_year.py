"""Year-on-year comparison Y−1 → Y (docs/methodology.md): per school × procedure and per school,
with
Wilson and Newcombe intervals, two-proportion tests, the ШНОР transitions and the control for
regression to the mean (the change expected from shrinkage and the change of near-miss schools).
Pure functions over school-grain frames; a change is Y minus Y−1 (negative = fewer fails).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor.methods.dynamics import change_p_value, positive_dynamics
from shnor.methods.intervals import newcombe_difference_interval, wilson_interval
from shnor.presets import Preset

PROCEDURE = ["exam", "grade", "subject"]
KEY = ["school_id", "exam_year"]
# Numerical slack so that 30% − 20% counts as the 10 points it is.
_TOLERANCE = 1e-9

IMPROVED, WORSENED, NO_CHANGE = "значимое улучшение", "значимое ухудшение", "без значимых изменений"
BY_PERCENTILE = "порог изменился: сравнение по процентилю"
ENTERED, STAYED, EXITED, NOT_RATED = "вошли", "остались", "вышли", "не оценивается"
TRANSITIONS = (ENTERED, STAYED, EXITED, NOT_RATED)


def change_label(
    change: pd.Series,
    p_value: pd.Series,
    preset: Preset,
    lower: pd.Series | None = None,
    upper: pd.Series | None = None,
) -> pd.Series:
    """«значимое улучшение / ухудшение» only when significant at alpha, ≥ the minimum change
    and with an interval of the change that excludes 0 (an interval with 0 carries no verdict)."""
    yoy = preset["year_over_year"]
    significant = (p_value < yoy["alpha"]) & (change.abs() >= yoy["min_change_points"] - _TOLERANCE)
    if lower is not None and upper is not None:
        significant &= (upper < 0) | (lower > 0)
    label = np.where(change < 0, IMPROVED, WORSENED)
    return pd.Series(np.where(significant.fillna(False), label, NO_CHANGE), index=change.index)


def _with_intervals(frame: pd.DataFrame, preset: Preset, prefix: str = "") -> pd.DataFrame:
    """Shares, Wilson intervals for both years, the Newcombe interval of the change, the test."""
    level = preset["indicators.interval_confidence"]
    k1, n1 = frame[f"{prefix}previous_fail_count"], frame[f"{prefix}previous_participant_count"]
    k2, n2 = frame[f"{prefix}fail_count"], frame[f"{prefix}participant_count"]
    out = frame.copy()
    out[f"{prefix}previous_fail_share"] = k1 / n1
    out[f"{prefix}previous_fail_share_lower"], out[f"{prefix}previous_fail_share_upper"] = (
        wilson_interval(k1, n1, level)
    )
    out[f"{prefix}fail_share"] = k2 / n2
    out[f"{prefix}fail_share_lower"], out[f"{prefix}fail_share_upper"] = wilson_interval(
        k2, n2, level
    )
    out[f"{prefix}change"] = out[f"{prefix}fail_share"] - out[f"{prefix}previous_fail_share"]
    out[f"{prefix}change_lower"], out[f"{prefix}change_upper"] = newcombe_difference_interval(
        k1, n1, k2, n2, level
    )
    out[f"{prefix}change_p_value"] = change_p_value(k1, n1, k2, n2, preset)
    return out


def threshold_changes(minimums: pd.DataFrame | None) -> pd.DataFrame:
    """ЕГЭ subjects × years whose minimum score differs from the year before (exam, subject,
    exam_year, previous_min_score, min_score): such a procedure is compared by percentile."""
    columns = ["exam", "subject", "exam_year", "previous_min_score", "min_score"]
    if minimums is None or minimums.empty:
        return pd.DataFrame(columns=columns)
    table = minimums.rename(columns={"min_test_score": "min_score"})[
        ["exam_year", "subject", "min_score"]
    ].astype({"exam_year": "int64"})
    previous = table.assign(exam_year=table["exam_year"] + 1).rename(
        columns={"min_score": "previous_min_score"}
    )
    both = table.merge(previous, on=["exam_year", "subject"])
    changed = both[both["min_score"] != both["previous_min_score"]].assign(exam="ege")
    return changed[columns].reset_index(drop=True)


def procedure_changes(
    results: pd.DataFrame, preset: Preset, changed_thresholds: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per school × procedure × year Y with a result in Y−1 too: both years' shares with Wilson
    intervals, the change with its Newcombe interval and z-test p, the fail-share percentile
    among the region's schools in that procedure (100 = worst) and the verdict."""
    rows = results.loc[results["participant_count"] > 0, [*KEY, *PROCEDURE]].copy()
    rows["participant_count"] = results["participant_count"]
    rows["fail_count"] = results["fail_count"]
    rows["fail_share"] = rows["fail_count"] / rows["participant_count"]
    rows["fail_share_percentile"] = (
        rows.groupby(["exam_year", *PROCEDURE])["fail_share"].rank(pct=True, method="average") * 100
    )
    previous = rows.drop(columns="fail_share").assign(exam_year=rows["exam_year"] + 1)
    previous = previous.rename(
        columns={
            "participant_count": "previous_participant_count",
            "fail_count": "previous_fail_count",
            "fail_share_percentile": "previous_fail_share_percentile",
        }
    )
    both = rows.drop(columns="fail_share").merge(previous, on=[*KEY, *PROCEDURE])
    both = _with_intervals(both, preset)
    both["percentile_change"] = (
        both["fail_share_percentile"] - both["previous_fail_share_percentile"]
    )
    both["change_label"] = change_label(
        both["change"], both["change_p_value"], preset, both["change_lower"], both["change_upper"]
    )
    changed = changed_thresholds if changed_thresholds is not None else threshold_changes(None)
    both = both.merge(
        changed.astype({"exam_year": "int64"}), on=["exam", "subject", "exam_year"], how="left"
    )
    both["is_comparable"] = both["min_score"].isna()
    both.loc[~both["is_comparable"], "change_label"] = BY_PERCENTILE
    both["comparability_note"] = np.where(
        both["is_comparable"],
        None,
        "минимальный балл ЕГЭ изменился: "
        + both["previous_min_score"].round().astype("Int64").astype("string").fillna("")
        + " → "
        + both["min_score"].round().astype("Int64").astype("string").fillna("")
        + "; сравнивается процентиль доли не преодолевших порог",
    )
    return both.drop(columns=["previous_min_score", "min_score"]).sort_values(
        [*KEY, *PROCEDURE], ignore_index=True
    )


def regional_shares(results: pd.DataFrame) -> pd.DataFrame:
    """The region's fail share per year × procedure (all schools' results pooled)."""
    pooled = results.groupby(["exam_year", *PROCEDURE], as_index=False)[
        ["participant_count", "fail_count"]
    ].sum()
    pooled = pooled[pooled["participant_count"] > 0]
    return pooled.assign(regional_share=pooled["fail_count"] / pooled["participant_count"])[
        ["exam_year", *PROCEDURE, "regional_share"]
    ]


def school_changes(results: pd.DataFrame, flags: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year Y (rated in Y−1 or Y): pooled fail share in both years with intervals
    and test, the ШНОР transition, and the regression-to-the-mean control:

    - `expected_change`: the posterior predictive fail share of Y from the data through Y−1
      (the joint model, own pool, ρ < 1 included) minus the observed Y−1 share; schools picked
      for their low results show it without any help;
    - `near_miss_change`: the mean change of the pool's near-miss schools (percentiles between
      the preset's bounds in Y−1, 100 = worst), shown beside it;
    - `has_positive_dynamics`: Y's fails below the prediction at alpha (`positive_dynamics`,
      the rule the flags use for exit from the list).

    A school with an objectivity concern in Y−1 or Y is compared on its ОГЭ/ЕГЭ only, in both
    years (`is_vpr_set_aside`), as its ВПР are set aside as evidence (docs/methodology.md).
    """
    # Plain object keys: pandas cannot merge an empty Arrow-string key (a single-year region).
    results = results.astype({"school_id": object})
    flags = flags.astype({"school_id": object})
    status = flags[
        [*KEY, "pool", "is_rated", "is_on_shnor_list", "is_low_result", "composite_score",
         "composite_percentile", "has_objectivity_concern", "counted_participant_count",
         "expected_fail_share", "improvement_p_value"]
    ].copy()  # fmt: skip
    earlier = status.assign(exam_year=status["exam_year"] + 1).rename(
        columns={
            "is_rated": "was_rated",
            "is_on_shnor_list": "was_on_shnor_list",
            "is_low_result": "was_low_result",
            "composite_score": "previous_composite_score",
            "composite_percentile": "previous_composite_percentile",
            "has_objectivity_concern": "had_objectivity_concern",
            "counted_participant_count": "previous_counted_participant_count",
        }
    )[[*KEY, "was_rated", "was_on_shnor_list", "was_low_result", "previous_composite_score",
       "previous_composite_percentile", "had_objectivity_concern",
       "previous_counted_participant_count"]]  # fmt: skip
    schools = status.merge(earlier, on=KEY, how="inner")
    for column in ("was_rated", "was_on_shnor_list", "was_low_result", "had_objectivity_concern",
                   "has_objectivity_concern"):  # fmt: skip
        schools[column] = schools[column].astype("boolean").fillna(False).astype(bool)
    schools["is_vpr_set_aside"] = (
        schools["has_objectivity_concern"] | schools["had_objectivity_concern"]
    )
    exams_only = results[results["exam"] != "vpr"]
    counts = _both_years(results).merge(
        _both_years(exams_only), on=KEY, how="outer", suffixes=("", "_exams")
    )
    schools = schools.merge(counts, on=KEY, how="left")
    for column in COUNT_COLUMNS:
        schools[column] = schools[column].where(
            ~schools["is_vpr_set_aside"], schools[f"{column}_exams"]
        )
    schools = schools.drop(columns=[f"{c}_exams" for c in COUNT_COLUMNS])
    schools = schools[schools["was_rated"] | schools["is_rated"]]
    for column in COUNT_COLUMNS:
        schools[column] = schools[column].fillna(0).astype("int64")
    schools = _with_intervals(schools, preset)
    schools["change_label"] = change_label(
        schools["change"], schools["change_p_value"], preset,
        schools["change_lower"], schools["change_upper"],
    )  # fmt: skip
    schools["transition"] = transition_of(schools)

    # The expected year-Y result is the posterior predictive from the data through Y−1, in the
    # school's own pool (docs/methodology.md), as fitted with the scores.
    schools["expected_share"] = schools["expected_fail_share"].where(schools["was_rated"])
    schools["expected_change"] = schools["expected_share"] - schools["previous_fail_share"]
    schools.loc[~schools["was_rated"], "expected_change"] = np.nan
    schools["has_positive_dynamics"] = (
        positive_dynamics(
            schools["improvement_p_value"],
            schools["previous_counted_participant_count"],
            schools["counted_participant_count"],
            preset,
        )
        & schools["is_rated"]
    )

    yoy = preset["year_over_year"]
    near_miss = (
        schools["was_rated"]
        & schools["is_rated"]
        & schools["previous_composite_percentile"].between(
            yoy["near_miss_percentile_low"], yoy["near_miss_percentile_high"]
        )
    )
    schools["is_near_miss"] = near_miss
    benchmark = (
        schools[near_miss]
        .groupby(["exam_year", "pool"])["change"]
        .agg(near_miss_change="mean", near_miss_count="size")
        .reset_index()
    )
    schools = schools.merge(benchmark, on=["exam_year", "pool"], how="left")
    schools["near_miss_count"] = schools["near_miss_count"].fillna(0).astype("int64")
    return schools.sort_values(KEY, ignore_index=True)


COUNT_COLUMNS = (
    "participant_count",
    "fail_count",
    "previous_participant_count",
    "previous_fail_count",
)


def _both_years(results: pd.DataFrame) -> pd.DataFrame:
    """Per school × year: pooled participants and fails in the year and the year before."""
    pooled = results.groupby(KEY, as_index=False)[["participant_count", "fail_count"]].sum()
    pooled = pooled[pooled["participant_count"] > 0]
    previous = pooled.assign(exam_year=pooled["exam_year"] + 1).rename(
        columns={
            "participant_count": "previous_participant_count",
            "fail_count": "previous_fail_count",
        }
    )
    return pooled.merge(previous, on=KEY, how="outer")


def transition_of(schools: pd.DataFrame) -> pd.Series:
    """ШНОР list Y−1 → Y: entered / stayed / exited / not rated in Y; None for others."""
    was, now, rated = schools["was_on_shnor_list"], schools["is_on_shnor_list"], schools["is_rated"]
    return pd.Series(
        np.select(
            [was & ~rated, was & now, was & ~now, ~was & now],
            [NOT_RATED, STAYED, EXITED, ENTERED],
            default=None,
        ),
        index=schools.index,
        dtype="object",
    )
