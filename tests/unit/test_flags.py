"""The flags of docs/methodology.md from hand-built school-grain frames: exact flags, reasons and
Russian sentences for every rule, and the naive baseline."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from builders import (
    REFERENCE,
    SCHOOLS,
    make_scores,
    ordered,
    plain_results,
    result,
    rules,
    run,
    where,
    write_preset,
)

from shnor.flags import FLAG_COLUMNS, naive_stable_low
from shnor.methods.ranking import percentile_rank
from shnor.presets import load_preset


def reason(flags: pd.DataFrame, school: str, year: int, rule: str) -> dict:
    found = [r for r in json.loads(flags.loc[(school, year), "reasons"]) if r["rule"] == rule]
    assert len(found) == 1, (school, year, rule)
    return found[0]


# --- low results, ШНОР, recurrent -------------------------------------------------------------


def test_worst_two_of_twenty_are_low_each_year_and_stable_low_needs_both_years():
    order_2026 = [*SCHOOLS[:16], "s17", "s19", "s16", "s18"]  # s16, s18 now the worst two
    composites = ordered([2025]) | ordered([2026], order_2026)
    flags = run(make_scores(composites))
    assert list(flags.reset_index().columns) == list(FLAG_COLUMNS)
    assert len(flags) == 40
    assert where(flags, "is_low_result", 2025) == ["s18", "s19"]
    assert where(flags, "is_low_result", 2026) == ["s16", "s18"]
    assert where(flags, "is_stable_low", 2025) == []  # no 2024
    assert where(flags, "is_stable_low", 2026) == ["s18"]
    assert where(flags, "is_recurrent_low", 2026) == ["s18"]
    assert rules(flags, "s18", 2026) == ["stable_low"]
    assert rules(flags, "s16", 2026) == ["first_time_low"]
    assert rules(flags, "s19", 2026) == []


def test_a_pool_smaller_than_one_over_the_low_share_flags_nobody_and_says_why():
    # 9 rated schools with the worst 10%: 0.9 schools — nobody can be flagged, and each says so.
    nine = SCHOOLS[:9]
    flags = run(make_scores(ordered([2026], nine)))
    assert where(flags, "is_low_result", 2026) == []
    worst = reason(flags, "s08", 2026, "pool_too_small")
    assert worst == {
        "rule": "pool_too_small",
        "pool": "region",
        "pool_rated_count": 9,
        "min_pool_size": 10,
    }
    assert "оценено школ: 9 — меньше 10" in flags.loc[("s08", 2026), "reason_text"]
    assert "весь регион" in flags.loc[("s08", 2026), "reason_text"]
    # ten schools are enough: the worst one is flagged and nobody carries the reason
    ten = run(make_scores(ordered([2026], SCHOOLS[:10])))
    assert where(ten, "is_low_result", 2026) == ["s09"]
    assert "pool_too_small" not in ten["reasons"].str.cat()


def test_low_in_2024_and_2026_is_recurrent_but_not_stable():
    order_2025 = [*SCHOOLS[:17], "s19", "s18", "s17"]  # s19 drops out of the worst two in 2025
    composites = ordered([2024]) | ordered([2025], order_2025) | ordered([2026])
    flags = run(make_scores(composites))
    assert where(flags, "is_low_result", 2024) == ["s18", "s19"]
    assert where(flags, "is_low_result", 2025) == ["s17", "s18"]
    assert where(flags, "is_low_result", 2026) == ["s18", "s19"]
    assert where(flags, "is_stable_low", 2026) == ["s18"]
    assert where(flags, "is_recurrent_low", 2026) == ["s18", "s19"]
    assert where(flags, "is_recurrent_low", 2025) == ["s18"]
    assert not flags.loc[("s19", 2026), "is_stable_low"]
    assert flags.loc[("s19", 2026), "is_low_result"]


def test_a_recurrent_low_school_is_not_described_as_low_for_the_first_time():
    order_2025 = [*SCHOOLS[:17], "s19", "s18", "s17"]
    composites = ordered([2024]) | ordered([2025], order_2025) | ordered([2026])
    flags = run(make_scores(composites))
    assert flags.loc[("s19", 2026), "is_recurrent_low"]
    assert "first_time_low" not in rules(flags, "s19", 2026)
    assert "Впервые" not in flags.loc[("s19", 2026), "reason_text"]
    assert "2024" in flags.loc[("s19", 2026), "reason_text"]


def test_ties_straddling_the_cut_off_are_not_flagged():
    composites = {2026: {school: float(i) for i, school in enumerate(SCHOOLS)}}
    composites[2026]["s17"] = 18.0  # s17 and s18 tied on ranks 2–3; the cut-off is 2
    flags = run(make_scores(composites))
    assert where(flags, "is_low_result", 2026) == ["s19"]
    composites[2026]["s17"] = 0.0
    composites[2026]["s18"] = 19.0  # s18 and s19 tied on ranks 1–2: both inside
    flags = run(make_scores(composites))
    assert where(flags, "is_low_result", 2026) == ["s18", "s19"]


def test_all_schools_equal_nobody_is_low_high_or_resilient():
    composites = {year: dict.fromkeys(SCHOOLS, 0.3) for year in (2025, 2026)}
    flags = run(make_scores(composites), shnsu={"s00", "s01"})
    for column in (
        "is_low_result",
        "is_stable_low",
        "is_recurrent_low",
        "is_stable_high",
        "is_resilient",
        "is_risk_group",
    ):
        assert not flags[column].any(), column
    assert flags["composite_percentile"].eq(50.0).all()
    assert rules(flags, "s00", 2026) == []
    assert flags.loc[("s00", 2026), "reason_text"] == ""


def test_confirmed_stable_low_requires_the_presets_probability():
    composites = ordered([2025, 2026])
    # the joint probability of the two years, as the model states it (never a product)
    stable = {("s18", 2026): 0.9, ("s19", 2026): 0.89}  # 0.9: confirmed; 0.89: not
    flags = run(make_scores(composites, stable_low_probability=stable))
    assert where(flags, "is_stable_low", 2026) == ["s18", "s19"]
    assert where(flags, "is_stable_low_confirmed", 2026) == ["s18"]
    assert flags.loc[("s18", 2026), "stable_low_probability"] == pytest.approx(0.9)
    assert flags.loc[("s19", 2026), "stable_low_probability"] == pytest.approx(0.89)
    assert flags.loc[("s00", 2026), "stable_low_probability"] == pytest.approx(0.0025)
    assert np.isnan(flags.loc[("s00", 2025), "stable_low_probability"])  # no 2024
    confirmed = reason(flags, "s18", 2026, "stable_low")
    assert confirmed["is_confirmed"] is True
    assert confirmed["years"] == [2025, 2026]
    assert confirmed["stable_low_probability"] == 0.9
    assert reason(flags, "s19", 2026, "stable_low")["is_confirmed"] is False
    assert "статистически подтверждено" in flags.loc[("s18", 2026), "reason_text"]
    assert "статистически подтверждено" not in flags.loc[("s19", 2026), "reason_text"]


def test_joint_rule_flags_the_expected_number_of_the_most_probable_schools():
    # s18, s19 worst by composite both years; s10 mid-table by composite but, by the joint
    # model, likely low in both years. 17 others at 0.0025: Σp = 2.49 → 2 schools; raising
    # s10 to 0.7 makes Σp = 2.59 → 3 schools, s10 among them.
    composites = ordered([2025, 2026])
    stable = {("s18", 2026): 0.95, ("s19", 2026): 0.9, ("s10", 2026): 0.6}
    flags = run(make_scores(composites, stable_low_probability=stable), stable_low_rule="joint")
    assert where(flags, "is_stable_low", 2026) == ["s18", "s19"]
    stable[("s10", 2026)] = 0.7
    flags = run(make_scores(composites, stable_low_probability=stable), stable_low_rule="joint")
    assert where(flags, "is_stable_low", 2026) == ["s10", "s18", "s19"]
    assert rules(flags, "s10", 2026) == ["stable_low"]
    assert flags.loc[("s10", 2026), "is_on_shnor_list"]
    # the both-years rule ignores the probabilities: s10 was never in the worst 10%
    both = run(make_scores(composites, stable_low_probability=stable))
    assert where(both, "is_stable_low", 2026) == ["s18", "s19"]


def test_joint_rule_without_joint_probabilities_falls_back_to_both_years():
    composites = ordered([2025, 2026])
    missing = {(school, 2026): None for school in SCHOOLS}
    flags = run(make_scores(composites, stable_low_probability=missing), stable_low_rule="joint")
    assert where(flags, "is_stable_low", 2026) == ["s18", "s19"]


def test_stable_low_sentence_names_both_years_and_the_probability():
    flags = run(make_scores(ordered([2025, 2026]), stable_low_probability={("s19", 2026): 0.92}))
    assert flags.loc[("s19", 2026), "reason_text"] == (
        "Низкие результаты два года подряд (2025 и 2026), по совокупности двух лет: процентиль "
        "школьного эффекта в 2026 году 100 из 100 (100 — худший), вероятность оказаться среди "
        "10\u00a0% худших в оба года 92\u00a0%, статистически подтверждено."
    )


def test_stable_low_without_a_joint_probability_says_it_is_not_computed():
    # persistence not estimable in the pool (or no shrinkage): the model gives no joint
    # probability; the school is ШНОР by its places, not confirmed, and the sentence says so
    flags = run(make_scores(ordered([2025, 2026]), stable_low_probability={("s19", 2026): None}))
    assert where(flags, "is_stable_low", 2026) == ["s18", "s19"]
    assert not flags.loc[("s19", 2026), "is_stable_low_confirmed"]
    assert reason(flags, "s19", 2026, "stable_low")["stable_low_probability"] is None
    assert flags.loc[("s19", 2026), "reason_text"].startswith(
        "Низкие результаты два года подряд (2025 и 2026), по совокупности двух лет: процентиль "
        "школьного эффекта в 2026 году 100 из 100 (100 — худший), вероятность устойчиво низких "
        "результатов не вычисляется."
    )


# --- stable high, resilient -------------------------------------------------------------------


def test_stable_high_is_the_best_two_in_both_years_and_blocked_by_a_concern():
    order_2026 = ["s02", "s01", *SCHOOLS[3:], "s00"]  # s00 falls to the bottom in 2026
    composites = ordered([2025]) | {2026: {s: float(i) for i, s in enumerate(order_2026)}}
    flags = run(make_scores(composites))
    assert where(flags, "is_stable_high", 2026) == ["s01"]
    assert rules(flags, "s01", 2026) == ["stable_high"]
    assert flags.loc[("s01", 2026), "reason_text"] == (
        "Стабильно высокие результаты два года подряд."
    )

    flags = run(make_scores(ordered([2025, 2026])), concerns={("s01", 2026)})
    assert where(flags, "is_stable_high", 2026) == ["s00"]
    assert where(flags, "has_objectivity_concern", 2026) == ["s01"]
    assert rules(flags, "s01", 2026) == ["objectivity_concern"]
    assert where(flags, "is_stable_high", 2025) == []


def test_resilient_is_shnsu_better_than_median_in_both_years_without_a_concern():
    # median 9.5: s03 and s05 better both years; s07 better only in 2026; s12 never
    order_2025 = [*SCHOOLS[:7], *SCHOOLS[8:11], "s07", *SCHOOLS[11:]]
    composites = {2025: {s: float(i) for i, s in enumerate(order_2025)}} | ordered([2026])
    assert composites[2025]["s07"] == 10.0 and composites[2026]["s07"] == 7.0
    scores = make_scores(composites)
    shnsu = {"s03", "s05", "s07", "s12"}
    flags = run(scores, shnsu=shnsu, concerns={("s05", 2026)})
    assert where(flags, "is_shnsu", 2026) == sorted(shnsu)
    assert where(flags, "is_resilient", 2026) == ["s03"]
    assert where(flags, "is_resilient", 2025) == []  # no 2024
    assert rules(flags, "s03", 2026) == ["resilient"]
    assert "Резильентная школа" in flags.loc[("s03", 2026), "reason_text"]
    # without the concern s05 is resilient too; s04 (not ШНСУ) never is
    flags = run(scores, shnsu=shnsu)
    assert where(flags, "is_resilient", 2026) == ["s03", "s05"]


def test_shnsu_worse_than_the_median_is_a_risk_reason():
    scores = make_scores(ordered([2026]))
    flags = run(scores, shnsu={"s12", "s03"})
    assert rules(flags, "s12", 2026) == ["shnsu_below_median"]
    assert reason(flags, "s12", 2026, "shnsu_below_median")["context_index"] == 1.5
    assert flags.loc[("s12", 2026), "reason_text"] == "ШНСУ с результатами хуже медианы."
    # better than the median (s03) or not ШНСУ (s13): no reason
    assert rules(flags, "s03", 2026) == []
    assert rules(flags, "s13", 2026) == []


# --- procedure-level risk reasons -------------------------------------------------------------


def test_absolute_risk_needs_two_procedures_at_thirty_percent_with_ten_participants():
    scores = make_scores(ordered([2026]))
    special = [
        # s01: exactly 30% in two procedures with n = 10 → absolute risk
        result("s01", 2026, subject="math", n=10, fails=3),
        result("s01", 2026, subject="russian", n=10, fails=3),
        # s02: the second procedure has n = 9 → not
        result("s02", 2026, subject="math", n=10, fails=4),
        result("s02", 2026, subject="russian", n=9, fails=9),
        # s03: 29% in one of them → not
        result("s03", 2026, subject="math", n=100, fails=29),
        result("s03", 2026, exam="oge", grade=9, subject="math", n=20, fails=10),
        # s04: three procedures, all high → absolute risk, three listed
        result("s04", 2026, subject="math", n=20, fails=8),
        result("s04", 2026, grade=6, subject="russian", n=12, fails=6),
        result("s04", 2026, exam="ege", grade=11, subject="math_profile", n=10, fails=5),
    ]
    flags = run(scores, plain_results(scores, special))
    assert where(flags, "is_absolute_risk", 2026) == ["s01", "s04"]
    assert rules(flags, "s01", 2026) == ["absolute_risk"]
    assert reason(flags, "s01", 2026, "absolute_risk")["procedures"] == [
        {
            "exam": "vpr",
            "grade": 5,
            "subject": "math",
            "participant_count": 10,
            "fail_share": 0.3,
            "previous_fail_share": None,
        },
        {
            "exam": "vpr",
            "grade": 5,
            "subject": "russian",
            "participant_count": 10,
            "fail_share": 0.3,
            "previous_fail_share": None,
        },
    ]
    listed = reason(flags, "s04", 2026, "absolute_risk")["procedures"]
    assert [(p["exam"], p["grade"], p["subject"]) for p in listed] == [
        ("vpr", 5, "math"),
        ("vpr", 6, "russian"),
        ("ege", 11, "math_profile"),
    ]
    assert flags.loc[("s04", 2026), "reason_text"] == (
        "Высокая доля не преодолевших порог: ВПР, Математика, 5 кл. — 40,0\u00a0%; "
        "ВПР, Русский язык, 6 кл. — 50,0\u00a0%; ЕГЭ, Математика (профильная) — 50,0\u00a0%."
    )
    for school in ("s02", "s03"):
        assert rules(flags, school, 2026) == []
        assert not flags.loc[(school, 2026), "is_risk_group"]


def test_persistent_failing_procedure_is_the_same_procedure_at_thirty_percent_both_years():
    scores = make_scores(ordered([2025, 2026]))
    special = [
        # s06: ВПР maths 5 at 40% then 30% (n ≥ 10 both years) → persistent
        result("s06", 2025, n=20, fails=8),
        result("s06", 2026, n=10, fails=3),
        # s07: high in different procedures each year → not
        result("s07", 2025, subject="math", n=20, fails=10),
        result("s07", 2026, subject="russian", n=20, fails=10),
        # s08: the earlier year had n = 9 → not
        result("s08", 2025, n=9, fails=5),
        result("s08", 2026, n=20, fails=10),
        # s09: same procedure but a different grade → not
        result("s09", 2025, grade=5, n=20, fails=10),
        result("s09", 2026, grade=6, n=20, fails=10),
    ]
    flags = run(scores, plain_results(scores, special))
    assert rules(flags, "s06", 2026) == ["persistent_failing_procedure"]
    assert not flags.loc[("s06", 2026), "is_absolute_risk"]  # one procedure only
    assert reason(flags, "s06", 2026, "persistent_failing_procedure")["procedures"] == [
        {
            "exam": "vpr",
            "grade": 5,
            "subject": "math",
            "participant_count": 10,
            "fail_share": 0.3,
            "previous_fail_share": 0.4,
        }
    ]
    assert flags.loc[("s06", 2026), "reason_text"] == (
        "Высокая доля неудовлетворительных результатов два года подряд: "
        "ВПР, Математика, 5 кл. — 40,0\u00a0% → 30,0\u00a0%."
    )
    for school in ("s07", "s08", "s09"):
        assert "persistent_failing_procedure" not in rules(flags, school, 2026), school


def _deterioration_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """s06: one procedure 20% → 35% of 100 (z-test p = 0.0175). s07: the same change plus five
    unchanged procedures, so Holm's smallest adjusted p is 6 · 0.0175 = 0.105."""
    scores = make_scores(ordered([2025, 2026]))
    special = [
        result("s06", 2025, n=100, fails=20),
        result("s06", 2026, n=100, fails=35),
        result("s07", 2025, n=100, fails=20),
        result("s07", 2026, n=100, fails=35),
    ]
    for grade in (4, 6, 7, 8):
        special += [
            result("s07", 2025, grade=grade, n=100, fails=10),
            result("s07", 2026, grade=grade, n=100, fails=10),
        ]
    special += [
        result("s07", 2025, subject="russian", n=100, fails=10),
        result("s07", 2026, subject="russian", n=100, fails=10),
    ]
    return scores, plain_results(scores, special)


