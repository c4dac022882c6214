"""The stages of a run, in order: ingest → build → flag → check → publish, each a module of
this package with a plain function over a warehouse connection and a step over a data folder
(which opens the warehouse, runs the stage and returns a small JSON-able summary).

`flows/annual_list.py` runs the steps as Prefect tasks; `run_annual` runs the same sequence
without Prefect (`shnor run --no-prefect`, tests, benchmarks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shnor.config import paths_of, region_name
from shnor.history import RunRecord, recorded_run
from shnor.presets import load_preset
from shnor.stages.build import build_step
from shnor.stages.check import check_step, unchanged_marts_check
from shnor.stages.flag import flag_step
from shnor.stages.ingest import ingest_step
from shnor.stages.publish import publish_step


def run_annual(
    data_dir: str | Path | None = None,
    preset: str = "reference",
    year: int | None = None,
    trigger: str = "direct",
    reports: bool = True,
) -> dict[str, Any]:
    """The whole run without Prefect: ingest → build → flag → check → publish (no usable input:
    ingest → publish, which reports and publishes nothing), recorded in the run history; the
    summary is of `year` (default: the latest). The same sequence as flows/annual_list.py.
    Without `reports` the lists and workbooks are left for later (a national run)."""
    with recorded_run(paths_of(data_dir).data_dir, preset, trigger) as record:
        chosen = load_preset(preset)  # read once: every stage uses this very version
        ingested = ingest_step(data_dir)
        record.add_step("ingest", ingested)
        built = flagged = checked = None
        if ingested["usable"]:
            built = build_step(data_dir, chosen)
            record.add_step("build", built)
            # Nothing changed since the published version: its flags and checks stand.
            checked = unchanged_marts_check(data_dir, chosen)
            if checked is None:
                flagged = flag_step(data_dir, chosen)
                record.add_step("flag", flagged)
                checked = check_step(data_dir, chosen)
            record.add_step("check", checked)
        facts = run_facts(data_dir, record.started_at, ingested, built, flagged, record.run_id)
        published = publish_step(data_dir, chosen, facts, checked, year, reports)
        record.add_step("publish", published)
    return run_outcome(record, published, ingested, built)


def run_outcome(
    record: RunRecord,
    published: dict[str, Any],
    ingested: dict[str, Any],
    built: dict[str, Any] | None,
) -> dict[str, Any]:
    """What a run returns: the publish step's outcome with the ingest and build summaries, the
    seconds and CPU seconds of each step and the run's id."""
    return published | {
        "ingest": ingested,
        "build": built,
        "steps": record.steps,
        "step_cpu": record.step_cpu,
        "run_id": record.run_id,
    }


def run_facts(
    data_dir: Path | str,
    started_at: str,
    ingested: dict[str, Any],
    built: dict[str, Any] | None,
    flagged: dict[str, Any] | None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The manifest's record of the run and its earlier steps, with the region's name for the
    reports' titles (built None: nothing was built; flagged None: nothing built or the flags
    of the published version stand)."""
    built = built or {"row_counts": {}, "seconds": None}
    flagged = flagged or {"row_counts": {}, "seconds": None}
    return {
        "run_id": run_id,
        "region": region_name(paths_of(data_dir).data_dir),
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
