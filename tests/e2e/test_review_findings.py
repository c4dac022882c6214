"""Review findings after the merges (end to end): xfail strict until fixed."""

from __future__ import annotations

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
