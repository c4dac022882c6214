"""The national flow on a local Dask cluster of two workers gives what the regions run one after
another give: every region's published marts and the national tables, row for row.

Cheap by construction: the sequential run is the session's `national_run` (shared with the e2e
national tests), the Prefect server is the flows' session server, and the cluster is the
smallest (two forked workers of one thread, no dashboard) on the smallest regions that still
have ШНОР in their last year's list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from national_slice import national_data

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def published_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.name: pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))}


def test_dask_run_equals_the_sequential_run(prefect_server, national_run, tmp_path, monkeypatch):
    from flows.national_list import national_flow

    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # the flow names the server for workers
    sequential_root, _ = national_run
    root = national_data(tmp_path / "nation")  # the same regions, byte for byte

    state = national_flow("dask", workers=2)(
        data_root=str(root), preset="reference", task_runner="dask", return_state=True
    )

    assert state.is_completed(), state
    result = state.result()
    assert [run["status"] for run in result["regions"]] == ["published", "published"]
    assert all(run["trigger"] == "national:dask" for run in map(_last_run, result["regions"]))
    for code in ("region_01", "region_02"):
        mine = published_tables(root / code / "marts")
        theirs = published_tables(sequential_root / code / "marts")
        assert mine.keys() == theirs.keys() and len(mine) > 10
        flags = theirs["fct_school_flags.parquet"]  # the equality below is not of empty lists
        last = flags[flags["exam_year"] == flags["exam_year"].max()]
        assert len(last) >= 30 and last["is_on_shnor_list"].sum() > 0, code
        for name, frame in theirs.items():
            pd.testing.assert_frame_equal(mine[name], frame, obj=f"{code}/{name}")
    national = published_tables(root / "national")
    expected = published_tables(sequential_root / "national")
    for name in ("nat_region_year.parquet", "nat_region_summary.parquet"):
        pd.testing.assert_frame_equal(national[name], expected[name], obj=name)
    assert national["nat_region_summary.parquet"]["shnor_count"].gt(0).all()
    # the regions' own reports are written in their folders, by the Dask workers
    assert (root / "region_01" / "marts" / "reports" / "school_list_2026.xlsx").is_file()


def _last_run(run: dict) -> dict:
    from shnor.history import history

    return history(run["data_dir"])[-1]
