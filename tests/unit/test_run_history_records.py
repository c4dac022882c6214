"""The run history survives a truncated line and two runs ending in either order."""

from __future__ import annotations

import pytest


def test_a_truncated_history_line_does_not_fail_later_runs(tmp_path):
    from shnor.history import history, recorded_run

    runs = tmp_path / "runs"
    runs.mkdir(parents=True)
    (runs / "history.jsonl").write_text('{"run_id": "abc", "started_at": "2026-0', "utf-8")
    with recorded_run(tmp_path, "reference", "test") as record:
        record.add_step("publish", {"status": "published", "seconds": 0.1})
    assert [r["outcome"] for r in history(tmp_path)][-1] == "published"


def test_a_second_run_ending_does_not_hide_the_run_under_way(tmp_path):
    from shnor.history import current_run, recorded_run

    with recorded_run(tmp_path, "reference", "schedule") as first:
        with pytest.raises(RuntimeError), recorded_run(tmp_path, "reference", "cli"):
            raise RuntimeError("warehouse locked")
        running = current_run(tmp_path)
        assert running is not None and running["run_id"] == first.run_id
        first.add_step("publish", {"status": "published", "seconds": 0.1})
