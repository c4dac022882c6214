"""ВПР objectivity markers M1–M5 of docs/methodology.md and the school-level concern.

Markers say «требует дополнительного анализа», never a verdict. Every marker needs at least
`objectivity.min_participants` results in the procedure, and the comparative ones a one-sided
test against the region, so that small classes are not marked by chance (docs/methodology.md).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln
from scipy.stats import binom, chi2, poisson

from shnor.methods.intervals import holm_adjusted, two_proportion_z_test
from shnor.methods.objectivity_exams import vpr_below_exams_p_values
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
SCHOOL_TESTS = {
    "school_raised_marks": "отметки ВПР выше журнальных (по всем ВПР школы)",
    "school_boundary_spike": "всплеск баллов на границе «3» (по всем ВПР школы)",
    "school_absentees": "много отсутствовавших (по всем ВПР школы, один раз на школу)",
    "school_fail_drop": "доля «2» ниже прошлогодней сильнее, чем в регионе",
    "school_vpr_below_exams": "«2» на ВПР намного меньше, чем предсказывают ОГЭ/ЕГЭ школы",
}
"""The school-level tests of the concern (§6): each pools a school's ВПР of the year and is
judged against the region's own between-school spread (beta-binomial, dispersion fitted on the
region), so a school trait — journal leniency, absence — counts once and as the region shows it."""
SCHOOL_TEST_REASON_P = 0.05
"""A school test is named among the reasons of a concern when its own p-value is below this."""


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
    # A spike is what the local sampling test finds; a large share alone (a weak class has
    # many pupils near the boundary) is no marker.
    m["m2_boundary_spike"] = (
        (scored >= o["min_participants"])
        & m["boundary_score"].notna()
        & (m["boundary_p_value"] < o["boundary_spike_p_value"])
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
    # The graded M3 (a school test): the school's ВПР fails against what its exams predict.
    below_exams = vpr_below_exams_p_values(evidence, results, o["min_participants"])
    m = m.merge(below_exams, on=["school_id", "exam_year"], how="left")

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

    # Summary-only procedures have no listed pupils (nullable NA): NaN, so no marker, no error.
    listed = m["listed_count"].astype("float64")
    absent = m["absent_count"].astype("float64")
    m["absent_share"] = absent / listed.where(listed > 0)
    regional_absent = m.groupby(keys)["absent_count"].transform("sum") / m.groupby(keys)[
        "listed_count"
    ].transform("sum").where(lambda t: t > 0)
    m["regional_absent_share"] = regional_absent
    # A share above the threshold by chance is no marker: binomial against the region's share.
    m["absent_p_value"] = np.where(
        listed >= o["min_participants"],
        binom.sf(absent - 1, listed, regional_absent.fillna(0.0).clip(1e-9, 1.0)),
        np.nan,
    )
    m["m5_absentees"] = (
        (listed >= o["min_participants"])
        & (m["absent_share"] > o["absent_share"])
        & (m["absent_p_value"] < o["absent_p_value"])
    )

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


def overdispersed_p_values(
    observed: np.ndarray, trials: np.ndarray, share: np.ndarray, *, upper: bool = True
) -> tuple[np.ndarray, float]:
    """Return one-sided mid-p values of counts against a beta-binomial with each row's expected
    share and one intra-class correlation fitted on the region, and that correlation.

    The correlation is the smallest at which the central half of the region's mid-p values
    spans half of [0, 1] (their interquartile range is ½ under the null): fitted on the middle of
    the region, so a minority of inflating schools in the upper tail does not widen the null."""
    observed, trials, share = (np.asarray(v, dtype=float) for v in (observed, trials, share))
    share = np.clip(share, 1e-6, 1 - 1e-6)
    k, n = np.rint(observed), np.rint(trials)

    # The mid-p reads each row's pmf up to its own k only: the support 0…k of all rows laid end
    # to end (row, x), so a step of the fit costs Σ(k + 1) terms, not rows × the largest n. The
    # terms below k are summed in a rows × (largest n + 1) table, as over the whole support:
    # the same sums to the last bit, so a tiny upper p-value (1 − lower tail) does not move.
    lengths = k.astype(np.intp) + 1
    last = np.cumsum(lengths) - 1
    row = np.repeat(np.arange(len(k)), lengths)
    x = np.arange(len(row)) - np.repeat(last + 1 - lengths, lengths)
    n_x = n[row]
    inside, is_below = x <= n_x, x < k[row]
    log_choose = gammaln(n_x + 1) - gammaln(x + 1) - gammaln(np.maximum(n_x - x, 0) + 1)
    table = np.zeros((len(k), int(max(n.max(), k.max())) + 1 if len(k) else 1))

    def mid_p(icc: float) -> np.ndarray:
        if icc <= 0:
            below, at = binom.cdf(k - 1, n, share), binom.pmf(k, n, share)
        else:  # the beta-binomial's pmf term by term (row sizes are small), summed up to k
            size = 1.0 / icc - 1.0
            a, b = share * size, (1.0 - share) * size
            log_pmf = log_choose + betaln(x + a[row], n_x - x + b[row]) - betaln(a, b)[row]
            pmf = np.where(inside, np.exp(log_pmf), 0.0)
            table[row, x] = np.where(is_below, pmf, 0.0)
            below = table.sum(axis=1)
            at = pmf[last]
        lower_tail = below + 0.5 * at  # P(X < k) + ½ P(X = k)
        return np.clip(1.0 - lower_tail if upper else lower_tail, 0.0, 1.0)

    if len(k) < 20:
        return mid_p(0.0), 0.0

    def spread(icc: float) -> float:
        q1, q3 = np.quantile(mid_p(icc), [0.25, 0.75])
        return float(q3 - q1)

    low, high = 0.0, 0.5
    if spread(low) <= 0.5:
        return mid_p(low), low
    for _ in range(20):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if spread(middle) > 0.5 else (low, middle)
    return mid_p(high), high


def school_tests(markers: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year with ВПР: the p-values of ``SCHOOL_TESTS`` (each pools the school's
    procedures, against the region's between-school spread) and their combination."""
    o = preset["objectivity"]
    keys = ["school_id", "exam_year"]
    enough = o["min_participants"]
    m = markers.assign(
        expected_raised=markers["journal_pair_count"] * markers["regional_raised_share"].fillna(0),
        near=markers["near_boundary_count"].where(markers["boundary_score"].notna(), 0),
        at=markers["at_boundary_count"].where(markers["boundary_score"].notna(), 0),
        expected_listed_absent=markers["listed_count"] * markers["regional_absent_share"].fillna(0),
    )
    m["expected_at"] = m["near"] * markers["regional_boundary_window_share"].fillna(0)
    previous = markers[["school_id", "exam_year", "grade", "subject", "participant_count",
                        "fail_count"]].assign(exam_year=markers["exam_year"] + 1)  # fmt: skip
    paired = m.merge(previous, on=PROCEDURE, how="left", suffixes=("", "_before"))
    has_before = paired["participant_count_before"] >= 1
    before_share = (paired["fail_count_before"] / paired["participant_count_before"]).where(
        has_before
    )
    paired["drop_n"] = paired["participant_count"].where(has_before, 0)
    paired["drop_fails"] = paired["fail_count"].where(has_before, 0)
    paired["drop_expected"] = (paired["participant_count"] * before_share).fillna(0)
    sums = paired.groupby(keys, as_index=False)[
        ["raised_count", "journal_pair_count", "expected_raised", "at", "near", "expected_at",
         "absent_count", "listed_count", "expected_listed_absent", "drop_fails", "drop_n",
         "drop_expected", "scored_count"]
    ].sum()  # fmt: skip
    # the graded M3 is one p-value per school-year, computed with the markers
    if "vpr_below_exams_p_value" in markers and o["exam_test"]:
        below = markers.groupby(keys)["vpr_below_exams_p_value"].first()
        sums["school_vpr_below_exams_p_value"] = below.reindex(
            pd.MultiIndex.from_frame(sums[keys])
        ).to_numpy(float)
    else:
        sums["school_vpr_below_exams_p_value"] = np.nan
    # The region's own change of the fail share scales each school's expected fails this year.
    region_change = sums.groupby("exam_year")["drop_fails"].transform("sum") / sums.groupby(
        "exam_year"
    )["drop_expected"].transform("sum").where(lambda t: t > 0)
    sums["drop_expected"] = sums["drop_expected"] * region_change.fillna(1.0)
    tests = {
        "school_raised_marks": ("raised_count", "journal_pair_count", "expected_raised", True),
        "school_boundary_spike": ("at", "near", "expected_at", True),
        "school_absentees": ("absent_count", "listed_count", "expected_listed_absent", True),
        "school_fail_drop": ("drop_fails", "drop_n", "drop_expected", False),
    }
    # the window is a few pupils a procedure: the school needs enough scored results in all
    gate = {"school_boundary_spike": "scored_count"}
    for name, (count, trials, expected, upper) in tests.items():
        values = np.full(len(sums), np.nan)
        for _, rows in sums.groupby("exam_year").groups.items():
            part = sums.loc[rows]
            usable = (part[gate.get(name, trials)] >= enough) & (part[expected] > 0)
            if usable.sum() == 0:
                continue
            index = part.index[usable]
            share = part.loc[index, expected] / part.loc[index, trials]
            p_values, _ = overdispersed_p_values(
                part.loc[index, count], part.loc[index, trials], share, upper=upper
            )
            values[sums.index.get_indexer(index)] = p_values
        sums[f"{name}_p_value"] = values
    columns = [f"{name}_p_value" for name in SCHOOL_TESTS]
    p = sums[columns].to_numpy(float)
    available = np.isfinite(p).sum(axis=1)
    if o["combination"] == "fisher":
        statistic = -2.0 * np.log(np.clip(np.where(np.isfinite(p), p, 1.0), 1e-300, 1.0)).sum(1)
        combined = np.where(available > 0, chi2.sf(statistic, 2 * np.maximum(available, 1)), 1.0)
    else:  # Bonferroni-Holm: the smallest p-value times the number of tests
        combined = np.clip(np.nanmin(np.where(np.isfinite(p), p, 1.0), axis=1) * available, 0, 1)
    sums["combined_p_value"] = combined
    return sums[[*keys, *columns, "combined_p_value"]]