def test_significant_deterioration_is_holm_adjusted_within_the_school_year(tmp_path):
    scores, results = _deterioration_case()
    flags = run(scores, results)
    assert rules(flags, "s06", 2026) == ["significant_deterioration"]
    assert reason(flags, "s06", 2026, "significant_deterioration")["procedures"] == [
        {
            "exam": "vpr",
            "grade": 5,
            "subject": "math",
            "participant_count": 100,
            "fail_share": 0.35,
            "previous_fail_share": 0.2,
        }
    ]
    assert flags.loc[("s06", 2026), "reason_text"] == (
        "Значимое ухудшение: ВПР, Математика, 5 кл. — 20,0\u00a0% → 35,0\u00a0%."
    )
    # significant alone, not after Holm over six procedures
    assert rules(flags, "s07", 2026) == []

    unadjusted = load_preset(
        write_preset(tmp_path, '[flags.risk_group]\ndeterioration_multiple_testing = "none"\n')
    )
    flags = run(scores, results, preset=unadjusted)
    assert rules(flags, "s07", 2026) == ["significant_deterioration"]
    assert rules(flags, "s06", 2026) == ["significant_deterioration"]


def test_deterioration_needs_ten_points_not_only_significance():
    scores = make_scores(ordered([2025, 2026]))
    special = [
        # +8 pp on n = 2000: highly significant but below 10 points
        result("s06", 2025, n=2000, fails=400),
        result("s06", 2026, n=2000, fails=560),
        # +25 pp on n = 8: 10 points but not significant
        result("s07", 2025, n=8, fails=1),
        result("s07", 2026, n=8, fails=3),
    ]
    flags = run(scores, plain_results(scores, special))
    assert rules(flags, "s06", 2026) == []
    assert rules(flags, "s07", 2026) == []


