"""The table registry: every table of the warehouse, one reviewed row each in tables.csv (name,
grain, key, what makes it: a SQL model file under sql/ or a Python function by dotted name, and
what it holds). docs/tables.md's table section is made from it (`python -m shnor.tables`) and the
tests hold it to the SQL files, the makers and a built warehouse."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

# A region warehouse's schemas in the order data flows through them (docs/architecture.md),
# then the national run's (its working tables and the national models).
REGION_LAYERS = ("raw", "ref", "staging", "intermediate", "marts", "reports", "ops")
NATIONAL_LAYERS = ("regions", "national")
LAYERS = (*REGION_LAYERS, *NATIONAL_LAYERS)


@dataclass(frozen=True)
class Table:
    """One table: `schema.name`, what one row is, the columns that tell rows apart (none: rows
    as recorded), what makes it (`sql/<layer>/<name>.sql` or `package.module.function`) and what
    it holds (Markdown, for docs/tables.md)."""

    name: str
    grain: str
    key: tuple[str, ...]
    made_by: str
    holds: str

    @property
    def layer(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_sql_model(self) -> bool:
        return self.made_by.endswith(".sql")


@cache
def tables() -> tuple[Table, ...]:
    """Every registered table, in the order of tables.csv (by layer)."""
    text = resources.files("shnor").joinpath("tables.csv").read_text("utf-8")
    return tuple(
        Table(row["table"], row["grain"], tuple(row["key"].split()), row["made_by"], row["holds"])
        for row in csv.DictReader(io.StringIO(text))
    )


def region_tables() -> tuple[Table, ...]:
    """The registered tables of a region's warehouse (the national run's left out)."""
    return tuple(t for t in tables() if t.layer in REGION_LAYERS)


def made_in_python(layers: tuple[str, ...]) -> tuple[str, ...]:
    """The tables of these layers that a Python function makes (no SQL model file)."""
    return tuple(t.name for t in tables() if t.layer in layers and not t.is_sql_model)


def tables_markdown() -> str:
    """The Markdown table of every registered table (docs/tables.md holds it between markers)."""
    lines = ["| table | grain | key | made by | what it holds |", "|---|---|---|---|---|"]
    for table in tables():
        key = ", ".join(f"`{column}`" for column in table.key) or "—"
        cells = [f"`{table.name}`", table.grain, key, f"`{table.made_by}`", table.holds]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


TABLES_BEGIN = "<!-- tables: made from src/shnor/tables.csv by `python -m shnor.tables` -->"
TABLES_END = "<!-- /tables -->"


def with_tables_section(document: str) -> str:
    """The document with the table between its markers made again from the registry."""
    start = document.index(TABLES_BEGIN) + len(TABLES_BEGIN)
    end = document.index(TABLES_END)
    return document[:start] + "\n" + tables_markdown() + document[end:]


if __name__ == "__main__":  # python -m shnor.tables [docs/tables.md]
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/tables.md")
    target.write_text(with_tables_section(target.read_text("utf-8")), "utf-8")
