"""A region of a national rerun whose files, preset and code are those of its published version
is kept without opening its warehouse; anything else — another preset, other code, a file
corrected behind an unchanged size and mtime, a last run that failed or was killed — runs it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from shnor import file_stats, stages
from shnor.history import history
from shnor.national import region_run
from shnor.stages.unchanged import STEP, unchanged_run

pytestmark = pytest.mark.slow


@pytest.fixture
def region(national_run, tmp_path) -> Path:
    """A copy of region_01 of the national run (published; its files hashed on the first check:
    a copy has new ctimes)."""
    source, _ = national_run
    target = tmp_path / "region_01"
    shutil.copytree(source / "region_01", target, symlinks=True)
    return target


def test_an_unchanged_region_is_kept_by_stat_without_its_warehouse(region, monkeypatch):
    warehouse = region / "shnor.duckdb"
    published = json.loads((region / "marts" / "run_manifest.json").read_text("utf-8"))
    before, lines = history(region)[-1], len(history(region))
    opened_at = warehouse.stat().st_mtime_ns
    a_minute_later(monkeypatch)  # the copy's new ctimes count as settled

    first = region_run(region, "reference", "national:test")  # the copy's files are hashed

    assert first["status"] == "unchanged" and not first["flagged"]
    assert list(first["steps"]) == [STEP] and first["version"] == published["version"]
    assert first["exit_code"] == before["summary"]["exit_code"] == 0
    assert first["shnor_list_count"] == before["summary"]["shnor_list_count"] > 0
    assert warehouse.stat().st_mtime_ns == opened_at
    assert len(history(region)) == lines + 1
    line = history(region)[-1]
    assert line["outcome"] == "unchanged" and line["trigger"] == "national:test"
    assert line["files"]["unchanged"] == [i["source_file"] for i in published["inputs"]]
    assert [i["checksum"] for i in line["inputs"]] == [i["checksum"] for i in before["inputs"]]
    pairs = zip(line["inputs"], before["inputs"], strict=True)
    assert all(i["stat"] != b.get("stat") for i, b in pairs)  # the copy's stats, kept now
    last_run = json.loads((region / "validation" / "last_run.json").read_text("utf-8"))
    assert last_run["status"] == "unchanged" and last_run["inputs_unchanged"]

    # the next check reads no file: the stats the first one kept are those of the files now
    def refused(path):
        raise AssertionError(f"hashed {path}")

    monkeypatch.setattr(file_stats, "file_checksum", refused)
    second = unchanged_run(region, "reference", "national:test")
    assert second is not None and second["status"] == "unchanged"
    assert len(history(region)) == lines + 2


def a_minute_later(monkeypatch: pytest.MonkeyPatch) -> None:
    now = file_stats.now_ns()
    monkeypatch.setattr(file_stats, "now_ns", lambda: now + 60 * 10**9)


@pytest.mark.parametrize(
    "change",
    ["another preset", "other code", "same size and mtime", "a new file", "a killed run"],
)
def test_a_region_that_changed_must_run(region, monkeypatch, change):
    lines = len(history(region))
    preset = "reference"
    if change == "another preset":
        preset = "urban_rural"
    elif change == "other code":
        import shnor.quality.fingerprint as fingerprint

        monkeypatch.setattr(fingerprint, "code_fingerprint", lambda: "another shnor")
    elif change == "same size and mtime":
        path = next((region / "raw" / "oge").rglob("*.csv"))
        before = path.stat()
        text = path.read_bytes()
        changed = text[:-2] + (b"1" if text[-2:-1] != b"1" else b"2") + text[-1:]
        path.write_bytes(changed)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size
    elif change == "a new file":
        folder = region / "raw" / "oge" / "2026"
        shutil.copyfile(next(folder.glob("*.csv")), folder / "ОГЭ_2026_доп.csv")
    else:
        (region / "runs" / "current.json").write_text("{}", encoding="utf-8")

    assert unchanged_run(region, preset, "national:test") is None
    assert len(history(region)) == lines  # nothing recorded: the region runs in full


def test_a_region_whose_last_run_failed_runs_again(region, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("диск переполнен")

    monkeypatch.setattr(stages, "publish_step", broken)
    with pytest.raises(RuntimeError, match="диск переполнен"):
        stages.run_annual(region, "reference", trigger="direct")  # `shnor run`, failing
    assert history(region)[-1]["outcome"] == "failed"
    monkeypatch.undo()

    assert unchanged_run(region, "reference", "national:test") is None
    again = region_run(region, "reference", "national:test")
    assert again["status"] == "unchanged" and "publish" in again["steps"]
    assert history(region)[-1]["outcome"] == "unchanged"
