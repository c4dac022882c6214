"""School-year composites (docs/methodology.md): who is rated, pools, policy weights, one row per
school × year with a result. Given school-grain rows (fct_school_procedure_results) → expected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import result as row
from builders import write_preset

from shnor.presets import PresetError, load_preset
from shnor.scoring import SCORE_COLUMNS, procedure_weights, school_pools, school_year_scores

REFERENCE = load_preset()


def region(year: int = 2026, count: int = 12, prefix: str = "s") -> list[dict]:
    """`count` ordinary schools with ВПР maths (n = 20) and ОГЭ Russian (n = 15), fails rising."""
    rows = []
    for i in range(count):
        school = f"{prefix}{i:02d}"
        rows.append(row(school, year, "vpr", 5, "math", 20, 2 + i))
        rows.append(row(school, year, "oge", 9, "russian", 15, 1 + i // 2))
    return rows


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def registry(results: pd.DataFrame, **columns) -> pd.DataFrame:
    schools = pd.DataFrame({"school_id": sorted(results["school_id"].unique())})
    for name, mapping in columns.items():
        schools[name] = schools["school_id"].map(mapping)
    return schools


def scores_of(results: pd.DataFrame, preset=REFERENCE, schools=None) -> pd.DataFrame:
    schools = registry(results) if schools is None else schools
    return school_year_scores(results, schools, preset).set_index(["school_id", "exam_year"])


# --- rated or not (§2) -------------------------------------------------------------------------


def test_nine_counted_results_are_not_rated_and_the_reason_names_ten():
    results = frame([*region(), row("small9", 2026, "vpr", 5, "math", 9, 3)])
    scores = scores_of(results)
    small = scores.loc[("small9", 2026)]
    assert not small["is_rated"]
    assert small["not_rated_reason"] == "менее 10 учтённых результатов участников"
    assert "10" in small["not_rated_reason"]
    assert small["counted_participant_count"] == 9
    assert small["procedure_count"] == 1
    for column in (
        "theta_mle",
        "composite_score",
        "composite_lower",
        "composite_upper",
        "composite_percentile",
        "low_probability",
        "prior_mean",
    ):
        assert np.isnan(small[column]), column


def test_ten_counted_results_across_procedures_are_rated():
    results = frame(
        [
            *region(),
            row("small10", 2026, "vpr", 5, "math", 6, 3),
            row("small10", 2026, "vpr", 5, "russian", 4, 1),
            row("s00", 2026, "vpr", 5, "russian", 30, 5),
        ]
    )
    scores = scores_of(results)
    small = scores.loc[("small10", 2026)]
    assert small["is_rated"]
    assert pd.isna(small["not_rated_reason"])
    assert small["counted_participant_count"] == 10
    assert small["procedure_count"] == 2
    assert np.isfinite(small["composite_score"])
    assert np.isfinite(small["low_probability"])
    assert 0.0 <= small["composite_percentile"] <= 100.0
    assert scores["is_rated"].all()


def test_minimum_comes_from_the_preset_and_the_reason_names_it(tmp_path):
    preset = load_preset(write_preset(tmp_path, "[small_samples]\nmin_rated_participants = 20\n"))
    results = frame([*region(), row("mid", 2026, "vpr", 5, "math", 19, 5)])
    scores = scores_of(results, preset)
    assert not scores.loc[("mid", 2026), "is_rated"]
    assert scores.loc[("mid", 2026), "not_rated_reason"] == (
        "менее 20 учтённых результатов участников"
    )
    assert scores.loc[("s00", 2026), "is_rated"]  # 35 counted


def test_procedures_without_participants_do_not_count_toward_rating():
    results = frame(
        [
            *region(),
            row("empty", 2026, "vpr", 5, "math", 9, 2),
            row("empty", 2026, "oge", 9, "russian", 0, 0),
            row("empty", 2026, "ege", 11, "math_profile", 0, 0),
            row("zero", 2026, "oge", 9, "math", 0, 0),
        ]
    )
    scores = scores_of(results)
    empty = scores.loc[("empty", 2026)]
    assert not empty["is_rated"]
    assert empty["counted_participant_count"] == 9
    assert empty["procedure_count"] == 1
    zero = scores.loc[("zero", 2026)]
    assert not zero["is_rated"]
    assert zero["counted_participant_count"] == 0
    assert zero["procedure_count"] == 0
    assert np.isnan(zero["composite_score"])


def test_unrated_schools_have_no_composite_and_do_not_shift_the_percentiles():
    base = frame(region())
    with_small = frame([*region(), row("tiny", 2026, "vpr", 5, "math", 5, 5)])
    alone, together = scores_of(base), scores_of(with_small)
    assert np.isnan(together.loc[("tiny", 2026), "composite_score"])
    assert np.isnan(together.loc[("tiny", 2026), "composite_percentile"])
    rated = together[together["is_rated"]]
    assert len(rated) == 12
    # percentiles over the 12 rated schools only: 0, 100/11, …, 100
    assert sorted(rated["composite_percentile"].round(6)) == [
        round(100 * k / 11, 6) for k in range(12)
    ]
    pd.testing.assert_series_equal(
        alone["composite_percentile"], rated["composite_percentile"], check_exact=False
    )


# --- rows: one per school × year with a result -------------------------------------------------


def test_one_row_per_school_and_year_with_a_result_and_none_for_missing_years():
    results = frame(
        [
            *region(2024),
            *region(2025),
            *region(2026),
            row("only26", 2026, "vpr", 5, "math", 25, 5),
            row("gap", 2024, "vpr", 5, "math", 25, 5),
            row("gap", 2026, "vpr", 5, "math", 25, 5),
        ]
    )
    scores = school_year_scores(results, registry(results), REFERENCE)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert not scores.duplicated(["school_id", "exam_year"]).any()
    assert scores.loc[scores["school_id"] == "only26", "exam_year"].tolist() == [2026]
    assert scores.loc[scores["school_id"] == "gap", "exam_year"].tolist() == [2024, 2026]
    assert len(scores) == 12 * 3 + 1 + 2
    assert scores[["exam_year", "school_id"]].equals(
        scores[["exam_year", "school_id"]].sort_values(
            ["exam_year", "school_id"], ignore_index=True
        )
    )
    # a year is fitted with the years before it, never the later ones (docs/methodology.md): 2025
    # scored from 2024–2025 gives the same figures as in the fit of all three years; its
    # probabilities differ from 2025 scored alone (the joint prior carries 2024's evidence),
    # its composite does not (it rests on the year's own evidence, so flags combining years
    # never count a year twice)
    through = school_year_scores(
        results[results["exam_year"] <= 2025], registry(results), REFERENCE
    )
    only = school_year_scores(results[results["exam_year"] == 2025], registry(results), REFERENCE)
    alone = through[through["exam_year"] == 2025]
    in_all = scores[scores["exam_year"] == 2025]
    assert not np.allclose(only["low_probability"], in_all["low_probability"], atol=1e-3)
    assert only["composite_score"].to_numpy() == pytest.approx(
        in_all["composite_score"].to_numpy(), abs=1e-9
    )
    for column in ("composite_score", "low_probability", "stable_low_probability"):
        assert alone[column].to_numpy() == pytest.approx(in_all[column].to_numpy(), abs=1e-9)
    assert in_all["is_rated"].all()


def test_a_school_with_only_vpr_is_rated():
    rows = []
    for i in range(12):
        school = f"s{i:02d}"
        rows.append(row(school, 2026, "vpr", 4, "math", 25, 2 + i))
        rows.append(row(school, 2026, "oge", 9, "math", 20, 1 + i))
        rows.append(row(school, 2026, "ege", 11, "russian", 15, i // 3))
    rows.append(row("primary", 2026, "vpr", 4, "math", 14, 5))
    rows.append(row("primary", 2026, "vpr", 4, "russian", 14, 4))
    rows.append(row("s00", 2026, "vpr", 4, "russian", 25, 3))
    scores = scores_of(frame(rows))
    primary = scores.loc[("primary", 2026)]
    assert primary["is_rated"]
    assert primary["procedure_count"] == 2
    assert primary["counted_participant_count"] == 28
    assert np.isfinite(primary["composite_score"])
    assert primary["pool"] == "region"


# --- pools (§3) -------------------------------------------------------------------------------


def _urban_rural_results() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for i in range(10):
        rows.append(row(f"u{i}", 2026, "vpr", 5, "math", 30, 1 + i))  # urban: 3%–33%
        rows.append(row(f"u{i}", 2026, "oge", 9, "math", 20, i // 2))
        rows.append(row(f"r{i}", 2026, "vpr", 5, "math", 30, 10 + i))  # rural: 33%–63%
        rows.append(row(f"r{i}", 2026, "oge", 9, "math", 20, 4 + i))
    results = frame(rows)
    settlement = {s: "urban" if s.startswith("u") else "rural" for s in results["school_id"]}
    return results, registry(results, settlement_type=settlement)


def test_settlement_pools_are_fitted_separately_and_ranked_within_the_pool():
    results, schools = _urban_rural_results()
    preset = load_preset("urban_rural")
    pools = school_pools(schools, preset)
    assert pools["u0"] == "urban" and pools["r0"] == "rural"

    scores = scores_of(results, preset, schools)
    assert set(scores["pool"]) == {"urban", "rural"}
    assert (
        scores.loc[scores.index.get_level_values(0).str.startswith("u"), "pool"] == "urban"
    ).all()
    priors = scores.groupby("pool")[["prior_mean", "prior_sd"]].nunique()
    assert (priors == 1).all().all()  # one prior per pool
    prior = scores.groupby("pool")[["prior_mean", "prior_sd"]].first()
    assert prior.loc["urban", "prior_mean"] != pytest.approx(prior.loc["rural", "prior_mean"])
    assert prior.loc["urban", "prior_sd"] != pytest.approx(prior.loc["rural", "prior_sd"])
    for _pool, group in scores.groupby("pool"):
        assert group["composite_percentile"].min() == 0.0
        assert group["composite_percentile"].max() == 100.0
    # the worst urban school is the worst of its pool, though better than most rural schools
    assert scores.loc[("u9", 2026), "composite_percentile"] == 100.0

    # a separate fit: the rural pool's composites do not depend on the urban schools at all
    rural_only = results[results["school_id"].str.startswith("r")]
    alone = scores_of(rural_only, preset, schools)
    rural = scores[scores["pool"] == "rural"]
    assert alone["composite_score"].to_numpy() == pytest.approx(
        rural["composite_score"].to_numpy(), abs=1e-9
    )
    assert alone["composite_percentile"].to_numpy() == pytest.approx(
        rural["composite_percentile"].to_numpy()
    )


def test_region_pool_puts_every_school_in_one_fit():
    results, schools = _urban_rural_results()
    scores = scores_of(results, REFERENCE, schools)
    assert set(scores["pool"]) == {"region"}
    assert scores["prior_mean"].nunique() == 1
    assert scores.loc[("r9", 2026), "composite_percentile"] == 100.0
    assert scores.loc[("u9", 2026), "composite_percentile"] < 100.0


# --- policy weights (§3) ----------------------------------------------------------------------


def test_a_family_weight_of_zero_is_rejected(tmp_path):
    path = write_preset(tmp_path, "[school_effect.weights]\nege = 0.0\n")
    with pytest.raises(PresetError, match=r"school_effect\.weights\.ege"):
        load_preset(path)
    negative = write_preset(tmp_path, "[school_effect.weights]\nvpr = -1.0\n", name="neg")
    with pytest.raises(PresetError, match="must be positive"):
        load_preset(negative)


def test_procedure_weights_multiply_family_and_core_or_secondary(tmp_path):
    preset = load_preset(
        write_preset(tmp_path, "[school_effect.weights]\nege = 2.0\nsecondary = 0.5\n")
    )
    results = frame(
        [
            row("a", 2026, "ege", 11, "russian", 10, 1),
            row("a", 2026, "ege", 11, "physics", 10, 1),
            row("a", 2026, "vpr", 5, "math", 10, 1),
            row("a", 2026, "vpr", 7, "history", 10, 1),
            row("a", 2026, "oge", 9, "math_base", 10, 1),
        ]
    )
    assert procedure_weights(results, preset).tolist() == [2.0, 1.0, 1.0, 0.5, 1.0]
    assert procedure_weights(results, REFERENCE).tolist() == [1.0] * 5


def _weighted_region() -> pd.DataFrame:
    rows = []
    for i in range(15):
        school = f"s{i:02d}"
        rows.append(row(school, 2026, "vpr", 5, "math", 25, 1 + i))
        rows.append(row(school, 2026, "oge", 9, "math", 20, 1 + i))
        rows.append(row(school, 2026, "ege", 11, "russian", 20, i // 2))
    # bad only in ЕГЭ: ВПР and ОГЭ about the regional rate (32%, 40%), ЕГЭ 60% (region 17%)
    rows.append(row("bad_ege", 2026, "vpr", 5, "math", 25, 8))
    rows.append(row("bad_ege", 2026, "oge", 9, "math", 20, 7))
    rows.append(row("bad_ege", 2026, "ege", 11, "russian", 20, 12))
    return frame(rows)


def test_doubling_the_ege_weight_makes_a_school_bad_only_in_ege_worse(tmp_path):
    results = _weighted_region()
    heavy = load_preset(write_preset(tmp_path, "[school_effect.weights]\nege = 2.0\n"))
    plain = scores_of(results).loc[("bad_ege", 2026)]
    weighted = scores_of(results, heavy).loc[("bad_ege", 2026)]
    assert plain["is_rated"] and weighted["is_rated"]
    # the counts for rating are not weighted
    assert weighted["counted_participant_count"] == plain["counted_participant_count"] == 65
    assert weighted["theta_mle"] > plain["theta_mle"] + 0.1
    assert weighted["composite_score"] > plain["composite_score"] + 0.1
    assert weighted["low_probability"] > plain["low_probability"]
    assert weighted["composite_percentile"] > plain["composite_percentile"]

    # and less weight on ЕГЭ goes the other way
    light = load_preset(
        write_preset(tmp_path, "[school_effect.weights]\nege = 0.5\n", name="light")
    )
    lighter = scores_of(results, light).loc[("bad_ege", 2026)]
    assert lighter["theta_mle"] < plain["theta_mle"] - 0.1
    assert lighter["composite_score"] < plain["composite_score"] - 0.1
    assert lighter["composite_percentile"] < plain["composite_percentile"]
