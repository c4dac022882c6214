"""Run history: every run — started, finished or failed — with its inputs, changes and timings.

Kept twice: `DIR/runs/history.jsonl` (one JSON record per line, readable while a build holds the
warehouse lock; `DIR/runs/current.json` while a run is under way) and the warehouse table
`ops.run_history` (one row per run, the whole record in `record`), filled from the file whenever
the warehouse is free.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from shnor import __version__, warehouse
from shnor.config import Paths, data_dir_from
from shnor.ingest.raw_load import file_checksum, raw_files

HISTORY_TABLE = "ops.run_history"
HISTORY_COLUMNS = {
    "run_id": "VARCHAR PRIMARY KEY",
    "started_at": "TIMESTAMP",
    "finished_at": "TIMESTAMP",
    "outcome": "VARCHAR",
    "error": "VARCHAR",
    "trigger": "VARCHAR",
    "preset": "VARCHAR",
    "preset_version": "VARCHAR",
    "exam_year": "INTEGER",
    "new_file_count": "INTEGER",
    "corrected_file_count": "INTEGER",
    "removed_file_count": "INTEGER",
    "unchanged_file_count": "INTEGER",
    "quarantined_file_count": "INTEGER",
    "build_mode": "VARCHAR",
    "seconds": "DOUBLE",
    "record": "JSON",
}
FILE_CHANGES = ("loaded", "corrected", "removed", "unchanged", "quarantined")


def process_cpu_seconds() -> float:
    """CPU seconds of this process (every thread: DuckDB's too) and of its children it has
    waited for (forked report workers)."""
    used = os.times()
    return used.user + used.system + used.children_user + used.children_system


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


@dataclass
class RunRecord:
    """One run as it goes: what it read, what changed, what each step took, how it ended."""

    data_dir: str
    preset: str
    trigger: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    outcome: str = "running"
    error: str | None = None
    preset_version: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    step_cpu: dict[str, float] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    build: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    host: str = field(default_factory=socket.gethostname)
    shnor_version: str = __version__
    _clock: float = field(default_factory=time.perf_counter, repr=False)
    _cpu_clock: float = field(default_factory=process_cpu_seconds, repr=False)

    def add_step(self, name: str, result: dict[str, Any]) -> None:
        """Take what a step of a run (shnor.stages) returned: its time, the CPU seconds since the
        previous step (`step_cpu`: where a run's CPU goes) and the facts it reports."""
        self.steps[name] = result.get("seconds", 0.0)
        cpu, self._cpu_clock = self._cpu_clock, process_cpu_seconds()
        self.step_cpu[name] = round(self._cpu_clock - cpu, 3)
        if name == "ingest":
            self.files = {kind: list(result.get(kind, [])) for kind in FILE_CHANGES}
            self.inputs = list(result.get("inputs", []))
        self.row_counts |= result.get("row_counts", {})
        if "rebuilt" in result:
            self.build = result["rebuilt"]
        if name == "publish":
            self.summary = {
                key: value
                for key, value in result.items()
                if key not in ("marts", "reports", "seconds", "manifest")
            }

    def as_dict(self) -> dict[str, Any]:
        record = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return record | {"seconds": round(time.perf_counter() - self._clock, 3)}


@contextmanager
def recorded_run(data_dir: str | Path, preset: str, trigger: str) -> Iterator[RunRecord]:
    """Record the run in the block: `current.json` while it runs, then a history line (also when
    it fails, with the error) and the warehouse row when the warehouse is free."""
    from shnor.presets import load_preset

    paths = Paths(data_dir_from(data_dir))
    folder = paths.data_dir / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    with _run_lock(folder):
        record = RunRecord(str(paths.data_dir), str(preset), trigger)
        _write_json(folder / "current.json", record.as_dict() | {"pid": os.getpid()})
        try:
            chosen = load_preset(preset)
            record.preset, record.preset_version = chosen.name, chosen.version
            yield record
        except BaseException as error:
            record.outcome = "failed"
            record.error = f"{type(error).__name__}: {error}"
            record.summary["traceback"] = traceback.format_exc(limit=5)
            raise
        else:  # published / unchanged (the published version kept) / not_published
            record.outcome = record.summary.get("status", "published")
        finally:
            record.finished_at = _now()
            _append_line(folder / "history.jsonl", record.as_dict())
            (folder / "current.json").unlink(missing_ok=True)
            sync_history_table(paths)


@contextmanager
def run_lock(data_dir: str | Path) -> Iterator[None]:
    """The folder's run lock, for work that publishes outside a run (`shnor report`)."""
    folder = Paths(data_dir_from(data_dir)).data_dir / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    with _run_lock(folder):
        yield


class RunInProgressError(RuntimeError):
    """Another run of this data folder is under way (one run at a time per folder)."""


@contextmanager
def _run_lock(folder: Path) -> Iterator[None]:
    """Hold DIR/runs/run.lock for the run: a second run (a schedule while an analyst runs by
    hand) is refused before it touches anything, so runs never interleave their steps."""
    handle = open(folder / "run.lock", "a+", encoding="utf-8")  # noqa: SIM115 (held for the run)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as busy:
            running = current_run(folder.parent) or {}
            raise RunInProgressError(
                f"В папке {folder.parent} уже идёт запуск {running.get('run_id', '')} "
                f"(начат {running.get('started_at', '?')}, {running.get('trigger', '?')}); "
                "дождитесь его окончания (shnor status) и запустите снова"
            ) from busy
        yield
    finally:
        handle.close()  # closing releases the lock


def _append_line(path: Path, content: dict[str, Any]) -> None:
    """One JSON line at the end of the history, on a line of its own even when the last one
    was cut short (a run killed while writing it)."""
    starts_clean = not path.is_file() or path.stat().st_size == 0
    if not starts_clean:
        with open(path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            starts_clean = handle.read(1) == b"\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(
            ("" if starts_clean else "\n")
            + json.dumps(content, ensure_ascii=False, default=str)
            + "\n"
        )


def append_run(record: RunRecord) -> None:
    """A finished run's history line, written by a run that never opened the warehouse (its
    `ops.run_history` row is added by the next run that does)."""
    record.finished_at = record.finished_at or _now()
    _append_line(Path(record.data_dir) / "runs" / "history.jsonl", record.as_dict())


def last_run(data_dir: str | Path) -> dict[str, Any] | None:
    """The latest recorded run (the history's last whole line), without parsing the others."""
    path = data_dir_from(data_dir) / "runs" / "history.jsonl"
    if not path.is_file():
        return None
    for line in reversed(path.read_bytes().splitlines()):
        try:
            return json.loads(line)
        except ValueError:  # a line cut short by a killed run, or an empty one: not a run
            continue
    return None


def history(data_dir: str | Path) -> list[dict[str, Any]]:
    """Every recorded run, oldest first (from the file: no warehouse lock needed)."""
    path = data_dir_from(data_dir) / "runs" / "history.jsonl"
    if not path.is_file():
        return []
    runs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                runs.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a killed run: not a run
                continue
    return runs


def current_run(data_dir: str | Path) -> dict[str, Any] | None:
    """The run under way (as its start was recorded), if any."""
    folder = data_dir_from(data_dir) / "runs"
    if not _is_locked(folder / "run.lock"):  # a run killed on its way left current.json behind
        return None
    try:
        return json.loads((folder / "current.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _is_locked(path: Path) -> bool:
    """True while a run holds the folder's run lock (the kernel frees it when a run dies)."""
    if not path.is_file():
        return False
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def sync_history_table(paths: Paths) -> int:
    """Copy history records missing from ops.run_history into it; returns rows added (0 when
    the warehouse is locked by another process: the next run adds them)."""
    records = history(paths.data_dir)
    if not records:
        return 0
    try:
        with warehouse.connect(paths.warehouse) as con:
            return _insert_missing(con, records)
    except duckdb.Error:  # locked by a running build, most likely
        return 0


def _insert_missing(con: duckdb.DuckDBPyConnection, records: list[dict[str, Any]]) -> int:
    ddl = ", ".join(f"{name} {kind}" for name, kind in HISTORY_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} ({ddl})")
    known = {row[0] for row in con.execute(f"SELECT run_id FROM {HISTORY_TABLE}").fetchall()}
    rows = [_table_row(r) for r in records if r["run_id"] not in known]
    if rows:
        names = ", ".join(HISTORY_COLUMNS)
        marks = ", ".join("?" * len(HISTORY_COLUMNS))
        con.executemany(f"INSERT INTO {HISTORY_TABLE} ({names}) VALUES ({marks})", rows)
    return len(rows)


def _table_row(record: dict[str, Any]) -> list[Any]:
    files = record.get("files", {})
    return [
        record["run_id"],
        record["started_at"],
        record.get("finished_at"),
        record["outcome"],
        record.get("error"),
        record.get("trigger"),
        record.get("preset"),
        record.get("preset_version"),
        record.get("summary", {}).get("year"),
        *(len(files.get(kind, [])) for kind in FILE_CHANGES),
        record.get("build", {}).get("mode"),
        record.get("seconds"),
        json.dumps(record, ensure_ascii=False, default=str),
    ]


@dataclass(frozen=True)
class PendingInputs:
    """What the next run would read, compared with the inputs of the last recorded run."""

    new: list[str]
    changed: list[str]
    removed: list[str]
    retried: list[str]  # quarantined last time: read again
    unchanged: list[str]
    known: bool  # False when no run recorded its inputs (everything would be read)


def pending_inputs(data_dir: str | Path) -> PendingInputs:
    """Files under raw/ against the checksums of the last run that read them (no loading)."""
    paths = Paths(data_dir_from(data_dir))
    last = next((r for r in reversed(history(paths.data_dir)) if r.get("inputs")), None)
    inputs = last["inputs"] if last else _warehouse_inputs(paths)
    known = {i["source_file"]: i for i in inputs or []}
    on_disk = (
        {p.relative_to(paths.raw).as_posix(): p for p in raw_files(paths.raw)}
        if paths.raw.is_dir()
        else {}
    )
    new, changed, retried, unchanged = [], [], [], []
    for source, path in sorted(on_disk.items()):
        before = known.get(source)
        if before is None:
            new.append(source)
        elif before["checksum"] != file_checksum(path):
            changed.append(source)
        elif before["status"] != "loaded":
            retried.append(source)
        else:
            unchanged.append(source)
    removed = sorted(known.keys() - on_disk.keys())
    return PendingInputs(new, changed, removed, retried, unchanged, inputs is not None)


def _warehouse_inputs(paths: Paths) -> list[dict[str, Any]] | None:
    """raw._files of a warehouse made before the run history, if it can be opened now."""
    if not paths.warehouse.is_file():
        return None
    try:
        with warehouse.connect(paths.warehouse, read_only=True) as con:
            return (
                con.execute("SELECT source_file, checksum, status FROM raw._files")
                .df()
                .to_dict("records")
            )
    except duckdb.Error:
        return None


def _write_json(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, ensure_ascii=False, default=str), encoding="utf-8")
