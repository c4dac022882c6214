"""Publishing as one set (docs/data-contract.md): a run killed mid-build or mid-publish leaves the
published marts and reports intact and readable; an unchanged rerun leaves every published
file byte-identical; failed mart checks publish nothing; readers never open the warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from bad_inputs import VPR_HEADER, csv_text, tiny_region, vpr_rows, write
from typer.testing import CliRunner

from shnor import marts
from shnor.cli import app
from shnor.history import current_run

runner = CliRunner()


def published_files(data_dir: Path) -> dict[str, str]:
    """Every file readers see under DIR/marts (through the symlink) → its SHA-256."""
    root = data_dir / "marts"
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_readable(data_dir: Path) -> None:
    root = data_dir / "marts"
    manifest = json.loads((root / "run_manifest.json").read_text("utf-8"))
    assert os.readlink(root).endswith(manifest["version"])
    for path in root.glob("*.parquet"):
        pd.read_parquet(path)
    for path in (root / "reports").glob("*.xlsx"):
        openpyxl.load_workbook(path, read_only=True).close()
    assert not marts.read("fct_school_flags", data_dir=data_dir).empty


def run_cli(data_dir: Path) -> int:
    outcome = runner.invoke(app, ["run", "--data-dir", str(data_dir), "--no-prefect"])
    assert "Traceback" not in outcome.output
    return outcome.exit_code


@pytest.fixture(scope="module")
def published_once(tmp_path_factory) -> Path:
    """The tiny region published by `shnor run`, once for the module: never changed."""
    data_dir = tmp_path_factory.mktemp("published") / "D"
    tiny_region(data_dir / "raw")
    assert run_cli(data_dir) == 0
    return data_dir


@pytest.fixture
def published(published_once, tmp_path) -> Path:
    """A copy of the published tiny region (the marts symlink is relative) for a test to change."""
    data_dir = tmp_path / "D"
    shutil.copytree(published_once, data_dir, symlinks=True)
    return data_dir


def test_marts_is_a_symlink_to_one_complete_version(published):
    link = published / "marts"
    assert link.is_symlink()
    target = link.resolve()
    assert target.parent == published / "marts.versions"
    assert {p.name for p in target.glob("*.parquet")} >= {
        "dim_schools.parquet",
        "fct_school_procedure_results.parquet",
        "fct_school_flags.parquet",
    }
    assert_readable(published)


def test_an_unchanged_rerun_leaves_every_published_file_byte_identical(published):
    before, link = published_files(published), os.readlink(published / "marts")
    outcome = runner.invoke(app, ["run", "--data-dir", str(published), "--no-prefect"])
    assert outcome.exit_code == 0
    assert "не изменились" in " ".join(outcome.output.split())
    assert published_files(published) == before
    assert os.readlink(published / "marts") == link
    last_run = json.loads((published / "validation" / "last_run.json").read_text("utf-8"))
    assert last_run["status"] == "unchanged"
    summary = openpyxl.load_workbook(published / "validation" / "validation_report.xlsx")["Сводка"]
    said = dict(summary.iter_rows(min_row=2, values_only=True))
    assert "не изменились" in said["Публикация"]


def test_a_changed_input_publishes_a_new_version_and_keeps_the_previous_one(published):
    first = (published / "marts").resolve()
    orphan = published / "marts.versions" / "20990101000000-killed"  # renamed, never swapped in
    orphan.mkdir()
    write(published / "raw", "vpr/2026/russian.csv",
          csv_text(VPR_HEADER, vpr_rows(2026, subject="Русский язык", seed=1)))  # fmt: skip
    assert run_cli(published) == 0
    second = (published / "marts").resolve()
    assert second != first and first.is_dir()  # kept until the next publish
    assert not orphan.exists()
    write(published / "raw", "vpr/2026/history.csv",
          csv_text(VPR_HEADER, vpr_rows(2026, subject="История", seed=2)))  # fmt: skip
    assert run_cli(published) == 0
    assert not first.exists() and second.is_dir()
    assert_readable(published)


@pytest.mark.parametrize("stage", ["build", "publish"])
def test_a_run_killed_mid_way_leaves_the_published_outputs_intact(published, stage, tmp_path):
    before = published_files(published)
    write(published / "raw", "vpr/2026/russian.csv",
          csv_text(VPR_HEADER, vpr_rows(2026, subject="Русский язык", seed=1)))  # fmt: skip
    trace = tmp_path / "progress.log"
    env = os.environ | {"SHNOR_PROGRESS_FILE": str(trace)}
    process = subprocess.Popen(
        [sys.executable, "-m", "shnor.cli", "run", "--data-dir", str(published), "--no-prefect"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if trace.is_file() and any(
            line.startswith(f"{stage}\t") for line in trace.read_text("utf-8").splitlines()
        ):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    assert process.wait(timeout=60) == -signal.SIGKILL, "the run ended before it was killed"
    assert_readable(published)
    assert current_run(published) is None  # `shnor status` does not show a dead run as running
    if stage == "build":
        assert published_files(published) == before
    # The next run recovers: it publishes the new input and removes the half-written version.
    assert run_cli(published) == 0
    assert_readable(published)
    assert not list((published / "marts.versions").glob(".building-*"))
    subjects = marts.read("fct_school_procedure_results", data_dir=published)["subject"]
    assert "russian" in set(subjects)


def test_failed_mart_checks_publish_nothing_exit_4(published, tmp_path, monkeypatch):
    from shnor.quality.suites import expectations_dir

    strict = tmp_path / "expectations"
    shutil.copytree(expectations_dir(), strict)
    suite_path = strict / "marts.fct_school_flags.json"
    suite = json.loads(suite_path.read_text("utf-8"))
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "exam_year", "min_value": 3000},
            "severity": "critical",
            "meta": {"rule": "value_out_of_range", "description_ru": "год вне диапазона",
                     "action_ru": "сообщите разработчикам", "column_ru": "exam_year"},
        }
    )  # fmt: skip
    suite_path.write_text(json.dumps(suite, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("SHNOR_EXPECTATIONS", str(strict))
    before = published_files(published)
    write(published / "raw", "vpr/2026/russian.csv",
          csv_text(VPR_HEADER, vpr_rows(2026, subject="Русский язык", seed=1)))  # fmt: skip
    outcome = runner.invoke(app, ["run", "--data-dir", str(published), "--no-prefect"])
    assert outcome.exit_code == 4, outcome.output
    assert "Ничего не опубликовано" in outcome.output
    assert published_files(published) == before
    report = openpyxl.load_workbook(published / "validation" / "validation_report.xlsx")
    header, *rows = list(report["Проблемы"].iter_rows(values_only=True))
    named = [dict(zip(header, row, strict=True)) for row in rows]
    assert ("блокирующая", "(витрина fct_school_flags)") in {
        (r["Важность"], r["Файл"]) for r in named
    }


def test_a_plain_marts_folder_of_an_earlier_version_is_migrated(tmp_path):
    data_dir = tmp_path / "D"
    tiny_region(data_dir / "raw")
    (data_dir / "marts").mkdir()
    (data_dir / "marts" / "old.parquet").write_bytes(b"old")
    assert run_cli(data_dir) == 0
    assert (data_dir / "marts").is_symlink()
    (legacy,) = (data_dir / "marts.versions").glob("legacy-*")
    assert (legacy / "old.parquet").read_bytes() == b"old"
    assert_readable(data_dir)


def test_readers_work_while_a_build_holds_the_warehouse(published):
    with duckdb.connect(str(published / "shnor.duckdb")):  # a running build's write lock
        assert not marts.read("fct_school_flags", data_dir=published).empty
        assert marts.manifest(published)["version"]


def pending_version(data_dir: Path) -> None:
    """The published version as a national run leaves it between its marts and its reports:
    the manifest says reports_pending and there are no lists (a copy: its files are its own)."""
    root = data_dir / "marts"
    manifest = json.loads((root / "run_manifest.json").read_text("utf-8"))
    (root / "run_manifest.json").write_text(json.dumps(manifest | {"reports_pending": True}))
    for path in (root / "reports").glob("school_list_*.xlsx"):
        path.unlink()


def test_pending_reports_wait_while_another_process_holds_the_region(published):
    """The national run's reports task takes the region's run lock: while an analyst's run
    holds it, the reports stay pending and the published marts are left as they are."""
    from shnor.national.regions import region_reports

    pending_version(published)
    before, link = published_files(published), os.readlink(published / "marts")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from shnor.history import run_lock\n"
         "with run_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(120)",
         str(published)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        record = region_reports(published, "reference")
    finally:
        holder.kill()
        holder.wait()

    assert record["status"] == "busy"
    assert "уже идёт запуск" in record["error"] and "не записаны" in record["error"]
    assert published_files(published) == before
    assert os.readlink(published / "marts") == link
    assert not list((published / "marts.versions").glob(".building-*"))
    # once the region is free, the next reports task writes them
    assert region_reports(published, "reference")["status"] == "written"
    manifest = json.loads((published / "marts" / "run_manifest.json").read_text("utf-8"))
    assert "reports_pending" not in manifest and manifest["run_version"] == link.split("/")[-1]
    assert list((published / "marts" / "reports").glob("school_list_*.xlsx"))


def test_reports_are_not_swapped_in_over_a_version_published_meanwhile(published, monkeypatch):
    """Should another version be published while the pending reports are written, they are not
    swapped in: readers keep the newer marts, never the older ones with reports."""
    import shnor.publish as publishing
    from shnor.config import paths_of
    from shnor.national.regions import region_reports

    pending_version(published)
    paths = paths_of(published)
    copied = paths.marts.resolve()
    newer = copied.parent / "20990101000000-newer"
    write_reports = publishing.regenerate_reports

    def published_meanwhile(*args, **kwargs):
        shutil.copytree(copied, newer)
        publishing._point_marts_to(paths, newer)  # as another process's publish does
        return write_reports(*args, **kwargs)

    monkeypatch.setattr(publishing, "regenerate_reports", published_meanwhile)
    record = region_reports(published, "reference")

    assert record["status"] == "superseded"
    assert "не подставлены" in record["error"] and newer.name in record["error"]
    assert paths.marts.resolve() == newer
    assert sorted(p.name for p in copied.parent.iterdir()) == sorted([copied.name, newer.name])


def test_a_plain_run_writes_the_reports_a_killed_national_run_left_pending(tmp_path):
    """A national run killed after a region's marts but before its reports, then `shnor run` on
    the region with the same inputs: its marts stay as they are, and its lists are written."""
    from shnor.stages import run_annual

    data_dir = tmp_path / "D"
    tiny_region(data_dir / "raw")
    first = run_annual(data_dir, "reference", reports=False)  # the national run's region
    manifest = json.loads((data_dir / "marts" / "run_manifest.json").read_text("utf-8"))
    assert manifest["reports_pending"] and first["status"] == "published"
    assert not list((data_dir / "marts" / "reports").glob("school_list_*.xlsx"))
    marts_before = {k: v for k, v in published_files(data_dir).items() if k.endswith(".parquet")}

    again = run_annual(data_dir, "reference")

    assert again["status"] == "unchanged" and again["version"] != first["version"]
    manifest = json.loads((data_dir / "marts" / "run_manifest.json").read_text("utf-8"))
    assert "reports_pending" not in manifest and manifest["run_version"] == first["version"]
    assert manifest["version"] == again["version"] == (data_dir / "marts").resolve().name
    lists = list((data_dir / "marts" / "reports").glob("school_list_*.xlsx"))
    assert lists and {p.name for p in lists} <= {Path(p).name for p in again["reports"]}
    marts_after = {k: v for k, v in published_files(data_dir).items() if k.endswith(".parquet")}
    assert marts_after == marts_before
    # and the run after that keeps this version as it is
    assert run_annual(data_dir, "reference")["version"] == again["version"]
