"""A command measured as a whole process tree: wall seconds, CPU seconds of every process it
started (Dask workers, the Prefect server, forked report workers included), the peak of the
tree's summed RSS, and the CPU by kind of process.

The command runs under a small wrapper that makes itself the Linux «child subreaper»
(prctl PR_SET_CHILD_SUBREAPER): a process orphaned by its parent's exit — the forkserver that
forked the Dask workers, say — is reparented to the wrapper, not to init, and the wrapper reaps
it; so every process of the tree ends up waited for by its parent or by the wrapper, and the
wrapper's RUSAGE_CHILDREN is the CPU of the whole tree, short-lived processes included. A
`/usr/bin/time` of the command alone misses what its orphans used.

The split by kind is sampled (every `interval` s, each process's last seen user + system
CPU), so it misses up to one interval of each process and processes shorter than one; the
difference to the exact total is reported as `unsampled`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

SUBREAPER = textwrap.dedent(
    """
    import ctypes, json, os, resource, signal, subprocess, sys, time
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    out, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    code = subprocess.call(command)
    seconds = time.perf_counter() - started
    deadline, stragglers = time.monotonic() + 120, []
    while True:  # the orphans reparented here, until the last has ended
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0 and time.monotonic() > deadline:  # still running long after: stopped
            for line in os.popen(f"ps -o pid= --ppid {os.getpid()}"):
                stragglers.append(int(line))
                os.kill(int(line), signal.SIGKILL)
            deadline = float("inf")
        elif pid == 0:
            time.sleep(0.1)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as handle:
        json.dump({"exit_code": code, "seconds": round(seconds, 3),
                   "tree_cpu": round(kids.ru_utime + kids.ru_stime, 1),
                   "tree_user": round(kids.ru_utime, 1), "tree_system": round(kids.ru_stime, 1),
                   "stragglers": stragglers}, handle)
    """
)


def measured_command(
    command: list[str], env: dict[str, str] | None = None, interval: float = 0.5
) -> dict:
    """Run `command` as a measured process tree; its wall seconds, exit code, tree CPU (user,
    system), peak tree RSS in MB and the sampled CPU by kind of process."""
    import psutil  # installed with the locked environment (a dependency of its tools)

    with tempfile.TemporaryDirectory(prefix="shnor-tree-") as work:
        out = Path(work) / "result.json"
        wrapper = subprocess.Popen(
            [sys.executable, "-c", SUBREAPER, str(out), *command], env=env or os.environ
        )
        peak, seen = 0, {}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            top = psutil.Process(wrapper.pid)
            while not done.is_set():
                try:
                    tree = top.children(recursive=True)
                except psutil.Error:
                    break
                rss = 0
                for process in tree:
                    try:
                        with process.oneshot():
                            key = (process.pid, process.create_time())
                            if key not in seen:
                                seen[key] = {"kind": process_kind(process, top), "cpu": 0.0}
                            times = process.cpu_times()
                            seen[key]["cpu"] = times.user + times.system
                            rss += process.memory_info().rss
                    except psutil.Error:
                        continue
                peak = max(peak, rss)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        wrapper.wait()
        done.set()
        sampler.join()
        if wrapper.returncode:
            raise subprocess.CalledProcessError(wrapper.returncode, command)
        result = json.loads(out.read_text())
    kinds: dict[str, float] = {}
    for process in seen.values():
        kinds[process["kind"]] = round(kinds.get(process["kind"], 0.0) + process["cpu"], 1)
    kinds["unsampled"] = round(result["tree_cpu"] - sum(kinds.values()), 1)
    return result | {"peak_mb": round(peak / 2**20), "cpu_by_kind": kinds}


def process_kind(process, top) -> str:
    """What a process of the tree is, from its command line and its parent's: the command
    itself, a Dask worker (forked by the forkserver), the forkserver, the Prefect server, a
    forked report worker, or other (resource tracker, …)."""
    parent = process.parent()
    if parent is not None and parent.pid == top.pid and not _forkserver(process):
        return "command"
    if _forkserver(process):
        return "dask worker" if parent is not None and _forkserver(parent) else "forkserver"
    line = " ".join(process.cmdline())
    if "uvicorn" in line and "prefect" in line:
        return "prefect server"
    if "resource_tracker" in line:
        return "other"
    return "child of " + (process_kind(parent, top) if parent is not None else "?")


def _forkserver(process) -> bool:
    return "forkserver" in " ".join(process.cmdline())
