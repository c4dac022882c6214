"""Runs end to end that once went wrong: reports under another preset, interleaved runs, tables
left by an earlier version."""

from __future__ import annotations

import shutil
from pathlib import Path


def test_published_reports_have_the_contract_names(demo_run, demo_region):
    reports = Path(demo_run["manifest"]).parent / "reports"
    last = max(demo_region.years)
    names = {path.name for path in reports.iterdir()}
    assert f"school_list_{last}.xlsx" in names
    assert {
        f"year_over_year_{last - 1}_{last}.xlsx",
        f"year_over_year_{last - 1}_{last}.html",
    } <= names


def test_report_with_another_preset_than_the_runs_is_refused_and_changes_nothing(
    demo_run, demo_region, tmp_path
):
    from typer.testing import CliRunner

    from shnor.cli import app

    data_dir = tmp_path / "copy"
    shutil.copytree(demo_region.data_dir, data_dir, symlinks=True)
    published = (data_dir / "marts").resolve()
    before = {p.relative_to(published): p.read_bytes() for p in published.rglob("*") if p.is_file()}
    outcome = CliRunner().invoke(
        app, ["report", "--data-dir", str(data_dir), "--preset", "urban_rural"]
    )
    assert outcome.exit_code == 2, outcome.output
    assert "reference" in " ".join(outcome.output.split())
    assert (data_dir / "marts").resolve() == published
    after = {p.relative_to(published): p.read_bytes() for p in published.rglob("*") if p.is_file()}
    assert after == before


def test_interleaved_runs_never_publish_marts_under_another_runs_fingerprint(
    small_demo_run, tmp_path
):
    import pandas as pd

    from shnor import stages as steps
    from shnor.presets import load_preset

    region, _ = small_demo_run  # its inputs, and their marts built from scratch in one run
    data_dir, preset = tmp_path / "region", load_preset("reference")
    raw = data_dir / "raw"
    shutil.copytree(region.data_dir / "raw", raw)
    shutil.copytree(region.data_dir / "reference", data_dir / "reference")  # the demo's ВПР scales
    last = max(region.years)
    held = sorted(raw.glob(f"vpr/{last}/**/*.csv"))[0]  # a protocol in a grade folder
    aside = tmp_path / held.name
    shutil.move(held, aside)
    # Run 1 ingests and builds without the held file …
    ingested = steps.ingest_step(data_dir)
    built = steps.build_step(data_dir, preset)
    flagged = steps.flag_step(data_dir, preset)
    checked = steps.check_step(data_dir)
    # … while run 2 (a schedule, or an analyst's `shnor run`) ingests the file that arrived.
    shutil.move(aside, held)
    steps.ingest_step(data_dir)
    facts = steps.run_facts(data_dir, "2026-01-01T00:00:00", ingested, built, flagged)
    steps.publish_step(data_dir, preset, facts, checked)
    # Any later run on these very inputs must publish marts that contain the held file.
    rerun = steps.run_annual(data_dir, "reference")
    results = pd.read_parquet(data_dir / "marts" / "fct_school_procedure_results.parquet")
    fresh = region.data_dir  # the same raw files built from scratch
    expected = pd.read_parquet(fresh / "marts" / "fct_school_procedure_results.parquet")
    key = ["school_id", "exam_year", "exam", "grade", "subject"]
    pd.testing.assert_frame_equal(
        results.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        obj=rerun["status"],
    )


def test_a_table_left_by_an_earlier_version_does_not_block_publishing(
    demo_run, demo_region, tmp_path
):
    import duckdb

    from shnor.stages import run_annual

    assert demo_run["status"] == "published"
    data_dir = tmp_path / "copy"  # the shared published region, copied: this test changes it
    shutil.copytree(demo_region.data_dir, data_dir, symlinks=True)
    with duckdb.connect(str(data_dir / "shnor.duckdb")) as con:
        con.execute("CREATE TABLE marts.fct_school_old_name AS SELECT 1 AS x")
    rerun = run_annual(data_dir, "reference")
    assert rerun["status"] != "not_published", rerun["validation"]["mart_blocking"]
