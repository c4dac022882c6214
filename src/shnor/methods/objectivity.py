"""ВПР objectivity markers M1–M5 of docs/methodology.md and the school-level concern.

Markers say «требует дополнительного анализа», never a verdict. Every marker needs at least
`objectivity.min_participants` results in the procedure, and the comparative ones a one-sided
test against the region, so that small classes are not marked by chance (docs/methodology.md).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy.stats import binom, poisson

from shnor.methods.intervals import holm_adjusted, two_proportion_z_test
from shnor.presets import Preset

PROCEDURE = ["school_id", "exam_year", "grade", "subject"]
MARKERS = {
    "m1_journal_mismatch": "M1: расхождение с отметками по журналу",
    "m2_boundary_spike": "M2: всплеск первичных баллов на границе «3»",
    "m3_best_vpr_not_exams": "M3: лучшие результаты ВПР при не высоких ОГЭ/ЕГЭ",
    "m4_sudden_drop": "M4: резкое снижение доли «2» к прошлому году",
    "m5_absentees": "M5: много отсутствовавших",
}
POOLED_MARKERS = {
    "pooled_boundary_spike": "всплеск баллов на границе «3» по всем ВПР школы",
    "pooled_raised_marks": "отметки ВПР выше журнальных по всем ВПР школы",
}


def exams_not_high(results: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year: True when the school's pooled ОГЭ/ЕГЭ fail share is not among the
    best `objectivity.exam_high_share` of schools with exams (M3 needs it); no exams → absent."""
    minimum = preset["objectivity.min_participants"]
    exams = results[results["exam"].isin(["oge", "ege"])]
    pooled = exams.groupby(["school_id", "exam_year"], as_index=False)[
        ["participant_count", "fail_count"]
    ].sum()
    pooled = pooled[pooled["participant_count"] >= minimum].copy()
    pooled["exam_fail_share"] = pooled["fail_count"] / pooled["participant_count"]
    # Ties at the best exam results count as best (as in the ВПР half of M3).
    rank = pooled.groupby("exam_year")["exam_fail_share"].rank(pct=True, method="min")
    pooled["are_exams_not_high"] = rank > preset["objectivity.exam_high_share"]
    return pooled[["school_id", "exam_year", "exam_fail_share", "are_exams_not_high"]]


