"""The `shnor` command: thin Typer commands over the library, with progress and Russian messages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shnor import russian
from shnor.cli_help import RussianCommand, RussianGroup
from shnor.config import data_dir_from, use_offline_prefect
from shnor.labels import rule_label

app = typer.Typer(
    cls=RussianGroup,
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


@app.command(cls=RussianCommand)
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
        f"Демо-регион: {russian.counted(summary.school_count, 'школа')}, годы "
        f"{', '.join(map(str, summary.years))}, {russian.counted(len(summary.files), 'файл')}, "
        f"{russian.counted(summary.participant_row_count, 'строка участников')} "
        f"за {russian.number(time.perf_counter() - started)} с.\n"
        f"Исходные данные: {target / 'raw'}\nИстина для проверки: {summary.truth_path}"
    )


@app.command("scale-data", cls=RussianCommand)
def scale_data(
    output: Annotated[Path, typer.Option("--output", help="Папка: по папке на регион внутри.")],
    regions: Annotated[int, typer.Option(help="Число регионов (в стране 85).")] = 85,
    schools_per_region: Annotated[
        int, typer.Option(help="Школ в регионе (≈40 000 школ страны на 85 регионов: 470).")
    ] = 470,
    pupils_per_grade: Annotated[int, typer.Option(help="Учеников в параллели, в среднем.")] = 37,
    years: Annotated[
        list[int] | None, typer.Option("--year", help="Год (можно несколько раз).")
    ] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="csv, parquet (рядом, в parquet/) или both.")
    ] = "csv",
    first_region: Annotated[int, typer.Option(help="Номер первого региона.")] = 1,
    seed: Annotated[int, typer.Option(help="Зерно генератора.")] = 20241,
) -> None:
    """Создать синтетические данные масштаба страны (для замеров): по папке на регион."""
    from shnor.scale_region import generate_scale_data

    started = time.perf_counter()
    with console.status("Генерация…") as status:
        try:
            written = generate_scale_data(
                output.resolve(),
                regions=regions,
                schools_per_region=schools_per_region,
                pupils_per_grade=pupils_per_grade,
                years=tuple(years or (2024, 2025, 2026)),
                file_format=file_format,
                first_region=first_region,
                seed=seed,
                progress=lambda name: status.update(f"Генерация: {name}"),
            )
        except (FileExistsError, ValueError) as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from error
    console.print(
        f"{russian.counted(len(written.regions), 'регион')}, "
        f"{russian.counted(written.participant_row_count, 'строка участников')} "
        f"за {russian.number(time.perf_counter() - started)} с: {output}"
    )


@app.command(cls=RussianCommand)
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
    данных; прежние витрины оставлены); 2 — неверные аргументы (или в этой папке уже идёт
    другой запуск); 1 — непредвиденная ошибка.
    """
    from shnor.history import RunInProgressError
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
            "(см. docs/data-contract.md) или создайте демо-регион: [bold]shnor demo[/bold]"
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
                from shnor.stages import run_annual

                result = run_annual(target, preset, trigger="cli")
    except RunInProgressError as error:  # one run at a time per data folder
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    except Exception as error:  # the analyst gets a sentence and the log, not a traceback
        raise _unexpected(error, "Опубликованные витрины не изменены. ") from error
    _print_summary(result, time.perf_counter() - started)
    raise typer.Exit(result["exit_code"])