def test_a_rise_of_exactly_ten_points_counts():
    scores = make_scores(ordered([2025, 2026]))
    special = [
        result("s06", 2025, n=1000, fails=200),  # 20% → 30%, p ≈ 2e-7
        result("s06", 2026, n=1000, fails=300),
    ]
    flags = run(scores, plain_results(scores, special))
    assert rules(flags, "s06", 2026) == ["significant_deterioration"]


def test_a_stable_low_school_is_not_in_the_risk_group_even_with_risk_reasons():
    scores = make_scores(ordered([2025, 2026]))
    special = [
        result("s19", 2026, subject="math", n=20, fails=10),
        result("s19", 2026, subject="russian", n=20, fails=10),
    ]
    flags = run(scores, plain_results(scores, special), shnsu={"s19"})
    school = flags.loc[("s19", 2026)]
    assert school["is_stable_low"]
    assert school["is_absolute_risk"]
    assert not school["is_risk_group"]
    assert rules(flags, "s19", 2026) == [
        "stable_low",
        "absolute_risk",
        "significant_deterioration",
        "shnsu_below_median",
    ]
    text = school["reason_text"]
    assert text.startswith("Низкие результаты два года подряд (2025 и 2026)")
    assert "ВПР, Математика, 5 кл. — 50,0\u00a0%; ВПР, Русский язык, 5 кл. — 50,0\u00a0%" in text
    assert text.endswith("ШНСУ с результатами хуже медианы.")