def objectivity_markers(
    evidence: pd.DataFrame, results: pd.DataFrame, preset: Preset
) -> pd.DataFrame:
    """Per ВПР procedure of a school (int_vpr_objectivity_evidence rows): each marker and the
    values behind it, plus `marker_count`."""
    o = preset["objectivity"]
    m = evidence.copy()
    enough = m["participant_count"] >= o["min_participants"]

    # M1. Under "vpr_above_journal" the marks raised above the journal question ВПР; under
    # "both" any change does (raised or lowered), and the mean gap counts either way.
    pairs = m["journal_pair_count"]
    both = o["journal_gap_direction"] == "both"
    changed = m["raised_count"] + m["lowered_count"] if both else m["raised_count"]
    regional_changed = m["regional_changed_share"] if both else m["regional_raised_share"]
    m["changed_share"] = changed / pairs.where(pairs > 0)
    changed_cut = (
        m[pairs >= o["min_participants"]]
        .groupby(["exam_year", "grade", "subject"])["changed_share"]
        .quantile(o["journal_changed_share_percentile"])
    )
    m["changed_share_cut"] = m.set_index(["exam_year", "grade", "subject"]).index.map(changed_cut)
    # A procedure too small for a marker is no member of the Holm family (p = NaN).
    m["changed_p_value"] = _within_school_year(
        m,
        np.where(
            pairs >= o["min_participants"], binom.sf(changed - 1, pairs, regional_changed), np.nan
        ),
        preset,
    )
    gap = m["mean_mark_minus_journal"]
    m["is_journal_above_vpr"] = (pairs >= o["min_participants"]) & (gap <= -o["journal_mean_gap"])
    counted_gap = gap.abs() if both else gap
    m["m1_journal_mismatch"] = (pairs >= o["min_participants"]) & (
        (counted_gap >= o["journal_mean_gap"])
        | (
            (m["changed_share"] > m["changed_share_cut"])
            & (m["changed_p_value"] < o["journal_changed_p_value"])
        )
    )

    scored = m["scored_count"]
    m["at_boundary_share"] = m["at_boundary_count"] / scored.where(scored > 0)
    # The test is local (the boundary score among its neighbours ±1), so a weaker school, which
    # simply has more pupils near the boundary, is not mistaken for a spike.
    m["boundary_p_value"] = _within_school_year(
        m,
        np.where(
            scored >= o["min_participants"],
            binom.sf(
                m["at_boundary_count"] - 1,
                m["near_boundary_count"],
                m["regional_boundary_window_share"],
            ),
            np.nan,
        ),
        preset,
    )
    m["m2_boundary_spike"] = (
        (scored >= o["min_participants"])
        & m["boundary_score"].notna()
        & (
            (m["at_boundary_share"] >= o["boundary_spike_share"])
            | (m["boundary_p_value"] < o["boundary_spike_p_value"])
        )
    )

    m["fail_share"] = m["fail_count"] / m["participant_count"].where(m["participant_count"] > 0)
    keys = ["exam_year", "grade", "subject"]
    ranked = m[enough]
    # Ties at the best value count as best (many schools share a fail share of 0).
    fail_rank = ranked.groupby(keys)["fail_share"].rank(pct=True, method="min")
    mean_rank = ranked.groupby(keys)["mean_mark"].rank(pct=True, ascending=False, method="min")
    m["is_best_vpr"] = (
        (fail_rank <= o["best_fail_share"]) & (mean_rank <= o["best_mean_share"])
    ).reindex(m.index, fill_value=False)
    exams = exams_not_high(results, preset)
    m = m.merge(exams, on=["school_id", "exam_year"], how="left")
    m["m3_best_vpr_not_exams"] = m["is_best_vpr"] & m["are_exams_not_high"].fillna(False).astype(
        bool
    )

    previous = m[[*PROCEDURE, "participant_count", "fail_count"]].assign(
        exam_year=m["exam_year"] + 1
    )
    m = m.merge(previous, on=PROCEDURE, how="left", suffixes=("", "_previous"))
    previous_share = m["fail_count_previous"] / m["participant_count_previous"]
    m["drop_p_value"] = _within_school_year(
        m,
        np.where(
            (m["participant_count"] >= o["min_participants"])
            & (m["participant_count_previous"] >= o["min_participants"]),
            two_proportion_z_test(
                m["fail_count_previous"].fillna(0).to_numpy(),
                m["participant_count_previous"].fillna(0).to_numpy(),
                m["fail_count"].to_numpy(),
                m["participant_count"].to_numpy(),
            ),
            np.nan,
        ),
        preset,
    )
    m["m4_sudden_drop"] = (
        (m["participant_count"] >= o["min_participants"])
        & (m["participant_count_previous"] >= o["min_participants"])
        & (previous_share - m["fail_share"] >= o["sudden_drop_points"] - 1e-9)
        & (m["drop_p_value"] < o["sudden_drop_alpha"])
    ).fillna(False)

    listed = m["listed_count"]
    m["absent_share"] = m["absent_count"] / listed.where(listed > 0)
    m["m5_absentees"] = (listed >= o["min_participants"]) & (m["absent_share"] > o["absent_share"])

    for marker in MARKERS:
        m[marker] = m[marker].fillna(False).astype(bool)
    m["marker_count"] = m[list(MARKERS)].sum(axis=1).astype(int)
    return m.drop(columns=["participant_count_previous", "fail_count_previous"])


def _within_school_year(frame: pd.DataFrame, p_values: object, preset: Preset) -> pd.Series:
    """P-values as the preset wants them: Holm-adjusted within each school-year, or as they are."""
    values = pd.Series(np.asarray(p_values, dtype=float), index=frame.index)
    if preset["objectivity.multiple_testing"] == "none":
        return values
    return holm_adjusted(values, [frame["school_id"], frame["exam_year"]])


