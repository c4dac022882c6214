"""A national run: every region folder under a root runs as its own region (its own warehouse,
pool, published marts and reports, as `shnor run --data-dir`), then national outputs are made
from the regions' published marts into ROOT/national/.

Ratings are per region (each region is its own pool), so regions never wait on each other:
`flows/national_list.py` maps them onto Prefect tasks (one after another, or on Dask workers);
`run_national` is the same sequence without Prefect (`shnor run-national --no-prefect`, tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shnor.national.outputs import national_step
from shnor.national.regions import national_exit_code, region_folders, region_reports, region_run

__all__ = [
    "national_exit_code",
    "national_step",
    "region_folders",
    "region_reports",
    "region_run",
    "run_national",
]


def run_national(
    root: str | Path, preset: str = "reference", trigger: str = "national"
) -> dict[str, Any]:
    """Every region of `root` one after another, each followed by its reports (as the flow
    writes them: after its marts are published), then the national outputs (no Prefect); the
    regions' run and report records, the outputs' summary and the exit code."""
    runs, reports = [], []
    for folder in region_folders(root):
        runs.append(region_run(folder, preset, trigger, reports=False))
        reports.append(region_reports(folder, preset))
    outputs = national_step(root, preset, runs)
    return {
        "regions": runs,
        "reports": reports,
        "national": outputs,
        "exit_code": national_exit_code(runs, reports),
    }
