"""A built warehouse holds exactly the registered tables (src/shnor/tables.csv), and each
registered key tells that table's rows apart (found in the built DuckDB file, not in the source)."""

from __future__ import annotations

import duckdb
import pytest

from shnor.tables import region_tables


@pytest.fixture(scope="module")
def built(demo_run, demo_region):
    with duckdb.connect(str(demo_region.data_dir / "shnor.duckdb"), read_only=True) as con:
        yield con


def test_a_built_warehouse_holds_exactly_the_registered_tables(built):
    found = {
        f"{schema}.{name}"
        for schema, name in built.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('main', 'information_schema', 'pg_catalog')"
        ).fetchall()
    }
    assert len(found) > 70
    registered = {table.name for table in region_tables()}
    assert sorted(found - registered) == [], "tables not in src/shnor/tables.csv"
    assert sorted(registered - found) == [], "registered tables a run does not make"


def test_every_registered_key_tells_the_rows_apart(built):
    repeated = {}
    for table in region_tables():
        if not table.key:
            continue
        columns = ", ".join(f'"{column}"' for column in table.key)
        # a table and column names from the registry, not input
        (count,) = built.execute(
            f"SELECT count(*) FROM (SELECT {columns} FROM {table.name} "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0]
        if count:
            repeated[table.name] = count
    assert repeated == {}
    (rows,) = built.execute("SELECT count(*) FROM marts.fct_school_flags").fetchall()[0]
    assert rows > 0  # the keys were checked over real rows
