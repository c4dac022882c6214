"""ops.problems: where every stage records what an analyst should see, and the reviewed rules."""

from __future__ import annotations

from shnor import warehouse
from shnor.problems import (
    PROBLEM_COLUMNS,
    Problem,
    ensure_problems_table,
    forget_file_problems,
    forget_problems,
    record_problems,
)


def _problem(source: str, rule: str, row: int | None = None) -> Problem:
    return Problem(source, rule, "warning", "сообщение", "что делать", sheet="Лист1", row=row)


def test_problems_are_recorded_and_forgotten_by_rule_or_by_file():
    with warehouse.connect(":memory:") as con:
        ensure_problems_table(con)
        record_problems(
            con,
            [_problem("a.csv", "unknown_subject", 3), _problem("a.csv", "unknown_column"),
             _problem("b.csv", "unknown_subject", 7)],
        )  # fmt: skip
        forget_problems(con, ("unknown_column",))
        rows = con.execute(
            'SELECT source_file, rule, "row" FROM ops.problems ORDER BY 1'
        ).fetchall()
        assert rows == [("a.csv", "unknown_subject", 3), ("b.csv", "unknown_subject", 7)]
        forget_file_problems(con, "a.csv")
        assert con.execute("SELECT source_file FROM ops.problems").fetchall() == [("b.csv",)]


def test_a_warehouse_of_an_earlier_shnor_moves_its_raw_problems_to_ops():
    with warehouse.connect(":memory:") as con:
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in PROBLEM_COLUMNS.items())
        con.execute(f"CREATE TABLE raw._problems ({ddl})")
        con.execute(
            'INSERT INTO raw._problems (source_file, rule, severity, message, action, "row") '
            "VALUES ('vpr/2025/a.csv', 'mark_out_of_range', 'blocking', 'м', 'д', 12)"
        )
        ensure_problems_table(con)
        ensure_problems_table(con)  # a second call changes nothing
        moved = con.execute('SELECT source_file, rule, "row" FROM ops.problems').fetchall()
        assert moved == [("vpr/2025/a.csv", "mark_out_of_range", 12)]
        left = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
        assert left == [(0,)]


def test_every_rule_has_a_stage_a_severity_a_russian_name_and_what_to_do():
    from shnor.problems import rules

    assert len(rules()) > 60
    for rule in rules().values():
        assert set(rule.stage.split(", ")) <= {"raw", "build", "marts", "run"}, rule
        assert rule.severity in ("blocking", "warning", "info"), rule
        assert rule.label_ru and rule.action_ru, rule
    assert rules()["duplicate_file"].severity == "blocking"
    assert rules()["file_corrected"].severity == "info"


def test_the_rule_table_of_the_operations_guide_is_made_from_rules_csv():
    from pathlib import Path

    from shnor.problems import rules, with_rules_table

    guide = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
    text = guide.read_text("utf-8")
    assert with_rules_table(text) == text, (
        "run: .venv/bin/python -m shnor.problems docs/operations.md"
    )
    assert all(f"| `{code}` |" in text for code in rules())
    # a row changed in the CSV changes the page
    changed = text.replace(
        "| `duplicate_file` | raw | blocking |", "| `duplicate_file` | raw | warning |"
    )
    assert with_rules_table(changed) == text != changed
