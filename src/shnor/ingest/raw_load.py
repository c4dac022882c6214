"""Load every file under raw/ into raw.* as read, tracked by checksum, with provenance on each row.

A file is read again only when it is new or its content changed (a correction replaces the rows
of the same path); a removed file takes its rows with it. A file that cannot be used is
quarantined: not loaded, left in place, and its problem recorded for the report. Rows land as
`unchecked` and become `loaded` only after the raw suites pass (shnor.ingest.raw_checks), so a
run killed in between checks them again next time. A byte copy of a loaded file under another
name is not read at all (it would count the same results twice).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from shnor.fingerprints import file_blocks, file_parts, fingerprint
from shnor.ingest.checkpoints import checkpoints_deferred
from shnor.ingest.file_batches import InsertFailed, file_batches
from shnor.ingest.headers import aliases_fingerprint
from shnor.ingest.layouts import RAW_FOLDERS, YEARLY_FOLDERS
from shnor.ingest.one_thread import one_thread
from shnor.ingest.raw_checks import check_files
from shnor.ingest.raw_tables import FILE_COLUMNS, delete_rows, ensure_raw_tables
from shnor.ingest.readers import SheetRead, SheetSkipped, UnreadableFile, read_file
from shnor.ingest.sql_rules import stated_school_year
from shnor.ingest.vpr_scales import scale_notes, scales_fingerprint
from shnor.problems import Problem, forget_file_problems, record_problems
from shnor.quality.suites import expectations_dir
from shnor.russian import counted

_IGNORED_NAMES = (".gitkeep", ".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass
class IngestSummary:
    """What one ingest pass did, file by file."""

    loaded: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    # Corrected file → rows before and after: the run says which rows were superseded.
    superseded: dict[str, dict[str, int]] = field(default_factory=dict)
    check_seconds: float = 0.0  # the raw suites' share of the ingest

    @property
    def changed(self) -> bool:
        """True when the warehouse's raw layer differs from before this pass."""
        return bool(self.loaded or self.corrected or self.removed)


def reading_fingerprint(reference_dir: Path | None = None) -> str:
    """A digest of what decides how a file reads and which of its rows pass the raw checks:
    the header aliases and ВПР scales in force, the ingest and quality code, the SQL macros and
    the raw suites. A file loaded under another fingerprint is read and checked again."""
    parts = [aliases_fingerprint(reference_dir), scales_fingerprint(reference_dir)]
    return fingerprint([*parts, _reading_code_digest()])[:16]


@cache
def _reading_code_digest() -> str:
    package = Path(str(resources.files("shnor")))
    files = [
        *package.glob("ingest/*.py"),
        *(p for p in package.glob("quality/**/*") if p.suffix in (".py", ".sql")),
        package / "sql" / "macros.sql",
        *expectations_dir().glob("raw_*.json"),
    ]
    return fingerprint(
        file_parts(files, lambda path: f"{path.relative_to(path.parent.parent).as_posix()}\n")
    )


