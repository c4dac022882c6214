"""Targeted recommendations («адресные рекомендации», docs/methodology.md): per school on the list
or in the risk group, at most five procedures ranked by the shrunk shortfall against the region;
under each, where task-level ВПР results exist, the tasks solved below the basic / advanced rate
and far below the region, named by what they check (reference/task_descriptions.csv), and what
to do (reference/support_measures.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnor.methods.intervals import wilson_interval
from shnor.methods.year_over_year import PROCEDURE, regional_shares
from shnor.presets import Preset

TASK_COLUMNS = (
    "school_id",
    "exam_year",
    "grade",
    "subject",
    "task",
    "result_count",
    "mean_points",
    "max_points_observed",
)


def shrunk_shortfalls(results: pd.DataFrame, schools: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """For each (school_id, exam_year) in `schools`, its procedures with at least
    `support.recommendation_min_results` results whose shrunk fail share exceeds the region's,
    ranked by that shortfall; the first `support.recommended_procedure_count` (≤ 5) per school.

    Shrunk share = (fails + m·p) / (n + m), p the region's share and m
    `support.recommendation_prior_results`: one «2» out of one result reads as a small
    shortfall, not as 100 %. The raw share keeps its Wilson interval for the reader."""
    support = preset["support"]
    rows = results[results["participant_count"] >= support["recommendation_min_results"]]
    rows = rows.merge(schools, on=["school_id", "exam_year"])
    rows = rows.merge(regional_shares(results), on=["exam_year", *PROCEDURE])
    n, k, p = rows["participant_count"], rows["fail_count"], rows["regional_share"]
    prior = support["recommendation_prior_results"]
    rows["shrunk_fail_share"] = (k + prior * p) / (n + prior)
    rows["shrunk_shortfall"] = rows["shrunk_fail_share"] - p
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["standardised_difference"] = (k - n * p) / np.sqrt(n * p * (1 - p))
    rows = rows[rows["shrunk_shortfall"] > 0].copy()
    rows["fail_share"] = k / n
    rows["fail_share_lower"], rows["fail_share_upper"] = wilson_interval(
        rows["fail_count"], rows["participant_count"], preset["indicators.interval_confidence"]
    )
    rows = rows.sort_values(
        ["school_id", "exam_year", "shrunk_shortfall", *PROCEDURE],
        ascending=[True, True, False, True, True, True],
    )
    rows["rank"] = rows.groupby(["school_id", "exam_year"]).cumcount() + 1
    top = rows[rows["rank"] <= min(support["recommended_procedure_count"], 5)]
    return top[
        ["school_id", "exam_year", "rank", *PROCEDURE, "participant_count", "fail_count",
         "fail_share", "fail_share_lower", "fail_share_upper", "regional_share",
         "shrunk_fail_share", "shrunk_shortfall", "standardised_difference"]
    ].reset_index(drop=True)  # fmt: skip


def described_tasks(weak: pd.DataFrame, descriptions: pd.DataFrame) -> pd.DataFrame:
    """Weak tasks with what each checks and its level from the region's task descriptions
    (reference/task_descriptions.csv); a level given there replaces the guessed one."""
    table = descriptions.rename(columns={"level": "given_level"}).copy()
    table = table[table["exam"].fillna("").isin(["", "vpr"])]
    table["grade"] = pd.to_numeric(table["grade"], errors="coerce")
    table = table.dropna(subset=["grade"]).astype({"grade": int})
    table["task"] = table["task"].astype(str).str.strip()
    table = table.drop_duplicates(["grade", "subject", "task"])
    frame = weak.assign(task=weak["task"].astype(str).str.strip(), grade=weak["grade"].astype(int))
    frame = frame.merge(
        table[["grade", "subject", "task", "given_level", "checked_skill"]],
        on=["grade", "subject", "task"], how="left",
    )  # fmt: skip
    given = frame["given_level"].fillna("").astype(str).str.strip()
    frame["task_level"] = given.where(given != "", frame["task_level"])
    frame["checked_skill"] = frame["checked_skill"].fillna("").astype(str).str.strip()
    return frame.drop(columns=["given_level"])


def measure_for(measures: pd.DataFrame, exam: str, subject: str) -> str:
    """The most specific measure of reference/support_measures.csv for a procedure: its exam
    and subject, then its exam (any subject), then any procedure; empty when none is given."""
    table = measures.fillna("")
    for wanted in ((exam, subject), (exam, ""), ("", "")):
        rows = table[(table["exam"] == wanted[0]) & (table["subject"] == wanted[1])]
        if len(rows):
            return str(rows["measure"].iloc[0]).strip()
    return ""


def measures_for(measures: pd.DataFrame, procedures) -> list[str]:
    """Return ``measure_for`` of each (exam, subject) pair, each distinct pair looked up once
    (a report holds hundreds of rows and a few procedures)."""
    found: dict[tuple, str] = {}
    chosen = []
    for exam, subject in procedures:
        key = (exam, None if pd.isna(subject) else subject)
        if key not in found:
            found[key] = measure_for(measures, exam, subject)
        chosen.append(found[key])
    return chosen


def weak_tasks(tasks: pd.DataFrame, schools: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """ВПР tasks of the given school-years solved below the threshold and at least
    `support.task_region_gap_points` below the region, with ≥ small_sample_size results.

    Solve rate = mean points / the task's maximum (the most points any school of the region
    scored on it that year). The region's rate is weighted by results. Exports do not carry a
    task's level, so a task the region solves at or above the basic rate is held to the basic
    rate and a harder one to the advanced rate.
    """
    support = preset["support"]
    task_key = ["exam_year", "grade", "subject", "task"]
    frame = tasks[list(TASK_COLUMNS)].copy()
    frame = frame[frame["result_count"] > 0]
    frame["task_max_points"] = frame.groupby(task_key)["max_points_observed"].transform("max")
    frame = frame[frame["task_max_points"] > 0]
    frame["solve_rate"] = frame["mean_points"] / frame["task_max_points"]
    frame["points"] = frame["mean_points"] * frame["result_count"]
    region = frame.groupby(task_key, as_index=False).agg(
        region_points=("points", "sum"), region_results=("result_count", "sum")
    )
    frame = frame.merge(region, on=task_key)
    frame["regional_solve_rate"] = frame["region_points"] / (
        frame["region_results"] * frame["task_max_points"]
    )
    basic = frame["regional_solve_rate"] >= support["basic_task_solve_rate"]
    frame["task_level"] = np.where(basic, "базовый", "повышенный")
    frame["threshold"] = np.where(
        basic, support["basic_task_solve_rate"], support["advanced_task_solve_rate"]
    )
    chosen = frame.merge(schools, on=["school_id", "exam_year"])
    weak = chosen[
        (chosen["result_count"] >= preset["small_samples.small_sample_size"])
        & (chosen["solve_rate"] < chosen["threshold"])
        & (
            chosen["regional_solve_rate"] - chosen["solve_rate"]
            >= support["task_region_gap_points"] - 1e-9
        )
    ].copy()
    weak["gap"] = weak["regional_solve_rate"] - weak["solve_rate"]
    weak = weak.sort_values(["school_id", "exam_year", "gap"], ascending=[True, True, False])
    return weak[
        ["school_id", "exam_year", "grade", "subject", "task", "task_level", "result_count",
         "solve_rate", "regional_solve_rate", "threshold", "gap"]
    ].reset_index(drop=True)  # fmt: skip
