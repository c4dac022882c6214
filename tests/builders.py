"""Small builders shared by the tests: school-grain frames for flag rules, and raw rows for the
SQL models (importable as `builders`: pytest puts tests/ on the path)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from shnor import warehouse
from shnor.flags import FLAG_COLUMNS, school_flags
from shnor.ingest.raw_load import ingest_raw
from shnor.methods.ranking import percentile_rank
from shnor.presets import load_preset
from shnor.scoring import SCORE_COLUMNS
from shnor.stages.build import build
from shnor.stages.ingest import map_subjects

LOADED_AT = dt.datetime(2025, 9, 1, 12, 0)


def result(school, year, exam="vpr", grade=5, subject="math", n=20, fails=2) -> dict:
    """One row of fct_school_procedure_results (the columns the rules read)."""
    return {
        "school_id": school,
        "exam_year": year,
        "exam": exam,
        "grade": grade,
        "subject": subject,
        "participant_count": n,
        "fail_count": fails,
    }


def plain_results(scores: pd.DataFrame, special: Iterable[dict] = ()) -> pd.DataFrame:
    """One harmless procedure (ВПР maths 5, 2 of 20 failing) per school-year, unless `special`
    gives that school-year its own rows."""
    special = list(special)
    own = {(r["school_id"], r["exam_year"]) for r in special}
    rows = [
        result(s, y)
        for s, y in zip(scores["school_id"], scores["exam_year"], strict=True)
        if (s, y) not in own
    ]
    return pd.DataFrame([*rows, *special])


def make_context(scores: pd.DataFrame, shnsu: Iterable[str] = frozenset()) -> pd.DataFrame:
    """Context per school-year: ШНСУ schools at index 1.5, the others at −0.2."""
    context = scores[["school_id", "exam_year"]].copy()
    context["is_shnsu"] = context["school_id"].isin(set(shnsu))
    context["context_index"] = np.where(context["is_shnsu"], 1.5, -0.2)
    return context


def make_objectivity(concerns: Iterable[tuple[str, int]] = frozenset()) -> pd.DataFrame:
    """Objectivity concerns for these (school, year) pairs; none for everyone else."""
    return pd.DataFrame(
        [
            {"school_id": s, "exam_year": y, "has_objectivity_concern": True}
            for s, y in sorted(concerns)
        ],
        columns=["school_id", "exam_year", "has_objectivity_concern"],
    )


def write_preset(tmp_path: Path, body: str, name: str = "t") -> Path:
    """A preset file overlaying the reference with `body` (TOML), named `name` version 1."""
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[preset]\nname = "{name}"\nversion = "1"\n\n{body}', encoding="utf-8")
    return path


def insert_raw(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source_file: str,
    rows: list[dict],
    loaded_at: dt.datetime = LOADED_AT,
) -> None:
    """Rows of one file into raw.<table>, all text, with provenance (_row from 2)."""
    for number, row in enumerate(rows, start=2):
        values = {
            **row,
            "_source_file": source_file,
            "_sheet": None,
            "_row": number,
            "_file_checksum": f"sha-{source_file}",
            "_loaded_at": loaded_at,
        }
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO raw.{table} ({columns}) VALUES ({marks})", list(values.values()))


def build_models(
    con: duckdb.DuckDBPyConnection, preset=None, reference: Path | None = None
) -> dict[str, int]:
    """Map subjects (with a region's reference folder, if given) and build every SQL model
    (staging → marts) with the preset."""
    map_subjects(con, reference)
    return build(con, preset or load_preset())


def fetch(con: duckdb.DuckDBPyConnection, sql: str, *parameters) -> list[tuple]:
    """All rows of a query."""
    return con.execute(sql, list(parameters)).fetchall()


@contextmanager
def fresh_warehouse(reference: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with macros, reference tables (a region's folder, if given) and
    raw.* ready."""
    from shnor.ingest.raw_tables import ensure_raw_tables

    with warehouse.connect(":memory:") as con:
        warehouse.prepare_connection(con, reference)
        ensure_raw_tables(con)
        yield con


# Two files giving the same things with other figures (issue 18): the original and a
# resubmission, arriving together under either name, or one after the other in either order.
CONFLICT_ORDERS = ("original first", "resent first")


def conflict_names(order: str, suffix: str) -> tuple[str, str]:
    """The names of the original and the resubmission: a and b, or b and a."""
    names = (f"a{suffix}", f"b{suffix}")
    return names if order == "original first" else names[::-1]


def conflict_cases(original, resent, suffix: str) -> dict[str, list[dict]]:
    """The steps (files placed, then a build) of four ways the two files can arrive."""
    a, b = f"a{suffix}", f"b{suffix}"
    return {
        "cold a=original": [{a: original, b: resent}],
        "cold a=resent": [{a: resent, b: original}],
        "original, then resent": [{a: original}, {b: resent}],
        "resent, then original": [{b: resent}, {a: original}],
    }


def built_after_steps(
    con: duckdb.DuckDBPyConnection, raw: Path, steps: list[dict], place: Callable[..., None]
) -> None:
    """Each step's files written by `place(raw, name, content)`, then ingested and built."""
    for files in steps:
        for name, content in files.items():
            place(raw, name, content)
        ingest_raw(con, raw)
        build_models(con)


def results_in_fresh_warehouses(
    tmp_path: Path, cases: dict[str, list[dict]], run: Callable[..., dict]
) -> dict[str, dict]:
    """`run(con, raw, steps)` of each case in a warehouse and raw folder of its own."""
    results = {}
    for case, steps in cases.items():
        with fresh_warehouse() as con:
            folder = tmp_path / case.replace(" ", "_").replace(",", "").replace("=", "_")
            results[case] = run(con, folder / "raw", steps)
    return results


def problems_of_rule(con: duckdb.DuckDBPyConnection, rule: str) -> list[tuple]:
    """(source_file, severity, value, message) of each problem of the rule, in order."""
    return con.execute(
        "SELECT source_file, severity, value, message FROM ops.problems WHERE rule = ? "
        "ORDER BY ALL",
        [rule],
    ).fetchall()


def files_not_loaded(con: duckdb.DuckDBPyConnection) -> int:
    """How many files raw._files holds with another status than loaded."""
    return con.execute("SELECT count(*) FROM raw._files WHERE status <> 'loaded'").fetchone()[0]


def name_authoritative_files(con: duckdb.DuckDBPyConnection, tmp_path: Path, rows: str) -> None:
    """reference/authoritative_files.csv with these rows (CSV text), loaded into ref.*."""
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "authoritative_files.csv").write_text(
        "source_file,exam_year,municipality_name,reviewed_by,note\n" + rows, encoding="utf-8"
    )
    warehouse.load_reference_tables(con, reference)