# --- not rated, presets -----------------------------------------------------------------------


def test_not_rated_schools_get_only_the_not_rated_reason():
    composites = ordered([2025, 2026])
    scores = make_scores(composites, not_rated={("s19", 2026), ("s05", 2026)})
    special = [
        result("s19", 2026, subject="math", n=4, fails=4),
        result("s19", 2026, subject="russian", n=4, fails=4),
        result("s05", 2026, subject="math", n=10, fails=5),
        result("s05", 2026, subject="russian", n=10, fails=5),
    ]
    flags = run(scores, plain_results(scores, special), shnsu={"s05", "s19"})
    for school in ("s05", "s19"):
        row = flags.loc[(school, 2026)]
        assert not row["is_rated"]
        assert json.loads(row["reasons"]) == [
            {"rule": "not_rated", "reason": "менее 10 учтённых результатов участников"}
        ]
        assert row["reason_text"] == "Не оценивается: менее 10 учтённых результатов участников."
        for column in ("is_low_result", "is_stable_low", "is_absolute_risk", "is_risk_group"):
            assert not row[column], (school, column)
    # 19 rated schools in 2026: floor(1.9) = 1 low school
    assert where(flags, "is_low_result", 2026) == ["s18"]


def test_every_row_carries_the_preset_label():
    flags = run(make_scores(ordered([2025, 2026])))
    assert set(flags["preset"]) == {"reference@2026.1"}


