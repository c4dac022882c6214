"""Regions that send less than the demo: each still gets its flags and its list, and nothing
fails on what is missing (no social passport, no registry, ЕГЭ only, no ВПР, one year)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from shnor.demo import generate_demo_region
from shnor.stages import run_annual

pytestmark = pytest.mark.slow

# folders of raw/ each variant keeps (years: all, or only the last)
VARIANTS = {
    "no_passport": ({"schools", "vpr", "oge", "ege"}, False),
    "no_registry": ({"context", "vpr", "oge", "ege"}, False),
    "ege_only": ({"schools", "ege"}, False),
    "no_vpr": ({"schools", "context", "oge", "ege"}, False),
    "one_year": ({"schools", "context", "vpr", "oge", "ege"}, True),
}


@pytest.fixture(scope="module")
def full_region(tmp_path_factory):
    return generate_demo_region(
        tmp_path_factory.mktemp("full"), seed=9, school_count=40, year_count=2
    )


def _variant(full_region, target: Path, folders: set[str], last_year_only: bool) -> Path:
    last = str(max(full_region.years))
    for folder in folders:
        source = full_region.data_dir / "raw" / folder
        for path in source.rglob("*"):
            relative = path.relative_to(full_region.data_dir / "raw")
            yearly = len(relative.parts) > 2
            if path.is_file() and (not last_year_only or not yearly or relative.parts[1] == last):
                (target / "raw" / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / "raw" / relative)
    # the region's own ВПР scales (the demo's synthetic ones) come with whatever it sends
    shutil.copytree(full_region.data_dir / "reference", target / "reference")
    return target


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_partial_region_gets_flags_and_a_list(full_region, tmp_path, name):
    folders, last_year_only = VARIANTS[name]
    data_dir = _variant(full_region, tmp_path / name, folders, last_year_only)
    result = run_annual(data_dir, "reference")

    flags = pd.read_parquet(data_dir / "marts" / "fct_school_flags.parquet")
    year = max(full_region.years)
    assert result["year"] == year
    assert result["rated_count"] > 0
    assert flags.loc[flags["exam_year"] == year, "is_rated"].sum() == result["rated_count"]
    assert not flags.duplicated(["school_id", "exam_year"]).any()
    workbook = load_workbook(data_dir / "marts" / "reports" / f"school_list_{year}.xlsx")
    assert workbook.sheetnames[:2] == ["Сводка", "ШНОР"]
    if last_year_only:
        assert "данных за" in workbook["ШНОР"]["A7"].value  # ШНОР needs two years
        assert not flags["is_stable_low"].any()
    if "context" not in folders:
        assert not flags["is_shnsu"].any() and flags["context_index"].isna().all()
    if folders == {"schools", "ege"}:
        results = pd.read_parquet(data_dir / "marts" / "fct_school_procedure_results.parquet")
        assert set(results["exam"]) == {"ege"}
