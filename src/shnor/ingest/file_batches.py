"""Files loaded many to a transaction: a file's work (its rows, problems and registry entry)
is all in or all out with its batch, and a file that fails to insert is retried alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import duckdb

# Rows between commits. A commit per file wrote every file's rows to the WAL and synced it
# (≈1.5 of 5.5 CPU s of a 470-school region's ingest); a larger transaction writes full row
# groups straight to the database file. Uncommitted rows are held until the commit (≈0.25 KB
# a row), so this bounds the memory it costs, and what a killed run reads again.
ROWS_PER_COMMIT = 300_000

T = TypeVar("T")


class InsertFailed(Exception):
    """A file's rows could not be inserted inside a batch (DuckDB then refuses the rest of the
    transaction): the batch is rolled back and its files loaded again one by one."""


@dataclass
class FileBatches:
    """The open batch: the work of each file in it, kept to be done again alone."""

    con: duckdb.DuckDBPyConnection
    rows_per_commit: int
    done: list[Callable[[bool], object]] = field(default_factory=list)
    rows: int = 0
    open: bool = False

    def run(self, work: Callable[[bool], T], rows: Callable[[T], int] = lambda _: 0) -> T:
        """Do one file's work in the open batch (`work(False)`); commit when the batch holds
        `rows_per_commit` rows. When the work raises InsertFailed, the batch is rolled back,
        the files before it done again each in its own transaction, and this one alone
        (`work(True)`: it then records its failure instead of raising)."""
        if not self.open:
            self.con.execute("BEGIN TRANSACTION")
            self.open = True
        try:
            outcome = work(False)
        except InsertFailed:
            self.con.execute("ROLLBACK")
            self.open, earlier = False, self.done
            self.done, self.rows = [], 0
            for again in earlier:
                self._alone(again)
            return self._alone(work)
        self.done.append(work)
        self.rows += rows(outcome)
        if self.rows >= self.rows_per_commit:
            self.commit()
        return outcome

    def commit(self) -> None:
        """Commit the open batch, if any."""
        if self.open:
            self.con.execute("COMMIT")
        self.open, self.done, self.rows = False, [], 0

    def _alone(self, work: Callable[[bool], T]) -> T:
        self.con.execute("BEGIN TRANSACTION")
        try:
            outcome = work(True)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        return outcome


@contextmanager
def file_batches(con: duckdb.DuckDBPyConnection) -> Iterator[FileBatches]:
    """Batches for a pass over the files: the last one committed at the end; on an error the
    open one is rolled back (its files are not loaded, and load next time)."""
    batches = FileBatches(con, ROWS_PER_COMMIT)
    try:
        yield batches
    except BaseException:
        if batches.open:
            con.execute("ROLLBACK")
        raise
    batches.commit()
