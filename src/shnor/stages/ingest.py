"""Stage 1, ingest: new and changed files under raw/ into raw.* (with the raw checks), then
the subjects they name mapped to codes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from shnor import warehouse
from shnor.config import paths_of
from shnor.file_stats import input_stats, with_stats
from shnor.ingest.headers import subject_code
from shnor.ingest.raw_load import IngestSummary, ingest_raw
from shnor.problems import Problem, forget_problems, record_problems
from shnor.progress import report
from shnor.sql import map_query


def ingest(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    reference_dir: Path | None = None,
    on_file: Callable[[str, int, int], None] | None = None,
) -> IngestSummary:
    """Load new and changed files into raw.*, then map the subjects they name."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(
            f"Папка с исходными данными не найдена: {raw_dir}. "
            "Положите файлы в raw/ (см. docs/data-contract.md) или создайте демо-регион: shnor demo"
        )
    summary = ingest_raw(con, raw_dir, reference_dir, on_file)
    map_subjects(con, reference_dir)
    return summary


# What a row of each raw table with subject names is, in Russian (the tables and their subject
# columns: sql/maps/raw_subject_names.sql and unknown_subject_rows.sql).
SUBJECT_ROWS = {
    "vpr_participants": "строки участников",
    "exam_participants": "строки участников",
    "ege_school_summary": "строки школ",
    "vpr_mark_stats": "строки школ",
    "vpr_journal_comparison": "строки школ",
    "fioco_objectivity_list": "строки списка",
}


def map_subjects(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> pd.DataFrame:
    """staging.stg_subject_map: every subject name in raw.* → canonical code. A name no alias
    knows gets no code: staging leaves its rows out (other subjects of the file still load) and
    each file is told, in Russian, which subject and how many of its rows were not loaded."""
    names = [row[0] for row in con.execute(map_query("raw_subject_names")).fetchall()]
    mapped = [(name, *subject_code(name, reference_dir)) for name in names]
    frame = pd.DataFrame(mapped, columns=["raw_subject", "subject", "is_known"])
    frame["subject"] = frame["subject"].astype("string")
    frame["is_known"] = frame["is_known"].astype(bool)
    warehouse.replace_table(con, "staging.stg_subject_map", frame)
    forget_problems(con, ("unknown_subject",))
    unknown = sorted(name for name, _, known in mapped if not known)
    found = (
        con.execute(map_query("unknown_subject_rows"), {"names": unknown}).fetchall()
        if unknown
        else []
    )
    order = list(SUBJECT_ROWS)
    found.sort(key=lambda found_row: (order.index(found_row[0]), found_row[1:]))
    record_problems(
        con,
        [
            Problem(
                source,
                "unknown_subject",
                "warning",
                f"предмет «{name}» не найден в справочнике предметов: его {SUBJECT_ROWS[table]} "
                f"({count}) не загружены, код предмету не придумывается (другие предметы файла "
                "загружены)",
                "если это известный предмет, добавьте его название в "
                "reference/subject_aliases.csv и запустите расчёт снова",
                sheet=sheet,
                row=row,
                column="Предмет",
                value=name,
            )
            for table, source, name, sheet, row, count in found
        ],
    )
    return frame


def ingest_step(data_dir: str | Path | None) -> dict[str, Any]:
    """Load new or changed raw files; returns the ingest summary, its inputs with their stats
    (`shnor.file_stats`)."""
    paths = paths_of(data_dir)
    started = time.perf_counter()
    # taken before the files are hashed: a later run sees them unchanged by stat alone
    stats = input_stats(paths.raw) if paths.raw.is_dir() else {}
    with warehouse.connect(paths.warehouse) as con:
        warehouse.prepare_connection(con, paths.reference)
        summary = ingest(
            con,
            paths.raw,
            paths.reference,
            lambda name, done, total: report("ingest", name, done, total),
        )
        usable = has_usable_results(con)
        inputs = (
            con.execute("SELECT source_file, checksum, status FROM raw._files ORDER BY 1")
            .df()
            .to_dict("records")
        )
    return asdict(summary) | {
        "usable": usable,
        "inputs": with_stats(inputs, stats),
        "seconds": round(time.perf_counter() - started, 3),
    }


def has_usable_results(con: Any) -> bool:
    """True when some results are loaded: participant rows or school summaries (a region with
    only the ЕГЭ summary workbook is rated on it); else there is nothing to rate."""
    tables = ("vpr_participants", "exam_participants", "ege_school_summary", "vpr_mark_stats")
    query = " OR ".join(f"EXISTS (SELECT 1 FROM raw.{table})" for table in tables)
    return bool(con.execute(f"SELECT {query}").fetchall()[0][0])
