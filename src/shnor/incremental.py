"""What changed since the last build, so that the build redoes only the part those changes touch.

A model says how it can be updated in a line of its SQL: `-- incremental: _source_file` (one row
per raw row: the rows of changed files are deleted and built again) or `-- incremental: exam_year`
(each row depends only on rows of its own year: the years of changed files are built again).
Everything else that feeds the build — model SQL, macros, parameters, reference tables, the
school maps, the subject names' codes, the shnor version — is compared with the last build; any
difference, or no record of a last build, rebuilds everything.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import duckdb

from shnor import __version__, warehouse
from shnor.fingerprints import fingerprint
from shnor.warehouse import Changes

# Snapshots of the last successful build (ops schema, beside the run history).
BUILD_INPUTS = "ops.build_inputs"
BUILD_STATE = "ops.build_state"
BUILD_SUBJECT_MAP = "ops.build_subject_map"
_FILE_STATE = "source_file, checksum, status, loaded_at"


_YEAR_FOLDER = re.compile(r"^[^/]+/\d{4}/")


def changes_since_last_build(
    con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]
) -> Changes | None:
    """The changed files and years, or None when everything must be built again."""
    if not warehouse.table_exists(con, BUILD_STATE):
        return None
    if _stored_fingerprint(con) != build_fingerprint(con, parameters):
        return None
    if not _subject_codes_kept(con):
        return None
    sources = [
        row[0]
        for row in con.execute(
            f"""SELECT source_file FROM (
                    (SELECT {_FILE_STATE} FROM raw._files
                     EXCEPT SELECT {_FILE_STATE} FROM {BUILD_INPUTS})
                    UNION
                    (SELECT {_FILE_STATE} FROM {BUILD_INPUTS}
                     EXCEPT SELECT {_FILE_STATE} FROM raw._files))
                GROUP BY source_file ORDER BY source_file"""
        ).fetchall()
    ]
    if any(source.startswith("ege/") and not _YEAR_FOLDER.match(source) for source in sources):
        return None  # a summary workbook without a year folder: its years are its sheets'
    years = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT folder_year(s) FROM unnest($sources::VARCHAR[]) AS t(s) "
            "WHERE folder_year(s) IS NOT NULL ORDER BY 1",
            {"sources": sources},
        ).fetchall()
    ]
    return Changes(sources, years)


def forget_build(con: duckdb.DuckDBPyConnection) -> None:
    """No record of a last build (said when a build starts; `remember_build` ends it)."""
    con.execute(f"DROP TABLE IF EXISTS {BUILD_STATE}")


def remember_build(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> None:
    """Record what this (successful) build read, for the next build to compare with."""
    fingerprint = build_fingerprint(con, parameters)
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    con.execute(f"CREATE OR REPLACE TABLE {BUILD_INPUTS} AS SELECT {_FILE_STATE} FROM raw._files")
    con.execute(
        f"CREATE OR REPLACE TABLE {BUILD_SUBJECT_MAP} AS SELECT * FROM staging.stg_subject_map"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {BUILD_STATE} AS SELECT $fingerprint AS fingerprint, "
        "current_localtimestamp() AS built_at",
        {"fingerprint": fingerprint},
    )


def build_fingerprint(con: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> str:
    """A hash of everything but the raw rows that decides what the build makes."""
    # The reference tables and the school maps made from the data (the subject map is compared
    # name by name instead: see _subject_codes_kept).
    tables = [
        f"ref.{name}"
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ref' "
            "ORDER BY table_name"
        ).fetchall()
    ] + [
        table
        for table in warehouse.COMPUTED_MAPS
        if table != "staging.stg_subject_map" and warehouse.table_exists(con, table)
    ]

    def reference_parts():
        for table in tables:
            # a table name from information_schema or the fixed list of maps
            (content,) = con.execute(
                f"SELECT md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) "
                f"FROM {table} AS t"
            ).fetchall()[0]
            yield f"{table}:{content}"

    return fingerprint(
        [
            __version__,
            resources.files("shnor.sql").joinpath("macros.sql").read_bytes(),
            *(
                f"{model.table}\n{model.sql}"
                for model in warehouse.models(("staging", "intermediate", "marts"))
            ),
            json.dumps(parameters, sort_keys=True, default=str),
            *reference_parts(),
        ]
    )


def _stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute(f"SELECT fingerprint FROM {BUILD_STATE}").fetchall()
    return rows[0][0] if rows else None


def _subject_codes_kept(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every subject name of the last build still has the same code (a new name can
    only come from a new or changed file, whose rows are built again anyway)."""
    if not warehouse.table_exists(con, BUILD_SUBJECT_MAP):
        return False
    (differing,) = con.execute(
        f"""SELECT count(*) FROM {BUILD_SUBJECT_MAP} AS before
            JOIN staging.stg_subject_map AS now USING (raw_subject)
            WHERE before.subject IS DISTINCT FROM now.subject"""
    ).fetchall()[0]
    return differing == 0
