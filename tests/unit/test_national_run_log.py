"""The national runs' log (ROOT/national_runs.jsonl) and each local Dask worker's share of the
machine: what a national run leaves to say where its time went, and how its workers split the
cores and memory."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shnor.cli import app
from shnor.national.run_log import national_runs

runner = CliRunner()


def test_run_national_appends_its_record_to_the_log(tmp_path):
    for name in ("region_01", "region_02"):
        (tmp_path / name / "raw").mkdir(parents=True)  # nothing to load: nothing published

    for _ in range(2):
        result = runner.invoke(app, ["run-national", "--data-root", str(tmp_path), "--no-prefect"])
        assert result.exit_code == 4, result.output

    runs = national_runs(tmp_path)
    assert len(runs) == 2
    last = runs[-1]
    assert last["task_runner"] == "no-prefect" and last["exit_code"] == 4
    assert [r["region_code"] for r in last["regions"]] == ["region_01", "region_02"]
    assert all(r["status"] == "not_published" and r["cpu_seconds"] > 0 for r in last["regions"])
    assert [r["status"] for r in last["reports"]] == ["none_pending", "none_pending"]
    assert "files" not in last["national"] and last["seconds"] > 0
    lines = (tmp_path / "national_runs.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["finished_at"] for line in lines] == [r["finished_at"] for r in runs]


def test_local_workers_share_the_cores_and_memory(monkeypatch):
    from flows import national_list

    monkeypatch.delenv("SHNOR_THREADS", raising=False)
    monkeypatch.delenv("SHNOR_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(national_list, "local_cores", lambda: 4)
    shares = national_list.worker_shares(2)
    assert shares["SHNOR_THREADS"] == "2"
    assert national_list.worker_shares(8)["SHNOR_THREADS"] == "1"
    memory = int(shares["SHNOR_MEMORY_LIMIT"].removesuffix("MB"))
    four = int(national_list.worker_shares(4)["SHNOR_MEMORY_LIMIT"].removesuffix("MB"))
    assert abs(memory - 2 * four) <= 1  # 80% of the machine over the workers
    # what the caller set, the workers inherit as it is
    monkeypatch.setenv("SHNOR_THREADS", "3")
    assert "SHNOR_THREADS" not in national_list.worker_shares(2)