def test_reasons_are_json_naming_rules_and_procedures():
    scores = make_scores(ordered([2026]))
    special = [
        result("s18", 2026, subject="math", n=10, fails=4),
        result("s18", 2026, exam="oge", grade=9, subject="russian", n=15, fails=6),
    ]
    flags = run(scores, plain_results(scores, special))
    parsed = json.loads(flags.loc[("s18", 2026), "reasons"])
    assert parsed == [
        {
            "rule": "first_time_low",
            "year": 2026,
            "low_share": 0.1,
            "composite_score": 18.0,
            "composite_percentile": 94.7,
            "low_probability": 0.05,
        },
        {
            "rule": "absolute_risk",
            "procedures": [
                {
                    "exam": "vpr",
                    "grade": 5,
                    "subject": "math",
                    "participant_count": 10,
                    "fail_share": 0.4,
                    "previous_fail_share": None,
                },
                {
                    "exam": "oge",
                    "grade": 9,
                    "subject": "russian",
                    "participant_count": 15,
                    "fail_share": 0.4,
                    "previous_fail_share": None,
                },
            ],
        },
    ]
    assert flags.loc[("s18", 2026), "reason_text"] == (
        "Впервые в числе школ с низкими результатами (2026), вероятность попадания в 10\u00a0% "
        "худших 5\u00a0%. Высокая доля не преодолевших порог: ВПР, Математика, 5 кл. — "
        "40,0\u00a0%; ОГЭ, Русский язык — 40,0\u00a0%."
    )
    for value in flags["reasons"]:
        assert isinstance(json.loads(value), list)


