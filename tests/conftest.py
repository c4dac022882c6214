"""Shared fixtures: Prefect offline settings, and one small demo region run end to end — once
per test session, whichever xdist worker needs it first (the other waits for it and reads it)."""

from __future__ import annotations

import fcntl
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shnor.config import use_offline_prefect

# Before anything imports prefect: no telemetry, quiet logs, a reused home.
use_offline_prefect(Path(__file__).resolve().parents[1])

E2E_SCHOOLS = 300
E2E_SEED = 7

# The longest files first, so that the two xdist workers finish together (`make test` runs
# `--dist loadfile --no-loadscope-reorder`: files are handed out in this order as workers free
# up; xdist's own order, by number of tests, put these few-test files last). The acceptance
# builds its own regions before it needs the demo run, which the other worker makes meanwhile
# for test_demo_region. The rest in the order of their measured CPU seconds (the flow tests
# together: they go as one unit, ONE_UNIT below).
LONGEST_FIRST = (
    "tests/e2e/test_methodology_acceptance.py",
    "tests/e2e/test_demo_region.py",
    "tests/e2e/test_incremental_build.py",
    "tests/flows/test_national_flow.py",
    "tests/flows/test_deployments.py",
    "tests/flows/test_annual_flow.py",
    "tests/e2e/test_run_history.py",
    "tests/e2e/test_atomic_publish.py",
    "tests/e2e/test_partial_regions.py",
    "tests/e2e/test_notebooks.py",
    "tests/e2e/test_reruns_and_report_presets.py",
    "tests/sql/test_models.py",
    "tests/e2e/test_bad_inputs.py",
    "tests/e2e/test_reports.py",
    "tests/e2e/test_comparative_workbook_sheets.py",
    "tests/unit/test_cli.py",
    "tests/e2e/test_ege_summary_region.py",
    "tests/e2e/test_national_run.py",
    "tests/e2e/test_national_unchanged.py",
)


# Files that share one costly session resource go to one xdist worker as one unit: the flow
# tests start a Prefect server (~8 CPU s to start), once rather than once per worker.
ONE_UNIT = ("tests/flows/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile`, with the files under each ONE_UNIT folder handed out as one unit."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileOrFolderScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((folder for folder in ONE_UNIT if path.startswith(folder)), path)

    return LoadFileOrFolderScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of LONGEST_FIRST first, in its order; the others after, as collected."""
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def made_once_per_session(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, make: Callable[[Path], Any]
) -> Any:
    """`make(folder)` run once in the test session, under a lock in the temp folder the xdist
    workers share; its (picklable) result is read by every later caller. Only for what the tests
    read, never change: two workers read it at once."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    made = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.is_file():
            folder = shared / name
            folder.mkdir(exist_ok=True)
            made.write_bytes(pickle.dumps(make(folder)))
        return pickle.loads(made.read_bytes())


@pytest.fixture(scope="session")
def demo_region(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """A demo region of E2E_SCHOOLS schools × 3 years, generated once per test session."""
    from shnor.demo import generate_demo_region

    return made_once_per_session(
        tmp_path_factory,
        worker_id,
        "demo_region",
        lambda folder: generate_demo_region(folder, seed=E2E_SEED, school_count=E2E_SCHOOLS),
    )


@pytest.fixture(scope="session")
def demo_run(demo_region, tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """The whole annual run (without Prefect) on the demo region, once per test session; its
    result."""
    from shnor.stages import run_annual

    return made_once_per_session(
        tmp_path_factory,
        worker_id,
        "demo_run",
        lambda _: run_annual(demo_region.data_dir, "reference"),
    )


@pytest.fixture(scope="session")
def small_demo_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """A 40-school, 2-year demo region (seed 5) published by one annual run from scratch, once
    per test session: (region, the run's result). Read it or copy it, never change it."""
    from shnor.demo import generate_demo_region
    from shnor.stages import run_annual

    def make(folder: Path) -> tuple[Any, dict[str, Any]]:
        region = generate_demo_region(folder / "region", seed=5, school_count=40, year_count=2)
        return region, run_annual(region.data_dir, "reference")

    return made_once_per_session(tmp_path_factory, worker_id, "small_demo_run", make)


@pytest.fixture(scope="session")
def national_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """The national run (regions one after another, without Prefect) of the national slice
    regions, once per test session: (root, result). Read it, never change it."""
    from national_slice import national_data

    from shnor.national import run_national

    def make(folder: Path) -> tuple[Path, dict[str, Any]]:
        root = national_data(folder / "nation")
        return root, run_national(root, "reference")

    return made_once_per_session(tmp_path_factory, worker_id, "national_run", make)


@pytest.fixture
def con():
    """An in-memory warehouse with macros, reference tables and raw.* ready."""
    from builders import fresh_warehouse

    with fresh_warehouse() as connection:
        yield connection
