"""The regions of a national root and one region's run as a small record for the national run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from shnor.config import paths_of
from shnor.history import RunInProgressError, process_cpu_seconds, run_lock
from shnor.presets import load_preset
from shnor.publish import (
    REPORTS_PENDING,
    PublishedVersionChangedError,
    published_manifest,
    republish_with_reports,
)
from shnor.stages import run_annual
from shnor.stages.publish import (
    EXIT_NOTHING_PUBLISHED,
    EXIT_PUBLISHED,
    EXIT_PUBLISHED_WITH_QUARANTINE,
)
from shnor.stages.unchanged import unchanged_run

NATIONAL = "national"  # ROOT/national: the national outputs, not a region
PENDING_NOTE = (
    "списки и книги региона не записаны: их допишет тот запуск или следующий "
    "(shnor run, shnor report, shnor run-national)"
)


def region_folders(root: str | Path) -> list[Path]:
    """The region folders of a national root: its subfolders with a raw/ folder, by name."""
    base = Path(root).resolve()
    if not base.is_dir():
        raise FileNotFoundError(f"Нет папки {base}")
    return sorted(
        folder
        for folder in base.iterdir()
        if folder.is_dir() and folder.name != NATIONAL and (folder / "raw").is_dir()
    )


def region_run(
    data_dir: str | Path, preset: str, trigger: str = "national", reports: bool = True
) -> dict[str, Any]:
    """One region's annual run (`shnor.stages.run_annual`, recorded in the region's own run
    history) as a small JSON-able record — or, when its files, the preset and the code are
    those of its published version, the version kept without opening its warehouse
    (`shnor.stages.unchanged`); a region that fails, or whose folder another run holds, is
    recorded with the reason and never stops the other regions. Without `reports`, the
    region's lists and workbooks are left to `region_reports`."""
    folder = Path(data_dir).resolve()
    record: dict[str, Any] = {"region_code": folder.name, "data_dir": str(folder)}
    cpu, started = process_cpu_seconds(), time.perf_counter()
    try:
        kept = unchanged_run(folder, preset, trigger)
        result = kept or run_annual(folder, preset, trigger=trigger, reports=reports)
    except RunInProgressError as error:
        record |= {"status": "busy", "exit_code": EXIT_NOTHING_PUBLISHED, "error": str(error)}
    except Exception as error:  # the region's history keeps the traceback
        record |= {
            "status": "failed",
            "exit_code": EXIT_NOTHING_PUBLISHED,
            "error": f"{type(error).__name__}: {error}",
        }
    else:
        record |= {
            "status": result["status"],
            "exit_code": result["exit_code"],
            "run_id": result["run_id"],
            "version": result.get("version"),
            "year": result["year"],
            "shnor_list_count": result["shnor_list_count"],
            "build_mode": ((result["build"] or {}).get("rebuilt") or {}).get("mode"),
            "flagged": "flag" in result["steps"],
            "steps": result["steps"],
            "step_cpu": result.get("step_cpu", {}),
        }
    return record | {
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(process_cpu_seconds() - cpu, 3),
    }


def region_reports(data_dir: str | Path, preset: str) -> dict[str, Any]:
    """The lists and workbooks a region's run left for later (its published manifest says
    `reports_pending`), written as a version of their own beside its marts
    (`publish.republish_with_reports`) under the region's run lock; nothing when none are
    pending. When another process holds the folder (`shnor run` or `shnor report` by hand) or
    publishes meanwhile, the reports stay pending (`busy`, `superseded`): that process, or the
    next run, writes them. A failure is recorded with its reason, never stopping the others."""
    folder = Path(data_dir).resolve()
    record: dict[str, Any] = {"region_code": folder.name}
    cpu, started = process_cpu_seconds(), time.perf_counter()
    paths = paths_of(folder)
    try:
        with run_lock(folder):
            if not (published_manifest(paths) or {}).get(REPORTS_PENDING):
                record["status"] = "none_pending"
            else:
                chosen = load_preset(preset)
                version, written = republish_with_reports(paths, chosen, pending=True)
                record |= {"status": "written", "version": version, "files": len(written)}
    except (RunInProgressError, PublishedVersionChangedError) as error:
        status = "busy" if isinstance(error, RunInProgressError) else "superseded"
        record |= {"status": status, "error": f"{error}; {PENDING_NOTE}"}
    except Exception as error:
        record |= {"status": "failed", "error": f"{type(error).__name__}: {error}"}
    return record | {
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(process_cpu_seconds() - cpu, 3),
    }


def national_exit_code(
    runs: list[dict[str, Any]], reports: list[dict[str, Any]] | None = None
) -> int:
    """The national run's exit code: 4 when a region has nothing new published (failed, busy,
    or its marts failed their checks) or its reports could not be written, else 3 when a region
    quarantined files, else 0. Reports left pending because another process held the region
    (`busy`, `superseded`) do not count: that process, or the next run, writes them."""
    codes = {run["exit_code"] for run in runs}
    unwritten = any(r["status"] == "failed" for r in reports or [])
    if (
        EXIT_NOTHING_PUBLISHED in codes
        or unwritten
        or any(run["status"] in ("failed", "busy") for run in runs)
    ):
        return EXIT_NOTHING_PUBLISHED
    if EXIT_PUBLISHED_WITH_QUARANTINE in codes:
        return EXIT_PUBLISHED_WITH_QUARANTINE
    return EXIT_PUBLISHED
