"""Russian `--help` for the `shnor` command. Typer (with the click it carries) writes parts of
every help page in English: «Usage:», «[OPTIONS]», the «Options» and «Commands» panels,
«[default: …]», «[required]», the value types («<path>», «<int>») and the help option's own
«Show this message and exit.». The command classes here say all of them in Russian; the
commands of `shnor.cli` are made with them (`cls=`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typer import rich_utils
from typer.core import TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

HELP = "Показать эту справку и выйти."
USAGE = "Запуск: "
OPTIONS_METAVAR = "[ПАРАМЕТРЫ]"
COMMAND_METAVAR = "КОМАНДА [ПАРАМЕТРЫ]..."
# A value's type as Typer names it → as the help says it (a flag takes no value: no type).
VALUE_TYPES = {
    "<path>": "<путь>",
    "<file>": "<файл>",
    "<directory>": "<папка>",
    "<int>": "<число>",
    "<float>": "<число>",
    "<str>": "<текст>",
    "<list[int]>": "<число>",
    "<list[str]>": "<текст>",
    "<list[path]>": "<путь>",
}
# Typer's own words on a help page and in a usage error, read by rich_utils when it prints.
RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Аргументы",
    "OPTIONS_PANEL_TITLE": "Параметры",
    "COMMANDS_PANEL_TITLE": "Команды",
    "ERRORS_PANEL_TITLE": "Ошибка",
    "DEFAULT_STRING": "[по умолчанию: {}]",
    "REQUIRED_LONG_STRING": "[обязательно]",
    "ENVVAR_STRING": "[переменная окружения: {}]",
    "DEPRECATED_STRING": "(устарело) ",
    "ABORTED_TEXT": "Прервано.",
    "RICH_HELP": "Справка: [blue]'{command_path} {help_option}'[/].",
}
for _name, _text in RICH_TEXTS.items():
    setattr(rich_utils, _name, _text)


class _RussianHelp:
    """What a command and a group share: the help option, the usage line and value types."""

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        """`--help` with its text in Russian (click's is fixed in English)."""
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP
        return option

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        """«Запуск: shnor run [ПАРАМЕТРЫ]»."""
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The help page with every option's value type in Russian and none for a flag."""
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if isinstance(param, TyperOption) and param.metavar is None:
                shown = param.display_type_rich(ctx)
                param.metavar = "" if param.is_flag else VALUE_TYPES.get(shown, shown)
        super().format_help(ctx, formatter)  # type: ignore[misc]


class RussianCommand(_RussianHelp, TyperCommand):
    """A `shnor` command whose help is Russian throughout."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR


class RussianGroup(_RussianHelp, TyperGroup):
    """The `shnor` group whose help is Russian throughout."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = COMMAND_METAVAR
