"""The national runs' log, ROOT/national_runs.jsonl: one JSON line per `shnor run-national`, with
how it ran and every region's and report task's record (status, seconds, CPU seconds, each
step's), so where a national run's time went can be read after it, as a region's runs/history.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

LOG = "national_runs.jsonl"


def append_national_run(
    root: str | Path, result: dict[str, Any], how: dict[str, Any], seconds: float
) -> Path:
    """Append the national run's `result` (the flow's or `run_national`'s) to ROOT's log, with
    `how` it ran (task runner, workers, cluster) and its wall seconds; the log's path."""
    path = Path(root) / LOG
    national = {k: v for k, v in result["national"].items() if k != "files"}
    record = how | {
        "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "exit_code": result["exit_code"],
        "regions": result["regions"],
        "reports": result["reports"],
        "national": national,
    }
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return path


def national_runs(root: str | Path) -> list[dict[str, Any]]:
    """Every national run logged under ROOT, oldest first."""
    path = Path(root) / LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