def test_a_larger_low_share_flags_more_schools_and_is_recorded(tmp_path):
    scores = make_scores(ordered([2025, 2026]))
    wider = load_preset(write_preset(tmp_path, "[flags]\nlow_share = 0.2\n"))
    reference = run(scores)
    flags = run(scores, preset=wider)
    assert where(reference, "is_low_result", 2026) == ["s18", "s19"]
    assert where(flags, "is_low_result", 2026) == ["s16", "s17", "s18", "s19"]
    assert where(flags, "is_stable_low", 2026) == ["s16", "s17", "s18", "s19"]
    assert set(flags["preset"]) == {"t@1"}


def test_first_time_low_sentence_uses_the_presets_share(tmp_path):
    wider = load_preset(write_preset(tmp_path, "[flags]\nlow_share = 0.2\n"))
    flags = run(make_scores(ordered([2026])), preset=wider)
    text = flags.loc[("s16", 2026), "reason_text"]
    assert "в 20\u00a0% худших" in text
    assert "10\u00a0%" not in text


# --- naive baseline ---------------------------------------------------------------------------


def test_naive_stable_low_ranks_pooled_raw_fail_shares():
    rows = []
    for i in range(10):  # 10 schools: the worst 10% is one school a year
        school = f"n{i}"
        rows.append(result(school, 2025, n=20, fails=i))
        rows.append(result(school, 2026, n=20, fails=i if i != 8 else 15))
        rows.append(result(school, 2026, subject="russian", n=20, fails=2))
    rows.append(result("tiny", 2025, n=5, fails=5))  # not rated: never low
    rows.append(result("tiny", 2026, n=5, fails=5))
    naive = naive_stable_low(pd.DataFrame(rows), REFERENCE).set_index(["school_id", "exam_year"])
    assert list(naive.reset_index().columns) == [
        "school_id",
        "exam_year",
        "pooled_fail_share",
        "is_low",
        "is_stable_low",
    ]
    assert "tiny" not in naive.index.get_level_values(0)
    assert naive.loc[("n9", 2025), "pooled_fail_share"] == pytest.approx(9 / 20)
    assert naive.loc[("n8", 2026), "pooled_fail_share"] == pytest.approx(17 / 40)
    assert sorted(naive.index[naive["is_low"]]) == [("n8", 2026), ("n9", 2025)]
    assert not naive["is_stable_low"].any()

    rows = [r for r in rows if not (r["school_id"] == "n8" and r["exam_year"] == 2026)]
    rows.append(result("n8", 2026, n=20, fails=3))
    naive = naive_stable_low(pd.DataFrame(rows), REFERENCE).set_index(["school_id", "exam_year"])
    assert naive.index[naive["is_stable_low"]].tolist() == [("n9", 2026)]


