"""The flags of docs/methodology.md for every school and year, with machine-readable reasons and a
Russian sentence per flagged school. Pure functions over school-grain frames.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from shnor import russian
from shnor.labels import percent, procedure_label
from shnor.methods.contextual import CVA_COLUMNS
from shnor.methods.dynamics import change_p_value, positive_dynamics
from shnor.methods.intervals import holm_adjusted
from shnor.methods.ranking import (
    above_median_mask,
    below_median_mask,
    best_share_mask,
    expected_count_mask,
    worst_share_mask,
)
from shnor.methods.risk_group import risk_group_mask, risk_group_priority
from shnor.presets import Preset

PROCEDURE_KEY = ["exam", "grade", "subject"]
FLAG_COLUMNS = (
    "school_id",
    "exam_year",
    "pool",
    "is_rated",
    "not_rated_reason",
    "counted_participant_count",
    "composite_score",
    "composite_lower",
    "composite_upper",
    "composite_percentile",
    "low_probability",
    "stable_low_probability",
    "next_low_probability",
    "is_low_result",
    "is_stable_low",
    "is_stable_low_confirmed",
    "is_recurrent_low",
    "is_stable_high",
    "is_absolute_risk",
    "is_risk_group",
    "risk_group_priority",
    "is_shnsu",
    "is_resilient",
    "has_objectivity_concern",
    "is_prevention_group",
    "is_on_shnor_list",
    "is_shnor_exit",
    "is_shnor_exit_pending",
    "has_positive_dynamics",
    "expected_fail_share",
    "improvement_p_value",
    "context_index",
    "expected_composite",
    "contextual_value_added",
    "contextual_value_added_lower",
    "contextual_value_added_upper",
    "contextual_value_added_percentile",
    "at_risk_student_share",
    "reasons",
    "reason_text",
    "preset",
)


def pool_ranks(scores: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Low/high result and above/below-median marks within each year × pool of rated schools."""
    ranked = scores.copy()
    rated_score = ranked["composite_score"].where(ranked["is_rated"])
    groups = rated_score.groupby([ranked["exam_year"], ranked["pool"]])
    ranked["is_low_result"] = groups.transform(
        lambda s: worst_share_mask(s, preset["flags.low_share"])
    ).astype(bool)
    ranked["is_high_result"] = groups.transform(
        lambda s: best_share_mask(s, preset["flags.high_share"])
    ).astype(bool)
    ranked["is_better_than_median"] = groups.transform(below_median_mask).astype(bool)
    ranked["is_worse_than_median"] = groups.transform(above_median_mask).astype(bool)
    # A pool with fewer rated schools than 1 / low_share flags nobody: the reasons say so.
    ranked["pool_rated_count"] = groups.transform("count").astype(int)
    return ranked


def _previous(frame: pd.DataFrame, columns: list[str], years_back: int = 1) -> pd.DataFrame:
    """The same school's values `years_back` years earlier, aligned to frame's rows."""
    earlier = frame[["school_id", "exam_year", *columns]].copy()
    earlier["exam_year"] = earlier["exam_year"] + years_back
    merged = frame[["school_id", "exam_year"]].merge(
        earlier, on=["school_id", "exam_year"], how="left"
    )
    return merged[columns].set_axis(frame.index)


