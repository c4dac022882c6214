"""Incremental builds: after adding, correcting or removing a file, a rerun that rebuilds only
the changed files and years publishes marts equal to a build from scratch on the same inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from builders import write_preset

from shnor.stages import build_step, flag_step, run_annual

pytestmark = pytest.mark.slow


def _published(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every published Parquet mart, rows in one canonical order."""
    with duckdb.connect() as con:
        return {
            path.stem: con.execute("SELECT * FROM read_parquet(?) ORDER BY ALL", [str(path)]).df()
            for path in sorted((data_dir / "marts").glob("*.parquet"))
        }


def _assert_equal(data_dir: Path, expected: dict[str, pd.DataFrame]) -> None:
    """Every mart published in `data_dir` equals the expected (those of a build from scratch)."""
    incremental = _published(data_dir)
    assert incremental.keys() == expected.keys()
    assert {"fct_school_flags", "fct_school_procedure_results", "rpt_school_list"} <= set(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(incremental[name], frame, obj=name)


def _assert_equal_to_scratch(data_dir: Path, scratch: Path) -> None:
    """Build the same raw files from scratch in `scratch` and compare every mart."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(data_dir / "raw", scratch / "raw")
    # the region's own ВПР scales (the demo writes its synthetic ones there) are inputs too
    shutil.copytree(data_dir / "reference", scratch / "reference")
    fresh = run_annual(scratch, "reference")
    assert fresh["build"]["rebuilt"] == {"mode": "full"}
    _assert_equal(data_dir, _published(scratch))


def test_incremental_reruns_equal_a_build_from_scratch(tmp_path):
    from shnor.demo import generate_demo_region

    region = generate_demo_region(tmp_path / "region", seed=11, school_count=40, year_count=2)
    data_dir, raw = region.data_dir, region.data_dir / "raw"
    last, first = max(region.years), min(region.years)
    added = sorted(raw.glob(f"vpr/{last}/**/*.csv"))[0]  # a protocol in a grade folder
    held = tmp_path / "held" / added.name
    held.parent.mkdir()
    shutil.move(added, held)
    assert run_annual(data_dir, "reference")["build"]["rebuilt"] == {"mode": "full"}
    without_added = _published(data_dir)  # a build from scratch of the files without it

    # A new file: only its rows and its year are built again.
    shutil.move(held, added)
    rerun = run_annual(data_dir, "reference")
    source = added.relative_to(raw).as_posix()
    assert rerun["ingest"]["loaded"] == [source]
    assert rerun["build"]["rebuilt"] == {"mode": "incremental", "files": [source], "years": [last]}
    _assert_equal_to_scratch(data_dir, tmp_path / "scratch")

    # A removed file takes its rows away: the inputs are those of the first build again.
    added.unlink()
    rerun = run_annual(data_dir, "reference")
    assert rerun["ingest"]["removed"] == [source]
    assert rerun["build"]["rebuilt"]["files"] == [source]
    _assert_equal(data_dir, without_added)

    # A corrected file of the earlier year (every third result taken out) changes both years'
    # flags: ШНОР reads Y−1.
    corrected = sorted(raw.glob(f"vpr/{first}/*.csv"))[0]
    lines = corrected.read_bytes().splitlines(keepends=True)
    corrected.write_bytes(b"".join([lines[0], *lines[1::3]]))
    rerun = run_annual(data_dir, "reference")
    assert rerun["ingest"]["corrected"] == [corrected.relative_to(raw).as_posix()]
    assert rerun["build"]["rebuilt"]["years"] == [first]
    _assert_equal_to_scratch(data_dir, tmp_path / "scratch")

    # Nothing changed: nothing is built again, and the flags and mart checks of the published
    # version stand (neither is computed again; the validation report says the same).
    unchanged = run_annual(data_dir, "reference")
    assert unchanged["build"]["rebuilt"] == {"mode": "incremental", "files": [], "years": []}
    assert unchanged["status"] == "unchanged"
    assert "flag" not in unchanged["steps"]
    assert unchanged["validation"]["warnings_by_rule"] == rerun["validation"]["warnings_by_rule"]
    assert unchanged["rated_count"] == rerun["rated_count"] > 0
    # A flag step that ran without its check (a run that died in between) changed the marts in
    # the warehouse: the next run flags and checks again.
    flag_step(data_dir, "reference")
    again = run_annual(data_dir, "reference")
    assert "flag" in again["steps"] and again["status"] == "unchanged"
    # A preset that changes what the SQL models bind rebuilds everything; one that changes only
    # the flags does not need to (the build step decides; a run reports what it returned).
    assert build_step(data_dir, "urban_rural")["rebuilt"]["mode"] == "incremental"
    other = write_preset(tmp_path, "[small_samples]\nsmall_sample_size = 12\n")
    assert build_step(data_dir, str(other))["rebuilt"] == {"mode": "full"}


def test_a_build_that_died_half_way_is_followed_by_a_full_build(tmp_path):
    from shnor.demo import generate_demo_region
    from shnor.progress import reporting_to
    from shnor.stages import ingest_step

    region = generate_demo_region(tmp_path / "region", seed=5, school_count=30, year_count=2)
    data_dir, raw = region.data_dir, region.data_dir / "raw"
    added = sorted(raw.glob(f"vpr/{max(region.years)}/**/*.csv"))[-1]
    held = tmp_path / added.name
    shutil.move(added, held)
    run_annual(data_dir, "reference")
    without_added = _published(data_dir)  # a build from scratch of the files without it

    # A new file is read and its rows go into staging; the build dies before the rest.
    shutil.move(held, added)
    ingest_step(data_dir)

    def dies_after_staging(stage, message, done, total):
        if stage == "build" and message.startswith("intermediate."):
            raise KeyboardInterrupt

    with reporting_to(dies_after_staging), pytest.raises(KeyboardInterrupt):
        build_step(data_dir, "reference")

    # The file is taken away again. Staging still holds rows the dead build wrote; the next
    # build cannot tell which, so it is full, and the marts are those of the first build, from
    # scratch on the same files.
    added.unlink()
    rerun = run_annual(data_dir, "reference")
    assert rerun["build"]["rebuilt"] == {"mode": "full"}
    _assert_equal(data_dir, without_added)
