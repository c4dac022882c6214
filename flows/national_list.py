"""The national run as a Prefect flow: every region folder of a root mapped to a task that runs
the region's annual sequence (`shnor.national.region_run`, the region's own warehouse and
published outputs), then the national outputs from the regions' published marts.

Regions run one after another in the flow's process (`task_runner="sequential"`) or on Dask
workers through `prefect_dask.DaskTaskRunner`: a local cluster of `workers` processes by
default, or an existing cluster at `address`. Each region is its own pool, so the regions'
tasks never wait on each other; the national outputs wait for all of them.
`shnor.national.run_national` is the same sequence without Prefect.

A region's lists and workbooks are not on its path: its run publishes the marts, and a task of
its own writes the reports after (`region_reports`) while the next regions build — beside the
regions in a thread of the flow's process one at a time when they run in order, on a Dask
worker after its region otherwise.
"""

from __future__ import annotations

import os
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from shnor.national import (
    national_exit_code,
    national_step,
    region_folders,
    region_reports,
    region_run,
)

TASK_RUNNERS = ("sequential", "dask")
# Dask's own INFO lines (workers starting and stopping) are not the analyst's business.
DASK_QUIET_ENV = {
    "DASK_LOGGING__DISTRIBUTED": "warning",
    "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "warning",
}
# What every region task imports (Prefect, pandas, DuckDB, the stages, Great Expectations):
# loaded once by the process the local workers are forked from, not again by each worker.
WORKER_PRELOAD = ("distributed", "flows.national_list", "shnor.national", "great_expectations")


def _region_task_name() -> str:
    return "регион " + os.path.basename(task_run.parameters["data_dir"])


def _reports_task_name() -> str:
    return "отчёты " + os.path.basename(task_run.parameters["data_dir"])


@task(name="region", cache_policy=NO_CACHE, task_run_name=_region_task_name)
def region(data_dir: str, preset: str, trigger: str) -> dict[str, Any]:
    """One region's annual run (ingest → build → flag → check → publish) in its own folder;
    its reports are left to `reports`."""
    result = region_run(data_dir, preset, trigger, reports=False)
    get_run_logger().info(
        "%s: %s, код выхода %s, ШНОР %s за %.1f с",
        result["region_code"],
        result["status"],
        result["exit_code"],
        result.get("shnor_list_count"),
        result["seconds"],
    )
    return result


@task(name="region-reports", cache_policy=NO_CACHE, task_run_name=_reports_task_name)
def reports(data_dir: str, preset: str) -> dict[str, Any]:
    """The region's lists and workbooks, written after its marts are published."""
    result = region_reports(data_dir, preset)
    logger = get_run_logger()
    logger.info(
        "%s: отчёты %s за %.1f с", result["region_code"], result["status"], result["seconds"]
    )
    if result.get("error"):  # busy or superseded: still pending; failed: see the error
        logger.warning("%s: %s", result["region_code"], result["error"])
    return result


