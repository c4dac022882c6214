"""One temporary Prefect server (a real API in a subprocess) for the flow tests: started once
(tests/conftest.py hands the files of this folder to one xdist worker, as one unit) and stopped
when they end, not at the end of the session (an idle server costs CPU too)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def prefect_server():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
