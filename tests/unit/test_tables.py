"""The table registry (src/shnor/tables.csv) is the one list of the warehouse's tables: every SQL
model file, raw layout, reference file and table a Python stage writes is in it with a maker
that exists, ref holds reviewed tables only, and docs/tables.md is made from it. (A built
warehouse is held to it in tests/e2e/test_table_registry.py.)"""

from __future__ import annotations

import csv
import importlib
import re
from importlib import resources
from pathlib import Path

import duckdb
import pytest
from docs_index import DOCS

from shnor import warehouse
from shnor.ingest.layouts import LAYOUTS
from shnor.publish import PYTHON_TABLES
from shnor.tables import LAYERS, Table, made_in_python, tables, with_tables_section

REGISTERED = {table.name: table for table in tables()}


def test_the_registry_names_each_table_once_in_a_known_layer():
    names = [table.name for table in tables()]
    assert len(names) > 70 and len(names) == len(set(names))
    assert {table.layer for table in tables()} == set(LAYERS)
    assert all(table.grain and table.holds and table.made_by for table in tables())


# The region warehouse's models and the national run's.
MODELS = warehouse.models((*warehouse.LAYERS, "national"))


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.table)
def test_every_sql_model_is_registered_as_made_by_its_file(model):
    assert model.table in REGISTERED, f"`{model.table}` is missing from src/shnor/tables.csv"
    assert REGISTERED[model.table].made_by == f"sql/{model.layer}/{model.name}.sql"


def test_every_registered_sql_file_is_a_model():
    models = {model.table for model in MODELS}
    made_by_sql = {table.name for table in tables() if table.is_sql_model}
    assert made_by_sql == models


@pytest.mark.parametrize(
    "table", [t for t in tables() if not t.is_sql_model], ids=lambda table: table.name
)
def test_every_python_maker_exists(table: Table):
    module_name, _, function = table.made_by.rpartition(".")
    maker = getattr(importlib.import_module(module_name), function, None)
    assert callable(maker), f"{table.name}: no function {table.made_by}"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_every_raw_layout_table_is_registered(layout):
    assert f"raw.{layout.raw_table}" in REGISTERED


def test_ref_holds_the_reviewed_reference_files_only():
    packaged = {
        f"ref.{entry.name.removesuffix('.csv')}"
        for entry in resources.files("shnor.reference").iterdir()
        if entry.name.endswith(".csv")
    }
    in_ref = {table.name for table in tables() if table.layer == "ref"}
    assert in_ref == packaged
    assert {REGISTERED[name].made_by for name in in_ref} == {
        "shnor.warehouse.load_reference_tables"
    }


def test_the_maps_computed_from_data_are_python_made_staging_tables():
    for name in warehouse.COMPUTED_MAPS:
        assert REGISTERED[name].layer == "staging" and not REGISTERED[name].is_sql_model


def test_every_table_python_writes_by_name_is_registered_and_published_when_a_mart():
    package = Path(str(resources.files("shnor")))
    source = "\n".join(path.read_text("utf-8") for path in package.rglob("*.py"))
    written = set(re.findall(r'replace_table\(\s*con,\s*"([a-z]+\.[a-z_]+)"', source))
    assert "marts.fct_school_flags" in written and "staging.stg_subject_map" in written
    assert sorted(written - REGISTERED.keys()) == []
    marts = {name for name in written if name.startswith(("marts.", "reports."))}
    assert marts <= set(PYTHON_TABLES) == set(made_in_python(("marts", "reports")))


def test_an_old_warehouse_loses_its_computed_maps_in_ref(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA ref")
        for old in ("subject_map", "school_code_map", "school_name_map"):
            con.execute(f"CREATE TABLE ref.{old} AS SELECT 'x' AS raw_code")
    with warehouse.connect(path) as con:
        warehouse.prepare_connection(con, None)
        in_ref = {
            f"ref.{name}"
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ref'"
            ).fetchall()
        }
        assert in_ref == {table.name for table in tables() if table.layer == "ref"}
        assert warehouse.table_exists(con, "staging.stg_school_code_map")


def test_docs_tables_is_made_from_the_registry():
    text = (DOCS / "tables.md").read_text("utf-8")
    assert with_tables_section(text) == text, (
        "docs/tables.md differs from src/shnor/tables.csv: run "
        "`.venv/bin/python -m shnor.tables docs/tables.md`"
    )
    changed = text.replace("`marts.dim_schools`", "`marts.dim_school`")
    assert with_tables_section(changed) == text != changed


def test_every_registry_row_has_the_header_s_fields():
    """A description with commas must be quoted: unquoted, its row has more fields than the
    header and its tail is lost from docs/tables.md."""
    text = resources.files("shnor").joinpath("tables.csv").read_text(encoding="utf-8")
    header, *rows = list(csv.reader(text.splitlines()))
    wrong = [(line, len(row)) for line, row in enumerate(rows, start=2) if len(row) != len(header)]
    assert wrong == [], f"rows of src/shnor/tables.csv with other than {len(header)} fields"