def pooled_tests(markers: pd.DataFrame) -> pd.DataFrame:
    """Per school × year: Poisson tests pooled over all its ВПР procedures — results at the
    «3» boundary and marks raised above the journal, against the counts the region's shares
    predict. They carry the small schools whose procedures are each too small to mark."""
    m = markers.assign(
        expected_at_boundary=markers["near_boundary_count"]
        * markers["regional_boundary_window_share"],
        expected_raised=markers["journal_pair_count"] * markers["regional_raised_share"],
    )
    m = m[m["boundary_score"].notna() | (m["journal_pair_count"] > 0)]
    pooled = m.groupby(["school_id", "exam_year"], as_index=False)[
        ["at_boundary_count", "expected_at_boundary", "raised_count", "expected_raised",
         "scored_count", "journal_pair_count"]
    ].sum(min_count=1)  # fmt: skip
    pooled["pooled_boundary_p_value"] = poisson.sf(
        pooled["at_boundary_count"] - 1, pooled["expected_at_boundary"]
    )
    pooled["pooled_raised_p_value"] = poisson.sf(
        pooled["raised_count"] - 1, pooled["expected_raised"]
    )
    return pooled


def objectivity_concerns(markers: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year with ВПР: has_objectivity_concern when one procedure carries
    ≥ `markers_in_one_procedure` markers or ≥ `procedures_with_marker` procedures carry one;
    `objectivity_reasons` (JSON) lists the marked procedures."""
    o = preset["objectivity"]
    keys = ["school_id", "exam_year"]
    marked = markers[markers["marker_count"] > 0]
    entries = pd.Series(
        [
            {
                "grade": int(grade),
                "subject": subject,
                "markers": [name for name, value in zip(MARKERS, values, strict=True) if value],
            }
            for grade, subject, *values in zip(
                marked["grade"], marked["subject"], *(marked[m] for m in MARKERS), strict=True
            )
        ],
        index=marked.index,
        dtype=object,
    )
    by_key = marked.groupby(keys)
    listed_by_key = entries.groupby([marked[k] for k in keys]).agg(list).to_dict()
    count_by_key = by_key.size().to_dict()
    most_by_key = by_key["marker_count"].max().to_dict()
    pooled = pooled_tests(markers)
    enough, alpha = o["min_participants"], o["pooled_p_value"]
    boundary = (pooled["scored_count"] >= enough) & (pooled["pooled_boundary_p_value"] < alpha)
    raised = (pooled["journal_pair_count"] >= enough) & (pooled["pooled_raised_p_value"] < alpha)
    pooled_flags = {
        (school, year): [
            name
            for name, fired in (("pooled_boundary_spike", b), ("pooled_raised_marks", r))
            if fired
        ]
        for school, year, b, r in zip(
            pooled["school_id"], pooled["exam_year"], boundary, raised, strict=True
        )
        if alpha > 0
    }
    result = []
    for key in markers[keys].drop_duplicates().itertuples(index=False, name=None):
        procedure_count = count_by_key.get(key, 0)
        most = int(most_by_key.get(key, 0))
        pooled_markers = pooled_flags.get(key, [])
        concern = (
            most >= o["markers_in_one_procedure"]
            or procedure_count >= o["procedures_with_marker"]
            or bool(pooled_markers)
        )
        listed = list(listed_by_key.get(key, []))
        if pooled_markers:
            listed.append({"grade": None, "subject": "all", "markers": pooled_markers})
        result.append(
            {
                "school_id": key[0],
                "exam_year": int(key[1]),
                "has_objectivity_concern": bool(concern),
                "marked_procedure_count": procedure_count,
                "objectivity_reasons": json.dumps(listed, ensure_ascii=False),
            }
        )
    columns = ["school_id", "exam_year", "has_objectivity_concern", "marked_procedure_count",
               "objectivity_reasons"]  # fmt: skip
    return pd.DataFrame(result, columns=columns)


def vpr_evidence_mask(results: pd.DataFrame, concerns: pd.DataFrame, preset: Preset) -> pd.Series:
    """True for result rows usable as evidence: ВПР rows of a school-year with an objectivity
    concern are set aside (docs/methodology.md) when the preset says so; ОГЭ/ЕГЭ always count."""
    if not preset["school_effect.exclude_vpr_with_objectivity_concern"]:
        return pd.Series(True, index=results.index)
    flagged = concerns.loc[concerns["has_objectivity_concern"], ["school_id", "exam_year"]]
    keys = pd.MultiIndex.from_frame(results[["school_id", "exam_year"]])
    in_concern = keys.isin(pd.MultiIndex.from_frame(flagged))
    return pd.Series(~(in_concern & (results["exam"] == "vpr").to_numpy()), index=results.index)
