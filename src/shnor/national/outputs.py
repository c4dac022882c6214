"""National outputs, made from the regions' published marts (never their warehouses): the
national tables (shnor/sql/national/*.sql) as Parquet and the federal analyst's workbook, in
ROOT/national/, published as one version like a region's marts.

    ROOT/national -> national.versions/<version>/   (a relative symlink, replaced in one rename)
    ROOT/national.versions/<version>/nat_*.parquet, reports/national_summary_YEAR.xlsx,
                                      national_manifest.json

Each region's marts are read through its DIR/marts link resolved once (one version per region).
When no region's published version changed (nor the code or the preset), the national version
stands as it is: an unchanged national rerun rewrites nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from shnor import __version__, warehouse
from shnor.config import Paths
from shnor.fingerprints import fingerprint
from shnor.presets import load_preset
from shnor.progress import report
from shnor.publish import MANIFEST as REGION_MANIFEST
from shnor.publish import REPORTS_PENDING
from shnor.quality.fingerprint import code_fingerprint
from shnor.reports.national_workbook import write_national_workbook

NATIONAL_LINK = "national"
VERSIONS = "national.versions"
MANIFEST = "national_manifest.json"
LAYER = "national"
SUMMARY = "rpt_municipality_summary"  # each region's mart the national tables read

PUBLISHED_COLUMNS = {
    "region_code": "VARCHAR",
    "region_name": "VARCHAR",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "version": "VARCHAR",
    "run_id": "VARCHAR",
    "published_at": "VARCHAR",
    "preset": "VARCHAR",
    "preset_version": "VARCHAR",
    "first_year": "INTEGER",
    "last_year": "INTEGER",
    "data_dir": "VARCHAR",
    "marts_dir": "VARCHAR",
}


def national_step(root: str | Path, preset: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Make and publish the national outputs from the regions' published marts (after the
    regions' `runs`); a summary of what was published (`unchanged` when nothing moved)."""
    started = (time.perf_counter(), time.process_time())
    base = Path(root).resolve()
    chosen = load_preset(preset)
    published = published_regions(base, runs)
    content = fingerprint(
        [
            json.dumps(
                [[r[k] for k in ("region_code", "status", "reason", "version")] for r in published],
                ensure_ascii=False,
            ),
            chosen.label,
            code_fingerprint(),
        ]
    )
    current = current_manifest(base)
    if current and current.get("content_fingerprint") == content:
        return _summary(base, current, "unchanged", started)
    report("national", "национальные таблицы")
    with duckdb.connect() as con:
        warehouse.apply_resource_settings(con)
        counts = build_national_tables(con, published)
        year = latest_year(con)
        manifest = {
            "content_fingerprint": content,
            "created_at": dt.datetime.now().isoformat(timespec="seconds"),
            "year": year,
            "preset": chosen.name,
            "preset_version": chosen.version,
            "shnor_version": __version__,
            "row_counts": counts,
            "regions": [
                {k: r[k] for k in ("region_code", "status", "version", REPORTS_PENDING)}
                for r in published
            ],
        }
        version = _publish(base, con, manifest)
    return _summary(base, current_manifest(base) or manifest | {"version": version},
                    "published", started)  # fmt: skip


