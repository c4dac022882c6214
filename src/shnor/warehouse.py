"""The DuckDB warehouse: one file, one schema per layer, SQL models run from sql/<layer>/*.sql.

Models are ordered by the tables they read (found in their SQL), so adding a model is adding a
file. Parameters are bound (`$low_share`), never formatted into SQL. A model marked
`-- incremental: _source_file|school_id|exam_year` is updated in place for the files, schools or
years that changed (see `incremental.py`) when all it reads is updated so; the others are rebuilt.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.csv as pacsv

from shnor import __version__
from shnor.fingerprints import file_parts, fingerprint
from shnor.ingest.text import read_small_csv

LAYERS = ("staging", "intermediate", "marts", "reports")
SCHEMAS = ("raw", "ref", *LAYERS, "ops")
_REFERENCE = re.compile(
    r"\b(raw|ref|staging|intermediate|marts|reports|national)\.([a-z_][a-z0-9_]*)\b"
)
_PARAMETER = re.compile(r"(?<![\w$])\$([a-z_][a-z0-9_]*)")
_INCREMENTAL = re.compile(
    r"^--\s*incremental:\s*(_source_file|school_id|exam_year)\s*$", re.MULTILINE
)
_FINAL_ORDER = re.compile(r"ORDER BY\s+([^()]+?)\s*;?\s*$", re.IGNORECASE)

# Maps made from the data before the models run (subject names at ingest, school codes and names
# by school identity, see shnor.tables); staging reads them as it reads the reference tables.
COMPUTED_MAPS = (
    "staging.stg_subject_map",
    "staging.stg_school_code_map",
    "staging.stg_school_name_map",
)
# Where an older warehouse kept them, next to the reviewed tables (dropped on first use).
_OLD_MAPS = ("ref.subject_map", "ref.school_code_map", "ref.school_name_map")


@dataclass(frozen=True)
class Changes:
    """Raw files whose rows differ from the last build, and the assessment years they hold."""

    sources: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Model:
    """One SQL model: `<layer>.<name>` built from `sql/<layer>/<name>.sql`."""

    layer: str
    name: str
    sql: str

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def reads(self) -> set[str]:
        """Tables this model selects from."""
        return {f"{s}.{t}" for s, t in _REFERENCE.findall(_without_comments(self.sql))}

    @property
    def parameters(self) -> set[str]:
        """Named parameters the SQL binds."""
        return set(_PARAMETER.findall(_without_comments(self.sql)))

    @property
    def incremental_key(self) -> str | None:
        """How the model may be updated for what changed (declared in its SQL by
        `-- incremental: <key>`): `_source_file` — each row comes from one raw row, so the rows
        of changed files are replaced; `school_id` — each row depends only on rows of its school
        and year, so the changed files' schools in their years are rebuilt; `exam_year` — each
        row depends only on rows of its year, so those years are rebuilt."""
        found = _INCREMENTAL.search(self.sql)
        return found.group(1) if found else None

    @property
    def order_by(self) -> str | None:
        """The model's final ORDER BY, kept when its table is updated in place."""
        found = _FINAL_ORDER.search(_without_comments(self.sql).rstrip())
        return found.group(1) if found else None


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection with every layer's schema present; closed on exit."""
    if not read_only and str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        # DuckDB draws its own bar on stdout for a query over 2 s: in a national run the Dask
        # workers' bars cut through the console; shnor reports progress itself (shnor.progress).
        con.execute("SET enable_progress_bar = false")
        apply_resource_settings(con)
        if not read_only:
            for schema in SCHEMAS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        yield con
    finally:
        con.close()


def resource_settings() -> dict[str, str]:
    """DuckDB's memory_limit, temp_directory and threads from $SHNOR_MEMORY_LIMIT («4GB»),
    $SHNOR_TEMP_DIR and $SHNOR_THREADS: what the warehouse may hold in memory before it spills
    to disk, where it spills, and how many threads it runs (a national run's local Dask workers
    share the cores this way); unset, DuckDB's own (80% of RAM, a folder beside the warehouse,
    one thread per core)."""
    chosen = {
        "memory_limit": os.environ.get("SHNOR_MEMORY_LIMIT", "").strip(),
        "temp_directory": os.environ.get("SHNOR_TEMP_DIR", "").strip(),
        "threads": os.environ.get("SHNOR_THREADS", "").strip(),
    }
    return {name: value for name, value in chosen.items() if value}


