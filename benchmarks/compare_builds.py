"""Row-for-row comparison of two warehouses: every table of the given schemas, EXCEPT ALL both ways.

    python benchmarks/compare_builds.py before.duckdb after.duckdb [schema ...]

For checking that a change of the SQL build leaves what it makes as it was (the same rows, each
as many times); schemas default to staging, intermediate and marts. Prints one line per table
and exits 1 when any table differs or is missing on one side.
"""

from __future__ import annotations

import sys

import duckdb

DEFAULT_SCHEMAS = ("staging", "intermediate", "marts")


def tables(con: duckdb.DuckDBPyConnection, alias: str, schemas: tuple[str, ...]) -> set[str]:
    """`schema.table` of every table of these schemas in an attached warehouse."""
    return {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
            [alias],
        ).fetchall()
        if schema in schemas
    }


def differing_rows(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int]:
    """Rows of `table` in before only, in after only (as multisets), and its rows before."""
    columns = ", ".join(
        f'"{name}"'
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'before' "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            table.split("."),
        ).fetchall()
    )
    before, after = f"SELECT {columns} FROM before.{table}", f"SELECT {columns} FROM after.{table}"

    def count(sql: str) -> int:
        return con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]

    return (
        count(f"{before} EXCEPT ALL {after}"),
        count(f"{after} EXCEPT ALL {before}"),
        count(before),
    )


def main() -> int:
    before, after, *chosen = sys.argv[1:]
    schemas = tuple(chosen) or DEFAULT_SCHEMAS
    con = duckdb.connect()
    con.execute(f"ATTACH '{before}' AS before (READ_ONLY)")
    con.execute(f"ATTACH '{after}' AS after (READ_ONLY)")
    old, new = tables(con, "before", schemas), tables(con, "after", schemas)
    failed = False
    for table in sorted(old | new):
        if table not in old or table not in new:
            print(f"{table}: only in {'before' if table in old else 'after'}")
            failed = True
            continue
        only_before, only_after, rows = differing_rows(con, table)
        failed |= bool(only_before or only_after)
        print(f"{table}: {rows} rows, {only_before} only before, {only_after} only after")
    print("DIFFERENT" if failed else f"identical: {len(old)} tables")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
