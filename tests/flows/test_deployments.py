"""Season deployments: a scheduled deployment's flow run goes through a real Prefect server and a
runner (as `shnor serve` runs them) and publishes the marts; the schedules are registered as
configured."""

from __future__ import annotations

import asyncio
import json

import pandas as pd
import pytest

pytestmark = pytest.mark.flow


async def _serve_once(deployments, name: str):
    """Register the deployments with a runner, start a run of `name` now, let the runner pick it
    up and run it (in its own process, as served deployments run); returns the final run."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    runner = Runner(name="shnor-test", query_seconds=1, limit=1)
    for deployment in deployments:
        await runner.aadd_deployment(deployment)
    scheduled = await run_deployment(f"shnor-annual-list/{name}", timeout=0)
    await runner.start(run_once=True)
    async with get_client() as client:
        for _ in range(60):
            run = await client.read_flow_run(scheduled.id)
            if run.state.is_final():
                break
            await asyncio.sleep(1)
        registered = {d.name: d for d in await client.read_deployments()}
    return run, registered


def test_a_served_season_deployment_publishes_the_marts(prefect_server, tmp_path):
    from shnor.demo import generate_demo_region
    from shnor.history import history
    from shnor.schedules import deployments, load_seasons

    region = generate_demo_region(tmp_path / "region", seed=3, school_count=30, year_count=2)
    seasons = load_seasons()
    made = deployments(region.data_dir, "reference", seasons)
    run, registered = asyncio.run(_serve_once(made, "vpr"))

    assert run.state.is_completed(), run.state
    assert run.parameters == {
        "data_dir": str(region.data_dir),
        "preset": "reference",
        "year": None,
    }
    assert set(registered) == {"vpr", "exams", "annual-list", "manual"}
    for season in seasons:
        (schedule,) = registered[season.name].schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (
            season.cron,
            season.timezone,
        )
    assert registered["manual"].schedules == []

    marts = region.data_dir / "marts"
    flags = pd.read_parquet(marts / "fct_school_flags.parquet")
    assert set(flags["exam_year"]) == set(region.years)
    assert flags["is_rated"].any()
    assert sorted(p.name for p in (marts / "reports").glob("school_list_*.xlsx")) == [
        f"school_list_{year}.xlsx" for year in sorted(region.years)
    ]
    assert (
        marts / "reports" / f"year_over_year_{max(region.years) - 1}_{max(region.years)}.html"
    ).is_file()
    manifest = json.loads((marts / "run_manifest.json").read_text("utf-8"))
    (record,) = history(region.data_dir)
    assert record["outcome"] == "published" and record["trigger"] == "prefect:vpr"
    assert manifest["run_id"] == record["run_id"]
    assert len(record["files"]["loaded"]) == len(region.files)
