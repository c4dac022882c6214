"""The docs document everything a user meets: every command and input layout (in the style of
sqlite-utils: adding a command or a layout without documenting it fails here; tables: the
registry, tests/unit/test_tables.py), and nothing in the project points outside the repository."""

from __future__ import annotations

import re

import pytest
import typer
from docs_index import ROOT, documented_commands, section

from shnor.cli import app
from shnor.ingest.layouts import LAYOUTS

README = ROOT / "README.md"


def cli_commands() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


def test_the_sections_are_found():
    assert documented_commands()
    assert "demo" in cli_commands()


@pytest.mark.parametrize("command", cli_commands())
def test_every_command_is_in_the_commands_table(command):
    assert command in documented_commands(), (
        f"`shnor {command}` is missing from docs/operations.md «Commands»"
    )


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
