"""Publish the whole set of marts and reports at once: written into a new version folder, then
swapped in by replacing one symlink.

    DIR/marts -> marts.versions/<version>/   (a relative symlink; readers use DIR/marts/…)
    DIR/marts.versions/<version>/<table>.parquet, reports/*.xlsx, run_manifest.json

A reader opening DIR/marts/<table>.parquet sees one complete version: the old one until the
symlink is replaced (an atomic rename), the new one after. A run that fails or is killed
before the swap leaves the published version untouched (its half-written folder is removed by
the next publish). The version before the current one is kept, so a reader that resolved the
link just before a swap still finds its files; older ones are removed. A run whose inputs,
preset and code are those of the published version changes nothing (the manifest's
`content_fingerprint`), so unchanged reruns leave every published file byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shnor import warehouse
from shnor.config import Paths
from shnor.presets import Preset
from shnor.reports.build import regenerate_reports, write_reports
from shnor.tables import made_in_python

MANIFEST = "run_manifest.json"

# Tables the Python stages make beside the SQL models (from the table registry); with the
# models of the marts and reports layers, they are every table a run publishes.
PYTHON_TABLES = made_in_python(("marts", "reports"))


# In a manifest: the version's lists and workbooks are still to be written (a national run
# writes a region's reports after publishing its marts).
REPORTS_PENDING = "reports_pending"
# In a manifest whose reports were written after the run: the version the run published.
RUN_VERSION = "run_version"


def published_tables() -> list[str]:
    """`schema.table` of every table this shnor publishes (a table an earlier version left in
    the warehouse is not one of them)."""
    models = [model.table for model in warehouse.models(("marts", "reports"))]
    return sorted({*models, *PYTHON_TABLES})


@dataclass(frozen=True)
class Published:
    """What a publish step put in place (paths through DIR/marts)."""

    marts: list[Path]
    reports: list[Path]
    manifest: Path
    version: str = ""
    unchanged: bool = False  # the published version already had this content


def versions_dir(paths: Paths) -> Path:
    """Where published versions live: DIR/marts.versions/."""
    return paths.data_dir / "marts.versions"


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """`schema.table` of every mart and report table this shnor makes and the warehouse holds
    (each becomes `<table>.parquet`); tables an earlier version left behind are not published."""
    rows = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('marts', 'reports') ORDER BY table_schema, table_name"
    ).fetchall()
    made = set(published_tables())
    return [row[0] for row in rows if row[0] in made]


def published_manifest(paths: Paths) -> dict[str, Any] | None:
    """The manifest of the version readers see now, or None when nothing is published."""
    path = paths.marts / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def publish(
    con: duckdb.DuckDBPyConnection,
    paths: Paths,
    preset: Preset,
    manifest: dict[str, Any],
    extra_reports: tuple[Path, ...] = (),
    reports: bool = True,
) -> Published:
    """Write every mart, the annual lists, `extra_reports` (copied) and the run manifest into
    a new version and swap it in — unless the published version has the same
    content_fingerprint, which is then kept as it is (its reports written first when they are
    still pending). Without `reports` (a national run) the lists and workbooks are left to
    `republish_with_reports(..., pending=True)`, off the region's path; the manifest says
    `reports_pending` until then. The caller holds the folder's run lock."""
    current = published_manifest(paths)
    fingerprint = manifest.get("content_fingerprint")
    root = versions_dir(paths)
    if root.is_dir():  # half-written folders of killed runs go, whatever this run publishes
        _remove_unfinished(root)
    if current and fingerprint and current.get("content_fingerprint") == fingerprint:
        if reports and current.get(REPORTS_PENDING):
            # a national run killed between the marts and their reports: write them now
            version, _ = republish_with_reports(paths, preset, pending=True)
            return _as_published(paths, version, unchanged=True)
        return _as_published(paths, current.get("version", ""), unchanged=True)
    root.mkdir(parents=True, exist_ok=True)
    version = _new_version_name(root, manifest)
    building = root / f".building-{version}"
    (building / "reports").mkdir(parents=True)
    try:
        pending = {} if reports else {REPORTS_PENDING: True}
        manifest = manifest | {"version": version} | pending
        write_version(con, building, preset, manifest, extra_reports, reports)
        os.replace(building, root / version)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    previous = _point_marts_to(paths, root / version)
    _remove_old_versions(root, keep={version, previous})
    return _as_published(paths, version)


def write_version(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    preset: Preset,
    manifest: dict[str, Any],
    extra_reports: tuple[Path, ...] = (),
    reports: bool = True,
) -> None:
    """Every mart as Parquet, the reports under reports/ (unless not `reports`), and the
    manifest, into `folder`."""
    for table in mart_tables(con):
        target = folder / f"{table.split('.')[1]}.parquet"
        con.table(table).write_parquet(str(target), compression="zstd")
    facts = [(key, value) for key, value in manifest.items() if not isinstance(value, dict | list)]
    # The reports read the Parquet marts just written: the same code as `shnor report`.
    if reports:
        write_reports(folder, preset, facts, folder / "reports")
    for path in extra_reports:
        shutil.copyfile(path, folder / "reports" / path.name)
    (folder / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )


