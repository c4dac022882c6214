"""The national scale benchmark: `shnor run-national` as a user runs it (Prefect, a local Dask
cluster of 2 workers) over `shnor scale-data` regions, measured as a whole process tree, and its
CPU seconds accounted for: each region's stages, run and reports (from the run's own log,
ROOT/national_runs.jsonl), the national outputs, and what is nobody's region — the Dask workers'
Prefect task runs and imports, the flow process (Prefect's engine, the Dask scheduler and
nannies), the Prefect server — plus the cores left idle (wall × cores − tree CPU).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from process_tree import measured_command

STAGES = ("ingest", "build", "flag", "check", "publish")


def national_run(root: Path, workers: int = 2, env: dict[str, str] | None = None) -> dict:
    """`shnor run-national --task-runner dask --workers N` over ROOT, measured as a tree, with
    the accounting of its CPU (`accounting`) and the run's own log line (`log`)."""
    shnor = str(Path(os.environ.get("VIRTUAL_ENV", Path(__file__).parents[1] / ".venv")))
    command = [
        f"{shnor}/bin/shnor", "run-national", "--data-root", str(root),
        "--task-runner", "dask", "--workers", str(workers),
    ]  # fmt: skip
    load = os.getloadavg()[0]
    measured = measured_command(command, env=(os.environ | (env or {})))
    log = json.loads((root / "national_runs.jsonl").read_text().splitlines()[-1])
    return measured | {
        "load": [round(load, 1), round(os.getloadavg()[0], 1)],
        "accounting": accounting(measured, log, workers),
        "statuses": sorted({r["status"] for r in log["regions"]}),
        "region_walls": [r["seconds"] for r in log["regions"]],
    }


def accounting(measured: dict, log: dict, cores: int) -> dict[str, float]:
    """Where the tree's CPU seconds went, in parts that sum to it: each stage summed over the
    regions, the rest of the regions' runs (unchanged check, locks, history), their reports,
    the national outputs, then by process (the rest of the Dask workers' CPU, the flow process,
    the Prefect server, others, unsampled); and the idle cores beside them."""
    parts: dict[str, float] = {}
    for stage in STAGES:
        parts[stage] = sum(r.get("step_cpu", {}).get(stage, 0.0) for r in log["regions"])
    parts["region glue"] = sum(r["cpu_seconds"] for r in log["regions"]) - sum(parts.values())
    parts["reports"] = sum(r["cpu_seconds"] for r in log["reports"])
    parts["national outputs"] = log["national"].get("cpu_seconds", 0.0)
    region_work = sum(parts.values())
    kinds = dict(measured["cpu_by_kind"])
    parts["dask workers, rest"] = kinds.pop("dask worker", 0.0) - region_work
    parts["flow process"] = kinds.pop("command", 0.0)
    parts["prefect server"] = kinds.pop("prefect server", 0.0)
    parts["unsampled"] = kinds.pop("unsampled", 0.0)
    parts["other processes"] = sum(kinds.values())
    parts = {name: round(value, 1) for name, value in parts.items()}
    parts["tree CPU"] = measured["tree_cpu"]
    parts["idle cores"] = round(measured["seconds"] * cores - measured["tree_cpu"], 1)
    return parts


def accounting_text(parts: dict[str, float]) -> str:
    """The accounting as one line: each part in CPU s and its share of the tree CPU."""
    total = parts["tree CPU"]
    said = ", ".join(
        f"{name} {value:g} ({value / total:.0%})"
        for name, value in parts.items()
        if name not in ("tree CPU", "idle cores")
    )
    idle = parts["idle cores"]
    return f"tree CPU {total:g} s = {said}; idle cores (wall × 2 − tree CPU) {idle:g} s"
