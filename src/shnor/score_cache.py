"""The school scores kept between runs: a year is fitted again only when its inputs changed."""

from __future__ import annotations

import duckdb
import pandas as pd

from shnor import warehouse
from shnor.presets import Preset
from shnor.scoring import school_year_scores, year_input_keys

SCORE_KEYS = "ops.score_inputs"


def reused_year_scores(
    con: duckdb.DuckDBPyConnection,
    results: pd.DataFrame,
    schools: pd.DataFrame,
    preset: Preset,
    usable: pd.Series,
    context: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[int, str]]:
    """`school_year_scores`, fitted again only for the years whose inputs differ from those of
    the scores in the warehouse (a new file of the latest year leaves the earlier years' fits
    as they were); also the per-year input keys, to store beside the scores. `context`: the
    context index per school × year, for the prior mean (`school_year_scores`)."""
    if not preset["school_effect.context_in_prior"]:
        context = None
    keys = year_input_keys(results, schools, preset, usable, context)
    stored = {}
    if warehouse.table_exists(con, SCORE_KEYS) and warehouse.table_exists(
        con, "intermediate.int_school_year_scores"
    ):
        stored = dict(con.execute(f"SELECT exam_year, input_key FROM {SCORE_KEYS}").fetchall())
    kept = sorted(year for year, key in keys.items() if stored.get(year) == key)
    refit = sorted(set(keys) - set(kept))
    if not kept:
        scores = school_year_scores(results, schools, preset, evidence_mask=usable, context=context)
        return scores, keys
    earlier = con.execute(
        "SELECT * FROM intermediate.int_school_year_scores "
        "WHERE list_contains($years, exam_year) ORDER BY exam_year, school_id",
        {"years": kept},
    ).df()
    if not refit:
        return earlier, keys
    # A year is fitted with the years before it (one model across years, docs/methodology.md).
    scores = school_year_scores(
        results, schools, preset, evidence_mask=usable, years=refit, context=context
    )
    earlier = earlier[list(scores.columns)].astype(scores.dtypes.to_dict())
    scores = pd.concat([scores, earlier], ignore_index=True)
    return scores.sort_values(["exam_year", "school_id"], ignore_index=True), keys


def store_year_scores(
    con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, keys: dict[int, str]
) -> dict[str, int]:
    """The scores and their per-year input keys, in one transaction (a key never describes
    scores other than those stored beside it)."""
    con.execute("BEGIN TRANSACTION")
    try:
        counts = {
            "intermediate.int_school_year_scores": warehouse.replace_table(
                con, "intermediate.int_school_year_scores", scores
            ),
            SCORE_KEYS: warehouse.replace_table(
                con, SCORE_KEYS, pd.DataFrame(keys.items(), columns=["exam_year", "input_key"])
            ),
        }
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return counts
