"""Publish marts as Parquet and reports as XLSX: written beside the targets, then renamed in.

Readers (notebooks, other tools) only ever see complete files: every file is written under a
temporary folder inside marts/ and moved into place with an atomic rename.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shnor.config import Paths
from shnor.presets import Preset
from shnor.reports.build import write_reports


@dataclass(frozen=True)
class Published:
    """What a publish step put in place."""

    marts: list[Path]
    reports: list[Path]
    manifest: Path


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """`schema.table` of every mart and report table (each becomes `<table>.parquet`)."""
    rows = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('marts', 'reports') ORDER BY table_schema, table_name"
    ).fetchall()
    return [row[0] for row in rows]


def publish(
    con: duckdb.DuckDBPyConnection, paths: Paths, preset: Preset, manifest: dict[str, Any]
) -> Published:
    """Write every mart, the annual lists and the run manifest; move them into place."""
    paths.marts.mkdir(parents=True, exist_ok=True)
    scratch = paths.marts / f".publishing-{uuid.uuid4().hex[:8]}"
    (scratch / "reports").mkdir(parents=True)
    try:
        written_marts = []
        for table in mart_tables(con):
            target = scratch / f"{table.split('.')[1]}.parquet"
            con.table(table).write_parquet(str(target), compression="zstd")
            written_marts.append(target)
        facts = [
            (key, value) for key, value in manifest.items() if not isinstance(value, dict | list)
        ]
        written_reports = write_reports(scratch, preset, facts, scratch / "reports")
        manifest_path = scratch / "run_manifest.json"
        manifest_path.write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        paths.reports.mkdir(parents=True, exist_ok=True)
        marts = [_move(f, paths.marts / f.name) for f in written_marts]
        reports = [_move(f, paths.reports / f.name) for f in written_reports]
        return Published(marts, reports, _move(manifest_path, paths.marts / manifest_path.name))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _move(source: Path, target: Path) -> Path:
    os.replace(source, target)
    return target
