"""The benchmark's process-tree measure counts the CPU of a process orphaned by its parent
(a forkserver's Dask workers) that `/usr/bin/time` of the command alone misses."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from process_tree import measured_command

ORPHAN = textwrap.dedent(
    """
    import os, time

    def burn(seconds):
        start = time.process_time()
        while time.process_time() - start < seconds:
            sum(i * i for i in range(1000))

    if os.fork() == 0:          # a child that leaves a grandchild working, then ends
        if os.fork() == 0:
            burn(0.6)
            os._exit(0)
        os._exit(0)
    os.wait()
    burn(0.2)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="a child subreaper is Linux's")
def test_the_tree_cpu_includes_an_orphans(tmp_path):
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN)
    measured = measured_command([sys.executable, str(script)], interval=0.05)
    assert measured["exit_code"] == 0
    assert measured["tree_cpu"] >= 0.75  # 0.2 s the command, 0.6 s its orphaned grandchild
    assert measured["peak_mb"] > 0
    assert sum(measured["cpu_by_kind"].values()) == pytest.approx(measured["tree_cpu"], abs=0.2)
