"""Stage 3, flag: objectivity markers, school scores, the context index and the flags at school
grain (pandas, methods/), then the report tables."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from shnor import warehouse
from shnor.config import paths_of
from shnor.flags import school_flags
from shnor.methods.context_index import context_drivers, context_for_years, derived_components
from shnor.methods.context_sources import (
    combined_components,
    context_school_years,
    context_sources,
)
from shnor.methods.contextual import contextual_value_added
from shnor.methods.objectivity import objectivity_concerns, objectivity_markers, vpr_evidence_mask
from shnor.methods.objectivity_lists import with_fioco_list
from shnor.methods.support import class_support_signals, early_warning
from shnor.presets import Preset, load_preset
from shnor.progress import report
from shnor.report_tables import report_tables
from shnor.score_cache import reused_year_scores, store_year_scores
from shnor.stages.build import sql_parameters
from shnor.stages.check import CHECKED_MARTS

FLAG_STEPS = 6  # parts of `flag` reported to the progress bar


def context_components(con: duckdb.DuckDBPyConnection, schools: pd.DataFrame) -> pd.DataFrame:
    """Context components per school-year, from the passport, the registry's conditions and the
    ФИС ОКО questionnaire. School conditions join the index only where the school has a passport
    or a questionnaire that year, so the ШНСУ population is those schools; the passport wins a
    component both give, then the registry's conditions, then the questionnaire
    (methods/context_sources.py)."""
    passport = con.execute(
        "SELECT school_id, exam_year, component, share FROM staging.stg_context__components"
    ).df()
    questionnaire = con.execute(
        "SELECT school_id, exam_year, component, share "
        "FROM staging.stg_context__questionnaire_components"
    ).df()
    enrolment = con.execute(
        "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools "
        "WHERE student_count IS NOT NULL"
    ).df()
    with_context = context_school_years(passport, questionnaire)
    derived = derived_components(schools, enrolment, sorted(set(with_context["exam_year"])))
    derived = derived.merge(with_context, on=["school_id", "exam_year"])
    return combined_components(passport, derived, questionnaire)


def flag(con: duckdb.DuckDBPyConnection, preset: Preset) -> dict[str, int]:
    """Objectivity markers, school scores (ВПР set aside where objectivity is in doubt), context
    index and flags, at school grain in pandas; then the report tables."""
    results = con.execute("SELECT * FROM marts.fct_school_procedure_results").df()
    schools = con.execute("SELECT * FROM marts.dim_schools").df()
    evidence = con.execute("SELECT * FROM intermediate.int_vpr_objectivity_evidence").df()
    report("flag", "маркеры объективности ВПР", 0, FLAG_STEPS)
    fioco = con.execute(
        "SELECT school_id, exam_year, grade, subject FROM staging.stg_objectivity__fioco_list"
    ).df()
    markers = objectivity_markers(evidence, results, preset)
    # The ФИОКО list counts as a concern when the preset says so (objectivity.fioco_list_...).
    concerns = with_fioco_list(objectivity_concerns(markers, preset), fioco, preset)
    usable = vpr_evidence_mask(results, concerns, preset)
    report("flag", "индекс условий, ШНСУ", 1, FLAG_STEPS)
    # The context comes first: it enters the prior mean of the school effect (§5).
    components = context_components(con, schools)
    school_years = results[["school_id", "exam_year"]].drop_duplicates()
    context = context_for_years(components, school_years, preset, context_sources(components))
    report("flag", "школьный эффект (эмпирический Байес)", 2, FLAG_STEPS)
    scores, score_keys = reused_year_scores(con, results, schools, preset, usable, context)
    students = con.execute(
        "SELECT school_id, exam_year, count(*) AS student_count, "
        "count(*) FILTER (WHERE is_at_risk) AS at_risk_student_count "
        "FROM intermediate.int_vpr_students_at_risk GROUP BY ALL"
    ).df()
    report("flag", "флаги и причины", 3, FLAG_STEPS)
    value_added = contextual_value_added(scores)
    # Procedure-level rules read only the evidence in use (ВПР set aside does not count).
    flags = school_flags(
        scores,
        results[usable],
        context,
        concerns,
        preset,
        value_added=value_added,
        students=students,
    )
    counts = store_year_scores(con, scores, score_keys) | {
        "intermediate.int_vpr_objectivity_markers": warehouse.replace_table(
            con, "intermediate.int_vpr_objectivity_markers", markers
        ),
        "intermediate.int_school_objectivity": warehouse.replace_table(
            con, "intermediate.int_school_objectivity", concerns
        ),
        "intermediate.int_school_context": warehouse.replace_table(
            con, "intermediate.int_school_context", context
        ),
        "marts.fct_school_flags": warehouse.replace_table(con, "marts.fct_school_flags", flags),
        "marts.fct_school_context_drivers": warehouse.replace_table(
            con, "marts.fct_school_context_drivers", school_context_drivers(components, context)
        ),
    }
    report("flag", "сигналы поддержки, раннее предупреждение", 4, FLAG_STEPS)
    classes = con.execute("SELECT * FROM intermediate.int_vpr_class_results").df()
    mock = con.execute("SELECT * FROM marts.fct_school_mock_results").df()
    counts["marts.fct_class_support_signals"] = warehouse.replace_table(
        con, "marts.fct_class_support_signals", class_support_signals(classes, preset)
    )
    counts["marts.fct_school_early_warning"] = warehouse.replace_table(
        con, "marts.fct_school_early_warning", early_warning(mock, results, preset)
    )
    report("flag", "таблицы отчётов", 5, FLAG_STEPS)
    counts |= warehouse.run_models(con, sql_parameters(preset), ("reports",))
    for name, table in report_tables(report_inputs(con, schools, results, flags), preset).items():
        counts[f"reports.{name}"] = warehouse.replace_table(con, f"reports.{name}", table)
    report("flag", "готово", FLAG_STEPS, FLAG_STEPS)
    return counts


def report_inputs(
    con: duckdb.DuckDBPyConnection,
    schools: pd.DataFrame,
    results: pd.DataFrame,
    flags: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The marts the year-on-year and support tables read, plus ЕГЭ minimums (comparability)
    and the task-level ВПР results when that mart exists."""
    inputs = {
        "dim_schools": schools,
        "fct_school_procedure_results": results,
        "fct_school_flags": flags,
        "ege_min_scores": con.execute("SELECT * FROM ref.ege_min_scores").df(),
        # what a weak task checks and what to do, as the region wrote them (recommendations)
        "task_descriptions": con.execute("SELECT * FROM ref.task_descriptions").df(),
        "support_measures": con.execute("SELECT * FROM ref.support_measures").df(),
    }
    # The ФИОКО lists beside shnor's own objectivity markers (rpt_objectivity_comparison).
    for name, table in (
        ("int_school_objectivity", "intermediate.int_school_objectivity"),
        ("int_vpr_objectivity_markers", "intermediate.int_vpr_objectivity_markers"),
        ("stg_objectivity__fioco_list", "staging.stg_objectivity__fioco_list"),
    ):
        if warehouse.table_exists(con, table):
            inputs[name] = con.execute(f"SELECT * FROM {table}").df()
    has_tasks = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'fct_school_task_results'"
    ).fetchall()[0][0]
    if has_tasks:
        inputs["fct_school_task_results"] = con.execute(
            "SELECT * FROM marts.fct_school_task_results"
        ).df()
    return inputs


def flag_step(data_dir: str | Path | None, preset: str | Preset) -> dict[str, Any]:
    """Score schools and compute the flags; returns row counts by table."""
    paths, chosen = paths_of(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        con.execute(f"DROP TABLE IF EXISTS {CHECKED_MARTS}")  # the marts change from here on
        warehouse.prepare_connection(con, paths.reference)
        report("flag", "школьный эффект и флаги")
        counts = flag(con, chosen)
    return {"row_counts": counts, "seconds": round(time.perf_counter() - started, 3)}


def school_context_drivers(components: pd.DataFrame, context: pd.DataFrame) -> pd.DataFrame:
    """fct_school_context_drivers: per school × year, the year whose context the flags used and
    the components that make its conditions hard (what the ШНСУ sheet explains)."""
    drivers = context_drivers(components.astype({"exam_year": "int64"})).rename(
        columns={"exam_year": "context_year"}
    )
    years = context[["school_id", "exam_year", "context_year"]].astype({"exam_year": "int64"})
    years = years.astype({"context_year": "Int64"})
    drivers = drivers.astype({"context_year": "Int64"})
    return years.merge(drivers, on=["school_id", "context_year"], how="left")
