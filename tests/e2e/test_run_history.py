"""Run history: every run (published or failed) in runs/history.jsonl and ops.run_history, and
`shnor status` showing the last runs and what the next run would read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from shnor.cli import app
from shnor.history import current_run, history, pending_inputs
from shnor.ingest.raw_load import file_checksum
from shnor.stages import run_annual

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def region(small_demo_run):
    """The session's small demo region (published once; tests copy what they change)."""
    return small_demo_run[0]


def _table(data_dir: Path) -> list[tuple]:
    with duckdb.connect(str(data_dir / "shnor.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT run_id, outcome, error, preset, new_file_count, corrected_file_count, "
            "unchanged_file_count, build_mode, record->>'$.files.corrected[0]' "
            "FROM ops.run_history ORDER BY started_at, run_id"
        ).fetchall()


def test_runs_are_recorded_with_inputs_changes_and_timings(small_demo_run, tmp_path):
    region, first = small_demo_run  # the first run: from scratch, on the whole region
    data_dir = tmp_path / "region"
    shutil.copytree(region.data_dir, data_dir, symlinks=True)
    raw = data_dir / "raw"
    corrected = sorted(raw.glob("vpr/*/*.csv"))[0]
    # a correction: the export resent without its last participant row
    corrected.write_bytes(b"".join(corrected.read_bytes().splitlines(True)[:-1]))
    second = run_annual(data_dir, "urban_rural", trigger="test")

    runs = history(data_dir)
    assert [r["run_id"] for r in runs] == [first["run_id"], second["run_id"]]
    one, two = runs
    assert one["outcome"] == two["outcome"] == "published" and one["error"] is None
    assert (one["preset"], two["preset"], two["trigger"]) == ("reference", "urban_rural", "test")
    assert one["preset_version"] and one["finished_at"] >= one["started_at"]
    assert len(one["files"]["loaded"]) == len(region.files) and one["build"] == {"mode": "full"}
    source = corrected.relative_to(raw).as_posix()
    assert two["files"]["corrected"] == [source]
    assert len(two["files"]["unchanged"]) == len(region.files) - 1
    assert two["build"]["mode"] == "incremental" and two["build"]["files"] == [source]
    checksums = {i["source_file"]: i["checksum"] for i in two["inputs"]}
    assert checksums[source] == file_checksum(corrected)
    assert len(checksums) == len(region.files)
    assert set(two["steps"]) == {"ingest", "build", "flag", "check", "publish"}
    assert all(seconds > 0 for seconds in two["steps"].values())
    assert two["row_counts"]["marts.fct_school_flags"] > 0
    assert two["summary"]["year"] == max(region.years)
    assert two["summary"]["shnor_list_count"] == second["shnor_list_count"]
    manifest = json.loads((data_dir / "marts" / "run_manifest.json").read_text("utf-8"))
    assert manifest["run_id"] == second["run_id"]

    assert _table(data_dir) == [
        (first["run_id"], "published", None, "reference", len(region.files), 0, 0, "full", None),
        (second["run_id"], "published", None, "urban_rural", 0, 1, len(region.files) - 1,
         "incremental", source),
    ]  # fmt: skip
    assert current_run(data_dir) is None


def test_a_failed_run_is_recorded_with_its_error(region, tmp_path):
    data_dir = tmp_path / "broken"
    shutil.copytree(region.data_dir / "raw", data_dir / "raw")
    # publishing cannot create its versions folder
    (data_dir / "marts.versions").write_text("not a folder")
    with pytest.raises(FileExistsError):
        run_annual(data_dir, "reference")
    (run,) = history(data_dir)
    assert run["outcome"] == "failed"
    assert run["error"].startswith("FileExistsError")
    assert set(run["steps"]) == {"ingest", "build", "flag", "check"}
    assert len(run["inputs"]) == len(region.files)
    (row,) = _table(data_dir)
    assert row[:3] == (run["run_id"], "failed", run["error"])


def test_status_shows_last_runs_and_what_the_next_run_reads(region, tmp_path):
    data_dir = tmp_path / "status"
    shutil.copytree(region.data_dir, data_dir, symlinks=True)  # one published run
    raw = data_dir / "raw"
    removed = sorted(raw.glob("ege/*/*"))[0]
    removed.unlink()
    changed = sorted(raw.glob("vpr/*/*.csv"))[-1]
    changed.write_bytes(changed.read_bytes() + b"\n")
    added = raw / "oge" / str(max(region.years)) / "new.csv"
    added.write_text("Код ОУ;Предмет;Оценка\n", encoding="utf-8")

    pending = pending_inputs(data_dir)
    assert pending.new == [added.relative_to(raw).as_posix()]
    assert pending.changed == [changed.relative_to(raw).as_posix()]
    assert pending.removed == [removed.relative_to(raw).as_posix()]
    assert len(pending.unchanged) == len(region.files) - 2

    # The status needs no warehouse: it works while another process (a build) holds the lock.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(60)", str(data_dir / "shnor.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(data_dir / "shnor.duckdb"), read_only=True)
        outcome = CliRunner().invoke(app, ["status", "--data-dir", str(data_dir)])
    finally:
        holder.kill()
        holder.wait()
    assert outcome.exit_code == 0, outcome.output
    text = " ".join(outcome.output.split())
    assert "Последние запуски" in text and "опубликовано" in text
    assert history(data_dir)[0]["run_id"][:8] in text
    assert "Новые файлы │ 1" in text
    # the path on its own line, whole (a table column would fold it mid-word)
    assert f"\n  {pending.new[0]}\n" in outcome.output
    assert f"Без изменений (не читаются) │ {len(region.files) - 2}" in text


def test_a_preset_edited_while_a_run_goes_on_does_not_mix_into_that_run(region, tmp_path):
    from builders import write_preset

    from shnor.progress import reporting_to

    data_dir = tmp_path / "edited"
    shutil.copytree(region.data_dir / "raw", data_dir / "raw")
    preset = write_preset(tmp_path, "[flags]\nlow_share = 0.10\n", name="region")
    edited = []

    def edit_when_the_build_starts(stage, message, done, total):
        if stage == "build" and not edited:  # the analyst saves a new version mid-run
            preset.write_text(
                '[preset]\nname = "region"\nversion = "2"\n\n[flags]\nlow_share = 0.5\n',
                encoding="utf-8",
            )
            edited.append(stage)

    with reporting_to(edit_when_the_build_starts):
        result = run_annual(data_dir, str(preset))
    assert edited
    flags = pd.read_parquet(data_dir / "marts" / "fct_school_flags.parquet")
    assert set(flags["preset"]) == {"region@1"}
    manifest = json.loads((data_dir / "marts" / "run_manifest.json").read_text("utf-8"))
    assert manifest["preset_version"] == "1"
    rated = flags[flags["is_rated"] & (flags["exam_year"] == result["year"])]
    # version 1's worst 10%, not version 2's worst half
    assert 0 < rated["is_low_result"].sum() <= 0.1 * len(rated)
    # the next run reads the new version
    again = run_annual(data_dir, str(preset))
    assert again["status"] == "published"
    flags = pd.read_parquet(data_dir / "marts" / "fct_school_flags.parquet")
    assert set(flags["preset"]) == {"region@2"}