def procedure_evidence(results: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Procedure-level risk evidence per school × year: high failing now, in both years, and
    significant deterioration; one row per school × year × procedure with a result."""
    rows = results[results["participant_count"] > 0].copy()
    rows["fail_share"] = rows["fail_count"] / rows["participant_count"]
    previous = rows[["school_id", "exam_year", *PROCEDURE_KEY, "participant_count", "fail_count"]]
    previous = previous.assign(exam_year=previous["exam_year"] + 1).rename(
        columns={
            "participant_count": "previous_participant_count",
            "fail_count": "previous_fail_count",
        }
    )
    rows = rows.merge(previous, on=["school_id", "exam_year", *PROCEDURE_KEY], how="left")
    rows["previous_fail_share"] = rows["previous_fail_count"] / rows["previous_participant_count"]

    absolute = preset["flags.absolute_risk"]
    rows["is_high_failing"] = (rows["participant_count"] >= absolute["min_participants"]) & (
        rows["fail_share"] >= absolute["fail_share"]
    )
    risk = preset["flags.risk_group"]
    enough = (rows["participant_count"] >= risk["persistent_min_participants"]) & (
        rows["previous_participant_count"] >= risk["persistent_min_participants"]
    )
    rows["is_persistent_failing"] = (
        enough
        & (rows["fail_share"] >= risk["persistent_fail_share"])
        & (rows["previous_fail_share"] >= risk["persistent_fail_share"])
    )
    rows["change_p_value"] = change_p_value(
        rows["previous_fail_count"].fillna(0).to_numpy(),
        rows["previous_participant_count"].fillna(0).to_numpy(),
        rows["fail_count"].to_numpy(),
        rows["participant_count"].to_numpy(),
        preset,
    )
    if risk["deterioration_multiple_testing"] == "holm":
        rows["change_p_value"] = holm_adjusted(
            rows["change_p_value"], [rows["school_id"], rows["exam_year"]]
        )
    rows["is_deteriorating"] = (
        # a tolerance, so that 30% − 20% counts as the 10 points it is in floating point
        (rows["fail_share"] - rows["previous_fail_share"] >= risk["deterioration_points"] - 1e-9)
        & (rows["change_p_value"] < risk["deterioration_alpha"])
    ).fillna(False)
    return rows


def school_flags(
    scores: pd.DataFrame,
    results: pd.DataFrame,
    context: pd.DataFrame,
    objectivity: pd.DataFrame,
    preset: Preset,
    *,
    value_added: pd.DataFrame | None = None,
    students: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """fct_school_flags: one row per school × year of `scores`, every flag of §4 with reasons.

    `context`: school_id, exam_year, context_index, is_shnsu. `objectivity`: school_id,
    exam_year, has_objectivity_concern (schools absent there have no concern found).
    `value_added`: school_id, exam_year, expected_composite, contextual_value_added (higher =
    better than like schools). `students`: school_id, exam_year, student_count,
    at_risk_student_count (ВПР students at risk, for the prevention group).
    """
    flags = pool_ranks(scores, preset)
    flags = flags.merge(context, on=["school_id", "exam_year"], how="left")
    flags = _with_value_added(flags, value_added, preset)
    flags = _with_prevention_group(flags, students, preset)
    flags = flags.merge(
        objectivity[["school_id", "exam_year", "has_objectivity_concern"]],
        on=["school_id", "exam_year"],
        how="left",
    )
    flags["is_shnsu"] = flags["is_shnsu"].astype("boolean").fillna(False).astype(bool)
    flags["has_objectivity_concern"] = (
        flags["has_objectivity_concern"].astype("boolean").fillna(False).astype(bool)
    )

    previous = _previous(
        flags,
        [
            "is_low_result",
            "is_high_result",
            "is_better_than_median",
            "low_probability",
            "has_objectivity_concern",
        ],
    )
    # P(worst share in Y−1 and Y) from the joint posterior of the two years (docs/methodology.md),
    # as fitted with the scores; NaN where the school was not rated in Y−1.
    flags["stable_low_probability"] = flags["stable_low_probability"].where(
        previous["is_low_result"].notna() & flags["is_rated"]
    )
    flags["is_stable_low"] = stable_low_mask(flags, preset)
    flags["is_stable_low_confirmed"] = flags["is_stable_low"] & (
        flags["stable_low_probability"] >= preset["flags.confirmed_stable_low_probability"]
    )
    window = preset["flags.recurrent_window_years"]
    earlier_low = {
        back: _previous(flags, ["is_low_result"], back)["is_low_result"]
        .astype("boolean")
        .fillna(False)
        .astype(bool)
        for back in range(1, window)
    }
    flags["earlier_low_years"] = [
        [int(year) - back for back in earlier_low if earlier_low[back].iloc[i]]
        for i, year in enumerate(flags["exam_year"])
    ]
    low_years = flags["is_low_result"].astype(int) + flags["earlier_low_years"].map(len)
    flags["is_recurrent_low"] = flags["is_rated"] & (
        low_years >= preset["flags.recurrent_low_years"]
    )
    # A concern in either year blocks the positive flags (docs/methodology.md).
    no_concern = ~flags["has_objectivity_concern"] & ~previous["has_objectivity_concern"].astype(
        "boolean"
    ).fillna(False).astype(bool)
    flags["is_stable_high"] = (
        flags["is_high_result"]
        & previous["is_high_result"].astype("boolean").fillna(False).astype(bool)
        & no_concern
    )
    # Resilient: hard conditions and results better than the median, or value added among the
    # best, in Y−1 and Y (docs/methodology.md).
    doing_well = {
        "median": flags["is_better_than_median"],
        "value_added": flags["is_value_added_best"],
        "either": flags["is_better_than_median"] | flags["is_value_added_best"],
    }[preset["context.resilient_by"]]
    did_well = _previous(flags.assign(doing_well=doing_well), ["doing_well"])["doing_well"]
    flags["is_resilient"] = (
        flags["is_shnsu"]
        & doing_well
        & did_well.astype("boolean").fillna(False).astype(bool)
        & no_concern
    )
    flags = _with_shnor_exit(flags, preset)

    evidence = procedure_evidence(results, preset)
    flags = flags.merge(
        _procedure_reasons(evidence, preset), on=["school_id", "exam_year"], how="left"
    )
    absolute = preset["flags.absolute_risk"]
    flags["is_absolute_risk"] = (
        flags["high_failing"].map(len, na_action="ignore").fillna(0) >= absolute["procedure_count"]
    ) & flags["is_rated"]

    flags["is_risk_group"] = risk_group_mask(flags, preset)
    flags["risk_group_priority"] = risk_group_priority(flags)
    reasons = [_reasons_of(row, preset) for row in flags.itertuples(index=False)]
    flags["reasons"] = [json.dumps(r, ensure_ascii=False) for r in reasons]
    flags["reason_text"] = [_sentence(r) for r in reasons]
    flags["preset"] = preset.label
    return flags[list(FLAG_COLUMNS)].sort_values(["exam_year", "school_id"], ignore_index=True)


def stable_low_mask(flags: pd.DataFrame, preset: Preset) -> pd.Series:
    """Low in Y−1 and Y (docs/methodology.md §4) for the rows of `flags` (pool ranks of every
    year). Rule "joint" (default): in each year × pool, the schools most likely low in both
    years by the joint model (`stable_low_probability`), as many as the pool's expected number
    of such schools (Σ of the calibrated probabilities) — both years' evidence and the
    persistence between them weighed together; ranking each year's own composite apart
    discards the persistence (with schools of equal size it is the pooled raw fail share
    again). A pool-year without the joint probability (no shrinkage) and rule "both_years"
    use `is_low_result` in both years."""
    previous = _previous(flags, ["is_low_result"])["is_low_result"]
    both_years = flags["is_low_result"] & previous.astype("boolean").fillna(False).astype(bool)
    if preset["flags.stable_low_rule"] == "both_years":
        return both_years
    rated_both = flags["is_rated"] & previous.notna()
    probability = flags["stable_low_probability"].where(rated_both).astype(float)
    groups = probability.groupby([flags["exam_year"], flags["pool"]])
    joint = groups.transform(expected_count_mask).astype(bool)
    has_joint = groups.transform("count") > 0
    return joint.where(has_joint, both_years).astype(bool)


def low_and_stable_low(scores: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """`scores` with `is_low_result` and `is_stable_low` by the flags' own rules (for
    sensitivity runs that vary the preset)."""
    ranked = pool_ranks(scores, preset)
    ranked["is_stable_low"] = stable_low_mask(ranked, preset)
    return ranked


def _with_value_added(
    flags: pd.DataFrame, value_added: pd.DataFrame | None, preset: Preset
) -> pd.DataFrame:
    """Contextual value added and whether it is among the best of the year × pool."""
    columns = CVA_COLUMNS
    value_added = value_added if value_added is not None else pd.DataFrame(columns=columns)
    value_added = value_added.reindex(columns=columns).astype({"exam_year": "int64"})
    flags = flags.merge(value_added, on=["school_id", "exam_year"], how="left")
    share = preset["context.resilient_cva_best_share"]
    rated = (-flags["contextual_value_added"].astype(float)).where(flags["is_rated"])
    if share > 0:
        best = rated.groupby([flags["exam_year"], flags["pool"]]).transform(
            lambda s: best_share_mask(s, share)
        )
        flags["is_value_added_best"] = best.astype(bool)
    else:
        flags["is_value_added_best"] = False
    return flags


def _with_prevention_group(
    flags: pd.DataFrame, students: pd.DataFrame | None, preset: Preset
) -> pd.DataFrame:
    """Share of ВПР students at risk and the prevention group: that share among the worst."""
    columns = ["school_id", "exam_year", "student_count", "at_risk_student_count"]
    students = students if students is not None else pd.DataFrame(columns=columns)
    flags = flags.merge(
        students[columns].rename(columns={"student_count": "vpr_student_count"}),
        on=["school_id", "exam_year"],
        how="left",
    )
    count = flags["vpr_student_count"].astype(float)
    flags["at_risk_student_share"] = flags["at_risk_student_count"] / count.where(count > 0)
    rated = flags["at_risk_student_share"].where(flags["is_rated"])
    worst = rated.groupby([flags["exam_year"], flags["pool"]]).transform(
        lambda s: worst_share_mask(s, preset["flags.prevention_group.worst_share"])
    )
    flags["is_prevention_group"] = worst.astype(bool)
    return flags


def _with_shnor_exit(flags: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """ШНОР list membership across years and exit (docs/methodology.md): a school on the list leaves
    it after not being low for `exit.not_low_years` consecutive calendar years, or after one
    year of positive dynamics beyond the predicted (§7), never with an objectivity concern;
    until then it stays on the list (`is_shnor_exit_pending`)."""
    # «положительная динамика» against the posterior predictive (docs/methodology.md), the rule
    # the year-on-year report uses too.
    previous_count = _previous(flags, ["counted_participant_count"])["counted_participant_count"]
    flags["has_positive_dynamics"] = (
        positive_dynamics(
            flags["improvement_p_value"], previous_count, flags["counted_participant_count"], preset
        )
        & flags["is_rated"]
    )
    needed = preset["exit.not_low_years"]
    on_list: dict[str, bool] = {}
    not_low_run: dict[str, tuple[int, int]] = {}  # school → (last year seen, consecutive run)
    membership, exits = [], []
    for row in flags.sort_values("exam_year").itertuples():
        was_on = on_list.get(row.school_id, False)
        not_low = row.is_rated and not row.is_low_result
        last_year, run = not_low_run.get(row.school_id, (None, 0))
        consecutive = last_year is not None and row.exam_year == last_year + 1
        run = (run + 1 if consecutive else 1) if not_low else 0
        not_low_run[row.school_id] = (row.exam_year, run)
        # A concern blocks every way out (docs/methodology.md): inflated marks must not lead out.
        exits_now = (
            was_on
            and not row.is_stable_low
            and not_low
            and not row.has_objectivity_concern
            and (run >= needed or row.has_positive_dynamics)
        )
        now_on = bool(row.is_stable_low or (was_on and not exits_now))
        on_list[row.school_id] = now_on
        membership.append((row.Index, now_on))
        exits.append((row.Index, bool(exits_now)))
    flags["is_on_shnor_list"] = pd.Series(dict(membership)).reindex(flags.index).fillna(False)
    flags["is_shnor_exit"] = pd.Series(dict(exits)).reindex(flags.index).fillna(False)
    flags["is_shnor_exit_pending"] = flags["is_on_shnor_list"] & ~flags["is_stable_low"]
    return flags


_POOL_NAMES = {"region": "весь регион", "unknown": "тип не указан"}


def _procedure_reasons(evidence: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year: lists of procedures behind the procedure-level rules (an empty list
    where none), in the order of the evidence rows."""
    keys = ["school_id", "exam_year"]
    evidence = evidence.dropna(subset=keys)
    reasons = evidence[keys].drop_duplicates().reset_index(drop=True)
    for column, rule in (
        ("high_failing", "is_high_failing"),
        ("persistent_failing", "is_persistent_failing"),
        ("deteriorating", "is_deteriorating"),
    ):
        rows = evidence[evidence[rule]]
        listed = pd.Series(
            [
                {
                    "exam": exam,
                    "grade": int(grade),
                    "subject": subject,
                    "participant_count": int(count),
                    "fail_share": _rounded(share, 4),
                    "previous_fail_share": _rounded(previous, 4),
                }
                for exam, grade, subject, count, share, previous in zip(
                    rows["exam"],
                    rows["grade"],
                    rows["subject"],
                    rows["participant_count"],
                    rows["fail_share"],
                    rows["previous_fail_share"],
                    strict=True,
                )
            ],
            index=rows.index,
            dtype=object,
        )
        grouped = listed.groupby([rows[k] for k in keys], sort=False).agg(list).rename(column)
        reasons = reasons.merge(grouped.reset_index(), on=keys, how="left")
        reasons[column] = [v if isinstance(v, list) else [] for v in reasons[column]]
    return reasons


