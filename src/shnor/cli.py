"""The `shnor` command: thin Typer commands over the library, with progress and Russian messages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shnor.config import data_dir_from, use_offline_prefect

app = typer.Typer(
    help="shnor — школы с низкими образовательными результатами (ШНОР): расчёт по ВПР, ОГЭ, ЕГЭ.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Папка данных: raw/ внутри, marts/ создаётся (по умолчанию ./data)."
    ),
]
PresetOption = Annotated[
    str, typer.Option("--preset", help="Методика: имя (reference, urban_rural) или путь к .toml.")
]


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.fields[stage]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _reporter(progress: Progress):
    tasks: dict[str, Any] = {}

    def report(stage: str, message: str, done: int | None, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(message, total=total, stage=stage)
        progress.update(tasks[stage], description=message[-60:], completed=done, total=total)

    return report


@app.command()
def demo(
    data_dir: DataDirOption = None,
    seed: Annotated[
        int, typer.Option(help="Зерно генератора: тот же регион при том же зерне.")
    ] = 20241,
    schools: Annotated[int, typer.Option(help="Число школ демо-региона.")] = 600,
    last_year: Annotated[int, typer.Option(help="Последний год оценки.")] = 2026,
    years: Annotated[int, typer.Option(help="Число лет.")] = 3,
) -> None:
    """Создать синтетический демо-регион с известной истиной в DATA_DIR/raw."""
    from shnor.demo import generate_demo_region

    target = data_dir_from(data_dir)
    started = time.perf_counter()
    with console.status("Генерация демо-региона…") as status:
        try:
            summary = generate_demo_region(
                target,
                seed=seed,
                school_count=schools,
                last_year=last_year,
                year_count=years,
                progress=lambda message: status.update(f"Генерация демо-региона: {message}"),
            )
        except FileExistsError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from error
    console.print(
        f"Демо-регион: {summary.school_count} школ, годы {', '.join(map(str, summary.years))}, "
        f"{len(summary.files)} файлов, {summary.participant_row_count:,} строк участников "
        f"за {time.perf_counter() - started:.1f} с.\n"
        f"Исходные данные: {target / 'raw'}\nИстина для проверки: {summary.truth_path}"
    )


@app.command()
def run(
    data_dir: DataDirOption = None,
    preset: PresetOption = "reference",
    prefect: Annotated[
        bool, typer.Option(help="Запускать как поток Prefect (по умолчанию) или напрямую.")
    ] = True,
) -> None:
    """Загрузить данные из DATA_DIR/raw, проверить их, рассчитать флаги и опубликовать витрины
    и списки. Отчёт о проверке данных: DATA_DIR/validation/validation_report.html и .xlsx.

    Коды выхода: 0 — опубликовано без замечаний к файлам; 3 — опубликовано, но есть файлы в
    карантине; 4 — ничего не опубликовано (проверка витрин не пройдена или нет пригодных
    данных; прежние витрины оставлены); 2 — неверные аргументы; 1 — непредвиденная ошибка.
    """
    from shnor.presets import PresetError, load_preset

    target = data_dir_from(data_dir)
    try:
        load_preset(preset)
    except PresetError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if not (target / "raw").is_dir():
        console.print(
            f"[red]Нет папки с исходными данными {target / 'raw'}.[/red] Положите туда файлы "
            "(см. DATA_CONTRACT.md) или создайте демо-регион: [bold]shnor demo[/bold]"
        )
        raise typer.Exit(2)
    started = time.perf_counter()
    from shnor.progress import reporting_to

    try:
        with _progress() as progress, reporting_to(_reporter(progress)):
            if prefect:
                use_offline_prefect()
                progress.console.print("Запуск потока Prefect (локальный сервер)…")
                from flows.annual_list import annual_list

                result = annual_list(data_dir=str(target), preset=preset)
            else:
                from shnor.run import run_annual

                result = run_annual(target, preset)
    except Exception as error:  # the analyst gets a sentence and the log, not a traceback
        console.print(
            f"[red]Непредвиденная ошибка: {type(error).__name__}: {error}[/red]\n"
            "Опубликованные витрины не изменены. Сообщите разработчикам (с этим текстом)."
        )
        raise typer.Exit(1) from error
    _print_summary(result, time.perf_counter() - started)
    raise typer.Exit(result["exit_code"])


@app.command()
def methodology(
    preset: PresetOption = "reference",
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Куда записать страницу (иначе — на экран)."),
    ] = None,
) -> None:
    """Страница методики (Markdown, по-русски) с таблицей параметров выбранной методики."""
    from shnor.methodology import methodology_page
    from shnor.presets import PresetError, load_preset

    try:
        page = methodology_page(load_preset(preset))
    except PresetError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if output is None:
        typer.echo(page)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(page, encoding="utf-8")
        console.print(f"Страница методики: {output}")


def _print_summary(result: dict[str, Any], seconds: float) -> None:
    ingest, validation = result["ingest"], result["validation"]
    table = Table(title=f"Итоги {result['year'] or ''} года", show_header=False)
    table.add_row("Школ оценено", str(result["rated_count"]))
    table.add_row("Не оцениваются (малые выборки)", str(result["not_rated_count"]))
    table.add_row(
        "ШНОР (в списке)",
        f"{result['shnor_list_count']} (низкие два года подряд: {result['stable_low_count']})",
    )
    table.add_row("Группа риска", str(result["risk_group_count"]))
    table.add_row("ШНСУ (сложные социальные условия)", str(result["shnsu_count"]))
    table.add_row(
        "Файлы",
        f"новых {len(ingest['loaded'])}, исправленных {len(ingest['corrected'])}, "
        f"без изменений {len(ingest['unchanged'])}, удалённых {len(ingest['removed'])}, "
        f"в карантине {result['quarantined_file_count']}",
    )
    warnings = validation["warnings_by_rule"]
    table.add_row(
        "Предупреждений о данных",
        f"{sum(warnings.values())}"
        + (": " + ", ".join(f"{rule} {n}" for rule, n in list(warnings.items())[:4]))
        if warnings
        else "0",
    )
    console.print(table)
    status = result["status"]
    if status == "published":
        console.print(f"[green]Опубликовано[/green] (версия {result['version']}).")
    elif status == "unchanged":
        console.print("Исходные данные не изменились: опубликованные витрины оставлены как были.")
    else:
        reason = (
            "проверка витрин не пройдена: " + ", ".join(validation["mart_blocking"])
            if validation["mart_blocking"]
            else "нет пригодных данных результатов"
        )
        console.print(f"[red]Ничего не опубликовано[/red] ({reason}); прежние витрины оставлены.")
    for source, rows in validation["superseded"].items():
        console.print(
            f"Исправлен файл {source}: строки прежней версии ({rows['rows_before']}) заменены "
            f"новыми ({rows['rows_after']})."
        )
    quarantined = validation["quarantined"]
    if quarantined:
        console.print(f"[yellow]В карантине (не загружены, файлы не тронуты): {len(quarantined)}")
        for item in quarantined[:8]:
            console.print(f"  {item['file']} — {item['rules'] or 'см. отчёт'}")
        if len(quarantined) > 8:
            console.print(f"  … и ещё {len(quarantined) - 8}")
    for path in result["reports"]:
        if Path(path).name.startswith("school_list_") and path == _last_list(result):
            console.print(f"Список: [bold]{path}[/bold]")
    console.print(f"Отчёт о проверке данных: [bold]{result['validation_report']['html']}[/bold]")
    if result["manifest"]:
        console.print(f"Витрины: {Path(result['manifest']).parent}  ({seconds:.1f} с)")


def _last_list(result: dict[str, Any]) -> str | None:
    lists = [p for p in result["reports"] if Path(p).name.startswith("school_list_")]
    return lists[-1] if lists else None


if __name__ == "__main__":
    app()
