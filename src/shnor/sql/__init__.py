"""The warehouse's SQL: one model per file by layer (staging/ … reports/), macros.sql, and
maps/, the queries the school and subject maps read the raw tables with."""

from __future__ import annotations

from importlib import resources


def map_query(name: str) -> str:
    """The SQL of maps/<name>.sql (a query, not a model: Python makes a map from its rows)."""
    return resources.files(__name__).joinpath("maps", f"{name}.sql").read_text("utf-8")
