"""A progress channel from long steps to whoever shows it (the CLI's rich bars, or nothing).

Steps call `report(...)`; the CLI installs a reporter. Flows log through Prefect as well.
With $SHNOR_PROGRESS_FILE set, each report is also appended there as `stage<TAB>message`, so
another process (a supervisor, or a test that kills a run mid-build) can follow a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Reporter = Callable[[str, str, int | None, int | None], None]
_reporter: ContextVar[Reporter | None] = ContextVar("shnor_progress", default=None)


def report(stage: str, message: str, done: int | None = None, total: int | None = None) -> None:
    """Tell the installed reporter (if any) how a stage is going."""
    trace = os.environ.get("SHNOR_PROGRESS_FILE")
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(f"{stage}\t{message}\n")
    reporter = _reporter.get()
    if reporter is not None:
        reporter(stage, message, done, total)


@contextmanager
def reporting_to(reporter: Reporter) -> Iterator[None]:
    """Send progress to `reporter` inside the block."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
