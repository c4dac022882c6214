"""Problems an analyst should see — where, which rule, what to do — and the one table they are
kept in (ops.problems), written by ingest, the raw checks and the build, read by the reports.

Each rule has one reviewed row in reference/rules.csv (code, severity, Russian name, what to
do): the console and the validation report name rules from it, docs/operations.md lists it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb

# The problems of every input and of the last build. They live in `ops`, beside the other
# records of what runs did, so no layer writes into the raw layer below it.
PROBLEMS_TABLE = "ops.problems"
PROBLEM_COLUMNS = dict.fromkeys(
    ("source_file", "sheet", "row", "column", "value", "rule", "severity", "message", "action"),
    "VARCHAR",
) | {"row": "BIGINT"}


@dataclass(frozen=True)
class Problem:
    """One thing an analyst should see: where it is, what rule it broke, what to do."""

    source_file: str
    rule: str
    severity: str  # "blocking" (file quarantined) or "warning" (loaded, reported)
    message: str  # Russian
    action: str  # Russian: what to do
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Rule:
    """A reviewed rule: its code, where it is decided, how severe, its Russian name, what to do."""

    rule: str
    stage: str  # raw (loading and raw checks), build, marts (mart checks) or run
    severity: str  # blocking, warning or info
    label_ru: str
    action_ru: str


@cache
def rules() -> dict[str, Rule]:
    """reference/rules.csv by rule code."""
    text = resources.files("shnor.reference").joinpath("rules.csv").read_text("utf-8")
    return {row["rule"]: Rule(**row) for row in csv.DictReader(text.splitlines())}


def ensure_problems_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ops.problems; a warehouse made by an earlier shnor moves its raw._problems there."""
    ddl = ", ".join(f'"{name}" {kind}' for name, kind in PROBLEM_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {PROBLEMS_TABLE} ({ddl})")
    legacy = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = '_problems'"
    ).fetchall()[0][0]
    if legacy:
        names = ", ".join(f'"{name}"' for name in PROBLEM_COLUMNS)
        con.execute(f"INSERT INTO {PROBLEMS_TABLE} ({names}) SELECT {names} FROM raw._problems")
        con.execute("DROP TABLE raw._problems")


def record_problems(con: duckdb.DuckDBPyConnection, problems: list[Problem]) -> None:
    """Append problems to ops.problems."""
    if problems:
        con.executemany(
            _insert_statement(PROBLEMS_TABLE, PROBLEM_COLUMNS),
            [
                [p.source_file, p.sheet, p.row, p.column, p.value, p.rule, p.severity, p.message,
                 p.action]
                for p in problems
            ],
        )  # fmt: skip


def forget_problems(con: duckdb.DuckDBPyConnection, rules: tuple[str, ...]) -> None:
    """Remove the problems of these rules (a stage that finds them again records them anew)."""
    con.execute(f"DELETE FROM {PROBLEMS_TABLE} WHERE list_contains($rules, rule)",
                {"rules": list(rules)})  # fmt: skip


def forget_file_problems(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Remove a file's problems (before it is read again or after it was removed)."""
    con.execute(f"DELETE FROM {PROBLEMS_TABLE} WHERE source_file = ?", [source])


def _insert_statement(table: str, columns: dict[str, str]) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


def rules_table() -> str:
    """The Markdown table of every rule (docs/operations.md holds it between its markers)."""
    lines = ["| rule | stage | severity | name | what to do |", "|---|---|---|---|---|"]
    for rule in rules().values():
        cells = [f"`{rule.rule}`", rule.stage, rule.severity, rule.label_ru, rule.action_ru]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


RULES_BEGIN = "<!-- rules: made from reference/rules.csv by `python -m shnor.problems` -->"
RULES_END = "<!-- /rules -->"


def with_rules_table(document: str) -> str:
    """The document with the table between its rule markers made again from rules.csv."""
    start, end = document.index(RULES_BEGIN) + len(RULES_BEGIN), document.index(RULES_END)
    return document[:start] + "\n" + rules_table() + document[end:]


if __name__ == "__main__":  # python -m shnor.problems [docs/operations.md]
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/operations.md")
    target.write_text(with_rules_table(target.read_text("utf-8")), "utf-8")
