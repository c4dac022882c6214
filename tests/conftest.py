"""Shared fixtures: Prefect offline settings, and one small demo region run end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from shnor.config import use_offline_prefect

# Before anything imports prefect: no telemetry, quiet logs, a reused home.
use_offline_prefect(Path(__file__).resolve().parents[1])

E2E_SCHOOLS = 300
E2E_SEED = 7


@pytest.fixture(scope="session")
def demo_region(tmp_path_factory: pytest.TempPathFactory):
    """A demo region of E2E_SCHOOLS schools × 3 years, generated once per test session."""
    from shnor.demo import generate_demo_region

    data_dir = tmp_path_factory.mktemp("demo_region")
    return generate_demo_region(data_dir, seed=E2E_SEED, school_count=E2E_SCHOOLS)


@pytest.fixture(scope="session")
def demo_run(demo_region):
    """The whole annual run (without Prefect) on the demo region; returns its result."""
    from shnor.stages import run_annual

    return run_annual(demo_region.data_dir, "reference")


@pytest.fixture
def con():
    """An in-memory warehouse with macros, reference tables and raw.* ready."""
    from shnor import warehouse
    from shnor.ingest.raw_tables import ensure_raw_tables

    with warehouse.connect(":memory:") as connection:
        warehouse.prepare_connection(connection, None)
        ensure_raw_tables(connection)
        yield connection
