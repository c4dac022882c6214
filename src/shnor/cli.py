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
    """Загрузить данные из DATA_DIR/raw, рассчитать флаги и опубликовать витрины и списки."""
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

    with _progress() as progress, reporting_to(_reporter(progress)):
        if prefect:
            use_offline_prefect()
            progress.console.print("Запуск потока Prefect (локальный сервер)…")
            from flows.annual_list import annual_list

            result = annual_list(data_dir=str(target), preset=preset)
        else:
            from shnor.run import run_annual

            result = run_annual(target, preset)
    _print_summary(result, time.perf_counter() - started)


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


@app.command()
def report(
    data_dir: DataDirOption = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="Год отчёта (по умолчанию — все годы списков и последний год анализа)."
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="Методика (по умолчанию — та, с которой выполнен расчёт)."),
    ] = None,
) -> None:
    """Пересобрать отчёты (списки, сравнительный анализ, муниципалитеты) из витрин."""
    from shnor import marts
    from shnor.config import Paths
    from shnor.presets import PresetError, load_preset
    from shnor.reports.build import regenerate_reports

    paths = Paths(data_dir_from(data_dir))
    try:
        published = marts.manifest(paths.data_dir)
        chosen = load_preset(preset or published.get("preset_source") or "reference")
        known = marts.years(data_dir=paths.data_dir)
    except (marts.MartsNotFoundError, PresetError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if year is not None and year not in known:
        console.print(f"[red]Нет данных за {year} год.[/red] Есть: {', '.join(map(str, known))}")
        raise typer.Exit(2)
    started = time.perf_counter()
    with console.status("Сборка отчётов…"):
        written = regenerate_reports(
            paths.marts, paths.reports, chosen, None if year is None else [year]
        )
    for path in written:
        if not path.name.startswith("municipality_"):
            console.print(f"Отчёт: [bold]{path}[/bold]")
    municipal = sum(p.name.startswith("municipality_") for p in written)
    console.print(
        f"Муниципальных файлов: {municipal}. Всего файлов: {len(written)} "
        f"({time.perf_counter() - started:.1f} с), папка {paths.reports}"
    )


def _print_summary(result: dict[str, Any], seconds: float) -> None:
    table = Table(title=f"Итоги {result['year']} года", show_header=False)
    table.add_row("Школ оценено", str(result["rated_count"]))
    table.add_row("Не оцениваются (малые выборки)", str(result["not_rated_count"]))
    table.add_row(
        "ШНОР (в списке)",
        f"{result['shnor_list_count']} (низкие два года подряд: {result['stable_low_count']})",
    )
    table.add_row("Группа риска", str(result["risk_group_count"]))
    table.add_row("ШНСУ (сложные социальные условия)", str(result["shnsu_count"]))
    ingest = result["ingest"]
    table.add_row(
        "Файлы",
        f"новых {len(ingest['loaded'])}, исправленных {len(ingest['corrected'])}, "
        f"без изменений {len(ingest['unchanged'])}, удалённых {len(ingest['removed'])}, "
        f"в карантине {len(ingest['quarantined'])}",
    )
    table.add_row("Предупреждений о данных", str(result["warning_count"]))
    console.print(table)
    year = result["year"]
    for path in result["reports"]:
        if Path(path).name in (f"school_list_{year}.xlsx", f"comparative_{year}.html"):
            console.print(f"Отчёт: [bold]{path}[/bold]")
    console.print(f"Витрины: {Path(result['manifest']).parent}  ({seconds:.1f} с)")
    if ingest["quarantined"]:
        console.print(
            "[yellow]В карантине (не загружены):[/yellow] " + ", ".join(ingest["quarantined"])
        )


if __name__ == "__main__":
    app()
