"""ШНОР list membership and exit, the prevention group, contextual value added and the resilient
rule (docs/methodology.md), from hand-built school-grain frames: exact flags, reasons and Russian
sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import (
    SCHOOLS,
    make_scores,
    ordered,
    plain_results,
    reason,
    result,
    rules,
    run,
    where,
    write_preset,
)

from shnor.presets import load_preset


@pytest.fixture(scope="module")
def two_year_window(tmp_path_factory):
    """The reference preset with the recurrent window shortened to two years (recurrent low is
    then the same as stable low), to see the exit reasons alone."""
    folder = tmp_path_factory.mktemp("presets")
    return load_preset(write_preset(folder, "[flags]\nrecurrent_window_years = 2\n", "w2"))


def middle(school: str) -> list[str]:
    """SCHOOLS with `school` moved to the middle (rank 10): s17 and s18 are then the worst."""
    rest = [s for s in SCHOOLS if s != school]
    return [*rest[:10], school, *rest[10:]]


def status(flags: pd.DataFrame, school: str, years) -> list[tuple]:
    """(on the list, exit, exit pending) per year."""
    return [
        tuple(
            bool(flags.loc[(school, y), c])
            for c in ("is_on_shnor_list", "is_shnor_exit", "is_shnor_exit_pending")
        )
        for y in years
    ]


ON, EXIT, PENDING, OFF = (True, False, False), (False, True, False), (True, False, True), (
    False, False, False
)  # fmt: skip


# --- ШНОР list and exit --------------------------------------------------------------------------


def test_exit_after_two_years_not_low(two_year_window):
    composites = ordered([2024, 2025]) | ordered([2026, 2027], middle("s19"))
    flags = run(make_scores(composites))
    assert where(flags, "is_stable_low", 2025) == ["s18", "s19"]
    assert where(flags, "is_low_result", 2026) == ["s17", "s18"]
    assert status(flags, "s19", [2024, 2025, 2026, 2027]) == [OFF, ON, PENDING, EXIT]

    # 2026: not low, no significant improvement → still on the list, exit pending
    assert where(flags, "is_on_shnor_list", 2026) == ["s18", "s19"]
    assert where(flags, "is_shnor_exit_pending", 2026) == ["s19"]
    # low in 2024 and 2025 of the last three years: also recurrent
    assert rules(flags, "s19", 2026) == ["recurrent_low", "shnor_exit_pending"]
    assert reason(flags, "s19", 2026, "shnor_exit_pending") == {
        "rule": "shnor_exit_pending",
        "year": 2026,
    }
    assert "списке ШНОР до выполнения условий выхода" in flags.loc[("s19", 2026), "reason_text"]
    # still ШНОР, so not in the risk group («группа риска» is not ШНОР, docs/methodology.md)
    assert not flags.loc[("s19", 2026), "is_risk_group"]
    # with a two-year window (no recurrent low) the pending reason stands alone
    flags_two = run(make_scores(composites), preset=two_year_window)
    assert rules(flags_two, "s19", 2026) == ["shnor_exit_pending"]

    # 2027: the second year not low → exit, off the list
    assert rules(flags, "s19", 2027) == ["shnor_exit"]
    exit_reason = reason(flags, "s19", 2027, "shnor_exit")
    assert (exit_reason["year"], exit_reason["by_improvement"]) == (2027, False)
    text = flags.loc[("s19", 2027), "reason_text"]
    assert text.startswith("Выход из ШНОР (")
    assert "значимое улучшение" not in text
    assert not flags.loc[("s19", 2027), "is_risk_group"]
    assert where(flags, "is_shnor_exit", 2027) == ["s19"]
    # s18 stays ШНОР every year; s17 is low for the first time in 2026 and ШНОР in 2027
    assert status(flags, "s18", [2025, 2026, 2027]) == [ON, ON, ON]
    assert status(flags, "s17", [2026, 2027]) == [OFF, ON]


def test_a_school_low_in_one_year_only_is_never_on_the_list():
    composites = ordered([2024]) | ordered([2025, 2026], middle("s19"))
    flags = run(make_scores(composites))
    assert status(flags, "s19", [2024, 2025, 2026]) == [OFF, OFF, OFF]
    assert "shnor_exit" not in rules(flags, "s19", 2026)


def _improving_scores(low_2026: bool = False) -> pd.DataFrame:
    later = SCHOOLS if low_2026 else middle("s19")
    # 2026 did better than the model predicted from the data through 2025 (p = 0.002, §7)
    return make_scores(
        ordered([2024, 2025]) | ordered([2026, 2027], later),
        improvement_p_value={("s19", 2026): 0.002},
    )


def _improving_results(low_2026: bool = False) -> pd.DataFrame:
    return plain_results(
        _improving_scores(low_2026),
        [
            result("s19", 2024, n=100, fails=40),
            result("s19", 2025, n=100, fails=40),
            result("s19", 2026, n=100, fails=20),  # 40% → 20%, p ≈ 0.002
            result("s19", 2027, n=100, fails=20),
        ],
    )


def _improving(concern_2026: bool = False, low_2026: bool = False) -> pd.DataFrame:
    concerns = {("s19", 2026)} if concern_2026 else set()
    return run(_improving_scores(low_2026), _improving_results(low_2026), concerns=concerns)


def test_exit_after_one_year_of_significant_improvement_without_a_concern(two_year_window):
    flags = _improving()
    assert status(flags, "s19", [2025, 2026, 2027]) == [ON, EXIT, OFF]
    assert reason(flags, "s19", 2026, "shnor_exit")["by_improvement"] is True
    assert "Выход из ШНОР (значимое улучшение)." in flags.loc[("s19", 2026), "reason_text"]
    assert "shnor_exit_pending" not in rules(flags, "s19", 2026)
    flags_two = run(_improving_scores(), _improving_results(), preset=two_year_window)
    assert rules(flags_two, "s19", 2026) == ["shnor_exit"]
    assert flags_two.loc[("s19", 2026), "reason_text"] == "Выход из ШНОР (значимое улучшение)."
    assert not flags_two.loc[("s19", 2026), "is_risk_group"]


def test_the_exit_sentence_does_not_also_say_not_yet_exited():
    # the year of exit by improvement is still recurrent low (2024, 2025): no contradiction
    flags = _improving()
    assert flags.loc[("s19", 2026), "is_shnor_exit"]
    assert "ещё не выход" not in flags.loc[("s19", 2026), "reason_text"]


def test_an_objectivity_concern_blocks_the_exit_by_improvement():
    flags = _improving(concern_2026=True)
    assert status(flags, "s19", [2025, 2026, 2027]) == [ON, PENDING, EXIT]
    assert rules(flags, "s19", 2026) == [
        "recurrent_low", "shnor_exit_pending", "objectivity_concern"
    ]  # fmt: skip
    # the exit a year later comes from the two years not low (no improvement 2026 → 2027)
    assert reason(flags, "s19", 2027, "shnor_exit")["by_improvement"] is False


def test_an_objectivity_concern_blocks_the_exit_after_two_years_not_low():
    composites = ordered([2024, 2025]) | ordered([2026, 2027, 2028], middle("s19"))
    flags = run(make_scores(composites), concerns={("s19", 2027)})
    assert status(flags, "s19", [2026, 2027, 2028]) == [PENDING, PENDING, EXIT]


def test_significant_improvement_while_still_low_is_no_exit():
    flags = _improving(low_2026=True)
    assert status(flags, "s19", [2025, 2026, 2027]) == [ON, ON, ON]
    assert flags.loc[("s19", 2026), "is_stable_low"]


def test_an_improvement_the_prediction_expected_is_no_exit():
    # 40% → 31% while the model predicted about that without any help: p = 0.3, no exit
    composites = ordered([2024, 2025]) | ordered([2026], middle("s19"))
    scores = make_scores(composites, improvement_p_value={("s19", 2026): 0.3})
    results = plain_results(
        scores,
        [result("s19", y, 1000, k) for y, k in [(2024, 400), (2025, 400), (2026, 310)]],
    )
    flags = run(scores, results)
    assert status(flags, "s19", [2026]) == [PENDING]
    assert not flags.loc[("s19", 2026), "has_positive_dynamics"]


def test_beyond_the_prediction_with_fewer_than_ten_results_in_a_year_is_no_exit():
    composites = ordered([2024, 2025]) | ordered([2026], middle("s19"))
    scores = make_scores(composites, improvement_p_value={("s19", 2026): 0.001})
    scores.loc[
        (scores["school_id"] == "s19") & (scores["exam_year"] == 2025), "counted_participant_count"
    ] = 9
    flags = run(scores)
    assert status(flags, "s19", [2026]) == [PENDING]
    # with ten results it exits
    flags = run(make_scores(composites, improvement_p_value={("s19", 2026): 0.001}))
    assert flags.loc[("s19", 2026), "is_shnor_exit"]
    assert not flags.loc[("s19", 2026), "is_on_shnor_list"]


def test_an_unrated_year_never_exits_and_breaks_the_run():
    composites = ordered([2024, 2025]) | ordered([2026, 2027, 2028], middle("s19"))
    scores = make_scores(composites, not_rated={("s19", 2026)})
    results = plain_results(
        scores,
        [
            result("s19", 2024, n=100, fails=40),
            result("s19", 2025, n=100, fails=40),
            result("s19", 2026, n=8, fails=0),  # a big «improvement», but not rated
            result("s19", 2027, n=100, fails=40),
            result("s19", 2028, n=100, fails=40),
        ],
    )
    flags = run(scores, results)
    assert status(flags, "s19", [2025, 2026, 2027, 2028]) == [ON, PENDING, PENDING, EXIT]
    assert rules(flags, "s19", 2026) == ["not_rated"]
    assert "shnor_exit_pending" in rules(flags, "s19", 2027)


def test_exit_years_come_from_the_preset(tmp_path):
    preset = load_preset(write_preset(tmp_path, "[exit]\nnot_low_years = 3\n"))
    composites = ordered([2024, 2025]) | ordered([2026, 2027, 2028], middle("s19"))
    flags = run(make_scores(composites), preset=preset)
    assert status(flags, "s19", [2026, 2027, 2028]) == [PENDING, PENDING, EXIT]


def test_a_school_back_to_low_after_its_exit_starts_again():
    composites = (
        ordered([2024, 2025]) | ordered([2026, 2027], middle("s19")) | ordered([2028, 2029])
    )
    flags = run(make_scores(composites))
    assert status(flags, "s19", [2027, 2028, 2029]) == [EXIT, OFF, ON]


def test_a_missing_year_does_not_make_two_not_low_years_consecutive():
    composites = ordered([2024, 2025]) | ordered([2026, 2027, 2028, 2029], middle("s19"))
    scores = make_scores(composites)
    scores = scores[~((scores["school_id"] == "s19") & (scores["exam_year"] == 2027))]
    flags = run(scores.reset_index(drop=True))
    assert ("s19", 2027) not in flags.index
    assert status(flags, "s19", [2026, 2028]) == [PENDING, PENDING]
    assert status(flags, "s19", [2029]) == [EXIT]


# --- prevention group ------------------------------------------------------------------------


def _students(shares: dict[str, int], year: int = 2026, count: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"school_id": s, "exam_year": year, "student_count": count,
             "at_risk_student_count": k}
            for s, k in shares.items()
        ]
    )  # fmt: skip


def test_prevention_group_is_the_worst_tenth_of_rated_schools_by_at_risk_share():
    composites = ordered([2026]) | {2026: {**ordered([2026])[2026], "tiny": 5.5}}
    scores = make_scores(composites, not_rated={("tiny", 2026)})
    # at-risk shares 0%…19% by school; the unrated school has the highest (90%)
    students = _students({s: i for i, s in enumerate(SCHOOLS)} | {"tiny": 90})
    flags = run(scores, students=students)
    assert where(flags, "is_prevention_group", 2026) == ["s18", "s19"]
    assert flags.loc[("s18", 2026), "at_risk_student_share"] == pytest.approx(0.18)
    assert flags.loc[("tiny", 2026), "at_risk_student_share"] == pytest.approx(0.9)
    assert reason(flags, "s18", 2026, "prevention_group") == {
        "rule": "prevention_group",
        "at_risk_student_share": 0.18,
        "at_risk_student_count": 18,
    }
    assert (
        "Группа профилактики: 18 обучающихся (18,0\u00a0%) с риском учебной неуспешности"
        in (flags.loc[("s18", 2026), "reason_text"])
    )
    assert "prevention_group" not in rules(flags, "s17", 2026)
    assert rules(flags, "tiny", 2026) == ["not_rated"]


def test_prevention_group_alone_is_not_the_risk_group():
    scores = make_scores({2026: {s: float(i) for i, s in enumerate(reversed(SCHOOLS))}})
    students = _students({s: i for i, s in enumerate(SCHOOLS)})
    flags = run(scores, students=students)
    # s18, s19 are the best schools by composite and the worst by students at risk
    assert where(flags, "is_prevention_group", 2026) == ["s18", "s19"]
    assert rules(flags, "s19", 2026) == ["prevention_group"]
    assert not flags.loc[("s19", 2026), "is_risk_group"]


def test_schools_without_student_data_are_never_in_the_prevention_group():
    scores = make_scores(ordered([2026]))
    students = _students({s: i for i, s in enumerate(SCHOOLS) if s != "s19"})
    students.loc[students["school_id"] == "s18", "student_count"] = 0
    flags = run(scores, students=students)
    assert np.isnan(flags.loc[("s19", 2026), "at_risk_student_share"])
    assert np.isnan(flags.loc[("s18", 2026), "at_risk_student_share"])
    # 18 schools with a share: the worst tenth is one school
    assert where(flags, "is_prevention_group", 2026) == ["s17"]
    assert not run(scores)["is_prevention_group"].any()


def test_prevention_share_comes_from_the_preset(tmp_path):
    preset = load_preset(write_preset(tmp_path, "[flags.prevention_group]\nworst_share = 0.25\n"))
    flags = run(
        make_scores(ordered([2026])),
        students=_students({s: i for i, s in enumerate(SCHOOLS)}),
        preset=preset,
    )
    assert where(flags, "is_prevention_group", 2026) == ["s15", "s16", "s17", "s18", "s19"]


# --- resilient by median / value added / either -------------------------------------------------


def _value_added() -> pd.DataFrame:
    """Value added −0.01·i by school, except s15 (2.0 both years), s03 (1.5 both years) and s16
    (1.9 in 2025 only). Best quarter: 2025 s15 s16 s03 s00 s01; 2026 s15 s03 s00 s01 s02."""
    rows = []
    for year in (2025, 2026):
        for i, school in enumerate(SCHOOLS):
            value = -0.01 * i
            value = {"s15": 2.0, "s03": 1.5}.get(school, value)
            if school == "s16" and year == 2025:
                value = 1.9
            rows.append(
                {"school_id": school, "exam_year": year, "expected_composite": float(i) + value,
                 "contextual_value_added": value}
            )  # fmt: skip
    return pd.DataFrame(rows)


SHNSU = {"s02", "s03", "s15", "s16", "s17"}


def _resilient(tmp_path, resilient_by: str, concerns=frozenset()) -> pd.DataFrame:
    preset = load_preset(
        write_preset(tmp_path, f'[context]\nresilient_by = "{resilient_by}"\n', resilient_by)
    )
    return run(
        make_scores(ordered([2025, 2026])),
        shnsu=SHNSU,
        concerns=concerns,
        preset=preset,
        value_added=_value_added(),
    )


@pytest.mark.parametrize(
    ("resilient_by", "expected"),
    [
        ("median", ["s02", "s03"]),
        ("value_added", ["s03", "s15"]),
        ("either", ["s02", "s03", "s15"]),
    ],
)
def test_resilient_by_median_value_added_or_either(tmp_path, resilient_by, expected):
    flags = _resilient(tmp_path, resilient_by)
    assert where(flags, "is_resilient", 2026) == expected
    assert where(flags, "is_resilient", 2025) == []  # no 2024
    for school in expected:
        assert "resilient" in rules(flags, school, 2026)


def test_the_reference_preset_is_resilient_by_median():
    flags = run(make_scores(ordered([2025, 2026])), shnsu=SHNSU, value_added=_value_added())
    assert where(flags, "is_resilient", 2026) == ["s02", "s03"]


def test_value_added_columns_reach_the_flags():
    flags = run(make_scores(ordered([2025, 2026])), value_added=_value_added())
    assert flags.loc[("s15", 2026), "contextual_value_added"] == pytest.approx(2.0)
    assert flags.loc[("s15", 2026), "expected_composite"] == pytest.approx(17.0)
    without = run(make_scores(ordered([2026])))
    assert without["contextual_value_added"].isna().all()
    assert not without["is_resilient"].any()


def test_a_concern_blocks_resilience_by_value_added(tmp_path):
    flags = _resilient(tmp_path, "value_added", concerns={("s15", 2026)})
    assert where(flags, "is_resilient", 2026) == ["s03"]


def test_a_concern_in_the_previous_year_blocks_resilience_too(tmp_path):
    flags = _resilient(tmp_path, "either", concerns={("s02", 2025)})
    assert where(flags, "is_resilient", 2026) == ["s03", "s15"]


def test_value_added_best_share_comes_from_the_preset(tmp_path):
    preset = load_preset(
        write_preset(
            tmp_path,
            '[context]\nresilient_by = "value_added"\nresilient_cva_best_share = 0.1\n',
        )
    )
    flags = run(
        make_scores(ordered([2025, 2026])),
        shnsu=SHNSU,
        preset=preset,
        value_added=_value_added(),
    )
    # best tenth: 2025 s15 s16; 2026 s15 s03
    assert where(flags, "is_resilient", 2026) == ["s15"]


def test_the_resilient_sentence_of_a_school_resilient_by_value_added_does_not_claim_the_median(
    tmp_path,
):
    flags = _resilient(tmp_path, "value_added")
    assert flags.loc[("s15", 2026), "composite_percentile"] > 50  # worse than the median
    assert reason(flags, "s15", 2026, "resilient")["by"] == "value_added"
    assert "Резильентная школа" in flags.loc[("s15", 2026), "reason_text"]
    assert "лучше медианы" not in flags.loc[("s15", 2026), "reason_text"]
    median = _resilient(tmp_path, "median")
    assert "лучше медианы" in median.loc[("s02", 2026), "reason_text"]
