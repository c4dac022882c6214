"""The report tables (rpt_*) of the year-on-year analysis and support planning (docs/methodology.md,
§8), computed from the marts: the pipeline stores them in the warehouse's `reports` schema (so
they are published as Parquet marts) and the report renderer reads them back.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from importlib import resources

import numpy as np
import pandas as pd

from shnor import russian
from shnor.labels import LEVEL_LABELS, SETTLEMENT_LABELS, percent, procedure_label, subject_label
from shnor.methods.objectivity_lists import COMPARISON_COLUMNS, objectivity_comparison
from shnor.methods.partners import PairCosts, assign_partners, pair_distances
from shnor.methods.recommendations import (
    TASK_COLUMNS,
    described_tasks,
    measures_for,
    shrunk_shortfalls,
    weak_tasks,
)
from shnor.methods.year_over_year import (
    ENTERED,
    EXITED,
    NOT_RATED,
    STAYED,
    procedure_changes,
    school_changes,
    threshold_changes,
)
from shnor.presets import Preset

REGION = "Регион в целом"
FAIL_WORDS = {"ege": "доля ниже минимального балла"}  # ВПР and ОГЭ: mark «2»
SCHOOL_COLUMNS = ["school_id", "school_name", "municipality_name"]


# The tables report_tables makes (stored as reports.<name> and published).
REPORT_TABLES = (
    "rpt_year_over_year",
    "rpt_school_year_over_year",
    "rpt_municipality_summary",
    "rpt_partner_pairs",
    "rpt_recommendations",
    "rpt_objectivity_comparison",
)


# How a school without a municipality (not in the registry, files without one) is grouped.
MUNICIPALITY_NOT_GIVEN = "не указан"


def report_tables(marts: Mapping[str, pd.DataFrame], preset: Preset) -> dict[str, pd.DataFrame]:
    """rpt_year_over_year, rpt_school_year_over_year, rpt_municipality_summary,
    rpt_partner_pairs, rpt_recommendations and rpt_objectivity_comparison from dim_schools,
    fct_school_procedure_results, fct_school_flags and (when present) fct_school_task_results,
    ege_min_scores and the objectivity tables (int_school_objectivity,
    int_vpr_objectivity_markers, stg_objectivity__fioco_list)."""
    schools = marts["dim_schools"]
    results = marts["fct_school_procedure_results"]
    flags = marts["fct_school_flags"]
    named = schools[SCHOOL_COLUMNS]
    procedures = procedure_changes(
        results, preset, threshold_changes(marts.get("ege_min_scores"))
    ).merge(named, on="school_id", how="left")
    procedures.insert(
        6,
        "procedure_name",
        [procedure_label(e, g, s) for e, g, s in procedures[["exam", "grade", "subject"]].values],
    )
    by_school = school_changes(results, flags, preset).merge(named, on="school_id", how="left")
    return {
        "rpt_year_over_year": procedures,
        "rpt_school_year_over_year": by_school,
        "rpt_municipality_summary": municipality_summary(flags, schools, by_school),
        "rpt_partner_pairs": partner_pairs(flags, schools, preset),
        "rpt_recommendations": recommendations(
            results,
            flags,
            schools,
            marts.get("fct_school_task_results"),
            preset,
            marts.get("task_descriptions"),
            marts.get("support_measures"),
        ),
        "rpt_objectivity_comparison": fioco_comparison(marts, schools),
    }


def fioco_comparison(marts: Mapping[str, pd.DataFrame], schools: pd.DataFrame) -> pd.DataFrame:
    """rpt_objectivity_comparison: the ФИОКО lists beside shnor's objectivity concerns (empty
    when the warehouse tables it reads are not given, e.g. reports rebuilt from marts alone)."""
    needed = (
        "int_school_objectivity",
        "int_vpr_objectivity_markers",
        "stg_objectivity__fioco_list",
    )
    if not all(name in marts for name in needed):
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    return objectivity_comparison(
        marts["int_school_objectivity"],
        marts["int_vpr_objectivity_markers"],
        marts["stg_objectivity__fioco_list"],
        schools,
    )


def municipality_summary(
    flags: pd.DataFrame, schools: pd.DataFrame, by_school: pd.DataFrame
) -> pd.DataFrame:
    """Per municipality × year (and the region as a whole): counts and shares of ШНОР, ШНСУ,
    risk group, resilient; the share of students in ШНОР; transitions; and the share of last
    year's ШНОР with positive dynamics beyond the predicted (the flags' rule, §7)."""
    frame = flags.merge(
        schools[["school_id", "municipality_name", "student_count"]], on="school_id", how="left"
    )
    frame["municipality_name"] = frame["municipality_name"].fillna(MUNICIPALITY_NOT_GIVEN)
    frame = frame.merge(
        by_school[["school_id", "exam_year", "transition", "was_on_shnor_list"]],
        on=["school_id", "exam_year"], how="left",
    )  # fmt: skip
    frame["students"] = frame["student_count"].fillna(0)
    frame["shnor_students"] = frame["students"].where(frame["is_on_shnor_list"], 0)
    frame["judged"] = frame["was_on_shnor_list"].astype("boolean").fillna(False) & frame["is_rated"]
    frame["positive"] = frame["judged"] & frame["has_positive_dynamics"].astype("boolean").fillna(
        False
    )
    everywhere = frame.assign(municipality_name=REGION)
    rows = []
    for (name, year), group in pd.concat([frame, everywhere]).groupby(
        ["municipality_name", "exam_year"], sort=True
    ):
        rated = int(group["is_rated"].sum())
        counts = {
            "shnor": int(group["is_on_shnor_list"].sum()),
            # ШНСУ is a matter of conditions, not results: a school not rated still counts.
            "shnsu": int(group["is_shnsu"].sum()),
            "risk_group": int(group["is_risk_group"].sum()),
            "resilient": int(group["is_resilient"].sum()),
        }
        transitions = group["transition"].value_counts()
        judged = int(group["judged"].sum())
        students = float(group["students"].sum())
        rows.append(
            {
                "municipality_name": name,
                "exam_year": int(year),
                "is_region": name == REGION,
                "school_count": len(group),
                "rated_count": rated,
                **{f"{k}_count": v for k, v in counts.items()},
                **{f"{k}_share": v / rated if rated else np.nan for k, v in counts.items()},
                "shnsu_share": counts["shnsu"] / len(group),
                "student_count": int(students),
                "shnor_student_share": group["shnor_students"].sum() / students
                if students
                else np.nan,
                "entered_count": int(transitions.get(ENTERED, 0)),
                "stayed_count": int(transitions.get(STAYED, 0)),
                "exited_count": int(transitions.get(EXITED, 0)),
                "not_rated_count": int(transitions.get(NOT_RATED, 0)),
                "previous_shnor_rated_count": judged,
                "positive_dynamics_count": int(group["positive"].sum()),
                "positive_dynamics_share": group["positive"].sum() / judged if judged else np.nan,
            }
        )
    summary = pd.DataFrame(rows)
    return summary.sort_values(["exam_year", "is_region", "municipality_name"], ignore_index=True)


def partner_pairs(flags: pd.DataFrame, schools: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per year: each school on the ШНОР list paired with a stably-high or resilient school of
    similar context (assignment of minimum total distance, capacity per tutor); a ШНОР left
    without a place is listed with no tutor and the reason."""
    support = preset["support"]
    costs = PairCosts(
        support["partner_level_penalty"],
        support["partner_settlement_penalty"],
        support["partner_other_municipality_penalty"],
    )
    frame = flags.merge(schools.drop(columns=["student_count"], errors="ignore"), on="school_id")
    frame = frame.merge(schools[["school_id", "student_count"]], on="school_id", how="left")
    size = frame["student_count"].where(frame["student_count"] > 0)
    frame["size"] = size.fillna(frame["counted_participant_count"]).clip(lower=1)
    pairs = []
    for year, group in frame.groupby("exam_year", sort=True):
        rated = group[group["is_rated"]]
        group = group.assign(
            context_z=_standardised(group["context_index"], rated["context_index"]),
            size_z=_standardised(np.log(group["size"]), np.log(rated["size"])),
        )
        mentees = group[group["is_on_shnor_list"]].sort_values("school_id", ignore_index=True)
        tutors = group[
            group["is_rated"]
            & (group["is_stable_high"] | group["is_resilient"])
            & ~group["is_on_shnor_list"]
        ].sort_values("school_id", ignore_index=True)
        if mentees.empty:
            continue
        distance = pair_distances(mentees, tutors, costs)
        for m, t in assign_partners(distance, support["tutor_capacity"]):
            mentee = mentees.iloc[m]
            tutor = tutors.iloc[t] if t is not None else None
            pairs.append(_pair_row(int(year), mentee, tutor, distance[m, t] if tutor is not None
                                   else np.nan))  # fmt: skip
    columns = [
        "exam_year", "school_id", "school_name", "municipality_name", "tutor_school_id",
        "tutor_school_name", "tutor_municipality_name", "tutor_kind", "distance",
        "is_same_municipality", "is_same_level", "is_same_settlement", "context_index",
        "tutor_context_index", "size", "tutor_size", "reason_text",
    ]  # fmt: skip
    return pd.DataFrame(pairs, columns=columns)


