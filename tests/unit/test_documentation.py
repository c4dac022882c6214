"""The docs document everything a user meets: every command, table and input layout (in the style
of sqlite-utils: adding a command, a model or a layout without documenting it fails here), and
nothing in the project points outside the repository."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
import typer
from docs_index import ROOT, documented_commands, documented_tables, section

from shnor.cli import app
from shnor.ingest.layouts import LAYOUTS

README = ROOT / "README.md"


def sql_models() -> list[str]:
    folder = resources.files("shnor.sql")
    return sorted(
        f"{layer.name}.{model.name.removesuffix('.sql')}"
        for layer in folder.iterdir()
        if layer.is_dir() and not layer.name.startswith("_")
        for model in layer.iterdir()
        if model.name.endswith(".sql")
    )


def cli_commands() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


def test_the_sections_are_found():
    assert documented_commands()
    assert len(documented_tables()) > 10
    assert "demo" in cli_commands()
    assert "staging.stg_schools" in sql_models()


@pytest.mark.parametrize("command", cli_commands())
def test_every_command_is_in_the_commands_table(command):
    assert command in documented_commands(), (
        f"`shnor {command}` is missing from docs/operations.md «Commands»"
    )


@pytest.mark.parametrize("table", sql_models())
def test_every_sql_model_is_in_the_tables_section(table):
    assert table in documented_tables(), f"`{table}` is missing from docs/tables.md «Tables»"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_every_raw_layout_table_is_in_the_tables_section(layout):
    table = f"raw.{layout.raw_table}"
    assert table in documented_tables(), f"`{table}` is missing from docs/tables.md «Tables»"


def test_every_table_the_python_stages_write_is_published():
    # PYTHON_TABLES is what publish adds to the models: a table written by a stage and
    # missing there would silently never reach the marts.
    from shnor.publish import PYTHON_TABLES

    package = Path(str(resources.files("shnor")))
    source = "\n".join(path.read_text("utf-8") for path in package.rglob("*.py"))
    written = set(re.findall(r'replace_table\(\s*con,\s*"((?:marts|reports)\.[a-z_]+)"', source))
    assert written and written <= set(PYTHON_TABLES)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_every_layout_and_its_columns_are_in_the_data_contract(layout):
    text = section("data-contract.md", f"`{layout.name}`", level=3)
    # a family of numbered columns (pupils_grade_1 … _11) is documented once as `pupils_grade_{n}`
    names = {re.sub(r"_\d+$", "_{n}", column) for column in layout.columns}
    missing = sorted(n for n in names if n != "extra_columns" and f"`{n}`" not in text)
    assert not missing, f"docs/data-contract.md «{layout.name}» does not name {missing}"


def test_the_readme_is_a_front_door_whose_links_resolve():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert "docs/user-guide.md" in links and "docs/data-contract.md" in links
    assert [link for link in links if not (ROOT / link).exists()] == []
