"""Review findings after the merges (end to end): xfail strict until fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.mark.xfail(
    strict=True,
    reason="DATA_CONTRACT §7 names reports/year_over_year_<year-1>_<year>.xlsx and .html as the "
    "stable interface; the reports branch publishes comparative_<year>.* instead and no "
    "year_over_year_* file at all",
)
def test_published_reports_have_the_contract_names(demo_run, demo_region):
    reports = Path(demo_run["manifest"]).parent / "reports"
    last = max(demo_region.years)
    names = {path.name for path in reports.iterdir()}
    assert f"school_list_{last}.xlsx" in names
    assert {
        f"year_over_year_{last - 1}_{last}.xlsx",
        f"year_over_year_{last - 1}_{last}.html",
    } <= names


@pytest.mark.xfail(
    strict=True,
    reason="`shnor report --preset X` rewrites the published lists with X's headers and "
    "parameter sheet while every flag in them was computed with the run's preset (the "
    "rpt_* marts are read, not recomputed), inside the published version folder",
)
def test_report_with_another_preset_does_not_mislabel_the_published_lists(
    demo_run, demo_region, tmp_path
):
    import openpyxl
    import pandas as pd
    from typer.testing import CliRunner

    from shnor.cli import app

    data_dir = tmp_path / "copy"
    shutil.copytree(demo_region.data_dir, data_dir, symlinks=True)
    outcome = CliRunner().invoke(
        app, ["report", "--data-dir", str(data_dir), "--preset", "urban_rural"]
    )
    flags = pd.read_parquet(data_dir / "marts" / "fct_school_flags.parquet")
    flags_preset = {value.split("@")[0] for value in flags["preset"]}  # name@version
    assert flags_preset == {"reference"}
    if outcome.exit_code == 2:  # refusing a preset other than the run's is a fix too
        return
    last = max(demo_region.years)
    book = openpyxl.load_workbook(
        data_dir / "marts" / "reports" / f"school_list_{last}.xlsx", read_only=True
    )
    named = {
        row[1]
        for row in book["Параметры методики"].iter_rows(values_only=True)
        if row and row[0] == "preset.name"
    }
    assert named == flags_preset
