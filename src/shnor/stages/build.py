"""Stage 2, build: schools identified, then staging, intermediate and the SQL marts from raw.*
(only what changed files touch), with the problems the build finds."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from scipy.stats import norm

from shnor import warehouse
from shnor.config import paths_of
from shnor.incremental import changes_since_last_build, forget_build, remember_build
from shnor.presets import Preset, load_preset
from shnor.progress import report
from shnor.quality.build_checks import record_unusable_results
from shnor.school_identity import map_schools
from shnor.warehouse import Changes


def sql_parameters(preset: Preset) -> dict[str, Any]:
    """Values the SQL models bind, from the preset."""
    confidence = preset["indicators.interval_confidence"]
    return {
        "z": float(norm.ppf(0.5 + confidence / 2)),
        "high_marks": list(preset["indicators.high_marks"]),
        "ege_high_score": preset["indicators.ege_high_score"],
        "small_sample_size": preset["small_samples.small_sample_size"],
        "limited_sample_size": preset["small_samples.limited_sample_size"],
        "prevention_min_failed_subjects": preset["flags.prevention_group.min_failed_subjects"],
        "prevention_journal_mark_at_most": preset["flags.prevention_group.journal_mark_at_most"],
        "boundary_pass_rate": preset["objectivity.boundary_pass_rate"],
        "boundary_min_results": preset["objectivity.boundary_min_results"],
    }


def build(
    con: duckdb.DuckDBPyConnection,
    preset: Preset,
    on_model: Callable[[Any], None] | None = None,
    changes: Changes | None = None,
    schools_mapped: bool = False,
) -> dict[str, int]:
    """Staging, intermediate and SQL marts from raw.*; returns row counts by table. With
    `changes` (see `incremental.py`) only the changed files and years are built again; they
    must be found after `map_schools` (the code map is part of what the build compares), so a
    caller that did so passes `schools_mapped`. Results the build cannot use are reported, never
    dropped silently."""
    parameters = sql_parameters(preset)
    counts = {} if schools_mapped else map_schools(con)
    # A build that dies half-way leaves no record of a last build: the next one is full (it
    # could not tell the rows this one changed from those of the last build).
    forget_build(con)
    counts |= warehouse.run_models(
        con, parameters, ("staging", "intermediate", "marts"), on_model, changes
    )
    record_unusable_results(con)
    remember_build(con, parameters)
    return counts


def build_step(
    data_dir: str | Path | None, preset: str | Preset, full: bool = False
) -> dict[str, Any]:
    """Build staging, intermediate and SQL marts — only what the changed files touch, unless
    `full` or something else changed; returns row counts by table and what was rebuilt."""
    paths, chosen = paths_of(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        warehouse.prepare_connection(con, paths.reference)
        # The school code map first: a new code or registry row can change the school of rows
        # of unchanged files, and the comparison with the last build must see that.
        mapped = map_schools(con)
        changes = None if full else changes_since_last_build(con, sql_parameters(chosen))
        model_count = len(warehouse.models(("staging", "intermediate", "marts")))
        done = iter(range(model_count))
        counts = mapped | build(
            con,
            chosen,
            lambda m: report("build", m.table, next(done), model_count),
            changes,
            schools_mapped=True,
        )
        report("build", "готово", model_count, model_count)
    rebuilt = (
        {"mode": "full"}
        if changes is None
        else {"mode": "incremental", "files": changes.sources, "years": changes.years}
    )
    return {
        "row_counts": counts,
        "rebuilt": rebuilt,
        "seconds": round(time.perf_counter() - started, 3),
    }
