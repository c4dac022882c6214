"""Report jobs on forked workers: a run killed while its workers start leaves no worker holding
the run lock; two threads writing reports at once each get their own files."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# A run holding the run lock writes reports with forked workers; worker start-up is slowed a
# little (the real window between fork and prctl is milliseconds) and the run is SIGKILLed in it.
_KILLED_RUN = """
import fcntl, sys, time
from pathlib import Path
import shnor.reports.parallel as parallel
original = parallel._worker_start
def slow_start():
    time.sleep(0.6)
    original()
parallel._worker_start = slow_start
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
jobs = [parallel.ReportJob(f"j{i}", 1, lambda: time.sleep(1) or [Path("x")]) for i in range(2)]
parallel.written_in_parallel(jobs)
"""


def _holders(path: Path) -> list[int]:
    """Processes with `path` open (Linux /proc)."""
    pids = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == str(path) for fd in fd_dir.iterdir()):
                pids.append(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_run_killed_while_its_workers_start_leaves_no_worker_holding_the_run_lock(tmp_path):
    lock = tmp_path / "run.lock"
    run = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(lock)])
    try:
        deadline = time.monotonic() + 30
        while len(_holders(lock)) < 3 and time.monotonic() < deadline:  # the run + 2 workers
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait()
        time.sleep(3)  # every job would have ended long ago
        with open(lock, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                free = True
            except BlockingIOError:
                free = False
        assert free, f"orphaned workers {_holders(lock)} hold the run lock"
    finally:
        for pid in _holders(lock):
            os.kill(pid, signal.SIGKILL)


def _named_jobs(tag: str) -> list:
    from shnor.reports.parallel import ReportJob

    return [ReportJob(f"{tag}{i}", 1, lambda t=tag, i=i: Path(f"{t}{i}")) for i in range(3)]


def test_written_in_parallel_from_two_threads_returns_each_callers_own_files():
    import threading

    from shnor.reports.parallel import worker_count, written_in_parallel

    if worker_count(_named_jobs("a")) == 0:
        pytest.skip("needs fork and two cores")
    wrong = []

    def call(tag: str) -> None:
        try:
            got = written_in_parallel(_named_jobs(tag))
        except Exception as error:  # an IndexError when the other call has reset _jobs
            got = [repr(error)]
        if got != [Path(f"{tag}{i}") for i in range(3)]:
            wrong.append((tag, got))

    for _ in range(10):
        threads = [threading.Thread(target=call, args=(tag,)) for tag in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert wrong == []