REFERENCE = load_preset()
SCHOOLS = [f"s{i:02d}" for i in range(20)]


def make_scores(
    composites: dict[int, dict[str, float]],
    low_probability: dict[tuple[str, int], float] | None = None,
    not_rated: set[tuple[str, int]] = frozenset(),
    stable_low_probability: dict[tuple[str, int], float] | None = None,
    next_low_probability: dict[tuple[str, int], float] | None = None,
    improvement_p_value: dict[tuple[str, int], float] | None = None,
) -> pd.DataFrame:
    """Rows of scoring.SCORE_COLUMNS; percentiles computed within the year over rated schools.
    The joint probabilities default to 0.0025 (stable, with a year before) and 0.05 (next)."""
    low_probability = low_probability or {}
    stable_low_probability = stable_low_probability or {}
    next_low_probability = next_low_probability or {}
    improvement_p_value = improvement_p_value or {}
    rows = []
    for year, by_school in composites.items():
        for school, composite in by_school.items():
            rated = (school, year) not in not_rated
            rows.append(
                {
                    "school_id": school,
                    "exam_year": year,
                    "pool": "region",
                    "counted_participant_count": 60 if rated else 8,
                    "procedure_count": 3 if rated else 1,
                    "is_rated": rated,
                    "not_rated_reason": None
                    if rated
                    else "менее 10 учтённых результатов участников",
                    "theta_mle": composite if rated else np.nan,
                    "theta_se": 0.3 if rated else np.nan,
                    "composite_score": composite if rated else np.nan,
                    "composite_sd": 0.2 if rated else np.nan,
                    "composite_lower": composite - 0.4 if rated else np.nan,
                    "composite_upper": composite + 0.4 if rated else np.nan,
                    "composite_percentile": np.nan,
                    "low_probability": low_probability.get((school, year), 0.05)
                    if rated
                    else np.nan,
                    "stable_low_probability": stable_low_probability.get(
                        (school, year), 0.0025 if school in composites.get(year - 1, {}) else np.nan
                    )
                    if rated
                    else np.nan,
                    "next_low_probability": next_low_probability.get((school, year), 0.05)
                    if rated
                    else np.nan,
                    "expected_fail_share": np.nan,
                    "improvement_p_value": improvement_p_value.get((school, year), 0.5)
                    if rated
                    else np.nan,
                    "prior_mean": 0.0,
                    "prior_sd": 1.0,
                    "persistence": 0.6,
                }
            )
    scores = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    scores["composite_percentile"] = scores.groupby(["exam_year", "pool"])[
        "composite_score"
    ].transform(percentile_rank)
    return scores


def ordered(years, order=SCHOOLS) -> dict[int, dict[str, float]]:
    """Composites 0 (best) … 19 (worst) in the given school order, the same every year."""
    return {year: {school: float(i) for i, school in enumerate(order)} for year in years}


def with_stable_low_rule(preset, rule: str):
    """The preset (same name) with `flags.stable_low_rule` set."""
    values = copy.deepcopy(preset.values)
    values["flags"]["stable_low_rule"] = rule
    return dataclasses.replace(preset, values=values)


def run(
    scores,
    results=None,
    shnsu=frozenset(),
    concerns=frozenset(),
    preset=REFERENCE,
    value_added=None,
    students=None,
    stable_low_rule="both_years",
) -> pd.DataFrame:
    """Flags of hand-written scores. Their probabilities are not a model's, so by default
    `is_stable_low` is the both-years rule; the joint rule is asked for by its tests."""
    results = plain_results(scores) if results is None else results
    flags = school_flags(
        scores,
        results,
        make_context(scores, shnsu),
        make_objectivity(concerns),
        with_stable_low_rule(preset, stable_low_rule),
        value_added=value_added,
        students=students,
    )
    assert list(flags.columns) == list(FLAG_COLUMNS)
    return flags.set_index(["school_id", "exam_year"])


def where(flags: pd.DataFrame, column: str, year: int) -> list[str]:
    in_year = flags.xs(year, level="exam_year")
    return sorted(in_year.index[in_year[column].astype(bool)])


def reasons(flags: pd.DataFrame, school: str, year: int) -> list[dict]:
    return json.loads(flags.loc[(school, year), "reasons"])


def rules(flags: pd.DataFrame, school: str, year: int) -> list[str]:
    return [r["rule"] for r in reasons(flags, school, year)]


def reason(flags: pd.DataFrame, school: str, year: int, rule: str) -> dict:
    found = [r for r in reasons(flags, school, year) if r["rule"] == rule]
    assert len(found) == 1, (school, year, rule, found)
    return found[0]
