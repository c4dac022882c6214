"""The Prefect flow's wiring: a real flow run (temporary local server) publishes the marts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.flow


def test_flow_runs_ingest_build_flag_check_publish(prefect_server, tmp_path):
    from flows.annual_list import annual_list
    from shnor.demo import generate_demo_region

    region = generate_demo_region(tmp_path / "region", seed=3, school_count=40, year_count=2)
    state = annual_list(data_dir=str(region.data_dir), preset="reference", return_state=True)
    assert state.is_completed(), state
    result = state.result()
    assert result["year"] == max(region.years)
    assert result["ingest"]["quarantined"] == []
    flags = pd.read_parquet(region.data_dir / "marts" / "fct_school_flags.parquet")
    assert result["rated_count"] == int(
        flags[flags["exam_year"] == result["year"]]["is_rated"].sum()
    )
    names = [Path(p).name for p in result["reports"]]
    last = max(region.years)
    assert [n for n in names if n.startswith("school_list_")] == [
        f"school_list_{year}.xlsx" for year in sorted(region.years)
    ]
    assert {
        f"year_over_year_{last - 1}_{last}.html",
        f"year_over_year_{last - 1}_{last}.xlsx",
    } <= set(names)
    assert all((region.data_dir / "marts" / "reports" / n).is_file() for n in names)
    assert result["status"] == "published" and result["exit_code"] == 0
    assert Path(result["validation_report"]["xlsx"]).is_file()
    # The region's name from reference/region.txt heads the flow's reports, as the direct run's.
    from shnor.demo import DEMO_REGION_NAME

    appendix = region.data_dir / "marts" / "reports" / f"appendix_{last}.html"
    assert DEMO_REGION_NAME in appendix.read_text("utf-8")

    # A second run with unchanged inputs reads no file again and keeps the published version.
    again = annual_list(data_dir=str(region.data_dir), preset="reference")
    assert again["ingest"]["loaded"] == [] and len(again["ingest"]["unchanged"]) == len(
        region.files
    )
    assert again["status"] == "unchanged" and again["version"] == result["version"]
    shutil.rmtree(region.data_dir)
