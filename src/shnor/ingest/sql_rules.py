"""Rules on names that live as SQL macros (sql/macros.sql), asked from Python readers: each rule
has one home, and the ЕГЭ summary reader judges a row as the build does."""

from __future__ import annotations

import os
import threading
from functools import cache, lru_cache
from importlib import resources

import duckdb

_LOCK = threading.Lock()


@cache
def _connection(process: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the macros, one per process (a forked child opens its own)."""
    con = duckdb.connect()
    con.execute(resources.files("shnor.sql").joinpath("macros.sql").read_text("utf-8"))
    return con


# The macros asked, by name: the only SQL run here.
_QUERIES = {
    name: f"SELECT {name}(?)" for name in ("is_region_name", "is_total_label", "stated_school_year")
}


def _ask(macro: str, text: str) -> object:
    with _LOCK:
        return _connection(os.getpid()).execute(_QUERIES[macro], [text]).fetchone()[0]


@lru_cache(maxsize=4096)
def is_region_name(text: str | None) -> bool:
    """A region's whole name or its total (macro is_region_name): «Алтайский край», «Итого по
    краю» — not «Абинский район Краснодарского края»."""
    return bool(text) and bool(_ask("is_region_name", text))


@lru_cache(maxsize=4096)
def is_total_label(text: str | None) -> bool:
    """A total's or average's words (macro is_total_label): «Итого», «Среднее по региону»."""
    return bool(text) and bool(_ask("is_total_label", text))


@lru_cache(maxsize=1024)
def stated_school_year(text: str | None) -> int | None:
    """The year a social-passport row states (macro stated_school_year): «2023/2024» → 2024."""
    return _ask("stated_school_year", text) if text else None
