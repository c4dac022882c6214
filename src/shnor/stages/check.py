"""Stage 4, check: the mart suites over the built marts, kept with what the marts were made from
(a run whose inputs did not change reuses the outcome)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from shnor import warehouse
from shnor.config import Paths, paths_of
from shnor.incremental import BUILD_INPUTS
from shnor.presets import Preset, load_preset
from shnor.progress import report
from shnor.publish import mart_tables, published_manifest
from shnor.quality.fingerprint import content_fingerprint
from shnor.quality.mart_checks import check_marts

# The mart check of the marts in the warehouse, with the content fingerprint they were made from
# (written by a check with the run's preset, dropped when the flag step starts to change them).
CHECKED_MARTS = "ops.checked_marts"


def check_step(data_dir: str | Path | None, preset: str | Preset | None = None) -> dict[str, Any]:
    """Run the mart suites over the built marts; returns their problems (JSON-able). With the
    run's preset, the outcome is also kept with what the marts were made from (for
    `unchanged_marts_check`)."""
    paths = paths_of(data_dir)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        report("check", "проверка витрин")
        problems = [asdict(p) for p in check_marts(con, mart_tables(con))]
        if preset is not None:
            fingerprint = marts_fingerprint(con, load_preset(preset), paths)
            con.execute(
                f"CREATE OR REPLACE TABLE {CHECKED_MARTS} AS "
                "SELECT $fingerprint AS content_fingerprint, $problems AS problems",
                {"fingerprint": fingerprint, "problems": json.dumps(problems, default=str)},
            )
    return {"problems": problems, "seconds": round(time.perf_counter() - started, 3)}


def unchanged_marts_check(data_dir: str | Path | None, preset: Preset) -> dict[str, Any] | None:
    """The check outcome of the marts in the warehouse when they were flagged and checked from
    exactly what the published version was made from (inputs, preset, reference, code): then
    flagging and checking again would only repeat it. None otherwise."""
    paths = paths_of(data_dir)
    published = (published_manifest(paths) or {}).get("content_fingerprint")
    if not published:
        return None
    with warehouse.connect(paths.warehouse) as con:
        if not warehouse.table_exists(con, CHECKED_MARTS):
            return None
        kept = con.execute(f"SELECT content_fingerprint, problems FROM {CHECKED_MARTS}").fetchall()
        current = marts_fingerprint(con, preset, paths)
    if not kept or kept[0][0] != current or current != published:
        return None
    return {"problems": json.loads(kept[0][1]), "seconds": 0.0, "reused": True}


def marts_fingerprint(
    con: Any, preset: Preset, paths: Paths, inputs: list[dict[str, Any]] | None = None
) -> str:
    """The content fingerprint of the marts in the warehouse: what they were built from
    (`built_inputs`, unless given), the preset, the reference files and the code."""
    return content_fingerprint(
        built_inputs(con) if inputs is None else inputs, preset, paths.reference
    )


def built_inputs(con: Any) -> list[dict[str, Any]]:
    """The inputs the marts were built from — what the last build read (ops.build_inputs),
    not raw._files now, which another ingest may have moved on — with layouts and rows."""
    if not warehouse.table_exists(con, BUILD_INPUTS):
        query = (
            "SELECT source_file, checksum, status, layouts, row_count FROM raw._files "
            "ORDER BY source_file"
        )
    else:
        query = f"""SELECT b.source_file, b.checksum, b.status, f.layouts, f.row_count
                    FROM {BUILD_INPUTS} AS b
                    LEFT JOIN raw._files AS f USING (source_file, checksum)
                    ORDER BY b.source_file"""
    return con.execute(query).df().to_dict("records")