def file_checksum(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    return fingerprint(file_blocks(path))


def raw_files(raw_dir: Path) -> list[Path]:
    """Input files under raw/, skipping hidden files, Excel lock files and placeholders."""
    found = []
    for path in sorted(raw_dir.rglob("*")):
        relative = path.relative_to(raw_dir)
        hidden = any(part.startswith((".", "~$")) for part in relative.parts)
        if path.is_file() and not hidden and path.name not in _IGNORED_NAMES:
            found.append(path)
    return found


def ingest_raw(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    reference_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestSummary:
    """Bring raw.* in line with the files under raw_dir; returns what changed."""
    ensure_raw_tables(con)
    summary = IngestSummary()
    fingerprint = reading_fingerprint(reference_dir)
    known = {
        source: (checksum, status, reading)
        for source, checksum, status, reading in con.execute(
            "SELECT source_file, checksum, status, reading_fingerprint FROM raw._files"
        ).fetchall()
    }
    files = raw_files(raw_dir)
    on_disk = {path.relative_to(raw_dir).as_posix(): path for path in files}
    # Many files to a commit, one checkpoint for the pass (file_batches, checkpoints_deferred),
    # the files inserted on one thread (one_thread).
    with checkpoints_deferred(con), one_thread(con), file_batches(con) as batches:
        for source in sorted(known.keys() - on_disk.keys()):
            batches.run(lambda _, source=source: _forget(con, source))
            summary.removed.append(source)
        # Content already loaded, by checksum: a copy under another name is not read again.
        first_with = {
            checksum: source
            for source, (checksum, status, _) in sorted(known.items(), reverse=True)
            if status == "loaded" and source in on_disk
        }
        for number, (source, path) in enumerate(sorted(on_disk.items()), start=1):
            if progress:
                progress(source, number, len(on_disk))
            checksum = file_checksum(path)
            # Read again only what may now read differently: new or changed content, a file
            # quarantined before, or header aliases (an analyst added one) or the reading and
            # checking code changed since (a file's rows and problems are as this shnor reads them).
            if known.get(source) == (checksum, "loaded", fingerprint):
                summary.unchanged.append(source)
                continue
            corrected = source in known and known[source][0] != checksum
            rows_before = _row_count(con, source) if corrected else 0
            if corrected and first_with.get(known[source][0]) == source:
                del first_with[known[source][0]]  # that content is no longer loaded from here
            if source in known:
                batches.run(lambda _, source=source: _forget(con, source))
            twin = first_with.get(checksum)
            if twin is not None and twin != source:
                copy = (path, source, checksum, twin, fingerprint)
                batches.run(lambda _, copy=copy: _record_copy(con, *copy))
                summary.quarantined.append(source)
                continue
            loading = (path, source, checksum, reference_dir, fingerprint)
            status, rows = batches.run(
                lambda alone, loading=loading: _load_file(con, *loading, alone=alone),
                rows=lambda outcome: outcome[1],
            )
            summary.rows_loaded += rows
            if status == "quarantined":
                summary.quarantined.append(source)
                continue
            first_with.setdefault(checksum, source)
            if corrected:
                summary.corrected.append(source)
                summary.superseded[source] = {"rows_before": rows_before, "rows_after": rows}
            else:
                summary.loaded.append(source)
    _check_unchecked(con, summary)
    return summary


def _check_unchecked(con: duckdb.DuckDBPyConnection, summary: IngestSummary) -> None:
    """Run the raw suites over every file not yet checked (this pass's, or a killed run's)."""
    unchecked = [
        row[0]
        for row in con.execute(
            "SELECT source_file FROM raw._files WHERE status = 'unchecked' ORDER BY source_file"
        ).fetchall()
    ]
    if not unchecked:
        return
    started = time.perf_counter()
    blocked = check_files(con, unchecked)
    summary.check_seconds = round(time.perf_counter() - started, 3)
    for source in sorted(blocked):
        summary.superseded.pop(source, None)
        for listed in (summary.loaded, summary.corrected):
            if source in listed:
                listed.remove(source)
        summary.quarantined.append(source)
    summary.quarantined.sort()
    summary.rows_loaded = sum(map(_row_count_of(con), summary.loaded + summary.corrected))


def _row_count_of(con: duckdb.DuckDBPyConnection) -> Callable[[str], int]:
    return lambda source: _row_count(con, source)


def _row_count(con: duckdb.DuckDBPyConnection, source: str) -> int:
    rows = con.execute("SELECT row_count FROM raw._files WHERE source_file = ?", [source])
    found = rows.fetchall()
    return int(found[0][0] or 0) if found else 0


def _record_copy(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: str,
    checksum: str,
    twin: str,
    fingerprint: str,
) -> None:
    """A byte copy of a loaded file: not read, recorded as quarantined, named as the copy."""
    folder, year, _ = _folder_of(source)
    record_problems(
        con,
        [
            Problem(
                source,
                "duplicate_file",
                "blocking",
                f"файл — точная копия уже загруженного файла «{twin}»: не загружен, чтобы "
                "результаты не учитывались дважды",
                "удалите копию (или замените исходный файл, если копия — исправление)",
                value=twin,
            )
        ],
    )
    con.execute(
        _insert_statement("_files", FILE_COLUMNS),
        [source, checksum, path.stat().st_size, folder, year, "quarantined", "", 0, None,
         dt.datetime.now(), fingerprint],
    )  # fmt: skip


def _forget(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Remove a file's rows, problems and registry entry (before a reload or after removal)."""
    delete_rows(con, source)
    forget_file_problems(con, source)
    con.execute("DELETE FROM raw._files WHERE source_file = ?", [source])


def _folder_of(source: str) -> tuple[str | None, int | None, Problem | None]:
    """(folder, year) from the file's place under raw/, or the problem with that place."""
    parts = source.split("/")
    folder = parts[0] if len(parts) > 1 else None
    if folder not in RAW_FOLDERS:
        return (
            None,
            None,
            Problem(
                source,
                "unknown_folder",
                "blocking",
                f"файл лежит вне известных папок raw/ ({', '.join(RAW_FOLDERS)})",
                "переложите файл в папку своего вида данных, например raw/vpr/2025/",
            ),
        )
    if folder not in YEARLY_FOLDERS:
        return folder, None, None
    year = parts[1] if len(parts) > 2 else ""
    if not (year.isdigit() and len(year) == 4):
        return (
            folder,
            None,
            Problem(
                source,
                "missing_year_folder",
                "blocking",
                f"в папке {folder}/ файл должен лежать в папке года, например {folder}/2025/"
                + (
                    " (сводная книга ЕГЭ по школам может лежать прямо в ege/, если каждый её "
                    "лист назван годом: «2023», «2023 год», «ЕГЭ-2023»)"
                    if folder == "ege"
                    else ""
                ),
                f"переложите файл в raw/{folder}/<год>/",
            ),
        )
    return folder, int(year), None


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: str,
    checksum: str,
    reference_dir: Path | None,
    fingerprint: str,
    alone: bool = True,
) -> tuple[str, int]:
    """Read one file and insert its recognised sheets, inside the caller's transaction;
    returns (status, rows loaded). When the rows cannot be inserted, the file is quarantined
    with its reason if it is `alone` in its transaction; else InsertFailed is raised (the
    batch is rolled back and this file loaded again alone)."""
    folder, year, problem = _folder_of(source)
    # A summary workbook whose sheets name their years needs no year folder (issue 18).
    yearless = problem is not None and problem.rule == "missing_year_folder" and folder == "ege"
    problems: list[Problem] = [problem] if problem and not yearless else []
    sheets: list[SheetRead | SheetSkipped] = []
    if not problems:
        try:
            sheets = read_file(path, folder, reference_dir)
        except UnreadableFile as error:
            problems.append(
                Problem(
                    source,
                    "unreadable_file",
                    "blocking",
                    f"файл не читается: {error}",
                    "сохраните файл заново как XLSX или CSV (UTF-8 или Windows-1251)",
                )
            )
    read = [s for s in sheets if isinstance(s, SheetRead)]
    if yearless and not problems and not _years_named(read):
        problems.append(problem)
    for sheet in read:
        if sheet.layout.raw_table == "vpr_participants":
            sheet.notes += scale_notes(sheet.table, year, reference_dir)
    problems += [p for s in sheets for p in _sheet_problems(source, s)]
    problems += [p for s in read for p in layout_checks(source, s, year)]
    problems += passport_year_notes(source, read, year)
    if sheets and not read:
        problems.append(
            Problem(
                source,
                "no_known_layout",
                "blocking",
                "ни один лист не похож на известный формат (см. docs/data-contract.md)",
                "проверьте заголовки столбцов; недостающие названия добавьте в "
                "reference/header_aliases.csv",
            )
        )
    fitting = [s for s in read if folder in s.layout.folders]
    for sheet in read:
        if folder not in sheet.layout.folders:
            # Another kind of table among the folder's own is skipped; a file with none of
            # the folder's kind is in the wrong place.
            problems.append(
                Problem(
                    source,
                    "folder_content_mismatch",
                    "warning" if fitting else "blocking",
                    f"содержимое («{sheet.layout.label_ru}») не соответствует папке {folder}/"
                    + ("; лист пропущен" if fitting else ""),
                    f"переложите данные в папку {sheet.layout.folders[0]}/",
                    sheet=sheet.sheet,
                )
            )
    read = fitting if fitting else read
    blocked = any(p.severity == "blocking" for p in problems)
    loaded_at = dt.datetime.now()
    rows = 0
    if not blocked:
        try:
            for sheet in read:
                rows += _insert_sheet(con, sheet, source, checksum, loaded_at)
        except duckdb.Error as error:  # one odd file must not stop the others from loading
            if not alone:
                raise InsertFailed(source) from error
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            blocked, rows = True, 0
            problems.append(
                Problem(
                    source,
                    "load_failed",
                    "blocking",
                    f"строки файла не удалось загрузить: {error}",
                    "сохраните файл заново (XLSX или CSV) и запустите расчёт снова",
                )
            )
    record_problems(con, problems)
    con.execute(
        _insert_statement("_files", FILE_COLUMNS),
        [
            source,
            checksum,
            path.stat().st_size,
            folder,
            year,
            "quarantined" if blocked else "unchecked",
            ",".join(sorted({s.layout.name for s in read})),
            rows,
            next((s.encoding for s in read if s.encoding), None),
            loaded_at,
            fingerprint,
        ],
    )
    return ("quarantined" if blocked else "loaded"), rows


def _years_named(read: list[SheetRead]) -> bool:
    """True when every sheet read is a summary sheet that names its year (its name, title or
    graduates header): such a workbook may lie in ege/ without a year folder."""
    return bool(read) and all(
        sheet.layout.name == "ege_school_summary"
        and "sheet_year" in sheet.table.column_names
        and None not in sheet.table["sheet_year"].to_pylist()
        for sheet in read
    )


def _insert_sheet(
    con: duckdb.DuckDBPyConnection,
    sheet: SheetRead,
    source: str,
    checksum: str,
    loaded_at: dt.datetime,
) -> int:
    targets = [(sheet.layout.raw_table, sheet.table)]
    if sheet.task_points is not None and sheet.task_points.num_rows:
        targets.append(("vpr_task_points", sheet.task_points))
    for raw_table, rows in targets:
        con.register("_incoming_sheet", rows)
        try:
            # provenance as constants of the statement: no column of a million copies is built
            con.execute(
                f"INSERT INTO raw.{raw_table} BY NAME SELECT *, ?::VARCHAR AS _source_file, "
                "?::VARCHAR AS _sheet, ?::VARCHAR AS _file_checksum, "
                "?::TIMESTAMP AS _loaded_at FROM _incoming_sheet",
                [source, sheet.sheet, checksum, loaded_at],
            )
        finally:
            con.unregister("_incoming_sheet")
    return sheet.table.num_rows


def _sheet_problems(source: str, sheet: SheetRead | SheetSkipped) -> list[Problem]:
    """Warnings about one sheet: skipped sheets, unknown or duplicate columns, malformed rows."""
    if isinstance(sheet, SheetSkipped):
        return [
            Problem(
                source,
                "sheet_skipped",
                "warning",
                f"лист пропущен: {sheet.reason}; первые ячейки: {', '.join(sheet.headers_seen)}",
                "если на листе нужные данные, проверьте заголовки столбцов",
                sheet=sheet.sheet,
            )
        ]
    problems = [
        Problem(
            source,
            "unknown_column",
            "warning",
            f"столбец «{header}» не распознан"
            + (" — сохранён как есть в extra_columns" if sheet.kept_unknown else " и не загружен"),
            "если он нужен, добавьте его название в reference/header_aliases.csv",
            sheet=sheet.sheet,
            row=sheet.header_row,
            column=header,
        )
        for header in sheet.unknown_headers
    ]
    problems += [
        Problem(
            source,
            "duplicate_column",
            "warning",
            f"столбец «{header}» повторяет уже найденный; взят первый",
            "удалите лишний столбец или переименуйте его",
            sheet=sheet.sheet,
            row=sheet.header_row,
            column=header,
        )
        for header in sheet.duplicate_headers
    ]
    problems += [
        Problem(
            source,
            "malformed_row",
            "warning",
            f"строка не загружена: {problem}",
            "исправьте строку в файле и запустите расчёт снова",
            sheet=sheet.sheet,
            row=line,
        )
        for line, problem in sheet.rejected_rows
    ]
    problems += [
        Problem(
            source,
            "total_row",
            "warning",
            "строка итогов или средних («Итого», «Всего по району», «Среднее по региону», итог "
            "территории без кода школы) — не школа, не загружена",
            "ничего делать не нужно; если это школа, переименуйте строку",
            sheet=sheet.sheet,
            row=line,
        )
        for line in sheet.total_rows
    ]
    problems += [
        Problem(
            source,
            note.rule,
            note.severity,
            note.message,
            note.action,
            sheet=sheet.sheet,
            row=note.row,
            column=note.column,
            value=note.value,
        )
        for note in sheet.notes
    ]
    if sheet.table.num_rows == 0 and not sheet.rejected_rows and not sheet.total_rows:
        problems.append(
            Problem(
                source,
                "no_data_rows",
                "warning",
                "после строки заголовков нет ни одной строки данных",
                "проверьте, тот ли файл выгружен",
                sheet=sheet.sheet,
                row=sheet.header_row,
            )
        )
    return problems


PERCENT_SUM_TOLERANCE = 2.0  # four rounded percentages may sum to 98–102


def layout_checks(source: str, sheet: SheetRead, folder_year: int | None) -> list[Problem]:
    """Checks only one layout needs: ВПР mark percentages summing to ~100 (blocking: the counts
    are derived from them), a summary sheet's own year differing from its folder (warning)."""
    problems: list[Problem] = []
    columns = sheet.table.column_names
    if {"mark_2_percent", "mark_5_percent"} <= set(columns):
        marks = [f"mark_{m}_percent" for m in (2, 3, 4, 5)]
        for values in sheet.table.select([*marks, "_row"]).to_pylist():
            shares = [_percent(values[m]) for m in marks]
            if all(s is None for s in shares) or any(s is None for s in shares):
                continue  # an empty row (no participants) or non-numbers, which staging reports
            total = sum(shares)
            if abs(total - 100) > PERCENT_SUM_TOLERANCE:
                problems.append(
                    Problem(
                        source,
                        "percent_sum",
                        "blocking",
                        f"доли отметок «2»–«5» в сумме дают {total:g}%, а не 100%",
                        "проверьте строку: проценты по отметкам должны давать в сумме 100",
                        sheet=sheet.sheet,
                        row=values["_row"],
                        value=f"{total:g}",
                    )
                )
    if "sheet_year" in columns and folder_year is not None and sheet.table.num_rows:
        years = {y for y in sheet.table["sheet_year"].to_pylist() if y}
        for year in sorted(years - {str(folder_year)}):
            problems.append(
                Problem(
                    source,
                    "sheet_year_differs",
                    "warning",
                    f"лист относится к {year} году, файл лежит в папке {folder_year}: строки "
                    f"листа загружены как {year} год; если тот же год есть в файле своей папки, "
                    "берётся он",
                    f"если лист нужен, положите книгу (или её копию) в ege/{year}/",
                    sheet=sheet.sheet,
                    value=year,
                )
            )
    return problems


def passport_year_notes(
    source: str, read: list[SheetRead], folder_year: int | None
) -> list[Problem]:
    """One warning for a social passport whose rows state other years than its folder's: they
    count for the year they state (macro passport_year), which the analyst should know."""
    stated: dict[int, int] = {}
    for sheet in read:
        if "context_year" not in sheet.table.column_names:
            continue
        for text in sheet.table["context_year"].to_pylist():
            year = stated_school_year(text)
            if year is not None and year != folder_year:
                stated[year] = stated.get(year, 0) + 1
    if folder_year is None or not stated:
        return []
    years = ", ".join(f"{year} год — {counted(n, 'строка')}" for year, n in sorted(stated.items()))
    return [
        Problem(
            source,
            "passport_year_differs",
            "warning",
            f"в файле «{Path(source).name}» из папки {folder_year} строки указывают другой год: "
            f"{years}; они учтены за указанный в строке год, не за {folder_year}",
            f"если год в строках верен, ничего делать не нужно; если верен год папки, исправьте "
            f"год в строках на {folder_year}",
            value=",".join(str(y) for y in sorted(stated)),
        )
    ]


def _percent(text: str | None) -> float | None:
    if text is None or not str(text).strip():
        return None
    try:
        return float(str(text).replace("%", "").replace(",", ".").replace(" ", "").strip())
    except ValueError:
        return None


def _insert_statement(table: str, columns: dict[str, str]) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    return f"INSERT INTO raw.{table} ({names}) VALUES ({', '.join('?' * len(columns))})"