def _standardised(values: pd.Series, reference: pd.Series) -> pd.Series:
    """z-scores against `reference`; 0 where it has no spread (fewer than two values)."""
    values, reference = values.astype(float), reference.astype(float)
    spread = reference.std()
    if pd.isna(spread) or spread == 0:
        return pd.Series(0.0, index=values.index)
    return (values - reference.mean()) / spread


def _pair_row(year: int, mentee: pd.Series, tutor: pd.Series | None, distance: float) -> dict:
    base = {
        "exam_year": year,
        "school_id": mentee["school_id"],
        "school_name": mentee["school_name"],
        "municipality_name": mentee["municipality_name"],
        "context_index": mentee["context_index"],
        "size": float(mentee["size"]),
    }
    if tutor is None:
        return base | {
            "reason_text": "Школа-тьютор не назначена: у школ со стабильно высокими результатами "
            "и резильентных школ не осталось свободных мест (или таких школ нет)."
        }
    kinds = [k for k, flag in (("стабильно высокие результаты", tutor["is_stable_high"]),
                               ("резильентная школа", tutor["is_resilient"])) if flag]  # fmt: skip
    same_municipality = mentee["municipality_name"] == tutor["municipality_name"]
    same_level = mentee["school_level"] == tutor["school_level"]
    same_settlement = mentee["settlement_type"] == tutor["settlement_type"]
    parts = ["тот же муниципалитет" if same_municipality else "другой муниципалитет"]
    level = LEVEL_LABELS.get(tutor["school_level"], "уровень не указан")
    parts.append(f"оба {level}" if same_level else f"уровень тьютора {level}")
    settlement = SETTLEMENT_LABELS.get(tutor["settlement_type"], "не указан")
    parts.append(
        f"тип поселения один ({settlement})" if same_settlement else f"тьютор: {settlement}"
    )
    if pd.notna(mentee["context_index"]) and pd.notna(tutor["context_index"]):
        parts.append(
            f"индекс контекста {russian.number(mentee['context_index'], 2)} и "
            f"{russian.number(tutor['context_index'], 2)}"
        )
    parts.append(
        f"размер {russian.number(mentee['size'], 0)} и {russian.number(tutor['size'], 0)} уч."
    )
    return base | {
        "tutor_school_id": tutor["school_id"],
        "tutor_school_name": tutor["school_name"],
        "tutor_municipality_name": tutor["municipality_name"],
        "tutor_kind": ", ".join(kinds),
        "distance": float(distance),
        "is_same_municipality": bool(same_municipality),
        "is_same_level": bool(same_level),
        "is_same_settlement": bool(same_settlement),
        "tutor_context_index": tutor["context_index"],
        "tutor_size": float(tutor["size"]),
        "reason_text": f"Тьютор — {', '.join(kinds)}; "
        + "; ".join(parts)
        + f"; различие по признакам {russian.number(distance, 2)}.",
    }