def apply_resource_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Set the resource settings on a connection (see resource_settings)."""
    for name, value in resource_settings().items():
        con.execute(f"SET {name} = '{value.replace(chr(39), '')}'")


def models(layers: tuple[str, ...] = LAYERS) -> list[Model]:
    """Every SQL model of these layers, in an order where each runs after what it reads."""
    found: dict[str, Model] = {}
    root = resources.files("shnor.sql")
    for layer in layers:
        folder = root.joinpath(layer)
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                model = Model(layer, entry.name.removesuffix(".sql"), entry.read_text("utf-8"))
                found[model.table] = model
    graph = {table: model.reads & found.keys() - {table} for table, model in found.items()}
    return [found[table] for table in TopologicalSorter(graph).static_order()]


def run_models(
    con: duckdb.DuckDBPyConnection,
    parameters: Mapping[str, Any],
    layers: tuple[str, ...] = LAYERS,
    on_model: Callable[[Model], None] | None = None,
    changes: Changes | None = None,
) -> dict[str, int]:
    """Build every model of these layers as a table; returns row counts by table. With
    `changes`, incremental models are updated for the changed files, schools or years only."""
    counts: dict[str, int] = {}
    updated: set[str] = set()  # tables updated in place: what incremental models may read
    schools: set[str] = set()  # schools with rows in the changed files (before or after)
    for model in models(layers):
        if on_model:
            on_model(model)
        missing = model.parameters - parameters.keys()
        if missing:
            raise KeyError(f"{model.table} needs parameters {sorted(missing)}")
        bound = {name: parameters[name] for name in model.parameters}
        reads_updated = all(
            t in updated or t.startswith(("raw.", "ref.")) or t in COMPUTED_MAPS
            for t in model.reads
        )
        if (
            changes is not None
            and model.incremental_key
            and reads_updated
            and table_exists(con, model.table)
        ):
            schools |= _update_model(con, model, bound, changes, schools)
            updated.add(model.table)
        else:
            con.execute(f"CREATE OR REPLACE TABLE {model.table} AS\n{model.sql}", bound)
        counts[model.table] = con.execute(f"SELECT count(*) FROM {model.table}").fetchall()[0][0]
    return counts


def _update_model(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    bound: dict[str, Any],
    changes: Changes,
    schools: set[str],
) -> set[str]:
    """Replace the rows of the changed files (or schools, or years) by the model's rows for
    them; returns the schools of the replaced rows (for `_source_file` models)."""
    if not changes.sources:
        return set()
    values: dict[str, Any] = {}

    def listed(name: str, keys: list[Any]) -> str:
        # Bound values (not a subquery), so that the filter reaches the scans below.
        names = [f"{name}_{i}" for i in range(len(keys))]
        values.update(zip(names, keys, strict=True))
        return ", ".join(f"${n}" for n in names) or "NULL"

    if model.incremental_key == "_source_file":
        where = f"_source_file IN ({listed('_file', changes.sources)})"
    else:  # rows without a year (or school) are built again on any change
        where = f"exam_year IN ({listed('_year', changes.years)})"
        if model.incremental_key == "school_id":
            where += (
                f" AND (school_id IN ({listed('_school', sorted(schools))}) OR school_id IS NULL)"
            )
        where = f"(({where}) OR exam_year IS NULL)"
    has_school = "school_id" in {
        row[0] for row in con.execute(f"DESCRIBE {model.table}").fetchall()
    }
    touched = (
        f"SELECT DISTINCT school_id FROM {model.table} WHERE {where} AND school_id IS NOT NULL"
    )
    con.execute("BEGIN TRANSACTION")
    before = {row[0] for row in con.execute(touched, values).fetchall()} if has_school else set()
    con.execute(f"DELETE FROM {model.table} WHERE {where}", values)
    con.execute(
        f"INSERT INTO {model.table} BY NAME SELECT * FROM (\n{model.sql}\n) WHERE {where}",
        bound | values,
    )
    after = {row[0] for row in con.execute(touched, values).fetchall()} if has_school else set()
    if model.order_by:
        con.execute(
            f"CREATE OR REPLACE TABLE {model.table} AS "
            f"SELECT * FROM {model.table} ORDER BY {model.order_by}"
        )
    con.execute("COMMIT")
    return (before | after) - {None} if model.incremental_key == "_source_file" else set()


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when `schema.table` is in the warehouse."""
    schema, name = table.split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: Any) -> int:
    """Replace a table with a pandas DataFrame or Arrow table (school-grain results of methods)."""
    con.register("_incoming", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")
    # A pandas column of nothing but None arrives untyped (NULL); it can only be text there
    # (numbers arrive as float with NaN), and readers of the Parquet need a type.
    for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall():
        if kind.strip('"') == "NULL":
            con.execute(f'ALTER TABLE {table} ALTER COLUMN "{name}" TYPE VARCHAR')
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


# The key of each reference table: a region's row replaces the packaged row with the same key.
REFERENCE_KEYS = {
    "ege_min_scores": ("exam_year", "subject"),
    "vpr_scales": ("exam_year", "grade", "subject", "form"),
    "header_aliases": ("alias",),
    "subject_aliases": ("alias",),
    "subjects": ("subject",),
    "parameter_labels": ("key",),
    "header_patterns": ("column", "pattern"),
    "questionnaire_answers": ("question", "answer_pattern"),
    "task_descriptions": ("exam", "grade", "subject", "task"),
    "support_measures": ("exam", "subject"),
}


def reference_fingerprint(reference_dir: Path | None) -> str:
    """A hash of what the ref.* tables are loaded from: the packaged and the region's reference
    CSV files (name and bytes), shnor's version and this module (how they are loaded)."""
    packaged = sorted(
        (e for e in resources.files("shnor.reference").iterdir() if e.name.endswith(".csv")),
        key=lambda e: e.name,
    )
    local = sorted(reference_dir.glob("*.csv")) if reference_dir and reference_dir.is_dir() else []
    return fingerprint(
        [
            __version__,
            Path(__file__).read_bytes(),
            *(part for e in packaged for part in (e.name, e.read_bytes())),
            "local",
            *file_parts(local, lambda path: path.name),
        ]
    )


def load_reference_tables(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> None:
    """ref.* seeds from the package's CSV files; a region's own file adds rows and, for a key
    the package has too, replaces the packaged row (one row per key, never two). Loaded once
    per version of those files (ops.reference_state): each stage's connection would otherwise
    load them again (~0.1 CPU s each)."""
    root = resources.files("shnor.reference")
    entries = sorted((e for e in root.iterdir() if e.name.endswith(".csv")), key=lambda e: e.name)
    current = reference_fingerprint(reference_dir)
    if _reference_loaded(con, current, [e.name.removesuffix(".csv") for e in entries]):
        return
    for entry in entries:
        name = entry.name.removesuffix(".csv")
        packaged = pacsv.read_csv(io.BytesIO(entry.read_bytes())).to_pandas()
        # a file shipped with its header only (school_aliases.csv) holds text columns
        packaged = packaged.astype({c: "string" for c in packaged if packaged[c].isna().all()})
        local = reference_dir / entry.name if reference_dir else None
        if local and local.is_file():
            rows = read_small_csv(local, tuple(packaged.columns))
            own = pd.DataFrame(rows, columns=packaged.columns).astype(packaged.dtypes.to_dict())
            keys = list(REFERENCE_KEYS.get(name, packaged.columns))
            packaged = pd.concat([own, packaged], ignore_index=True)
            # an empty text key (a scale's form) is one key whether read as "" or as missing
            text_keys = [k for k in keys if not pd.api.types.is_numeric_dtype(packaged[k])]
            packaged[text_keys] = packaged[text_keys].fillna("")
            packaged = packaged.drop_duplicates(keys)
        replace_table(con, f"ref.{name}", packaged)
    for table in _OLD_MAPS:  # computed maps live in staging now: ref holds reviewed tables only
        con.execute(f"DROP TABLE IF EXISTS {table}")  # a name from the fixed list above
    # Made from the data by school_matching.update_school_code_map; empty until it runs, so that
    # school_of_codes (macros.sql) always has a table to read.
    con.execute(
        "CREATE TABLE IF NOT EXISTS staging.stg_school_code_map "
        "(raw_code VARCHAR, school_id VARCHAR, match_rule VARCHAR, candidate_ids VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TABLE ops.reference_state AS SELECT ? AS fingerprint", [current])


def _reference_loaded(con: duckdb.DuckDBPyConnection, current: str, names: list[str]) -> bool:
    """True when the warehouse's ref.* tables were loaded from files with this fingerprint
    and are all there (an in-memory or read-only connection always loads them)."""
    if not table_exists(con, "ops.reference_state"):
        return False
    stored = con.execute("SELECT fingerprint FROM ops.reference_state").fetchall()
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ref'"
        ).fetchall()
    }
    return (
        stored == [(current,)]
        and set(names) <= present
        and table_exists(con, "staging.stg_school_code_map")
    )


def prepare_connection(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> None:
    """Macros and reference tables every model relies on."""
    con.execute(resources.files("shnor.sql").joinpath("macros.sql").read_text("utf-8"))
    load_reference_tables(con, reference_dir)
