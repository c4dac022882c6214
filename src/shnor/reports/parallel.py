"""Report files written by worker processes, one job per file group, on every core.

XLSX writing is pure Python (xlsxwriter), so threads would not help; forked workers inherit
the marts in memory, nothing is pickled to them, and each writes its own files. Where the
platform cannot fork, or there is one core or one job, or this process is a daemon (a Dask
worker of a national run: it may not have children, and its cluster already keeps every core
busy with other regions), the jobs run here, one after another.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from shnor.progress import report

MAX_WORKERS = 4
_jobs: Sequence[ReportJob] = ()  # what forked workers run (set just before they fork)
_parent = 0  # the process that forks them
_one_at_a_time = threading.Lock()  # the two above belong to one call until its workers end


@dataclass(frozen=True)
class ReportJob:
    """A group of report files: its name, a size for scheduling (rows) and what writes it."""

    name: str
    size: int
    write: Callable[[], Path | list[Path]]

    def run(self) -> list[Path]:
        written = self.write()
        return written if isinstance(written, list) else [written]


def worker_count(jobs: Sequence[ReportJob]) -> int:
    """Workers to use: one per core (at most MAX_WORKERS), none where fork is unavailable or
    this process may not have children (a daemon, such as a Dask worker)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if multiprocessing.current_process().daemon:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(len(jobs), cores or 1, MAX_WORKERS)
    return workers if workers > 1 else 0


def written_in_parallel(jobs: Sequence[ReportJob]) -> list[Path]:
    """Run every job (largest first, so the long ones do not come last); the files written,
    in the order of `jobs`. A failed job fails the whole call, as a sequential run would."""
    global _jobs, _parent
    workers = worker_count(jobs)
    results: dict[int, list[Path]] = {}
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].size)
    if workers == 0:
        for done, index in enumerate(order, 1):
            results[index] = jobs[index].run()
            report("publish", f"отчёт {jobs[index].name}", done, len(jobs))
    else:
        _one_at_a_time.acquire()
        _jobs, _parent = jobs, os.getpid()
        # the parent's objects out of the collector's reach while workers share its pages: a
        # collection in a worker would otherwise touch (and copy) them (−15–20 % page copies)
        gc.freeze()
        try:
            with ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start
            ) as pool:
                futures = {pool.submit(_run_job, index): index for index in order}
                try:
                    for done, future in enumerate(as_completed(futures), 1):
                        index = futures[future]
                        results[index] = future.result()
                        report("publish", f"отчёт {jobs[index].name}", done, len(jobs))
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
        finally:
            gc.unfreeze()
            _jobs = ()
            _one_at_a_time.release()
    return [path for index in range(len(jobs)) for path in results[index]]


def _run_job(index: int) -> list[Path]:
    return _jobs[index].run()


def _worker_start() -> None:
    """A worker dies with the run that forked it (Linux): a killed run leaves no writer behind
    to hold its files or its run lock. A run killed before the worker got here has already
    left it an orphan: it exits at once."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != _parent:
        os._exit(1)
