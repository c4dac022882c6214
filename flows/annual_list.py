"""The annual run as a Prefect flow: ingest (with the raw checks) → build → flag → check (the
mart suites) → publish (validation report every run; marts only when usable and valid).

Each task wraps one step of `shnor.run`; the flow only orders them. No caching (every run
reads the current inputs); no retries (failures here are data problems, not flaky I/O).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from shnor import run as steps


@task(name="ingest", cache_policy=NO_CACHE)
def ingest(data_dir: str) -> dict[str, Any]:
    """Load new or changed raw files into the warehouse."""
    return steps.ingest_step(data_dir)


@task(name="build", cache_policy=NO_CACHE)
def build(data_dir: str, preset: str) -> dict[str, Any]:
    """Build staging, intermediate and marts."""
    return steps.build_step(data_dir, preset)


@task(name="flag", cache_policy=NO_CACHE)
def flag(data_dir: str, preset: str) -> dict[str, Any]:
    """Score schools and compute the flags."""
    return steps.flag_step(data_dir, preset)


@task(name="check", cache_policy=NO_CACHE)
def check(data_dir: str) -> dict[str, Any]:
    """Run the mart suites over the built marts."""
    return steps.check_step(data_dir)


@task(name="publish", cache_policy=NO_CACHE)
def publish(
    data_dir: str, preset: str, facts: dict[str, Any], checked: dict[str, Any] | None
) -> dict[str, Any]:
    """Write the validation report; publish marts, lists and the manifest as one version."""
    return steps.publish_step(data_dir, preset, facts, checked)


@flow(name="shnor-annual-list")
def annual_list(data_dir: str = "data", preset: str = "reference") -> dict[str, Any]:
    """Build the annual ШНОР list from the files in `data_dir/raw`."""
    logger = get_run_logger()
    started_at = dt.datetime.now().isoformat(timespec="seconds")
    ingested = ingest(data_dir)
    logger.info(
        "ingest: %d new, %d corrected, %d unchanged, %d quarantined",
        len(ingested["loaded"]),
        len(ingested["corrected"]),
        len(ingested["unchanged"]),
        len(ingested["quarantined"]),
    )
    built = flagged = checked = None
    if ingested["usable"]:
        built = build(data_dir, preset)
        flagged = flag(data_dir, preset)
        checked = check(data_dir)
    facts = steps.run_facts(started_at, ingested, built, flagged)
    published = publish(data_dir, preset, facts, checked)
    logger.info(
        "%s, %s: rated %s, ШНОР %s, risk group %s",
        published["status"],
        published["year"],
        published["rated_count"],
        published["stable_low_count"],
        published["risk_group_count"],
    )
    return published | {"ingest": ingested}
