"""The steps of a run as plain functions of (data_dir, preset): what Prefect tasks call.

Each step opens the warehouse, does one stage of `pipeline`, closes it, and returns a small
JSON-able summary, so steps can run as separate tasks (or processes) and be tested without
Prefect. `run_annual` chains them without Prefect.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from shnor import __version__, pipeline, warehouse
from shnor.config import Paths, data_dir_from
from shnor.history import recorded_run
from shnor.incremental import changes_since_last_build
from shnor.presets import load_preset
from shnor.progress import report
from shnor.publish import publish


def _paths(data_dir: str | Path | None) -> Paths:
    return Paths(data_dir_from(data_dir))


def ingest_step(data_dir: str | Path | None) -> dict[str, Any]:
    """Load new or changed raw files; returns the ingest summary."""
    paths = _paths(data_dir)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        pipeline.prepare_connection(con, paths.reference)
        summary = pipeline.ingest(
            con,
            paths.raw,
            paths.reference,
            lambda name, done, total: report("ingest", name, done, total),
        )
        inputs = (
            con.execute("SELECT source_file, checksum, status FROM raw._files ORDER BY 1")
            .df()
            .to_dict("records")
        )
    return asdict(summary) | {
        "inputs": inputs,
        "seconds": round(time.perf_counter() - started, 3),
    }


def build_step(data_dir: str | Path | None, preset: str, full: bool = False) -> dict[str, Any]:
    """Build staging, intermediate and SQL marts — only what the changed files touch, unless
    `full` or something else changed; returns row counts by table and what was rebuilt."""
    paths, chosen = _paths(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        pipeline.prepare_connection(con, paths.reference)
        # The school code map first: a new code or registry row can change the school of rows
        # of unchanged files, and the comparison with the last build must see that.
        mapped = pipeline.map_schools(con)
        changes = None if full else changes_since_last_build(con, pipeline.sql_parameters(chosen))
        model_count = len(warehouse.models(("staging", "intermediate", "marts")))
        done = iter(range(model_count))
        counts = mapped | pipeline.build(
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


def flag_step(data_dir: str | Path | None, preset: str) -> dict[str, Any]:
    """Score schools and compute the flags; returns row counts by table."""
    paths, chosen = _paths(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        pipeline.prepare_connection(con, paths.reference)
        counts = pipeline.flag(con, chosen)
    return {"row_counts": counts, "seconds": round(time.perf_counter() - started, 3)}


def publish_step(
    data_dir: str | Path | None, preset: str, facts: dict[str, Any], year: int | None = None
) -> dict[str, Any]:
    """Publish marts, lists and the run manifest; returns what was published and the summary of
    `year` (default: the latest year)."""
    paths, chosen = _paths(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        report("publish", "витрины и отчёты")
        manifest = facts | {
            "shnor_version": __version__,
            "preset": chosen.name,
            "preset_version": chosen.version,
            "preset_source": chosen.source,
            "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
            "inputs": con.execute(
                "SELECT source_file, checksum, status, layouts, row_count FROM raw._files "
                "ORDER BY source_file"
            )
            .df()
            .to_dict("records"),
        }
        published = publish(con, paths, chosen, manifest)
        summary = run_summary(con, year)
    return summary | {
        "marts": [str(p) for p in published.marts],
        "reports": [str(p) for p in published.reports],
        "manifest": str(published.manifest),
        "seconds": round(time.perf_counter() - started, 3),
    }


def run_summary(con: Any, year: int | None = None) -> dict[str, Any]:
    """Counts for `year` (default: the latest): schools rated, ШНОР, risk group, ШНСУ, and
    problems found."""
    row = con.execute(
        """SELECT exam_year, count(*) FILTER (WHERE is_rated), count(*) FILTER (WHERE NOT is_rated),
                  count(*) FILTER (WHERE is_stable_low), count(*) FILTER (WHERE is_risk_group),
                  count(*) FILTER (WHERE is_shnsu), count(*) FILTER (WHERE is_on_shnor_list)
           FROM marts.fct_school_flags
           WHERE exam_year = coalesce($year, (SELECT max(exam_year) FROM marts.fct_school_flags))
           GROUP BY exam_year""",
        {"year": year},
    ).fetchall()
    year, rated, not_rated, stable_low, risk, shnsu, on_list = (
        row[0] if row else (year, 0, 0, 0, 0, 0, 0)
    )
    quarantined, warnings = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'quarantined'), "
        "(SELECT count(*) FROM raw._problems WHERE severity = 'warning') FROM raw._files"
    ).fetchall()[0]
    return {
        "year": year,
        "rated_count": rated,
        "not_rated_count": not_rated,
        "stable_low_count": stable_low,
        "shnor_list_count": on_list,
        "risk_group_count": risk,
        "shnsu_count": shnsu,
        "quarantined_file_count": quarantined,
        "warning_count": warnings,
    }


def run_annual(
    data_dir: str | Path | None = None,
    preset: str = "reference",
    year: int | None = None,
    trigger: str = "direct",
) -> dict[str, Any]:
    """The whole run without Prefect: ingest → build → flag → publish, recorded in the run
    history; the summary is of `year` (default: the latest)."""
    with recorded_run(_paths(data_dir).data_dir, preset, trigger) as record:
        ingested = ingest_step(data_dir)
        record.add_step("ingest", ingested)
        built = build_step(data_dir, preset)
        record.add_step("build", built)
        flagged = flag_step(data_dir, preset)
        record.add_step("flag", flagged)
        facts = run_facts(record.started_at, ingested, built, flagged) | {"run_id": record.run_id}
        published = publish_step(data_dir, preset, facts, year)
        record.add_step("publish", published)
    return published | {
        "ingest": ingested,
        "build": built,
        "steps": record.steps,
        "run_id": record.run_id,
    }


def run_facts(
    started_at: str, ingested: dict[str, Any], built: dict[str, Any], flagged: dict[str, Any]
) -> dict[str, Any]:
    """The manifest's record of the earlier steps."""
    return {
        "started_at": started_at,
        "files_loaded": len(ingested["loaded"]),
        "files_corrected": len(ingested["corrected"]),
        "files_unchanged": len(ingested["unchanged"]),
        "files_removed": len(ingested["removed"]),
        "files_quarantined": len(ingested["quarantined"]),
        "ingest": {k: v for k, v in ingested.items() if k != "inputs"},
        "row_counts": built["row_counts"] | flagged["row_counts"],
        "seconds": {
            "ingest": ingested["seconds"],
            "build": built["seconds"],
            "flag": flagged["seconds"],
        },
    }
