"""Targeted recommendations («адресные рекомендации», docs/methodology.md): per ШНОР, the procedures
with the worst standardised fail share against the region and, where task-level ВПР results
exist, the tasks solved below the basic / advanced rate and far below the region.
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


def weakest_procedures(results: pd.DataFrame, schools: pd.Series, preset: Preset) -> pd.DataFrame:
    """For each (school_id, exam_year) in `schools` (a frame's index-free pairs), its procedures
    worse than the region, ranked by the standardised difference
    z = (fails − n·p) / √(n·p·(1−p)) with p the region's share; the worst
    `support.recommended_procedure_count` per school-year."""
    rows = results[results["participant_count"] > 0].merge(schools, on=["school_id", "exam_year"])
    rows = rows.merge(regional_shares(results), on=["exam_year", *PROCEDURE])
    n, k, p = rows["participant_count"], rows["fail_count"], rows["regional_share"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["standardised_difference"] = (k - n * p) / np.sqrt(n * p * (1 - p))
    rows = rows[rows["standardised_difference"] > 0]
    rows["fail_share"] = k / n
    rows["fail_share_lower"], rows["fail_share_upper"] = wilson_interval(
        rows["fail_count"], rows["participant_count"], preset["indicators.interval_confidence"]
    )
    rows = rows.sort_values(
        ["school_id", "exam_year", "standardised_difference"], ascending=[True, True, False]
    )
    rows["rank"] = rows.groupby(["school_id", "exam_year"]).cumcount() + 1
    top = rows[rows["rank"] <= preset["support.recommended_procedure_count"]]
    return top[
        ["school_id", "exam_year", "rank", *PROCEDURE, "participant_count", "fail_count",
         "fail_share", "fail_share_lower", "fail_share_upper", "regional_share",
         "standardised_difference"]
    ].reset_index(drop=True)  # fmt: skip


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
