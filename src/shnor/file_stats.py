"""Input files seen unchanged without reading them: each file's size, modification and change
times (ns), taken before the file is hashed, are kept with its checksum. A file whose stat still
matches has that checksum; a file whose stat moved is hashed again and compared.

The change time (ctime) is set by the kernel on every write and cannot be set back, so a file
rewritten to the same size with its mtime restored still counts as moved. A file touched less
than a second before its stat was taken gets no stat kept (a write right after the stat could
leave the same times): it is hashed next time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from shnor.ingest.raw_load import file_checksum, raw_files

RECENT_NS = 1_000_000_000  # touched within this before the stat: the stat is not kept


def file_stat(path: Path) -> list[int]:
    """[size, mtime_ns, ctime_ns] of a file."""
    found = path.stat()
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def input_stats(raw_dir: Path) -> dict[str, list[int]]:
    """source → stat of every input file under raw_dir not touched in the last second."""
    now = now_ns()
    stats = {path.relative_to(raw_dir).as_posix(): file_stat(path) for path in raw_files(raw_dir)}
    return {source: stat for source, stat in stats.items() if _settled(stat, now)}


def with_stats(inputs: list[dict[str, Any]], stats: dict[str, list[int]]) -> list[dict[str, Any]]:
    """The inputs (source_file, checksum, …), each with its stat when one was kept."""
    return [
        item | ({"stat": stats[item["source_file"]]} if item["source_file"] in stats else {})
        for item in inputs
    ]


def inputs_if_unchanged(raw_dir: Path, inputs: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The inputs with their stats brought up to date when the files under raw_dir are exactly
    `inputs` — the same names, each with its checksum (by stat, or by hashing a file whose stat
    moved); None as soon as one differs (a file new, gone or with other bytes)."""
    on_disk = {path.relative_to(raw_dir).as_posix(): path for path in raw_files(raw_dir)}
    if on_disk.keys() != {item["source_file"] for item in inputs}:
        return None
    now = now_ns()
    fresh = []
    for item in inputs:
        path = on_disk[item["source_file"]]
        stat = file_stat(path)
        if stat != item.get("stat") and file_checksum(path) != item["checksum"]:
            return None
        kept = {key: value for key, value in item.items() if key != "stat"}
        fresh.append(kept | ({"stat": stat} if _settled(stat, now) else {}))
    return fresh


def now_ns() -> int:
    """The clock the stats are judged by (wall time, as file times are)."""
    return time.time_ns()


def _settled(stat: list[int], now: int) -> bool:
    return max(stat[1], stat[2]) < now - RECENT_NS