def _rounded(value: Any, digits: int) -> float | None:
    """A number for the reasons JSON: rounded, and None (JSON null) where it is missing."""
    return None if pd.isna(value) else round(float(value), digits)


def _reasons_of(row: Any, preset: Preset) -> list[dict[str, Any]]:
    """Machine-readable reasons: which rule fired, on which values."""
    if not row.is_rated:
        return [{"rule": "not_rated", "reason": row.not_rated_reason}]
    year = int(row.exam_year)
    composite = {
        "composite_score": _rounded(row.composite_score, 4),
        "composite_percentile": _rounded(row.composite_percentile, 1),
        "low_probability": _rounded(row.low_probability, 4),
    }
    reasons: list[dict[str, Any]] = []
    low_share = preset["flags.low_share"]
    if row.pool_rated_count * low_share < 1 - 1e-9:
        reasons.append(
            {"rule": "pool_too_small", "pool": row.pool, "pool_rated_count": row.pool_rated_count,
             "min_pool_size": math.ceil(1 / low_share - 1e-9) if low_share > 0 else None}
        )  # fmt: skip
    if row.is_stable_low:
        reasons.append(
            {
                "rule": "stable_low",
                "years": [year - 1, year],
                "low_share": low_share,
                "stable_low_probability": _rounded(row.stable_low_probability, 4),
                "is_confirmed": bool(row.is_stable_low_confirmed),
                **composite,
            }
        )
    elif row.is_recurrent_low:
        low_years = sorted(row.earlier_low_years + ([year] if row.is_low_result else []))
        reasons.append({"rule": "recurrent_low", "years": low_years, **composite})
    elif row.is_low_result:
        reasons.append(
            {"rule": "first_time_low", "year": year, "low_share": preset["flags.low_share"],
             **composite}
        )  # fmt: skip
    absolute = preset["flags.absolute_risk"]
    if isinstance(row.high_failing, list) and len(row.high_failing) >= absolute["procedure_count"]:
        reasons.append({"rule": "absolute_risk", "procedures": row.high_failing})
    if isinstance(row.persistent_failing, list) and row.persistent_failing:
        reasons.append(
            {"rule": "persistent_failing_procedure", "procedures": row.persistent_failing}
        )
    if isinstance(row.deteriorating, list) and row.deteriorating:
        reasons.append({"rule": "significant_deterioration", "procedures": row.deteriorating})
    if row.is_shnsu and row.is_worse_than_median:
        reasons.append(
            {"rule": "shnsu_below_median", "context_index": _rounded(row.context_index, 3)}
        )
    if row.is_risk_group:
        reasons.append(
            {"rule": "likely_low_next_year", "year": year + 1, "low_share": low_share,
             "next_low_probability": _rounded(row.next_low_probability, 4),
             "priority": int(row.risk_group_priority)}
        )  # fmt: skip
    if row.is_shnor_exit_pending:
        reasons.append({"rule": "shnor_exit_pending", "year": year})
    if row.is_shnor_exit:
        reasons.append(
            {"rule": "shnor_exit", "year": year, "not_low_years": preset["exit.not_low_years"],
             "by_improvement": bool(row.has_positive_dynamics)}
        )  # fmt: skip
    if row.is_prevention_group:
        reasons.append(
            {"rule": "prevention_group",
             "at_risk_student_share": _rounded(row.at_risk_student_share, 4),
             "at_risk_student_count": int(row.at_risk_student_count)}
        )  # fmt: skip
    if row.is_stable_high:
        reasons.append({"rule": "stable_high", "years": [year - 1, year], **composite})
    if row.is_resilient:
        reasons.append(
            {"rule": "resilient", "years": [year - 1, year], "by": preset["context.resilient_by"],
             **composite}
        )  # fmt: skip
    if row.has_objectivity_concern:
        reasons.append({"rule": "objectivity_concern"})
    return reasons