def test_low_results_and_medians_are_ranked_within_each_pool():
    composites = ordered([2026])
    scores = make_scores(composites)
    scores["pool"] = np.where(scores["school_id"] < "s10", "urban", "rural")
    scores["composite_percentile"] = scores.groupby("pool")["composite_score"].transform(
        percentile_rank
    )
    # s00–s09 urban (composites 0–9), s10–s19 rural (10–19): one low school per pool of 10
    flags = run(scores, shnsu={"s08", "s12"})
    assert where(flags, "is_low_result", 2026) == ["s09", "s19"]
    # s08 is worse than the urban median (4.5); s12 better than the rural median (14.5)
    assert rules(flags, "s08", 2026) == ["shnsu_below_median"]
    assert rules(flags, "s12", 2026) == []


def test_the_sentence_lists_five_procedures_and_counts_the_rest():
    scores = make_scores(ordered([2026]))
    special = [result("s07", 2026, grade=grade, n=10, fails=5) for grade in (4, 5, 6, 7, 8)]
    special += [
        result("s07", 2026, grade=grade, subject="russian", n=10, fails=6) for grade in (4, 5)
    ]
    flags = run(scores, plain_results(scores, special))
    assert len(reason(flags, "s07", 2026, "absolute_risk")["procedures"]) == 7
    assert flags.loc[("s07", 2026), "reason_text"] == (
        "Высокая доля не преодолевших порог: ВПР, Математика, 4 кл. — 50,0\u00a0%; "
        "ВПР, Математика, 5 кл. — 50,0\u00a0%; ВПР, Математика, 6 кл. — 50,0\u00a0%; "
        "ВПР, Математика, 7 кл. — 50,0\u00a0%; ВПР, Математика, 8 кл. — 50,0\u00a0% и ещё 2."
    )


