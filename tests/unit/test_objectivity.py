"""ВПР objectivity markers M1–M5, pooled small-school tests and the school concern
(docs/methodology.md
§6), the ВПР evidence set aside under a concern (§3), and the rating that counts only the
evidence used. Given hand-built int_vpr_objectivity_evidence rows → expected markers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import write_preset
from scipy.stats import betabinom, binom

from shnor.methods.objectivity import (
    MARKERS,
    exams_not_high,
    objectivity_concerns,
    objectivity_markers,
    overdispersed_p_values,
    pooled_tests,
    school_tests,
    vpr_evidence_mask,
)
from shnor.presets import load_preset, with_values
from shnor.scoring import school_year_scores

REFERENCE = load_preset()
# The first concern rule (procedure markers counted, pooled Poisson tests), kept as a preset
# choice; the tests of that rule run under it.
FIRST_RULE = with_values(REFERENCE, {"objectivity.concern_rule": "markers"})
RESULT_COLUMNS = [
    "school_id", "exam_year", "exam", "grade", "subject", "participant_count", "fail_count"
]  # fmt: skip


def objectivity_preset(tmp_path: Path, **values) -> object:
    values = {"concern_rule": "markers", **values}
    body = "[objectivity]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in values.items()
    )
    return load_preset(write_preset(tmp_path, body))


def evidence(school: str, year: int = 2025, grade: int = 5, subject: str = "math", **values):
    """One int_vpr_objectivity_evidence row of an unremarkable procedure: 20 present pupils,
    2 fails, marks as in the journal, 2 of the 6 pupils around the «3» boundary (8) on it, as
    in the region; `values` override any column."""
    row = {
        "school_id": school,
        "exam_year": year,
        "grade": grade,
        "subject": subject,
        "boundary_score": 8.0,
        "listed_count": 20,
        "absent_count": 0,
        "participant_count": 20,
        "fail_count": 2,
        "mean_mark": 3.5,
        "journal_pair_count": 20,
        "mean_mark_minus_journal": 0.0,
        "raised_count": 3,
        "lowered_count": 3,
        "scored_count": 20,
        "at_boundary_count": 2,
        "near_boundary_count": 6,
        "regional_raised_share": 0.15,
        "regional_changed_share": 0.3,
        "regional_at_boundary_share": 0.1,
        "regional_boundary_window_share": 1 / 3,
    }
    row.update(values)
    return row


def small(school: str, n: int, **values) -> dict:
    """An evidence row whose every count is n pupils (all present, all paired, all scored)."""
    counts = dict.fromkeys(
        ["listed_count", "participant_count", "journal_pair_count", "scored_count"], n
    )
    return evidence(school, **{**counts, **values})


def no_results() -> pd.DataFrame:
    return pd.DataFrame(columns=RESULT_COLUMNS)


def markers_of(rows: list[dict], results: pd.DataFrame | None = None, preset=REFERENCE):
    frame = pd.DataFrame(rows)
    results = no_results() if results is None else results
    return objectivity_markers(frame, results, preset).set_index(
        ["school_id", "exam_year", "grade", "subject"]
    )


def fired(markers: pd.DataFrame, key: tuple) -> list[str]:
    row = markers.loc[key]
    return [name for name in MARKERS if row[name]]


def concerns_of(rows: list[dict], preset=REFERENCE, results=None) -> pd.DataFrame:
    markers = objectivity_markers(
        pd.DataFrame(rows), no_results() if results is None else results, preset
    )
    return objectivity_concerns(markers, preset).set_index(["school_id", "exam_year"])


def test_an_unremarkable_procedure_carries_no_marker():
    markers = markers_of([evidence("s1"), evidence("s2")])
    assert fired(markers, ("s1", 2025, 5, "math")) == []
    assert markers["marker_count"].tolist() == [0, 0]


# --- M1 journal mismatch ------------------------------------------------------------------------


def test_m1_fires_for_vpr_half_a_mark_above_the_journal_with_ten_pairs():
    markers = markers_of([small("above", 10, mean_mark_minus_journal=0.5), evidence("other")])
    key = ("above", 2025, 5, "math")
    assert fired(markers, key) == ["m1_journal_mismatch"]
    assert not markers.loc[key, "is_journal_above_vpr"]
    assert fired(markers, ("other", 2025, 5, "math")) == []


def test_m1_does_not_fire_for_vpr_below_the_journal_under_the_reference_preset():
    markers = markers_of([evidence("below", mean_mark_minus_journal=-0.5), evidence("other")])
    key = ("below", 2025, 5, "math")
    assert fired(markers, key) == []
    assert markers.loc[key, "is_journal_above_vpr"]
    assert not markers.loc[("other", 2025, 5, "math"), "is_journal_above_vpr"]


def test_m1_fires_both_ways_when_the_preset_counts_both_directions(tmp_path):
    preset = objectivity_preset(tmp_path, journal_gap_direction="both")
    rows = [
        evidence("below", mean_mark_minus_journal=-0.5),
        evidence("above", mean_mark_minus_journal=0.5),
        evidence("close", mean_mark_minus_journal=-0.45),
    ]
    markers = markers_of(rows, preset=preset)
    assert fired(markers, ("below", 2025, 5, "math")) == ["m1_journal_mismatch"]
    assert fired(markers, ("above", 2025, 5, "math")) == ["m1_journal_mismatch"]
    assert fired(markers, ("close", 2025, 5, "math")) == []
    assert markers.loc[("below", 2025, 5, "math"), "is_journal_above_vpr"]


def test_m1_on_marks_raised_above_the_journal_far_beyond_the_region():
    # 19 schools raise 3 of 20 marks, one raises 12: above the 90th percentile and p ≪ 0.01
    rows = [evidence(f"s{i:02d}") for i in range(19)]
    rows.append(evidence("raiser", raised_count=12, mean_mark_minus_journal=0.3))
    markers = markers_of(rows)
    key = ("raiser", 2025, 5, "math")
    assert fired(markers, key) == ["m1_journal_mismatch"]
    assert markers.loc[key, "changed_share"] == pytest.approx(0.6)
    assert markers.loc[key, "changed_p_value"] < 0.01
    assert not markers.drop(index=key)["m1_journal_mismatch"].any()


def test_m1_on_marks_lowered_below_the_journal_only_when_both_directions_count(tmp_path):
    # 19 schools change 6 of 20 marks (3 up, 3 down), one lowers 14: the pattern of honest ВПР
    rows = [evidence(f"s{i:02d}") for i in range(19)]
    rows.append(evidence("lower", raised_count=0, lowered_count=14, mean_mark_minus_journal=-0.45))
    key = ("lower", 2025, 5, "math")
    assert fired(markers_of(rows), key) == []
    both = markers_of(rows, preset=objectivity_preset(tmp_path, journal_gap_direction="both"))
    assert both.loc[key, "changed_share"] == pytest.approx(0.7)
    assert both.loc[key, "changed_p_value"] < 0.01
    assert fired(both, key) == ["m1_journal_mismatch"]
    assert not both.drop(index=key)["m1_journal_mismatch"].any()


def test_nothing_fires_with_nine_participants():
    nine = small(
        "nine",
        9,
        mean_mark_minus_journal=1.5,
        raised_count=9,
        fail_count=0,
        mean_mark=5.0,
        at_boundary_count=8,
        near_boundary_count=9,
        absent_count=4,
    )
    previous = small("nine", 9, year=2024, fail_count=9, mean_mark=2.0)
    rows = [previous, nine, *[evidence(f"s{i:02d}", fail_count=5) for i in range(19)]]
    results = pd.DataFrame(
        [
            {"school_id": "nine", "exam_year": 2025, "exam": "oge", "grade": 9,
             "subject": "math", "participant_count": 20, "fail_count": 10},
            {"school_id": "s00", "exam_year": 2025, "exam": "oge", "grade": 9,
             "subject": "math", "participant_count": 20, "fail_count": 0},
        ]
    )  # fmt: skip
    markers = markers_of(rows, results)
    key = ("nine", 2025, 5, "math")
    assert fired(markers, key) == []
    assert markers.loc[key, "marker_count"] == 0
    assert not markers.loc[key, "is_journal_above_vpr"]
    # ten of the same would be marked
    ten = {**nine, "listed_count": 10, "participant_count": 10, "journal_pair_count": 10,
           "scored_count": 10}  # fmt: skip
    markers = markers_of([previous | {"listed_count": 10, "participant_count": 10}, ten,
                          *rows[2:]], results)  # fmt: skip
    assert "m1_journal_mismatch" in fired(markers, key)
    assert "m2_boundary_spike" in fired(markers, key)


# --- M2 boundary spike ------------------------------------------------------------------------


def test_m2_fires_for_a_spike_at_the_boundary_against_its_neighbours():
    # 8 of the 10 pupils within one point of the boundary are on it; the region has a third
    spike = evidence("spike", scored_count=40, at_boundary_count=8, near_boundary_count=10)
    markers = markers_of([spike, evidence("other")])
    key = ("spike", 2025, 5, "math")
    assert markers.loc[key, "at_boundary_share"] == pytest.approx(0.2)  # below 25%
    assert markers.loc[key, "boundary_p_value"] == pytest.approx(201 / 3**10)
    assert fired(markers, key) == ["m2_boundary_spike"]


def test_m2_does_not_fire_for_a_weaker_school_with_a_smooth_distribution():
    # many pupils around the boundary (24 of 40), evenly spread: weak, not inflated
    weak = evidence(
        "weak", scored_count=40, at_boundary_count=8, near_boundary_count=24, fail_count=12
    )
    markers = markers_of([weak, evidence("other")])
    key = ("weak", 2025, 5, "math")
    assert markers.loc[key, "boundary_p_value"] > 0.4
    assert fired(markers, key) == []


def test_m2_a_quarter_at_the_boundary_is_no_spike_without_the_local_test():
    # 10 of 30 pupils in the window on the boundary, as in the region (a third): a weak class,
    # not a spike — the share alone no longer marks (§6: every marker has a sampling test)
    at_quarter = evidence("quarter", scored_count=40, at_boundary_count=10, near_boundary_count=30)
    spike = evidence("spike", scored_count=40, at_boundary_count=10, near_boundary_count=12)
    markers = markers_of([at_quarter, spike])
    assert markers.loc[("quarter", 2025, 5, "math"), "at_boundary_share"] == pytest.approx(0.25)
    assert fired(markers, ("quarter", 2025, 5, "math")) == []
    assert fired(markers, ("spike", 2025, 5, "math")) == ["m2_boundary_spike"]


def test_m2_needs_a_boundary():
    markers = markers_of(
        [evidence("x", boundary_score=np.nan, at_boundary_count=0, near_boundary_count=0)]
    )
    assert fired(markers, ("x", 2025, 5, "math")) == []


# --- M3 best ВПР while the exams are not high -----------------------------------------------


def _m3_region() -> tuple[list[dict], pd.DataFrame]:
    """20 schools; four share a ВПР fail share of 0 (tied best). Of those, «best» has the best
    mean and weak ОГЭ, «honest» the second mean and the best ОГЭ, «third» the third mean."""
    rows = [evidence(f"s{i:02d}", fail_count=2 + i % 5, mean_mark=3.2) for i in range(16)]
    rows += [
        evidence("best", fail_count=0, mean_mark=4.6),
        evidence("honest", fail_count=0, mean_mark=4.5),
        evidence("third", fail_count=0, mean_mark=4.4),
        evidence("noexam", fail_count=0, mean_mark=3.3),
    ]
    exam_fails = {f"s{i:02d}": i % 8 for i in range(16)} | {"best": 12, "honest": 0, "third": 12}
    results = pd.DataFrame(
        [
            {"school_id": s, "exam_year": 2025, "exam": "oge", "grade": 9, "subject": "math",
             "participant_count": 20, "fail_count": k}
            for s, k in exam_fails.items()
        ]
    )  # fmt: skip
    return rows, results


def test_m3_ties_at_a_fail_share_of_zero_count_as_best():
    rows, results = _m3_region()
    markers = markers_of(rows, results)
    best = markers.xs((2025, 5, "math"), level=["exam_year", "grade", "subject"])
    assert sorted(best.index[best["is_best_vpr"]]) == ["best", "honest"]
    assert best.loc["best", "m3_best_vpr_not_exams"]
    assert not best.loc["honest", "m3_best_vpr_not_exams"]  # its ОГЭ are high
    assert not best.loc["third", "m3_best_vpr_not_exams"]  # mean only 15th percentile
    assert not best.loc["noexam", "m3_best_vpr_not_exams"]  # no exams: nothing to compare
    assert best["m3_best_vpr_not_exams"].sum() == 1


def test_exams_not_high_ranks_pooled_exam_fail_shares():
    rows = [
        {"school_id": s, "exam_year": 2025, "exam": exam, "grade": g, "subject": "math",
         "participant_count": n, "fail_count": k}
        for s, exam, g, n, k in [
            ("a", "oge", 9, 10, 0), ("a", "ege", 11, 10, 2),  # 10%
            ("b", "oge", 9, 20, 4),  # 20%
            ("c", "oge", 9, 20, 6),  # 30%
            ("d", "oge", 9, 20, 8),  # 40%
            ("tiny", "oge", 9, 9, 0),  # too few to rank
            ("v", "vpr", 5, 50, 0),  # ВПР is not an exam
        ]
    ]  # fmt: skip
    out = exams_not_high(pd.DataFrame(rows), REFERENCE).set_index("school_id")
    assert sorted(out.index) == ["a", "b", "c", "d"]
    assert out.loc["a", "exam_fail_share"] == pytest.approx(0.1)
    assert out["are_exams_not_high"].to_dict() == {"a": False, "b": False, "c": True, "d": True}


# --- M4 sudden drop -----------------------------------------------------------------------------


def _drop(previous: tuple[int, int], now: tuple[int, int], **values) -> pd.DataFrame:
    (n0, k0), (n1, k1) = previous, now
    rows = [
        evidence("x", year=2024, participant_count=n0, listed_count=n0, fail_count=k0),
        evidence("x", year=2025, participant_count=n1, listed_count=n1, fail_count=k1, **values),
    ]
    return markers_of(rows)


def test_m4_fires_for_a_sudden_significant_drop():
    markers = _drop((100, 40), (100, 20))  # 40% → 20%, p ≈ 0.002
    assert fired(markers, ("x", 2025, 5, "math")) == ["m4_sudden_drop"]
    assert markers.loc[("x", 2025, 5, "math"), "drop_p_value"] < 0.01
    assert fired(markers, ("x", 2024, 5, "math")) == []


def test_m4_does_not_fire_for_fourteen_points_however_significant():
    markers = _drop((1000, 400), (1000, 260))
    assert markers.loc[("x", 2025, 5, "math"), "drop_p_value"] < 1e-6
    assert fired(markers, ("x", 2025, 5, "math")) == []


def test_m4_needs_significance_at_one_percent():
    markers = _drop((50, 20), (50, 10))  # 20 points, p ≈ 0.03
    assert 0.01 < markers.loc[("x", 2025, 5, "math"), "drop_p_value"] < 0.05
    assert fired(markers, ("x", 2025, 5, "math")) == []


def test_m4_needs_ten_participants_in_the_previous_year():
    markers = _drop((9, 9), (100, 0))
    assert fired(markers, ("x", 2025, 5, "math")) == []


def test_m4_counts_a_drop_of_exactly_fifteen_points():
    # 0.35 − 0.20 is 0.1499… in floating point: the rule must still see 15 points
    markers = _drop((400, 140), (400, 80))  # 35% → 20%, p ≪ 0.01
    assert markers.loc[("x", 2025, 5, "math"), "drop_p_value"] < 0.01
    assert fired(markers, ("x", 2025, 5, "math")) == ["m4_sudden_drop"]


# --- M5 absentees --------------------------------------------------------------------------


def test_m5_fires_above_a_quarter_absent_and_above_the_region_by_its_test():
    # the region: 20 ordinary procedures with 1 of 20 absent, and the three below
    rows = [evidence(f"s{i:02d}", listed_count=20, absent_count=1) for i in range(20)] + [
        evidence("many", listed_count=20, absent_count=8, participant_count=12),
        evidence("quarter", listed_count=20, absent_count=5, participant_count=15),
        evidence("small", listed_count=9, absent_count=4, participant_count=5),
    ]
    markers = markers_of(rows)
    assert fired(markers, ("many", 2025, 5, "math")) == ["m5_absentees"]
    assert markers.loc[("many", 2025, 5, "math"), "absent_share"] == pytest.approx(0.4)
    assert markers.loc[("many", 2025, 5, "math"), "absent_p_value"] < 0.01
    assert fired(markers, ("quarter", 2025, 5, "math")) == []
    assert fired(markers, ("small", 2025, 5, "math")) == []


def test_m5_a_high_absence_the_region_shares_is_no_marker():
    # every school has 6 of 20 absent: above a quarter, but that is the region, not the school
    markers = markers_of([evidence(f"s{i}", listed_count=20, absent_count=6) for i in range(10)])
    assert not markers["m5_absentees"].any()


# --- multiple testing ----------------------------------------------------------------------


def _spike_among(others: int) -> list[dict]:
    spike = evidence("x", scored_count=40, at_boundary_count=8, near_boundary_count=10)
    plain = [evidence("x", grade=g) for g in range(6, 6 + others)]
    return [spike, *plain]


def test_holm_a_spike_significant_alone_is_not_among_six_procedures():
    alone = markers_of(_spike_among(0))
    assert alone.loc[("x", 2025, 5, "math"), "m2_boundary_spike"]
    among = markers_of(_spike_among(5))
    assert among.loc[("x", 2025, 5, "math"), "boundary_p_value"] == pytest.approx(6 * 201 / 3**10)
    assert not among["m2_boundary_spike"].any()


def test_holm_families_are_school_years_not_the_region():
    # the other procedures belong to other schools: no adjustment for x
    rows = [_spike_among(0)[0], *[evidence(f"o{i}", grade=6 + i) for i in range(5)]]
    markers = markers_of(rows)
    assert markers.loc[("x", 2025, 5, "math"), "m2_boundary_spike"]


def test_without_multiple_testing_the_spike_among_many_is_marked(tmp_path):
    preset = objectivity_preset(tmp_path, multiple_testing="none")
    markers = markers_of(_spike_among(5), preset=preset)
    assert markers.loc[("x", 2025, 5, "math"), "boundary_p_value"] == pytest.approx(201 / 3**10)
    assert fired(markers, ("x", 2025, 5, "math")) == ["m2_boundary_spike"]


# --- the concern -------------------------------------------------------------------------


def absent_heavy(school: str, grade: int = 5, **values) -> dict:
    """M5 only: 6 of 20 listed absent."""
    counts = {"listed_count": 20, "absent_count": 6, "participant_count": 14}
    return evidence(school, grade=grade, **{**counts, **values})


# The region M5's test compares with: 12 schools with 1 of 20 absent in grades 5–7.
REGION = [evidence(f"r{i:02d}", grade=g, absent_count=1) for i in range(12) for g in (5, 6, 7)]


def without_region(concerns: pd.DataFrame) -> pd.DataFrame:
    return concerns.drop(index=[k for k in concerns.index if k[0].startswith("r")])


def test_two_markers_in_one_procedure_are_a_concern():
    rows = [
        evidence("x", year=2024, participant_count=100, listed_count=100, fail_count=40),
        absent_heavy("x", participant_count=100, listed_count=140, absent_count=40,
                     fail_count=20),
        evidence("x", grade=6),
        *REGION,
    ]  # fmt: skip
    markers = markers_of(rows)
    assert fired(markers, ("x", 2025, 5, "math")) == ["m4_sudden_drop", "m5_absentees"]
    concerns = concerns_of(rows, FIRST_RULE)
    assert concerns.loc[("x", 2025), "has_objectivity_concern"]
    assert concerns.loc[("x", 2025), "marked_procedure_count"] == 1
    assert json.loads(concerns.loc[("x", 2025), "objectivity_reasons"]) == [
        {"grade": 5, "subject": "math", "markers": ["m4_sudden_drop", "m5_absentees"]}
    ]
    assert not concerns.loc[("x", 2024), "has_objectivity_concern"]


def test_one_marker_in_two_procedures_is_a_concern():
    concerns = concerns_of(
        [absent_heavy("x", 5), absent_heavy("x", 6), evidence("x", grade=7), *REGION], FIRST_RULE
    )
    assert concerns.loc[("x", 2025), "has_objectivity_concern"]
    assert concerns.loc[("x", 2025), "marked_procedure_count"] == 2
    reasons = json.loads(concerns.loc[("x", 2025), "objectivity_reasons"])
    assert [(r["grade"], r["markers"]) for r in reasons] == [
        (5, ["m5_absentees"]),
        (6, ["m5_absentees"]),
    ]


def test_one_marker_in_one_procedure_is_no_concern():
    rows = [absent_heavy("x", 5), evidence("x", grade=6), evidence("y"), *REGION]
    concerns = without_region(concerns_of(rows, FIRST_RULE))
    assert not concerns.loc[("x", 2025), "has_objectivity_concern"]
    assert concerns.loc[("x", 2025), "marked_procedure_count"] == 1
    assert not concerns.loc[("y", 2025), "has_objectivity_concern"]
    assert json.loads(concerns.loc[("y", 2025), "objectivity_reasons"]) == []
    assert sorted(concerns.index) == [("x", 2025), ("y", 2025)]


def test_one_marker_in_each_of_two_years_is_no_concern():
    concerns = concerns_of([absent_heavy("x", year=2024), absent_heavy("x", year=2025)], FIRST_RULE)
    assert not concerns["has_objectivity_concern"].any()


def test_concern_thresholds_come_from_the_preset(tmp_path):
    preset = objectivity_preset(tmp_path, procedures_with_marker=3)
    rows = [absent_heavy("x", 5), absent_heavy("x", 6), *REGION]
    assert concerns_of(rows, FIRST_RULE).loc[("x", 2025), "has_objectivity_concern"]
    assert not concerns_of(rows, preset)["has_objectivity_concern"].any()


def _small_school() -> list[dict]:
    """6 procedures × 5 pupils, 4 of the 5 at the boundary (each too small for M2), and an
    ordinary school of the same region."""
    rows = [
        small("tiny", 5, grade=g, at_boundary_count=4, near_boundary_count=5, raised_count=1,
              fail_count=0)
        for g in range(4, 10)
    ]  # fmt: skip
    return [*rows, evidence("big")]


def test_a_pooled_boundary_test_alone_makes_a_small_school_a_concern():
    rows = _small_school()
    markers = objectivity_markers(pd.DataFrame(rows), no_results(), REFERENCE)
    assert markers.loc[markers["school_id"] == "tiny", "marker_count"].eq(0).all()
    pooled = pooled_tests(markers).set_index(["school_id", "exam_year"])
    tiny = pooled.loc[("tiny", 2025)]
    assert tiny["at_boundary_count"] == 24
    assert tiny["expected_at_boundary"] == pytest.approx(10.0)
    assert tiny["scored_count"] == 30
    assert tiny["pooled_boundary_p_value"] < 0.001
    assert pooled.loc[("big", 2025), "pooled_boundary_p_value"] > 0.1
    concerns = concerns_of(rows, FIRST_RULE)
    assert concerns.loc[("tiny", 2025), "has_objectivity_concern"]
    assert concerns.loc[("tiny", 2025), "marked_procedure_count"] == 0
    assert json.loads(concerns.loc[("tiny", 2025), "objectivity_reasons"]) == [
        {"grade": None, "subject": "all", "markers": ["pooled_boundary_spike"]}
    ]
    assert not concerns.loc[("big", 2025), "has_objectivity_concern"]


def test_pooled_p_value_zero_switches_the_pooled_tests_off(tmp_path):
    preset = objectivity_preset(tmp_path, pooled_p_value=0)
    concerns = concerns_of(_small_school(), preset)
    assert not concerns["has_objectivity_concern"].any()
    assert json.loads(concerns.loc[("tiny", 2025), "objectivity_reasons"]) == []


def test_a_pooled_test_needs_ten_results_in_all():
    def tiny(sizes: list[int]) -> list[dict]:
        # everyone on the boundary where the region has a tenth of the window there
        return [
            small("tiny", n, grade=4 + i, at_boundary_count=n, near_boundary_count=n,
                  raised_count=0, fail_count=0, regional_boundary_window_share=0.1)
            for i, n in enumerate(sizes)
        ]  # fmt: skip

    nine = concerns_of(tiny([3, 3, 3]), FIRST_RULE)
    assert not nine.loc[("tiny", 2025), "has_objectivity_concern"]
    ten = concerns_of(tiny([3, 3, 3, 1]), FIRST_RULE)
    assert ten.loc[("tiny", 2025), "has_objectivity_concern"]


# --- ВПР set aside, and the rating ---------------------------------------------------------


def _results(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def test_vpr_evidence_mask_drops_only_the_vpr_rows_of_the_concerned_school_year(tmp_path):
    results = _results(
        [
            ("x", 2025, "vpr", 5, "math", 20, 2),
            ("x", 2025, "vpr", 6, "russian", 20, 2),
            ("x", 2025, "oge", 9, "math", 20, 2),
            ("x", 2024, "vpr", 5, "math", 20, 2),
            ("y", 2025, "vpr", 5, "math", 20, 2),
        ]
    )
    concerns = pd.DataFrame(
        {
            "school_id": ["x", "x", "y"],
            "exam_year": [2025, 2024, 2025],
            "has_objectivity_concern": [True, False, False],
        }
    )
    mask = vpr_evidence_mask(results, concerns, REFERENCE)
    assert mask.index.equals(results.index)
    assert mask.tolist() == [False, False, True, True, True]
    keep = load_preset(
        write_preset(tmp_path, "[school_effect]\nexclude_vpr_with_objectivity_concern = false\n")
    )
    assert vpr_evidence_mask(results, concerns, keep).all()


def _scoring_region() -> list[tuple]:
    rows = []
    for i in range(12):
        rows.append((f"s{i:02d}", 2025, "vpr", 5, "math", 20, 2 + i))
        rows.append((f"s{i:02d}", 2025, "oge", 9, "russian", 15, 1 + i // 2))
    return rows


def test_a_school_whose_vpr_is_set_aside_with_fewer_than_ten_other_results_is_not_rated():
    results = _results(
        [
            *_scoring_region(),
            ("x", 2025, "vpr", 5, "math", 25, 0),
            ("x", 2025, "vpr", 6, "math", 25, 0),
            ("x", 2025, "oge", 9, "math", 9, 1),
            ("z", 2025, "oge", 9, "math", 9, 1),  # too small, but nothing set aside
        ]
    )
    concerns = pd.DataFrame(
        {"school_id": ["x"], "exam_year": [2025], "has_objectivity_concern": [True]}
    )
    mask = vpr_evidence_mask(results, concerns, REFERENCE)
    schools = pd.DataFrame({"school_id": sorted(results["school_id"].unique())})
    scores = school_year_scores(results, schools, REFERENCE, evidence_mask=mask).set_index(
        "school_id"
    )
    assert scores.loc["x", "counted_participant_count"] == 9
    assert scores.loc["x", "procedure_count"] == 1
    assert not scores.loc["x", "is_rated"]
    assert "объективност" in scores.loc["x", "not_rated_reason"]
    assert "10" in scores.loc["x", "not_rated_reason"]
    assert np.isnan(scores.loc["x", "composite_score"])
    assert scores.loc["z", "not_rated_reason"] == "менее 10 учтённых результатов участников"
    # without the mask the same school is rated on its 59 results
    unmasked = school_year_scores(results, schools, REFERENCE).set_index("school_id")
    assert unmasked.loc["x", "is_rated"]
    assert unmasked.loc["x", "counted_participant_count"] == 59


def test_a_rated_school_is_scored_on_its_exams_only_when_its_vpr_is_set_aside():
    # x: flawless ВПР (inflated) and failing ОГЭ; set aside, its ОГЭ alone decide
    results = _results(
        [
            *_scoring_region(),
            ("x", 2025, "vpr", 5, "math", 60, 0),
            ("x", 2025, "oge", 9, "russian", 15, 12),
        ]
    )
    concerns = pd.DataFrame(
        {"school_id": ["x"], "exam_year": [2025], "has_objectivity_concern": [True]}
    )
    schools = pd.DataFrame({"school_id": sorted(results["school_id"].unique())})
    mask = vpr_evidence_mask(results, concerns, REFERENCE)
    masked = school_year_scores(results, schools, REFERENCE, evidence_mask=mask)
    masked = masked.set_index("school_id")
    unmasked = school_year_scores(results, schools, REFERENCE).set_index("school_id")
    assert masked.loc["x", "is_rated"]
    assert masked.loc["x", "counted_participant_count"] == 15
    assert masked.loc["x", "procedure_count"] == 1
    assert unmasked.loc["x", "counted_participant_count"] == 75
    # the inflated ВПР no longer hides the low result
    assert masked.loc["x", "composite_score"] > unmasked.loc["x", "composite_score"]
    assert masked.loc["x", "composite_percentile"] == 100.0


# --- the school tests of the concern (§6) ---------------------------------------------------


def test_overdispersed_p_values_hold_five_percent_where_the_binomial_does_not():
    # 400 honest schools whose own absence rates vary as Beta(2, 22), 190 pupils each
    rng = np.random.default_rng(7)
    rate = rng.beta(2.0, 22.0, 400)
    trials = np.full(400, 190)
    absent = rng.binomial(trials, rate)
    share = np.full(400, absent.sum() / trials.sum())
    p_values, icc = overdispersed_p_values(absent, trials, share)
    assert icc == pytest.approx(1 / (2 + 22 + 1), rel=0.5)  # the Beta's correlation, 0.04
    assert (p_values < 0.05).mean() <= 0.07
    _, none = overdispersed_p_values(absent[:10], trials[:10], share[:10])
    assert none == 0.0  # too few schools to fit a spread: the binomial
    binomial = 1 - (binom.cdf(absent - 1, trials, share) + 0.5 * binom.pmf(absent, trials, share))
    assert (binomial < 0.05).mean() > 0.2  # the plain test marks a fifth of honest schools


def test_overdispersed_p_values_are_the_beta_binomial_mid_p_at_the_fitted_correlation():
    # rows of very different sizes, with counts of 0 and of every trial, each against its own
    # share: the values are the beta-binomial's at the fitted correlation, row by row
    rng = np.random.default_rng(11)
    trials = rng.integers(1, 400, 300)
    rate = rng.beta(2.0, 18.0, 300)
    absent = rng.binomial(trials, rate)
    absent[:3], absent[3:6] = 0, trials[3:6]
    share = rng.uniform(0.05, 0.15, 300)
    for upper in (True, False):
        p_values, icc = overdispersed_p_values(absent, trials, share, upper=upper)
        assert icc > 0
        a, b = share * (1 / icc - 1), (1 - share) * (1 / icc - 1)
        lower = betabinom.cdf(absent - 1, trials, a, b) + 0.5 * betabinom.pmf(absent, trials, a, b)
        np.testing.assert_allclose(p_values, 1 - lower if upper else lower, rtol=1e-9, atol=1e-12)


def test_absence_counts_once_per_school_under_the_school_tests():
    # a school with a quarter absent in each of 10 procedures where the region has a tenth:
    # one school test, whatever the number of procedures that show it
    region = [
        evidence(f"s{i:02d}", grade=g, listed_count=20, absent_count=int(i % 4 == 0) + 1)
        for i in range(30)
        for g in range(4, 9)
    ]
    heavy = [evidence("x", grade=g, listed_count=20, absent_count=6) for g in range(4, 9)]
    markers = objectivity_markers(pd.DataFrame(region + heavy), no_results(), REFERENCE)
    tested = school_tests(markers, REFERENCE).set_index("school_id")
    assert tested.loc["x", "school_absentees_p_value"] < 0.001
    assert tested["school_absentees_p_value"].notna().sum() == 31  # one per school
    concerns = objectivity_concerns(markers, REFERENCE).set_index("school_id")
    assert concerns.loc["x", "has_objectivity_concern"]
    reasons = json.loads(concerns.loc["x", "objectivity_reasons"])
    assert {"grade": None, "subject": "all", "markers": ["school_absentees"]} in reasons
    assert not concerns.drop(index="x")["has_objectivity_concern"].any()
