"""Russian `--help` for the `shnor` command. Typer (with the click it carries) writes parts of
every help page in English: «Usage:», «[OPTIONS]», the «Options» and «Commands» panels,
«[default: …]», «[required]», the value types («<path>», «<int>») and the help option's own
«Show this message and exit.». Click's usage errors («No such option», «Missing option»,
«Invalid value for …») are English too. The command classes here say all of them in Russian;
the commands of `shnor.cli` are made with them (`cls=`)."""

from __future__ import annotations

import re
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from typer import rich_utils
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    from collections.abc import Sequence

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

# Why a value did not do, by the kind of pydantic error Typer's conversion met.
VALUE_FAULTS = {
    "int_parsing": "не целое число",
    "int_from_float": "не целое число",
    "int_type": "не целое число",
    "float_parsing": "не число",
    "float_type": "не число",
    "bool_parsing": "не «да» или «нет»",
    "path_type": "не путь",
}


class RussianUsageError(UsageError):
    """A usage error already said in Russian (exit code 2, as every usage error)."""


def _has_cyrillic(text: str) -> bool:
    return re.search("[а-яё]", text, re.IGNORECASE) is not None


def _names(hint: Sequence[str] | str) -> str:
    return hint if isinstance(hint, str) else " / ".join(hint)


def _parameter(error: BadParameter) -> str:
    """«параметра --regions» or «аргумента NAME»: whose value is wrong or missing."""
    param = error.param
    if error.param_hint is not None:
        names = _names(error.param_hint).replace("'", "")
    elif param is not None:
        names = " / ".join(getattr(param, "opts", None) or [param.human_readable_name])
    else:
        return "параметра"
    kind = "аргумента" if param is not None and param.param_type_name == "argument" else "параметра"
    return f"{kind} {names}"


def _value_fault(error: BadParameter) -> str:
    """What is wrong with the value: from the pydantic error behind the conversion when there
    is one («'x' — не целое число»), else the error's own text if it is Russian."""
    cause = error.__cause__
    faults = cause.errors() if hasattr(cause, "errors") else []
    if faults:
        fault = VALUE_FAULTS.get(faults[0].get("type", ""), "недопустимое значение")
        return f"{faults[0].get('input')!r} — {fault}" if "input" in faults[0] else fault
    return error.message if _has_cyrillic(error.message) else "недопустимое значение"


def _close(names: Sequence[str], meant: str = "имелся") -> str:
    """« Возможно, имелся в виду --preset.» for one close name, « Похожие: …» for several
    (`meant`: «имелась» for a command)."""
    if not names:
        return ""
    if len(names) == 1:
        return f" Возможно, {meant} в виду {names[0]}."
    return f" Похожие: {', '.join(sorted(names))}."


def _option(ctx: Context, name: str) -> Any:
    """The command's option called `name` (None if it has none)."""
    for param in ctx.command.get_params(ctx):
        if name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
            return param
    return None


def russian_usage_error(error: UsageError, ctx: Context) -> UsageError:
    """The same usage error in Russian, by its type and fields; an error of a kind not known
    here comes back as it is."""
    ctx = error.ctx or ctx
    if isinstance(error, RussianUsageError | NoArgsIsHelpError):
        return error
    if isinstance(error, NoSuchOption):
        message = f"Нет такого параметра: {error.option_name}.{_close(error.possibilities or [])}"
    elif isinstance(error, BadOptionUsage):
        option = _option(ctx, error.option_name)
        if option is not None and (option.is_flag or option.count):
            message = f"Параметр {error.option_name} не принимает значения."
        elif option is not None and option.nargs > 1:
            message = f"Параметру {error.option_name} нужно значений: {option.nargs}."
        else:
            message = f"Параметру {error.option_name} нужно значение."
    elif isinstance(error, MissingParameter):
        message = f"Не указано значение {_parameter(error)}."
    elif isinstance(error, BadParameter):
        message = f"Недопустимое значение {_parameter(error)}: {_value_fault(error)}."
    else:
        return error
    return RussianUsageError(message, ctx)


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

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        """Click's parsing with its usage errors in Russian; extra arguments are reported here
        (click's own report of them is a plain English `UsageError`)."""
        allow_extra_args = ctx.allow_extra_args
        ctx.allow_extra_args = True
        try:
            rest: list[str] = super().parse_args(ctx, args)  # type: ignore[misc]
        except UsageError as error:
            raise russian_usage_error(error, ctx) from error
        finally:
            ctx.allow_extra_args = allow_extra_args
        if rest and not allow_extra_args and not ctx.resilient_parsing:
            extra = " ".join(map(repr, rest))
            many = len(rest) > 1
            raise RussianUsageError(
                f"Лишни{'е' if many else 'й'} аргумент{'ы' if many else ''}: {extra}.", ctx
            )
        return rest


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

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """The command named by the first argument; «Нет такой команды» (with the close names)
        when there is none."""
        name = args[0]
        normalize = ctx.token_normalize_func
        known = self.get_command(ctx, name) or (
            normalize is not None and self.get_command(ctx, normalize(name))
        )
        if not known and not ctx.resilient_parsing:
            if name.startswith("-"):
                self.parse_args(ctx, args)  # an option's error first, as click reports it
            close = _close(list(map(repr, get_close_matches(name, list(self.commands)))), "имелась")
            message = f"Нет такой команды: {name!r}.{close}"
            raise RussianUsageError(message, ctx)
        return super().resolve_command(ctx, args)