@task(name="national-outputs", cache_policy=NO_CACHE)
def national_outputs(data_root: str, preset: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The national tables and workbook from the regions' published marts."""
    result = national_step(data_root, preset, runs)
    get_run_logger().info(
        "национальные итоги: %s, %s год, версия %s", result["status"], result["year"],
        result["version"],
    )  # fmt: skip
    return result


@flow(name="shnor-national")
def national_list(
    data_root: str, preset: str = "reference", task_runner: str = "sequential"
) -> dict[str, Any]:
    """Run every region folder under `data_root`, then the national outputs in
    `data_root/national`; `task_runner` says how the regions ran (the flow's runner does it)."""
    folders = [str(folder) for folder in region_folders(data_root)]
    trigger = f"national:{task_runner}"
    written = []
    if task_runner == "sequential":
        runs = []
        for folder in folders:
            runs.append(region(folder, preset, trigger))
            # one region's reports at a time, while the next region builds
            written.append(reports.submit(folder, preset, wait_for=written[-1:]))
    else:
        futures = region.map(folders, unmapped(preset), unmapped(trigger))
        written = [
            reports.submit(folder, preset, wait_for=[future])
            for folder, future in zip(folders, futures, strict=True)
        ]
        runs = [future.result() for future in futures]
    # after the reports: the national manifest names the versions readers will see
    records = [future.result() for future in written]
    outputs = national_outputs(data_root, preset, runs)
    return {
        "regions": runs,
        "reports": records,
        "national": outputs,
        "exit_code": national_exit_code(runs, records),
    }


def national_flow(task_runner: str = "sequential", address: str | None = None,
                  workers: int | None = None):  # fmt: skip
    """The flow with the task runner asked for: as it is for `sequential`; for `dask`, a
    DaskTaskRunner on the cluster at `address`, or on a local cluster of `workers` processes
    (one thread each; by default one per core) that it starts and stops."""
    if task_runner not in TASK_RUNNERS:
        raise ValueError(f"task_runner: {', '.join(TASK_RUNNERS)}, не {task_runner!r}")
    if task_runner == "sequential":
        return national_list
    for key, value in DASK_QUIET_ENV.items():
        os.environ.setdefault(key, value)
    from prefect_dask import DaskTaskRunner

    if address:
        runner = DaskTaskRunner(address=address)
    else:
        share_prefect_api_with_workers()
        quiet_local_cluster()
        fork_local_workers()
        runner = DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={
                "n_workers": workers or local_cores(),
                "env": worker_shares(workers or local_cores()),
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            },
        )
    return national_list.with_options(task_runner=runner)


def worker_shares(workers: int) -> dict[str, str]:
    """Each local worker's share of the machine for its warehouse, in the environment the
    workers start with, where the caller has not set it ($SHNOR_THREADS, $SHNOR_MEMORY_LIMIT):
    DuckDB threads = cores / workers, not every worker one thread per core (2 workers × 2
    threads on 2 cores cost each region ~2.7 CPU s more: the threads wait on each other), and
    memory = 80% of the machine (DuckDB's own default) over the workers, not 80% each."""
    shares = {"SHNOR_THREADS": str(max(1, local_cores() // workers))}
    if hasattr(os, "sysconf"):
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        shares["SHNOR_MEMORY_LIMIT"] = f"{int(memory * 0.8 / workers / 2**20)}MB"
    return {name: value for name, value in shares.items() if name not in os.environ}


def quiet_local_cluster() -> None:
    """Dask's own upkeep in a local cluster kept to what a few long tasks need: no statistical
    profiler sampling every worker thread every 10 ms (its stacks are for Dask's dashboard,
    which a local run does not start), and the workers' system and memory monitors each second
    rather than every 0.5 and 0.1 s."""
    import dask

    dask.config.set(
        {
            "distributed.worker.profile.enabled": False,
            "distributed.admin.system-monitor.interval": "1s",
            "distributed.worker.memory.monitor-interval": "1s",
        }
    )


def fork_local_workers() -> None:
    """Start the local workers by `forkserver`: forked from one fresh process that has loaded
    WORKER_PRELOAD, instead of each spawned worker importing it again (~4 s CPU a worker). A
    forked worker also ends as soon as it has closed; a spawned one then tore its interpreter
    down (~1 s CPU), which on a loaded machine took longer than the 4 s Dask allows, and was
    killed with a warning on the console. Where there is no fork (Windows), workers spawn."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    import dask
    from distributed.utils import get_mp_context

    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
    # distributed names its own modules once, here; the list is then replaced by ours (which
    # holds it), before the server process starts with the first worker.
    get_mp_context().set_forkserver_preload(list(WORKER_PRELOAD))


def local_cores() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def share_prefect_api_with_workers() -> None:
    """Name this process's Prefect server in the environment the local workers start with, so
    their task runs reach it: the configured one, or else the temporary server started here now
    (without it every worker would start a temporary server of its own and wait for it)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()  # the one this process's flow uses too
        server.start()
        url = server.api_url
    os.environ["PREFECT_API_URL"] = str(url)