def objectivity_concerns(markers: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per school × year with ВПР: has_objectivity_concern — under `concern_rule` "school_tests"
    when the combined school tests (``school_tests``) pass `concern_alpha`; under "markers" when
    one procedure carries ≥ `markers_in_one_procedure` markers, ≥ `procedures_with_marker`
    procedures carry one, or a pooled Poisson test is significant. `objectivity_reasons` (JSON)
    lists the marked procedures and the school tests or pooled tests behind a concern."""
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
    school_concern, school_named = {}, {}
    if o["concern_rule"] == "school_tests":
        tested = school_tests(markers, preset)
        p_values = tested[[f"{name}_p_value" for name in SCHOOL_TESTS]].to_numpy(float)
        for school, year, combined, row in zip(
            tested["school_id"], tested["exam_year"], tested["combined_p_value"], p_values,
            strict=True,
        ):  # fmt: skip
            school_concern[(school, year)] = bool(combined < o["concern_alpha"])
            # the reasons name the school tests that are significant on their own
            school_named[(school, year)] = [
                name for name, p in zip(SCHOOL_TESTS, row, strict=True) if p < SCHOOL_TEST_REASON_P
            ]
    result = []
    for key in markers[keys].drop_duplicates().itertuples(index=False, name=None):
        procedure_count = count_by_key.get(key, 0)
        most = int(most_by_key.get(key, 0))
        pooled_markers = pooled_flags.get(key, [])
        listed = list(listed_by_key.get(key, []))
        if o["concern_rule"] == "school_tests":
            concern = school_concern.get(key, False)
            if concern and school_named.get(key):
                listed.append({"grade": None, "subject": "all", "markers": school_named[key]})
        else:
            concern = (
                most >= o["markers_in_one_procedure"]
                or procedure_count >= o["procedures_with_marker"]
                or bool(pooled_markers)
            )
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
