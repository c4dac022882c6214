"""The flag step fits the school effect again only for years whose inputs changed: a kept year's
scores come from the warehouse, a changed year's are fitted afresh, and either way the result
equals a fit of everything from scratch."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from builders import result as row
from builders import write_preset

from shnor import warehouse
from shnor.presets import load_preset
from shnor.score_cache import SCORE_KEYS, reused_year_scores, store_year_scores
from shnor.scoring import school_year_scores

REFERENCE = load_preset()
YEARS = (2024, 2025, 2026)


def region() -> pd.DataFrame:
    rows = []
    for year in YEARS:
        for i in range(14):
            school = f"s{i:02d}"
            rows.append(row(school, year, "vpr", 5, "math", 20 + year % 3, 1 + (i * 7 + year) % 9))
            rows.append(row(school, year, "oge", 9, "russian", 15, (i + year) % 6))
    return pd.DataFrame(rows)


def schools_of(results: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"school_id": sorted(results["school_id"].unique())})


def everything(results: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=results.index)


@pytest.fixture
def con():
    with warehouse.connect(":memory:") as connection:
        yield connection


def stored_run(con, results, preset=REFERENCE) -> pd.DataFrame:
    """One flag step's part: reuse what it can, store scores and keys."""
    schools = schools_of(results)
    scores, keys = reused_year_scores(con, results, schools, preset, everything(results))
    store_year_scores(con, scores, keys)
    return scores


def fresh(results, preset=REFERENCE) -> pd.DataFrame:
    return school_year_scores(results, schools_of(results), preset, everything(results))


def mark_stored_year(con, year: int) -> None:
    """Change a stored score of `year` so that reuse (and only reuse) returns the mark."""
    con.execute(
        "UPDATE intermediate.int_school_year_scores SET prior_mean = -99 WHERE exam_year = ?",
        [year],
    )


def test_a_changed_year_is_fitted_again_and_the_others_are_kept(con):
    results = region()
    pd.testing.assert_frame_equal(stored_run(con, results), fresh(results))
    for year in YEARS:
        mark_stored_year(con, year)

    # A school's 2026 result changes: 2026 is fitted again, 2024 and 2025 come from the store.
    changed = results.copy()
    changed.loc[(changed["exam_year"] == 2026) & (changed["school_id"] == "s03"), "fail_count"] += 4
    scores, _ = reused_year_scores(
        con, changed, schools_of(changed), REFERENCE, everything(changed)
    )
    marked = scores.groupby("exam_year")["prior_mean"].apply(lambda s: bool((s == -99).all()))
    assert marked.to_dict() == {2024: True, 2025: True, 2026: False}
    expected = fresh(changed)
    unmarked = expected["exam_year"] == 2026
    pd.testing.assert_frame_equal(scores[unmarked], expected[unmarked])
    pd.testing.assert_frame_equal(
        scores[~unmarked].drop(columns="prior_mean"), expected[~unmarked].drop(columns="prior_mean")
    )


def test_unchanged_inputs_reuse_every_year_with_the_same_types(con):
    results = region()
    stored_run(con, results)
    again = stored_run(con, results)
    pd.testing.assert_frame_equal(again, fresh(results))
    assert con.execute(f"SELECT count(*) FROM {SCORE_KEYS}").fetchall() == [(len(YEARS),)]


def test_rows_in_another_order_are_the_same_inputs(con):
    results = region()
    stored_run(con, results)
    mark_stored_year(con, 2025)
    shuffled = results.sample(frac=1, random_state=3).reset_index(drop=True)
    scores, _ = reused_year_scores(
        con, shuffled, schools_of(shuffled), REFERENCE, everything(shuffled)
    )
    assert (scores.loc[scores["exam_year"] == 2025, "prior_mean"] == -99).all()


def test_evidence_set_aside_or_another_preset_fits_again(con, tmp_path):
    results = region()
    stored_run(con, results)
    for year in YEARS:
        mark_stored_year(con, year)
    mask = everything(results)
    last = max(YEARS)
    mask[(results["exam_year"] == last) & (results["exam"] == "vpr")] = False
    scores, _ = reused_year_scores(con, results, schools_of(results), REFERENCE, mask)
    assert (scores.loc[scores["exam_year"] == last, "prior_mean"] != -99).all()
    assert (scores.loc[scores["exam_year"] < last, "prior_mean"] == -99).all()
    # a year is fitted with the years before it: a change in the first year refits all
    mask = everything(results)
    mask[(results["exam_year"] == min(YEARS)) & (results["exam"] == "vpr")] = False
    scores, _ = reused_year_scores(con, results, schools_of(results), REFERENCE, mask)
    assert (scores["prior_mean"] != -99).all()

    other = load_preset(write_preset(tmp_path, "[flags]\nlow_share = 0.15\n"))
    scores, _ = reused_year_scores(con, results, schools_of(results), other, everything(results))
    assert (scores["prior_mean"] != -99).all()
    pd.testing.assert_frame_equal(scores, fresh(results, other))


def test_no_stored_scores_fits_everything():
    with duckdb.connect() as plain:  # no ops schema, no tables
        results = region()
        scores, keys = reused_year_scores(
            plain, results, schools_of(results), REFERENCE, everything(results)
        )
    assert sorted(keys) == list(YEARS)
    pd.testing.assert_frame_equal(scores, fresh(results))


def test_a_rerun_equals_a_fit_from_scratch_in_every_year_and_refits_only_from_the_changed_one(
    con, monkeypatch
):
    # An earlier year's figures use the data through that year only (next year's
    # probability included), so a changed later year leaves them exactly as a fit from scratch
    # gives them, and the kept years are not fitted again.
    import shnor.score_cache as score_cache

    fitted = []

    def counted(*args, **kwargs):
        fitted.append(kwargs.get("years"))
        return school_year_scores(*args, **kwargs)

    monkeypatch.setattr(score_cache, "school_year_scores", counted)
    results = region()
    stored_run(con, results)
    for changed_year in (2026, 2025):
        fitted.clear()
        changed = results.copy()
        school = (changed["exam_year"] == changed_year) & changed["school_id"].isin(["s03", "s08"])
        changed.loc[school, "fail_count"] += 4
        again = stored_run(con, changed)
        assert fitted == [[year for year in YEARS if year >= changed_year]]
        pd.testing.assert_frame_equal(again, fresh(changed), check_exact=False, rtol=0, atol=1e-9)
        stored_run(con, results)  # back to the first inputs
