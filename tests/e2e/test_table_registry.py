"""Every table a real run leaves in the warehouse is documented in docs/tables.md (found in the
built DuckDB file, not by reading the source)."""

from __future__ import annotations

import duckdb
from docs_index import documented_tables


def test_every_table_of_a_built_warehouse_is_in_docs_tables(demo_run, demo_region):
    with duckdb.connect(str(demo_region.data_dir / "shnor.duckdb"), read_only=True) as con:
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('main', 'information_schema', 'pg_catalog')"
            ).fetchall()
        }
    assert len(tables) > 30
    documented = documented_tables()
    assert sorted(tables - documented) == []