class PublishedVersionChangedError(RuntimeError):
    """Another process published a version while reports were written for the one before it."""


def republish_with_reports(
    paths: Paths, preset: Preset, years: list[int] | None = None, pending: bool = False
) -> tuple[str, list[Path]]:
    """`shnor report`: a new version holding the published one's files (hard links) with the
    reports rebuilt from its marts, swapped in like a run's — the published version itself is
    never written to, so a reader of it sees no file change. Returns the version and the
    rebuilt report files (through DIR/marts). With `pending`, these are the reports a national
    run's region left for later (`publish(reports=False)`): the run's own, not «rebuilt». A
    version whose reports are pending gets all of them, whatever `years` says.

    The caller holds the folder's run lock (`history.run_lock`); should the published version
    change all the same, the new one is not swapped in (PublishedVersionChangedError): readers
    never go back to older marts."""
    source = paths.marts.resolve()  # the version copied, named once: the link may move
    current = _manifest_in(source)
    if current is None:
        raise FileNotFoundError(f"в {paths.marts} нет опубликованных витрин: сначала shnor run")
    root = versions_dir(paths)
    _remove_unfinished(root)
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    version = _new_version_name(root, current | {"finished_at": stamp})
    building = root / f".building-{version}"
    try:
        shutil.copytree(source, building, copy_function=_linked_or_copied)
        kept = {k: v for k, v in current.items() if k != REPORTS_PENDING}
        after = {RUN_VERSION: current["version"]} if pending else {"reports_rebuilt_at": stamp}
        manifest = kept | {"version": version} | after
        staged = building / f".{MANIFEST}.writing"  # a new file: the linked one stays as it was
        staged.write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        os.replace(staged, building / MANIFEST)
        written = regenerate_reports(building, building / "reports", preset, years)
        if current.get(REPORTS_PENDING) and years is not None:  # the run's lists, every year
            every = regenerate_reports(building, building / "reports", preset)
            written = list(dict.fromkeys(written + every))
        now = paths.marts.resolve()
        if now != source:
            raise PublishedVersionChangedError(
                f"Пока писались отчёты к версии {source.name}, в {paths.data_dir} опубликована "
                f"версия {now.name}; отчёты не подставлены, опубликованная версия оставлена"
            )
        os.replace(building, root / version)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    previous = _point_marts_to(paths, root / version)
    _remove_old_versions(root, keep={version, previous})
    return version, [paths.reports / path.name for path in written]


def _manifest_in(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _linked_or_copied(source: str, target: str) -> None:
    """A hard link to a published file (no copy of the marts), or a copy where links fail."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _as_published(paths: Paths, version: str, unchanged: bool = False) -> Published:
    marts = sorted(paths.marts.glob("*.parquet"))
    reports = sorted(paths.reports.glob("*.xlsx")) + sorted(paths.reports.glob("*.html"))
    return Published(marts, reports, paths.marts / MANIFEST, version, unchanged)


def _new_version_name(root: Path, manifest: dict[str, Any]) -> str:
    stamp = str(manifest.get("finished_at") or manifest.get("started_at") or "")
    stamp = "".join(ch for ch in stamp if ch.isdigit())[:14] or "version"
    fingerprint = str(manifest.get("content_fingerprint") or uuid.uuid4().hex)[:8]
    name, number = f"{stamp}-{fingerprint}", 1
    while (root / name).exists():
        number += 1
        name = f"{stamp}-{fingerprint}-{number}"
    return name


def _point_marts_to(paths: Paths, version_folder: Path) -> str | None:
    """Replace the DIR/marts symlink in one rename; returns the version it pointed to. A plain
    DIR/marts folder made by an earlier shnor becomes a version first (the only moment
    DIR/marts is briefly absent)."""
    link = paths.marts
    previous = link.resolve().name if link.is_symlink() else None
    if link.is_dir() and not link.is_symlink():
        previous = f"legacy-{uuid.uuid4().hex[:8]}"
        os.rename(link, versions_dir(paths) / previous)
    swap = link.with_name(f".marts-swap-{uuid.uuid4().hex[:8]}")
    os.symlink(os.path.relpath(version_folder, link.parent), swap)
    os.replace(swap, link)
    return previous


def _remove_unfinished(root: Path) -> None:
    """Folders of publishes that were killed before their swap."""
    for folder in root.glob(".building-*"):
        shutil.rmtree(folder, ignore_errors=True)
    for link in root.parent.glob(".marts-swap-*"):
        link.unlink(missing_ok=True)


def _remove_old_versions(root: Path, keep: set[str | None]) -> None:
    """Keep the new version and the one published before it (a reader may have resolved the
    link just before the swap); remove the others, including versions of killed runs."""
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