def _procedures_text(procedures: list[dict[str, Any]], with_previous: bool = False) -> str:
    parts = []
    for p in procedures[:5]:
        label = procedure_label(p["exam"], p["grade"], p["subject"])
        share = percent(p["fail_share"])
        if with_previous and p.get("previous_fail_share") is not None:
            share = f"{percent(p['previous_fail_share'])} → {share}"
        parts.append(f"{label} — {share}")
    more = f" и ещё {len(procedures) - 5}" if len(procedures) > 5 else ""
    return "; ".join(parts) + more


def _stable_low_probability_text(probability: float | None, low_share: float) -> str:
    """The sentence's words on the joint probability of the two years, or why there is none
    (persistence not estimable in the pool, or the sensitivity run without shrinkage)."""
    if probability is None:
        return "вероятность устойчиво низких результатов не вычисляется"
    return (
        f"вероятность оказаться среди {russian.percent(low_share, 0)} худших в оба года "
        f"{russian.percent(probability, 0)}"
    )


def _sentence(reasons: list[dict[str, Any]]) -> str:
    """One Russian sentence per school, listing every reason with its evidence."""
    texts = []
    for r in reasons:
        rule = r["rule"]
        if rule == "not_rated":
            texts.append(f"Не оценивается: {r['reason']}")
        elif rule == "stable_low":
            confirmed = ", статистически подтверждено" if r["is_confirmed"] else ""
            # Under the joint rule a school is judged on both years together, so the sentence
            # names the year of the percentile and never claims each year's rank apart.
            texts.append(
                f"Низкие результаты два года подряд ({r['years'][0]} и {r['years'][1]}), по "
                f"совокупности двух лет: процентиль школьного эффекта в {r['years'][1]} году "
                f"{r['composite_percentile']:.0f} из 100 (100 — худший), "
                f"{_stable_low_probability_text(r['stable_low_probability'], r['low_share'])}"
                f"{confirmed}"
            )
        elif rule == "first_time_low":
            texts.append(
                f"Впервые в числе школ с низкими результатами ({r['year']}), вероятность "
                f"попадания в {russian.percent(r['low_share'], 0)} худших "
                f"{russian.percent(r['low_probability'], 0)}"
            )
        elif rule == "recurrent_low":
            years = ", ".join(map(str, r["years"]))
            texts.append(f"Повторно низкие результаты (годы: {years})")
        elif rule == "absolute_risk":
            texts.append("Высокая доля не преодолевших порог: " + _procedures_text(r["procedures"]))
        elif rule == "persistent_failing_procedure":
            texts.append(
                "Высокая доля неудовлетворительных результатов два года подряд: "
                + _procedures_text(r["procedures"], with_previous=True)
            )
        elif rule == "significant_deterioration":
            texts.append(
                "Значимое ухудшение: " + _procedures_text(r["procedures"], with_previous=True)
            )
        elif rule == "shnsu_below_median":
            texts.append("ШНСУ с результатами хуже медианы")
        elif rule == "likely_low_next_year":
            texts.append(
                f"Группа риска: вероятность попасть в {russian.percent(r['low_share'], 0)} худших "
                f"в {r['year']} году {russian.percent(r['next_low_probability'], 0)} "
                f"(очерёдность поддержки "
                f"{r['priority']})"
            )
        elif rule == "shnor_exit_pending":
            texts.append("Остаётся в списке ШНОР до выполнения условий выхода")
        elif rule == "shnor_exit":
            how = (
                "значимое улучшение"
                if r["by_improvement"]
                else f"лет подряд без низких результатов: {r['not_low_years']}"
            )
            texts.append(f"Выход из ШНОР ({how})")
        elif rule == "prevention_group":
            texts.append(
                "Группа профилактики: "
                f"{russian.counted(int(r['at_risk_student_count']), 'обучающийся')} "
                f"({percent(r['at_risk_student_share'])}) с риском учебной неуспешности"
            )
        elif rule == "stable_high":
            texts.append("Стабильно высокие результаты два года подряд")
        elif rule == "resilient":
            by = {
                "median": "результаты лучше медианы",
                "value_added": "контекстная добавленная ценность среди лучших",
                "either": "результаты лучше медианы или добавленная ценность среди лучших",
            }[r["by"]]
            texts.append(f"Резильентная школа: сложные условия, {by} два года подряд")
        elif rule == "pool_too_small":
            pool = _POOL_NAMES.get(r["pool"], r["pool"])
            texts.append(
                f"В группе сравнения «{pool}» оценено школ: {r['pool_rated_count']} — "
                f"меньше {r['min_pool_size']}, поэтому низкие и высокие результаты в ней "
                "не отмечаются"
            )
        elif rule == "objectivity_concern":
            texts.append("Результаты ВПР требуют дополнительного анализа объективности")
    return ". ".join(texts) + ("." if texts else "")


def naive_stable_low(results: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Baseline for evaluation: worst share by pooled raw fail share in Y−1 and Y (rated only)."""
    pooled = results.groupby(["school_id", "exam_year"], as_index=False)[
        ["participant_count", "fail_count"]
    ].sum()
    pooled = pooled[pooled["participant_count"] >= preset["small_samples.min_rated_participants"]]
    pooled["pooled_fail_share"] = pooled["fail_count"] / pooled["participant_count"]
    pooled["is_low"] = pooled.groupby("exam_year")["pooled_fail_share"].transform(
        lambda s: worst_share_mask(s, preset["flags.low_share"])
    )
    previous = _previous(pooled, ["is_low"])["is_low"].astype("boolean").fillna(False)
    pooled["is_stable_low"] = pooled["is_low"].astype(bool) & previous.astype(bool).to_numpy()
    columns = ["school_id", "exam_year", "pooled_fail_share", "is_low", "is_stable_low"]
    return pooled[columns].reset_index(drop=True)