def published_regions(root: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every region folder the runs name, with the version of its marts readers see now, where
    the national tables read it, and why a region has no current figures."""
    rows = []
    for run in sorted(runs, key=lambda r: r["region_code"]):
        paths = Paths(Path(run["data_dir"]))
        version_dir = paths.marts.resolve()
        manifest_path = version_dir / REGION_MANIFEST
        manifest = (
            json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest_path.is_file() and (version_dir / f"{SUMMARY}.parquet").is_file()
            else None
        )
        reason = _reason(run)
        if manifest is None:
            status = "missing"
            reason = reason or "витрины региона не опубликованы"
        else:
            status = "stale" if reason else "published"
        years = _years(version_dir) if manifest else (None, None)
        rows.append(
            {
                "region_code": run["region_code"],
                "region_name": (manifest or {}).get("region") or run["region_code"],
                "status": status,
                "reason": reason,
                "version": (manifest or {}).get("version"),
                "run_id": (manifest or {}).get("run_id"),
                "published_at": (manifest or {}).get("finished_at"),
                "preset": (manifest or {}).get("preset"),
                "preset_version": (manifest or {}).get("preset_version"),
                "first_year": years[0],
                "last_year": years[1],
                "data_dir": str(paths.data_dir),
                "marts_dir": str(version_dir) if manifest else None,
                # the version readers see has no lists yet (its region's reports were busy)
                REPORTS_PENDING: bool((manifest or {}).get(REPORTS_PENDING)),
            }
        )
    return rows


def _reason(run: dict[str, Any]) -> str | None:
    """Why a region's last run published nothing new (None when it published or was unchanged)."""
    if run["status"] in ("published", "unchanged"):
        return None
    if run.get("error"):
        return run["error"]
    return (
        "ничего не опубликовано (проверка витрин не пройдена или нет пригодных данных): "
        f"{Path(run['data_dir']) / 'validation' / 'validation_report.html'}"
    )


def _years(version_dir: Path) -> tuple[int | None, int | None]:
    with duckdb.connect() as con:
        found = con.execute(
            "SELECT min(exam_year), max(exam_year) FROM read_parquet($path)",
            {"path": str(version_dir / f"{SUMMARY}.parquet")},
        ).fetchall()[0]
    return (found[0], found[1]) if found else (None, None)


def build_national_tables(
    con: duckdb.DuckDBPyConnection, published: list[dict[str, Any]]
) -> dict[str, int]:
    """regions.published and regions.municipality_summary (every published region's rows, with
    its code), then the national models; their row counts."""
    for schema in ("regions", LAYER):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    frame = pd.DataFrame(published, columns=list(PUBLISHED_COLUMNS))
    columns = ", ".join(
        f"CAST({name} AS {kind}) AS {name}" for name, kind in PUBLISHED_COLUMNS.items()
    )
    con.register("published_frame", frame)
    con.execute(f"CREATE TABLE regions.published AS SELECT {columns} FROM published_frame")
    con.unregister("published_frame")
    files = [f"{row['marts_dir']}/{SUMMARY}.parquet" for row in published if row["marts_dir"]]
    if files:
        con.execute(
            "CREATE TABLE regions.municipality_summary AS "
            "SELECT p.region_code, s.* EXCLUDE (filename) "
            "FROM read_parquet($files, filename = true, union_by_name = true) AS s "
            f"JOIN regions.published AS p ON s.filename = p.marts_dir || '/{SUMMARY}.parquet'",
            {"files": files},
        )
    else:  # no region published anything: the tables exist, empty
        con.execute(
            "CREATE TABLE regions.municipality_summary (region_code VARCHAR, exam_year INTEGER, "
            "is_region BOOLEAN, school_count BIGINT, rated_count BIGINT, shnor_count BIGINT, "
            "student_count BIGINT, shnor_student_share DOUBLE, risk_group_count BIGINT, "
            "shnsu_count BIGINT, resilient_count BIGINT, entered_count BIGINT, "
            "stayed_count BIGINT, exited_count BIGINT, previous_shnor_rated_count BIGINT, "
            "positive_dynamics_count BIGINT)"
        )
    year = con.execute("SELECT max(exam_year) FROM regions.municipality_summary").fetchall()[0][0]
    return warehouse.run_models(con, {"year": year}, (LAYER,))


def latest_year(con: duckdb.DuckDBPyConnection) -> int | None:
    """The national year: the latest year of any region."""
    return con.execute(f"SELECT max(exam_year) FROM {LAYER}.nat_region_year").fetchall()[0][0]


def national_tables() -> list[str]:
    """`national.<table>` of every national model (each published as <table>.parquet)."""
    return [model.table for model in warehouse.models((LAYER,))]


def current_manifest(root: Path) -> dict[str, Any] | None:
    """The manifest of the national version readers see now (None when none is published)."""
    path = root / NATIONAL_LINK / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _publish(root: Path, con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> str:
    """Write the tables, the workbook and the manifest into a new version; swap it in."""
    versions = root / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    for unfinished in versions.glob(".building-*"):
        shutil.rmtree(unfinished, ignore_errors=True)
    stamp = "".join(ch for ch in manifest["created_at"] if ch.isdigit())
    version = f"{stamp}-{manifest['content_fingerprint'][:8]}"
    while (versions / version).exists():
        version += "-" + uuid.uuid4().hex[:4]
    building = versions / f".building-{version}"
    (building / "reports").mkdir(parents=True)
    try:
        tables = {}
        for table in national_tables():
            name = table.split(".")[1]
            con.table(table).write_parquet(str(building / f"{name}.parquet"), compression="zstd")
            tables[name] = con.table(table).df()
        if manifest["year"] is not None:
            report("national", "книга по регионам")
            write_national_workbook(
                tables, manifest, building / "reports" / f"national_summary_{manifest['year']}.xlsx"
            )
        (building / MANIFEST).write_text(
            json.dumps(manifest | {"version": version}, ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )
        os.replace(building, versions / version)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    link = root / NATIONAL_LINK
    previous = link.resolve().name if link.is_symlink() else None
    swap = root / f".national-swap-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(versions / version, root), swap)
    os.replace(swap, link)
    for folder in versions.iterdir():  # keep this version and the one a reader may hold
        if (
            folder.is_dir()
            and not folder.name.startswith(".")
            and folder.name not in (version, previous)
        ):
            shutil.rmtree(folder, ignore_errors=True)
    return version


def _summary(
    root: Path, manifest: dict[str, Any], status: str, started: tuple[float, float]
) -> dict[str, Any]:
    folder = root / NATIONAL_LINK
    return {
        "status": status,
        "version": manifest.get("version"),
        "year": manifest.get("year"),
        "folder": str(folder),
        "files": sorted(str(p) for p in folder.rglob("*") if p.is_file()),
        "seconds": round(time.perf_counter() - started[0], 3),
        "cpu_seconds": round(time.process_time() - started[1], 3),
    }
