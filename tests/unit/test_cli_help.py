"""Every `shnor … --help` page is Russian throughout: Typer's own words (usage line, panel
titles, defaults, value types, the help option's text) included; only the names a user types
(commands, options, paths, values) and proper names stay in Latin letters."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from shnor.cli import app

runner = CliRunner()
COMMANDS = sorted(typer.main.get_command(app).commands)
# Latin words a help page may have: names of programs and formats, and values a user types.
PROPER_NAMES = {"Prefect", "Dask", "TOML", "Markdown"}
VALUES = {"csv", "parquet", "both", "reference", "sequential", "dask", "prefect"}


def help_page(command: str | None) -> str:
    """The help page of `shnor <command>` (of `shnor` for None), its lines joined."""
    outcome = runner.invoke(app, [*([command] if command else []), "--help"], prog_name="shnor")
    assert outcome.exit_code == 0, outcome.output
    return " ".join(outcome.output.split())


def latin_words(page: str, command: str | None) -> list[str]:
    """The runs of Latin words of a help page once the command's own name, option names and
    paths, file and variable names (with «/», «_», «://» or a dot inside a word) are taken out."""
    text = page.replace(f"shnor {command}" if command else "shnor", " ")
    kept = [
        token
        for token in text.split()
        if not re.match(r"[(\[]?--?[A-Za-z]", token)  # an option's name
        and not re.search(r"[/_]|\w\.\w|^\(?\.[A-Za-z]", token)  # a path, file or variable
    ]
    return re.findall(r"[A-Za-z][A-Za-z-]*(?:\s+[A-Za-z][A-Za-z-]*)*", " ".join(kept))


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_page_has_no_english_words(command):
    page = help_page(command)
    assert "Запуск: shnor" in page
    assert "Показать эту справку и выйти." in page
    assert "Параметры" in page
    allowed = PROPER_NAMES | VALUES | set(COMMANDS) | {"shnor"}
    english = [words for words in latin_words(page, command) if words not in allowed]
    assert english == [], page


def test_the_check_finds_typers_english():
    """The same check on a page as Typer writes it by itself fails on each English part."""
    page = (
        "Usage: shnor run [OPTIONS] ╭─ Options ─╮ │ --data-dir <path> Папка данных. │ "
        "│ --schools <int> Число школ. [default: 600] │ │ --help Show this message and exit. │"
    )
    assert latin_words(page, "run") == [
        "Usage", "OPTIONS", "Options", "path", "int", "default", "Show this message and exit",
    ]  # fmt: skip


def test_root_page_lists_the_commands_under_a_russian_title():
    page = help_page(None)
    assert "Команды" in page
    assert "КОМАНДА [ПАРАМЕТРЫ]" in page
    for command in COMMANDS:
        assert f" {command} " in page


def test_value_types_and_defaults_in_russian():
    page = help_page("demo")
    assert "--schools <число> Число школ демо-региона. [по умолчанию: 600]" in page
    assert "--data-dir <путь>" in page
    page = help_page("run-national")
    assert "--data-root <путь> Папка страны" in page
    assert "[обязательно]" in page
    assert "<bool>" not in page  # a flag takes no value
