"""Input files seen unchanged by stat, hashed only where a stat moved: a rewrite to the same size
with the mtime set back is still seen (ctime), and a just-written file gets no stat kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from shnor import file_stats
from shnor.file_stats import input_stats, inputs_if_unchanged, with_stats
from shnor.ingest.raw_load import file_checksum


def settled_raw(tmp_path: Path) -> Path:
    """raw/ with two files last written a minute ago."""
    raw = tmp_path / "raw"
    (raw / "oge" / "2026").mkdir(parents=True)
    (raw / "oge" / "2026" / "a.csv").write_text("school;score\n1;4\n", encoding="utf-8")
    (raw / "b.csv").write_text("school;score\n2;5\n", encoding="utf-8")
    return raw


def a_minute_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock of file_stats a minute ahead: the files were written a minute ago."""
    now = time.time_ns()
    monkeypatch.setattr(file_stats, "now_ns", lambda: now + 60 * 10**9)


def recorded(raw: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The inputs as a run records them, stats taken a minute after the files were written."""
    a_minute_later(monkeypatch)
    stats = input_stats(raw)
    monkeypatch.undo()
    inputs = [
        {"source_file": source, "checksum": file_checksum(raw / source), "status": "loaded"}
        for source in ("b.csv", "oge/2026/a.csv")
    ]
    return with_stats(inputs, stats)


def no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(path: Path) -> str:
        raise AssertionError(f"hashed {path}")

    monkeypatch.setattr(file_stats, "file_checksum", refused)


def test_unchanged_files_are_seen_by_stat_alone(tmp_path, monkeypatch):
    raw = settled_raw(tmp_path)
    inputs = recorded(raw, monkeypatch)
    assert all(len(item["stat"]) == 3 for item in inputs)
    no_hashing(monkeypatch)
    a_minute_later(monkeypatch)
    assert inputs_if_unchanged(raw, inputs) == inputs


def test_a_touched_file_is_hashed_and_its_new_stat_kept(tmp_path, monkeypatch):
    raw = settled_raw(tmp_path)
    inputs = recorded(raw, monkeypatch)
    os.utime(raw / "b.csv", ns=(10**18, 10**18))  # the same bytes, another mtime
    a_minute_later(monkeypatch)
    fresh = inputs_if_unchanged(raw, inputs)
    assert fresh is not None
    assert fresh[0]["stat"] != inputs[0]["stat"] and fresh[0]["stat"][1] == 10**18
    assert fresh[1] == inputs[1]


def test_a_rewrite_of_the_same_size_with_the_mtime_set_back_is_seen(tmp_path, monkeypatch):
    raw = settled_raw(tmp_path)
    inputs = recorded(raw, monkeypatch)
    path = raw / "oge" / "2026" / "a.csv"
    before = path.stat()
    path.write_text("school;score\n1;2\n", encoding="utf-8")  # a corrected mark, same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert inputs_if_unchanged(raw, inputs) is None


def test_a_new_or_removed_file_is_a_change(tmp_path, monkeypatch):
    raw = settled_raw(tmp_path)
    inputs = recorded(raw, monkeypatch)
    no_hashing(monkeypatch)
    (raw / "c.csv").write_text("school;score\n", encoding="utf-8")
    assert inputs_if_unchanged(raw, inputs) is None
    (raw / "c.csv").unlink()
    (raw / "b.csv").unlink()
    assert inputs_if_unchanged(raw, inputs) is None


def test_a_file_written_within_the_last_second_gets_no_stat(tmp_path):
    raw = settled_raw(tmp_path)
    old = time.time_ns() - 60 * 10**9
    os.utime(raw / "b.csv", ns=(old, old))  # ctime stays now: still too recent
    assert input_stats(raw) == {}
    inputs = [
        {"source_file": s, "checksum": file_checksum(raw / s), "status": "loaded"}
        for s in ("b.csv", "oge/2026/a.csv")
    ]
    fresh = inputs_if_unchanged(raw, inputs)  # hashed: the same bytes
    assert fresh == inputs and all("stat" not in item for item in fresh)
