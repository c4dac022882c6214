"""The pieces of a national run that need no region run: which folders are regions, the exit
code of a national run, report jobs inside a daemon (Dask) worker, the command's bad arguments."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from typer.testing import CliRunner

from shnor.cli import app
from shnor.national import national_exit_code, region_folders
from shnor.reports.parallel import ReportJob, worker_count

runner = CliRunner()


def test_region_folders_are_the_subfolders_with_raw(tmp_path):
    for name in ("region_02", "region_01", "notes", "national"):
        (tmp_path / name).mkdir()
    for name in ("region_02", "region_01", "national"):
        (tmp_path / name / "raw").mkdir()
    (tmp_path / "manifest.csv").write_text("region,file,rows\n")
    assert [p.name for p in region_folders(tmp_path)] == ["region_01", "region_02"]


def _run(status: str, code: int) -> dict:
    return {"status": status, "exit_code": code}


def test_national_exit_code_is_the_worst_region_outcome():
    assert national_exit_code([_run("published", 0), _run("unchanged", 0)]) == 0
    assert national_exit_code([_run("published", 3), _run("unchanged", 0)]) == 3
    assert national_exit_code([_run("published", 3), _run("not_published", 4)]) == 4
    assert national_exit_code([_run("published", 0), _run("failed", 4)]) == 4


def _count_in_child(queue) -> None:
    jobs = [ReportJob(f"j{i}", 1, lambda: Path("x")) for i in range(4)]
    queue.put(worker_count(jobs))


def test_report_jobs_run_in_process_inside_a_daemon_worker():
    """A Dask worker is a daemon process, which may not fork workers of its own."""
    context = multiprocessing.get_context("fork")
    found = []
    for daemon in (True, False):
        queue = context.Queue()
        child = context.Process(target=_count_in_child, args=(queue,), daemon=daemon)
        child.start()
        found.append(queue.get(timeout=60))
        child.join()
    assert found[0] == 0
    assert found[1] == worker_count([ReportJob(f"j{i}", 1, lambda: Path("x")) for i in range(4)])


def test_run_national_without_region_folders_exits_2(tmp_path):
    result = runner.invoke(app, ["run-national", "--data-root", str(tmp_path), "--no-prefect"])
    assert result.exit_code == 2
    assert "нет папок регионов" in " ".join(result.output.split())


def test_run_national_dask_needs_prefect(tmp_path):
    (tmp_path / "region_01" / "raw").mkdir(parents=True)
    result = runner.invoke(
        app, ["run-national", "--data-root", str(tmp_path), "--no-prefect", "--task-runner", "dask"]
    )
    assert result.exit_code == 2
