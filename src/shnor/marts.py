"""Read-only access to the published marts, for notebooks and other tools.

Analysts read the Parquet files that `shnor run` publishes to ``DATA_DIR/marts/``
(docs/data-contract.md), never the DuckDB warehouse: a running build may hold its lock, and the
marts are the stable interface. ``DATA_DIR/marts`` is a symlink to one complete published
version, replaced in one rename (shnor.publish); each call here resolves it once, so the files
it reads all come from the same version. ``DATA_DIR`` is the argument, else
``$SHNOR_DATA_DIR``, else ``./data`` — the same rule as the command line.

Nothing here reads a file at import time; every function reads what it needs when called.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from shnor.config import Paths, data_dir_from

__all__ = [
    "MartsNotFoundError",
    "UnknownMartError",
    "available",
    "latest_year",
    "manifest",
    "marts_dir",
    "read",
    "school_list",
    "years",
]

MANIFEST = "run_manifest.json"
FLAGS = "fct_school_flags"
# The annual list in reading form, as the workbook shows it (reports.rpt_school_list).
SCHOOL_LIST = "rpt_school_list"


class MartsNotFoundError(FileNotFoundError):
    """No published marts in the data directory: `shnor run` has not been run there."""


class UnknownMartError(LookupError):
    """A mart name that is not published; the message lists the ones that are."""


def marts_dir(data_dir: str | Path | None = None) -> Path:
    """The folder the marts are published to: ``DATA_DIR/marts``."""
    return Paths(data_dir_from(data_dir)).marts


def available(data_dir: str | Path | None = None) -> list[str]:
    """Names of the published marts (``<name>.parquet`` files), sorted.

    Raises MartsNotFoundError when nothing is published, so that a wrong DATA_DIR is noticed
    at once rather than read as «no marts».
    """
    folder = marts_dir(data_dir)
    names = sorted(p.stem for p in folder.glob("*.parquet") if p.is_file())
    if not names:
        raise MartsNotFoundError(_not_found_message(folder))
    return names


def read(
    name: str,
    *,
    year: int | None = None,
    data_dir: str | Path | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One mart as a DataFrame, optionally only the rows of one ``exam_year``.

    The year is pushed down to the Parquet reader as a filter, so one year of a large mart is
    read without loading the others. `columns` selects columns (the filter works on
    ``exam_year`` even when it is not among them).
    """
    path = _mart_path(name, data_dir).resolve()  # one version even if a publish swaps now
    schema = pq.read_schema(path)
    if columns is not None:
        unknown = [c for c in columns if c not in schema.names]
        if unknown:
            raise KeyError(
                f"Нет столбцов {unknown} в витрине {name} / mart {name} has no columns {unknown}. "
                f"Столбцы / columns: {', '.join(schema.names)}"
            )
    filters = None
    if year is not None:
        if "exam_year" not in schema.names:
            raise ValueError(
                f"В витрине {name} нет столбца exam_year / mart {name} has no exam_year column, "
                "so it cannot be filtered by year"
            )
        filters = [("exam_year", "=", int(year))]
    frame = pd.read_parquet(path, columns=columns, filters=filters)
    return frame.reset_index(drop=True)


def years(name: str = FLAGS, *, data_dir: str | Path | None = None) -> list[int]:
    """The exam years present in a mart (by default fct_school_flags), ascending."""
    column = read(name, data_dir=data_dir, columns=["exam_year"])["exam_year"]
    return sorted(int(y) for y in column.dropna().unique())


def latest_year(data_dir: str | Path | None = None) -> int:
    """The last exam year of fct_school_flags: what a notebook shows when no year is given."""
    found = years(FLAGS, data_dir=data_dir)
    if not found:
        raise ValueError(
            f"В {FLAGS} нет ни одного года / {FLAGS} has no rows: check the run's inputs"
        )
    return found[-1]


def school_list(
    year: int | None,
    municipality: str | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The schools of one year (optionally one municipality) with their flags, in reading form.

    The published `rpt_school_list`: names, municipality, settlement type and level in Russian,
    the Russian status and ШНОР × ШНСУ quadrant (the wording of the annual XLSX list), the
    composite with its interval, and the reasons (sentence and JSON). Sorted by municipality,
    then the ШНОР list first, then worst composite first. `year` None means the latest.
    """
    chosen_year = latest_year(data_dir) if year is None else int(year)
    frame = read(SCHOOL_LIST, year=chosen_year, data_dir=data_dir)
    if frame.empty:
        raise ValueError(
            f"Нет данных за {chosen_year} год / no list for {chosen_year}; "
            f"годы / years: {years(SCHOOL_LIST, data_dir=data_dir)}"
        )
    if municipality is not None:
        known = sorted(frame["municipality_name"].dropna().unique())
        if municipality not in known:
            raise ValueError(
                f"Муниципалитет «{municipality}» не найден за {chosen_year} год / unknown "
                f"municipality {municipality!r}. Есть / known: {', '.join(known)}"
            )
        frame = frame[frame["municipality_name"] == municipality]
    return frame.sort_values(
        ["municipality_name", "is_on_shnor_list", "composite_score", "school_id"],
        ascending=[True, False, False, True],
        na_position="last",
    ).reset_index(drop=True)


def manifest(data_dir: str | Path | None = None) -> dict[str, Any]:
    """The run manifest (run_manifest.json): preset and version, inputs, row counts, timings."""
    path = (marts_dir(data_dir) / MANIFEST).resolve()
    if not path.is_file():
        raise MartsNotFoundError(_not_found_message(path.parent))
    return json.loads(path.read_text(encoding="utf-8"))


def _mart_path(name: str, data_dir: str | Path | None) -> Path:
    """The file of mart `name` (``.parquet`` may be given or not); clear errors otherwise."""
    stem = name.removesuffix(".parquet")
    known = available(data_dir)  # raises when nothing is published
    if stem not in known:
        raise UnknownMartError(
            f"Витрина «{stem}» не найдена / unknown mart {stem!r}. "
            f"Опубликованы / available: {', '.join(known)}"
        )
    return marts_dir(data_dir) / f"{stem}.parquet"


def _not_found_message(folder: Path) -> str:
    data_dir = folder.parent
    return (
        f"Витрины не найдены в {folder}: запустите `shnor run --data-dir {data_dir}` "
        "или укажите DATA_DIR (аргумент data_dir или переменная SHNOR_DATA_DIR). / "
        f"No marts found in {folder}: run `shnor run --data-dir {data_dir}` first, or point "
        "data_dir / $SHNOR_DATA_DIR at a published data directory."
    )