@app.command("run-national", cls=RussianCommand)
def run_national(
    data_root: Annotated[
        Path, typer.Option("--data-root", help="Папка страны: по папке данных на регион внутри.")
    ],
    preset: PresetOption = "reference",
    task_runner: Annotated[
        str,
        typer.Option(
            "--task-runner", help="sequential — регионы по очереди; dask — на исполнителях Dask."
        ),
    ] = "sequential",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Адрес готового кластера Dask (tcp://…), иначе локальный."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Процессов локального кластера Dask (по умолчанию — ядер)."),
    ] = None,
    prefect: Annotated[
        bool, typer.Option(help="Запускать как поток Prefect (по умолчанию) или напрямую.")
    ] = True,
) -> None:
    """Рассчитать каждый регион (папки с raw/ внутри DATA_ROOT) и сводные таблицы по стране в
    DATA_ROOT/national. Отчёты региона — в его папке.

    Коды выхода: 0 — все регионы опубликованы; 3 — есть файлы в карантине; 4 — у какого-то
    региона ничего не опубликовано (в сводке — прежние витрины или причина); 2 — неверные
    аргументы; 1 — непредвиденная ошибка.
    """
    from shnor.national import region_folders
    from shnor.presets import PresetError, load_preset

    root = data_root.resolve()
    try:
        load_preset(preset)
        folders = region_folders(root)
    except (PresetError, FileNotFoundError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if task_runner not in ("sequential", "dask") or (task_runner == "dask" and not prefect):
        console.print("[red]--task-runner: sequential или dask (dask — только с Prefect).[/red]")
        raise typer.Exit(2)
    if not folders:
        console.print(f"[red]В {root} нет папок регионов (с папкой raw/ внутри).[/red]")
        raise typer.Exit(2)
    started = time.perf_counter()
    console.print(f"Регионов: {len(folders)}; {root}")
    from shnor.progress import reporting_to

    try:
        with _progress() as progress, reporting_to(_reporter(progress)):
            if prefect:
                use_offline_prefect()
                from flows.national_list import national_flow

                result = national_flow(task_runner, address, workers)(
                    data_root=str(root), preset=preset, task_runner=task_runner
                )
            else:
                from shnor.national import run_national as run_plain

                result = run_plain(root, preset, trigger="cli:national")
    except Exception as error:  # each region's history keeps its own traceback
        raise _unexpected(error) from error
    from shnor.national.run_log import append_national_run

    how = {"task_runner": task_runner if prefect else "no-prefect", "workers": workers,
           "address": address}  # fmt: skip
    append_national_run(root, result, how, time.perf_counter() - started)
    _print_national(result, time.perf_counter() - started)
    raise typer.Exit(result["exit_code"])


def _unexpected(error: Exception, kept: str = "") -> typer.Exit:
    """Exit 1 after one Russian sentence on an unexpected error (what stands, whom to tell)."""
    console.print(
        f"[red]Непредвиденная ошибка: {type(error).__name__}: {error}[/red]\n"
        f"{kept}Сообщите разработчикам (с этим текстом)."
    )
    return typer.Exit(1)


def _print_national(result: dict[str, Any], seconds: float) -> None:
    table = Table(title="Регионы")
    for column in ("Регион", "Итог", "Год", "ШНОР", "Сек"):
        table.add_column(column)
    for run in result["regions"]:
        outcome = OUTCOMES_RU.get(run["status"], run["status"])
        if run.get("error"):
            outcome += f"\n{run['error'][:200]}"
        table.add_row(
            run["region_code"],
            outcome,
            str(run.get("year") or ""),
            str(run.get("shnor_list_count") if run.get("shnor_list_count") is not None else ""),
            f"{run['seconds']:.0f}",
        )
    console.print(table)
    for record in result.get("reports") or []:
        if record.get("error"):  # busy or superseded: still pending; failed
            console.print(
                f"[yellow]Отчёты {record['region_code']}: {record['error'][:300]}[/yellow]",
                soft_wrap=True,
            )
    national = result["national"]
    state = "без изменений" if national["status"] == "unchanged" else "опубликованы"
    console.print(
        f"Сводные таблицы по стране ({national['year']} год) {state}: "
        f"[bold]{national['folder']}[/bold] ({russian.number(seconds)} с)",
        soft_wrap=True,
    )


@app.command(cls=RussianCommand)
def calibration(
    preset: PresetOption = "reference",
    regions: Annotated[int, typer.Option(help="Число смоделированных регионов.")] = 27,
    schools: Annotated[int, typer.Option(help="Школ в каждом регионе.")] = 500,
    output: Annotated[
        Path, typer.Option("--output", help="Куда записать таблицы надёжности.")
    ] = Path("benchmarks/CALIBRATION.md"),
) -> None:
    """Калибровка вероятностей на смоделированных регионах с известной истиной (§3)."""
    from shnor.calibration import calibration_report
    from shnor.presets import PresetError, load_preset

    try:
        page = calibration_report(load_preset(preset), regions, schools)
    except PresetError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    console.print(f"Калибровка: {output}")


@app.command(cls=RussianCommand)
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


@app.command(cls=RussianCommand)
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
    from shnor.history import RunInProgressError, run_lock
    from shnor.presets import PresetError, load_preset
    from shnor.publish import republish_with_reports

    paths = Paths(data_dir_from(data_dir))
    try:
        published = marts.manifest(paths.data_dir)
        chosen = load_preset(preset or published.get("preset_source") or "reference")
        known = marts.years(data_dir=paths.data_dir)
    except (marts.MartsNotFoundError, PresetError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    if (chosen.name, chosen.version) != (published.get("preset"), published.get("preset_version")):
        console.print(
            f"[red]Витрины рассчитаны по методике {published.get('preset')}@"
            f"{published.get('preset_version')}, а не {chosen.label}.[/red] Отчёты показывают "
            "опубликованные флаги; чтобы применить другую методику, выполните "
            f"[bold]shnor run --preset {preset}[/bold]."
        )
        raise typer.Exit(2)
    if year is not None and year not in known:
        console.print(f"[red]Нет данных за {year} год.[/red] Есть: {', '.join(map(str, known))}")
        raise typer.Exit(2)
    started = time.perf_counter()
    try:
        with run_lock(paths.data_dir), console.status("Сборка отчётов…"):
            version, written = republish_with_reports(
                paths, chosen, None if year is None else [year]
            )
    except RunInProgressError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    for path in written:
        if not path.name.startswith("municipality_"):
            console.print(f"Отчёт: [bold]{path}[/bold]")
    municipal = sum(p.name.startswith("municipality_") for p in written)
    console.print(
        f"Муниципальных файлов: {municipal}. Всего файлов: {len(written)} "
        f"({russian.number(time.perf_counter() - started)} с), папка {paths.reports} "
        f"(версия {version}; "
        "прежняя оставлена без изменений)"
    )


SchedulesOption = Annotated[
    Path | None,
    typer.Option(
        "--schedules",
        help="Файл расписаний сезонов (TOML); по умолчанию DATA_DIR/schedules.toml, если есть.",
    ),
]


def _seasons_or_exit(target: Path, schedules: Path | None) -> list[Any]:
    from shnor.schedules import ScheduleError, load_seasons, schedules_path

    try:
        return load_seasons(schedules_path(target, schedules))
    except ScheduleError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error


def _seasons_table(seasons: list[Any], source: Path | None) -> Table:
    table = Table(title=f"Расписания сезонов ({source or 'по умолчанию'})")
    for column in ("Развёртывание shnor-annual-list/…", "cron", "Пояс", "Ближайшие запуски"):
        table.add_column(column)
    for season in seasons:
        runs = (
            "\n".join(run.strftime("%d.%m.%Y %H:%M") for run in season.next_runs(3))
            if season.active
            else "выключено"
        )
        table.add_row(f"{season.name}\n{season.title}", season.cron, season.timezone, runs)
    return table


@app.command(cls=RussianCommand)
def schedules(
    data_dir: DataDirOption = None,
    preset: PresetOption = "reference",
    schedules: SchedulesOption = None,
    prefect_yaml: Annotated[
        Path | None,
        typer.Option(
            "--prefect-yaml", help="Записать prefect.yaml для развёртывания на рабочем пуле."
        ),
    ] = None,
    work_pool: Annotated[
        str, typer.Option(help="Рабочий пул Prefect (для prefect.yaml).")
    ] = "shnor",
    project_dir: Annotated[
        Path | None,
        typer.Option(help="Папка проекта на машине исполнителя (для prefect.yaml)."),
    ] = None,
) -> None:
    """Проверить расписания сезонов и показать ближайшие запуски; записать prefect.yaml."""
    from shnor.schedules import prefect_yaml as yaml_spec
    from shnor.schedules import schedules_path

    target = data_dir_from(data_dir)
    seasons = _seasons_or_exit(target, schedules)
    console.print(_seasons_table(seasons, schedules_path(target, schedules)))
    if prefect_yaml is not None:
        import yaml

        spec = yaml_spec(
            str(target), preset, seasons, work_pool, str((project_dir or Path.cwd()).resolve())
        )
        header = (
            "# Развёртывания shnor на рабочем пуле Prefect: prefect deploy --all\n"
            "# Сделано командой shnor schedules --prefect-yaml из расписаний сезонов;\n"
            "# после изменения schedules.toml сделайте файл заново.\n"
        )
        prefect_yaml.write_text(
            header + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        console.print(f"Записан {prefect_yaml}: [bold]prefect deploy --all[/bold] в этой папке.")


@app.command(cls=RussianCommand)
def serve(
    data_dir: DataDirOption = None,
    preset: PresetOption = "reference",
    schedules: SchedulesOption = None,
) -> None:
    """Обслуживать развёртывания сезонов локально (нужен сервер Prefect: PREFECT_API_URL)."""
    import os

    from shnor.presets import PresetError, load_preset
    from shnor.schedules import deployments, schedules_path

    target = data_dir_from(data_dir)
    try:
        load_preset(preset)
    except PresetError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    seasons = _seasons_or_exit(target, schedules)
    if not os.environ.get("PREFECT_API_URL"):
        console.print(
            "[red]Не задан PREFECT_API_URL.[/red] Расписания запускает сервер Prefect: "
            "запустите [bold]prefect server start[/bold] и задайте "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (см. docs/operations.md)."
        )
        raise typer.Exit(2)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")  # task logs reach the server
    use_offline_prefect()
    from prefect import serve as prefect_serve

    console.print(_seasons_table(seasons, schedules_path(target, schedules)))
    console.print(f"Данные: {target}; методика: {preset}. Остановка — Ctrl+C.")
    prefect_serve(*deployments(target, preset, seasons))


@app.command(cls=RussianCommand)
def status(
    data_dir: DataDirOption = None,
    last: Annotated[int, typer.Option("--last", help="Сколько последних запусков показать.")] = 10,
) -> None:
    """Последние запуски и что прочитает следующий (без загрузки и без блокировки хранилища)."""
    from shnor.history import current_run, history, pending_inputs

    target = data_dir_from(data_dir)
    running = current_run(target)
    if running:
        console.print(
            f"[yellow]Сейчас идёт запуск[/yellow] {running['run_id']} с {running['started_at']} "
            f"(методика {running['preset']}, {running['trigger']})"
        )
    runs = history(target)[-last:]
    if runs:
        console.print(_history_table(runs))
    else:
        console.print(f"Запусков ещё не было ({target / 'runs' / 'history.jsonl'} нет).")
    pending = pending_inputs(target)
    groups = (
        ("Новые файлы", pending.new),
        ("Изменённые (исправления)", pending.changed),
        ("Удалённые (их строки уйдут)", pending.removed),
        ("Снова из карантина", pending.retried),
    )
    table = Table(title="Следующий запуск прочитает", show_header=False)
    for label, files in groups:
        table.add_row(label, str(len(files)))
    table.add_row("Без изменений (не читаются)", str(len(pending.unchanged)))
    console.print(table)
    # Paths on their own lines, never folded by a table column (a path is copied as it is).
    for label, files in groups:
        for line in _listed(label, files):
            console.print(line, soft_wrap=True, highlight=False)
    if not pending.known and (pending.new or pending.unchanged):
        console.print("Прошлых сведений о файлах нет: следующий запуск прочитает все файлы.")


OUTCOMES_RU = {
    "published": "[green]опубликовано[/green]",
    "busy": "[red]занято другим запуском[/red]",
    "unchanged": "[green]без изменений[/green]",
    "not_published": "[yellow]не опубликовано[/yellow]",
    "failed": "[red]ошибка[/red]",
}


def _history_table(runs: list[dict[str, Any]]) -> Table:
    table = Table(
        title="Последние запуски",
        caption="Файлы: новые/исправленные/удалённые/без изменений/в карантине",
    )
    for column in ("Начат, запуск", "Итог", "Сек", "Файлы", "ШНОР/риск", "Методика"):
        table.add_column(
            column, no_wrap=column in ("Файлы", "Сек"), min_width=12 if column == "Итог" else 3
        )
    for run in reversed(runs):
        files = run.get("files", {})
        counts = "/".join(
            str(len(files.get(k, [])))
            for k in ("loaded", "corrected", "removed", "unchanged", "quarantined")
        )
        summary = run.get("summary", {})
        result = (
            f"{summary['year']}: {summary.get('shnor_list_count')}/"
            f"{summary.get('risk_group_count')}"
            if summary.get("year")
            else ""
        )
        outcome = OUTCOMES_RU.get(run["outcome"], run["outcome"])
        mode = {"full": "полная", "incremental": "по изм."}.get(run.get("build", {}).get("mode"))
        if mode:
            outcome += f"\nсборка {mode}"
        if run.get("error"):
            outcome += f"\n{run['error'][:200]}"
        table.add_row(
            run["started_at"][5:16].replace("T", " ") + "\n" + run["run_id"][:8],
            outcome,
            f"{run.get('seconds', 0):.0f}",
            counts,
            result,
            f"{run.get('preset')}@{run.get('preset_version')}",
        )
    return table


def _listed(label: str, files: list[str], shown: int = 5) -> list[str]:
    """«Новые файлы:» and up to `shown` paths, one a line (nothing when there are none)."""
    if not files:
        return []
    more = [f"  … и ещё {len(files) - shown}"] if len(files) > shown else []
    return [f"{label}:", *(f"  {path}" for path in files[:shown]), *more]


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
        + (": " + ", ".join(f"{rule_label(rule)} {n}" for rule, n in list(warnings.items())[:4]))
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
            "проверка витрин не пройдена: " + _rule_names(", ".join(validation["mart_blocking"]))
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
            console.print(
                f"  {item['file']} — {_rule_names(item['rules']) or 'см. отчёт'}", soft_wrap=True
            )
        if len(quarantined) > 8:
            console.print(f"  … и ещё {len(quarantined) - 8}")
    year = result["year"]
    for path in result["reports"]:
        if Path(path).name in (
            f"school_list_{year}.xlsx",
            f"year_over_year_{year - 1}_{year}.html",
        ):
            console.print(f"Отчёт: [bold]{path}[/bold]", soft_wrap=True)
    console.print(
        f"Отчёт о проверке данных: [bold]{result['validation_report']['html']}[/bold]",
        soft_wrap=True,
    )
    if result["manifest"]:
        console.print(f"Витрины: {Path(result['manifest']).parent}  ({russian.number(seconds)} с)")


if __name__ == "__main__":
    app()


def _rule_names(rules: str) -> str:
    """«missing_year_folder, percent_sum» → their Russian names for the console (the tables and
    the manifest keep the codes)."""
    return ", ".join(rule_label(rule) for rule in filter(None, rules.split(", ")))
