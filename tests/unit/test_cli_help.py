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


# A wrong call → the option or command names and the values it must name, and the Russian
# text it must say. The message is the «Ошибка» panel's; everything printed is checked.
USAGE_ERRORS = [
    (["--bogus"], "Нет такого параметра: --bogus."),
    (["run", "--bogus"], "Нет такого параметра: --bogus."),
    (["run", "--prset", "x"], "Нет такого параметра: --prset. Похожие:"),
    (["run", "--preset"], "Параметру --preset нужно значение."),
    (["run", "--help=x"], "Параметр --help не принимает значения."),
    (["scale-data", "--output", "out", "--regions", "x"], "параметра --regions: 'x' — не целое"),
    (["scale-data", "--output", "out", "--year", "20x4"], "параметра --year: '20x4' — не целое"),
    (["demo", "--schools", "1.5"], "параметра --schools: '1.5' — не целое число."),
    (["nosuch"], "Нет такой команды: 'nosuch'."),
    (["rn"], "Нет такой команды: 'rn'. Возможно, имелась в виду 'run'."),
    (["run-national"], "Не указано значение параметра --data-root."),
    (["run", "extra"], "Лишний аргумент: 'extra'."),
    (["run", "a", "b"], "Лишние аргументы: 'a' 'b'."),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS)
def test_usage_errors_in_russian(args, message):
    outcome = runner.invoke(app, args, prog_name="shnor")
    assert outcome.exit_code == 2, outcome.output
    page = " ".join(outcome.output.replace("│", " ").split())
    assert "Ошибка" in page
    assert message in page, page
    assert "Справка: 'shnor" in page
    assert usage_error_latin_words(page, args) == [], page


def usage_error_latin_words(page: str, args: list[str]) -> list[str]:
    """The Latin words of a usage error once the call's own words (options, values, commands,
    quoted or not) and the command names are taken out."""
    for arg in sorted(args, key=len, reverse=True):
        page = re.sub(rf"(?<![\w-])'?{re.escape(arg)}'?(?![\w-])", " ", page)
    return [words for words in latin_words(page, None) if words not in COMMANDS]


def test_the_usage_error_check_finds_clicks_english():
    """Click's own texts of these errors fail the same check."""
    page = (
        "No such option: --bogus (Possible options: --preset) Option '--preset' requires an "
        "argument. Invalid value for '--regions': 'x' is not a valid integer. No such command "
        "'nosuch'. Missing option '--data-root'. Got unexpected extra argument(s) (extra)"
    )
    args = ["--bogus", "--preset", "--regions", "x", "nosuch", "--data-root", "extra"]
    assert usage_error_latin_words(page, args) == [
        "No such option", "Possible options", "Option requires an argument", "Invalid value for",
        "is not a valid integer", "No such command", "Missing option", "Got unexpected argument",
        "s",
    ]  # fmt: skip
