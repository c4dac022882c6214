"""A run that finds its region's published version standing without opening the warehouse.

When the region's last run ended well (published, or kept the published version), the input
files under raw/ are those that version was made from (by stat, hashed only where a stat moved:
`shnor.file_stats`), and the preset, reference files and code give the version's content
fingerprint, a full run would only keep the version as it is. The national run asks this of
each region first, so an unchanged region costs a few stats and one history line, not a
warehouse, a build check and a validation report. Anything else — a new, corrected or removed
file, another preset or code, a last run that failed, was killed or published nothing, a version
published outside a run (`shnor report`) — and the region runs in full.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from shnor.config import Paths, paths_of
from shnor.file_stats import inputs_if_unchanged
from shnor.history import FILE_CHANGES, RunRecord, append_run, last_run, run_lock
from shnor.presets import Preset, load_preset
from shnor.publish import RUN_VERSION, published_manifest
from shnor.quality.fingerprint import content_fingerprint
from shnor.stages.publish import write_last_run

STEP = "inputs_check"  # the one step of such a run, in its history line


def unchanged_run(
    data_dir: str | Path | None, preset: str | Preset, trigger: str
) -> dict[str, Any] | None:
    """The outcome of a run that keeps the published version (recorded in the region's history
    as `unchanged`, with the figures of the run that made the version), or None when the region
    must run (`run_annual`). Raises RunInProgressError when another run holds the folder."""
    paths = paths_of(data_dir)
    started = time.perf_counter()
    with run_lock(paths.data_dir):
        chosen = load_preset(preset)
        last = last_run(paths.data_dir)
        inputs = standing_inputs(paths, chosen, last)
        if inputs is None or last is None:
            return None
        record = RunRecord(str(paths.data_dir), chosen.name, trigger)
        record.preset_version = chosen.version
        record.outcome = "unchanged"
        record.inputs = inputs
        record.files = {kind: [] for kind in FILE_CHANGES} | {
            "unchanged": [i["source_file"] for i in inputs if i["status"] == "loaded"],
            "quarantined": [i["source_file"] for i in inputs if i["status"] == "quarantined"],
        }
        # the version readers see: its reports may have been written after the last run
        published = (published_manifest(paths) or {}).get("version")
        record.summary = last["summary"] | {"status": "unchanged", "version": published}
        record.steps = {STEP: round(time.perf_counter() - started, 3)}
        append_run(record)
        _note_last_run(paths, record)
    return record.summary | {
        "ingest": None,
        "build": None,
        "steps": record.steps,
        "run_id": record.run_id,
    }


def standing_inputs(
    paths: Paths, preset: Preset, last: dict[str, Any] | None
) -> list[dict[str, Any]] | None:
    """The region's inputs (their stats brought up to date) when its published version stands
    for this preset and code and the files under raw/; None when the region must run."""
    if last is None or last.get("outcome") not in ("published", "unchanged"):
        return None
    if (paths.data_dir / "runs" / "current.json").exists():
        return None  # a run killed on its way: what it left in the warehouse is not known
    manifest = published_manifest(paths)
    # the version the last run published, or the one its reports were then written into
    versions = {(manifest or {}).get("version"), (manifest or {}).get(RUN_VERSION)}
    if not manifest or last.get("summary", {}).get("version") not in versions - {None}:
        return None
    recorded = last.get("inputs") or []
    if _files(recorded) != _files(manifest.get("inputs") or []):
        return None
    made_from = content_fingerprint(manifest["inputs"], preset, paths.reference)
    if made_from != manifest.get("content_fingerprint") or not paths.raw.is_dir():
        return None
    return inputs_if_unchanged(paths.raw, recorded)


def _files(inputs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((i["source_file"], i["checksum"], i["status"]) for i in inputs)


def _note_last_run(paths: Paths, record: RunRecord) -> None:
    """validation/last_run.json says this run kept the version (its report is the earlier run's)."""
    path = paths.validation / "last_run.json"
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        before = record.summary
    write_last_run(
        paths,
        before
        | {
            "status": "unchanged",
            "seconds": record.steps[STEP],
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "inputs_unchanged": True,
        },
    )