def recommendations(
    results: pd.DataFrame,
    flags: pd.DataFrame,
    schools: pd.DataFrame,
    tasks: pd.DataFrame | None,
    preset: Preset,
    descriptions: pd.DataFrame | None = None,
    measures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per school on the list or in the risk group × year: at most five procedures ranked by
    the shrunk shortfall against the region, each with its weak ВПР tasks (what they check,
    from reference/task_descriptions.csv) and what to do (reference/support_measures.csv); one
    row per recommendation with its text in Russian."""
    descriptions = reference_frame("task_descriptions") if descriptions is None else descriptions
    measures = reference_frame("support_measures") if measures is None else measures
    chosen = flags.loc[flags["is_on_shnor_list"] | flags["is_risk_group"],
                       ["school_id", "exam_year", "is_on_shnor_list"]]  # fmt: skip
    frame = shrunk_shortfalls(results, chosen[["school_id", "exam_year"]], preset)
    frame = frame.merge(chosen, on=["school_id", "exam_year"], how="left")
    frame["school_group"] = np.where(frame["is_on_shnor_list"], "ШНОР", "группа риска")
    frame["procedure_name"] = [
        procedure_label(e, g, s) for e, g, s in frame[["exam", "grade", "subject"]].values
    ]
    frame["weak_tasks"] = ""
    frame["task_count"] = 0
    if tasks is not None and not tasks.empty and set(TASK_COLUMNS) <= set(tasks.columns):
        weak = described_tasks(weak_tasks(tasks, chosen[["school_id", "exam_year"]], preset),
                               descriptions)  # fmt: skip
        weak = weak.groupby(["school_id", "exam_year", "grade", "subject"], sort=False).head(
            preset["support.recommended_task_count"]
        )
        named = (
            weak.assign(phrase=[_task_phrase(r) for r in weak.itertuples()])
            .groupby(["school_id", "exam_year", "grade", "subject"], as_index=False)
            .agg(weak_tasks=("phrase", "; ".join), task_count=("phrase", "size"))
            .assign(exam="vpr")
        )
        keys = ["school_id", "exam_year", "exam", "grade", "subject"]
        frame = frame.drop(columns=["weak_tasks", "task_count"]).merge(named, on=keys, how="left")
        frame["weak_tasks"] = frame["weak_tasks"].fillna("")
        frame["task_count"] = frame["task_count"].fillna(0).astype(int)
    frame["measure"] = measures_for(measures, frame[["exam", "subject"]].values)
    frame["text"] = [_recommendation_text(r) for r in frame.itertuples()]
    frame = frame.merge(schools[SCHOOL_COLUMNS], on="school_id", how="left")
    frame["subject_name"] = frame["subject"].map(subject_label)
    frame = frame.rename(
        columns={
            "participant_count": "result_count",
            "fail_share": "value",
            "fail_share_lower": "value_lower",
            "fail_share_upper": "value_upper",
            "regional_share": "regional_value",
        }
    )
    frame["kind"] = "процедура"
    columns = [
        "exam_year", "school_id", "school_name", "municipality_name", "school_group", "kind",
        "rank", "exam", "grade", "subject", "subject_name", "procedure_name", "result_count",
        "fail_count", "value", "value_lower", "value_upper", "regional_value",
        "shrunk_fail_share", "shrunk_shortfall", "standardised_difference", "task_count",
        "weak_tasks", "measure", "text",
    ]  # fmt: skip
    return frame.reindex(columns=columns).sort_values(
        ["exam_year", "municipality_name", "school_id", "rank"], ignore_index=True
    )


def reference_frame(name: str) -> pd.DataFrame:
    """A packaged reference table (reports rebuilt without the warehouse's ref.* tables)."""
    text = resources.files("shnor.reference").joinpath(f"{name}.csv").read_text("utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _task_phrase(task) -> str:
    """«задание 9 (базовый уровень; проверяет: орфография): решаемость 38,3 % при 66,2 % по
    региону»."""
    checks = f"; проверяет: {task.checked_skill}" if task.checked_skill else ""
    return (
        f"задание {task.task} ({task.task_level} уровень{checks}): решаемость "
        f"{percent(task.solve_rate)} при {percent(task.regional_solve_rate)} по региону"
    )


def _recommendation_text(row) -> str:
    """One recommendation: the procedure and its evidence, the weak tasks, what to do."""
    fail = FAIL_WORDS.get(row.exam, "доля «2»")
    text = (
        f"{row.procedure_name}: {fail} "
        f"{russian.share_with_interval(row.fail_share, row.fail_share_lower, row.fail_share_upper)}"
        " при "
        f"{percent(row.regional_share)} по региону, n = {row.participant_count}; с учётом "
        f"размера выборки — на {russian.number(100 * row.shrunk_shortfall)}\u00a0п.п. хуже региона."
    )
    if row.weak_tasks:
        text += f" Слабые задания: {row.weak_tasks}."
    if row.measure:
        text += f" Что сделать: {row.measure}."
    return text