# --- the risk group (docs/methodology.md) --------------------------------------------------------


def test_risk_group_is_next_low_probability_of_a_quarter_in_priority_order_off_the_list():
    composites = ordered([2025, 2026])
    likely = {("s05", 2026): 0.25, ("s06", 2026): 0.2499, ("s07", 2026): 0.6,
              ("s08", 2026): 0.4, ("s19", 2026): 0.9}  # fmt: skip
    flags = run(make_scores(composites, next_low_probability=likely))
    # s19 is ШНОР (low in 2025 and 2026): never in the risk group, however likely
    assert flags.loc[("s19", 2026), "is_on_shnor_list"]
    assert where(flags, "is_risk_group", 2026) == ["s05", "s07", "s08"]
    priority = flags.xs(2026, level="exam_year")["risk_group_priority"].dropna()
    assert priority.to_dict() == {"s05": 3, "s07": 1, "s08": 2}
    assert reason(flags, "s07", 2026, "likely_low_next_year") == {
        "rule": "likely_low_next_year", "year": 2027, "low_share": 0.1,
        "next_low_probability": 0.6, "priority": 1,
    }  # fmt: skip
    assert (
        "вероятность попасть в 10\u00a0% худших в 2027 году 60\u00a0%"
        in flags.loc[("s07", 2026), "reason_text"]
    )
    # a first-time low school with a low next-year probability is explained, not grouped
    assert not flags.loc[("s18", 2025), "is_risk_group"]


def test_the_risk_group_threshold_comes_from_the_preset(tmp_path):
    composites = ordered([2026])
    likely = {("s05", 2026): 0.15}
    lower = load_preset(write_preset(tmp_path, "[flags.risk_group]\nnext_low_probability = 0.1\n"))
    assert (
        where(run(make_scores(composites, next_low_probability=likely)), "is_risk_group", 2026)
        == []
    )
    flags = run(make_scores(composites, next_low_probability=likely), preset=lower)
    assert where(flags, "is_risk_group", 2026) == ["s05"]
