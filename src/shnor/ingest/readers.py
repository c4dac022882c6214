"""Read CSV and XLSX files as received into string tables, finding the header row by its names.

Values stay text here (raw is "as read"); staging casts them. CSV goes through pyarrow
(fast, streaming, no pandas); XLSX through calamine (docs/architecture.md: ~7× faster than
openpyxl).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from shnor.ingest.ege_summary import SummaryNote, metric_row, read_summary_sheet
from shnor.ingest.headers import (
    column_namer,
    is_task_column,
    normalized_cyrillic,
    subject_code,
    task_header,
)
from shnor.ingest.layouts import Layout, best_layout, layout_named
from shnor.ingest.text import cell_text as _text
from shnor.ingest.text import cell_texts, delimiters_by_frequency, detect_encoding
from shnor.ingest.vpr_exports import CLASS_SHEETS, EXPORT_LAYOUT, complete_export
from shnor.russian import counted

HEADER_SEARCH_ROWS = 30
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_PREVIEW_BYTES = 256 * 1024


class UnreadableFile(Exception):
    """The file cannot be read as a spreadsheet at all (the message says why, in Russian)."""


@dataclass
class SheetRead:
    """One recognised table: its layout, its canonical columns as strings, and what was left out."""

    sheet: str | None
    layout: Layout
    header_row: int  # 1-based row of the header in the file or sheet
    table: pa.Table  # canonical columns (strings) + `_row` (1-based source row)
    unknown_headers: list[str] = field(default_factory=list)
    task_headers: list[str] = field(default_factory=list)
    duplicate_headers: list[str] = field(default_factory=list)
    rejected_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, problem)
    total_rows: list[int] = field(default_factory=list)  # «Итого»/«Всего» rows left out
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[SummaryNote] = field(default_factory=list)  # layout readers' own findings
    task_points: pa.Table | None = None  # `_row`, task, points (text) of task columns
    kept_unknown: bool = False  # unknown columns kept in `extra_columns`


@dataclass
class SheetSkipped:
    """A sheet with no recognisable layout (reported, not loaded)."""

    sheet: str | None
    reason: str
    headers_seen: list[str] = field(default_factory=list)


def read_file(
    path: Path, folder: str | None, reference_dir: Path | None = None
) -> list[SheetRead | SheetSkipped]:
    """Every sheet of a file, recognised or skipped; raises UnreadableFile for non-spreadsheets."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise UnreadableFile("файл пустой (0 байт)")
    if suffix in CSV_SUFFIXES:
        return _completed([_read_csv(path, folder, reference_dir)], path)
    if suffix in XLSX_SUFFIXES:
        return _completed(list(_read_workbook(path, folder, reference_dir)), path)
    raise UnreadableFile(
        f"формат «{suffix or 'без расширения'}» не поддерживается: нужен CSV или XLSX"
    )


def _completed(
    sheets: list[SheetRead | SheetSkipped], path: Path
) -> list[SheetRead | SheetSkipped]:
    """ФИС ОКО exports completed from their file name and folder (subject, grade, form); the
    protocol workbook's sheet of classes and textbooks skipped with a note saying what it is."""
    if not any(isinstance(s, SheetRead) and s.layout.name == EXPORT_LAYOUT for s in sheets):
        return sheets
    done: list[SheetRead | SheetSkipped] = []
    for sheet in sheets:
        if isinstance(sheet, SheetRead) and sheet.layout.name == EXPORT_LAYOUT:
            sheet.table, notes = complete_export(sheet.table, path)
            sheet.notes += notes
        elif normalized_cyrillic(sheet.sheet) in CLASS_SHEETS:
            sheet = SheetSkipped(
                sheet.sheet,
                "лист классов и учебников протокола ВПР — не результаты участников",
                sheet.headers_seen if isinstance(sheet, SheetSkipped) else [],
            )
        done.append(sheet)
    return done


def _header_match(
    rows: list[list[object]], folder: str | None, reference_dir: Path | None
) -> tuple[int, Layout, list[str | None], list[str]] | None:
    """(row index of the header's last row, layout, canonical columns, header texts) of the
    first row that reads as a header — or, failing that, of two rows read together (a header
    cell split over two rows, or a group title above its columns)."""
    canonical_column = column_namer(reference_dir)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = [canonical_column(cell) for cell in row]
        layout = best_layout(columns, folder)
        if layout is not None:
            texts = [_text(cell) or "" for cell in row]
            below = rows[index + 1] if index + 1 < len(rows) else []
            numbers = _task_numbers_below(columns, below)
            if numbers:  # «Баллы за задания» over a row of task numbers: the numbers head them
                width = max(len(texts), max(numbers) + 1)
                texts += [""] * (width - len(texts))
                columns += [None] * (width - len(columns))
                for position, number in numbers.items():
                    texts[position] = number
                return index + 1, layout, columns, texts
            return index, layout, columns, texts
    for index in range(min(len(rows) - 1, HEADER_SEARCH_ROWS)):
        upper, lower = rows[index], rows[index + 1]
        texts, columns = [], []
        for position in range(max(len(upper), len(lower))):
            top = _text(upper[position]) if position < len(upper) else None
            bottom = _text(lower[position]) if position < len(lower) else None
            joined = " ".join(t for t in (top, bottom) if t)
            texts.append(joined)
            columns.append(
                canonical_column(joined)
                or (bottom and canonical_column(bottom))
                or (top and not bottom and canonical_column(top))
                or None
            )
        layout = best_layout(columns, folder)
        if layout is not None:
            return index + 1, layout, columns, texts
    return None


def _task_numbers_below(columns: list[str | None], below: list[object]) -> dict[int, str]:
    """Task numbers by position when the row under a header holds only task numbers, under
    columns the header does not name (a group title over them) — else nothing: a data row
    has values under the named columns."""
    cells = {p: _text(c) for p, c in enumerate(below) if _text(c)}
    unnamed = all(p >= len(columns) or columns[p] is None for p in cells)
    if cells and unnamed and all(is_task_column(t) for t in cells.values()):
        return {p: str(t) for p, t in cells.items()}
    return {}


def _selection(
    headers: list[str], columns: list[str | None], layout: Layout
) -> tuple[dict[int, str], dict[int, str], dict[int, str], list[str]]:
    """Positions to keep → canonical name; unknown and task positions → header; duplicates."""
    keep: dict[int, str] = {}
    unknown: dict[int, str] = {}
    tasks: dict[int, str] = {}
    duplicates: list[str] = []
    for position, (header, column) in enumerate(zip(headers, columns, strict=True)):
        text = str(header or "").strip()
        if column in layout.columns and column not in keep.values():
            keep[position] = column
        elif column in layout.columns:
            duplicates.append(text)
        elif is_task_column(text):
            tasks[position] = text
        elif text:
            unknown[position] = text
    return keep, unknown, tasks, duplicates


def _carried(layout: Layout, unknown: dict[int, str], tasks: dict[int, str]) -> dict[int, str]:
    """Positions read besides the kept columns: task columns, unknown columns the layout keeps."""
    carried = dict(tasks) if layout.has_tasks else {}
    if layout.keeps_unknown:
        carried |= unknown
    return carried


def _split_carried(
    table: pa.Table,
    layout: Layout,
    unknown: dict[int, str],
    tasks: dict[int, str],
    names: dict[int, str],
) -> tuple[pa.Table, pa.Table | None]:
    """(table with `extra_columns` JSON where the layout keeps unknown columns, task points in
    long form) from the carried columns, which `names` gives by position; those columns go."""
    points = None
    if layout.has_tasks and tasks:
        parts = []
        for position, task in tasks.items():
            values = table[names[position]]
            has_value = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(values), ""), False)
            number, maximum = task_header(task) or (task, None)
            part = pa.table(
                {
                    "_row": table["_row"],
                    "task": pa.repeat(pa.scalar(number, pa.string()), table.num_rows),
                    "points": values,
                    "max_points": pa.repeat(
                        pa.scalar(None if maximum is None else str(maximum), pa.string()),
                        table.num_rows,
                    ),
                }
            )
            parts.append(part.filter(has_value))
        points = pa.concat_tables(parts)
    if layout.keeps_unknown and unknown:
        columns = {header: table[names[p]].to_pylist() for p, header in unknown.items()}
        extra = []
        for values in zip(*columns.values(), strict=True):
            kept = {h: v for h, v in zip(columns, values, strict=True) if v not in (None, "")}
            extra.append(json.dumps(kept, ensure_ascii=False) if kept else None)
        table = table.append_column("extra_columns", pa.array(extra, pa.string()))
    dropped = [names[p] for p in _carried(layout, unknown, tasks)]
    return table.drop_columns(dropped), points


# --- CSV ---------------------------------------------------------------------------------


def _read_csv(
    path: Path, folder: str | None, reference_dir: Path | None
) -> SheetRead | SheetSkipped:
    with open(path, "rb") as handle:
        head = handle.read(_PREVIEW_BYTES)
    if b"\x00" in head[:4096]:
        raise UnreadableFile("файл не является текстовым CSV (двоичные данные)")
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="ignore")
    lines = text.splitlines()[: HEADER_SEARCH_ROWS + 1]
    found, rows, delimiter = None, [], ";"
    for delimiter in delimiters_by_frequency(lines):  # the one under which a header is found
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        metrics_at = metric_row(rows, reference_dir)
        if metrics_at is not None:  # a §4 summary sheet saved as CSV
            return _summary_csv(path, encoding, delimiter, metrics_at, reference_dir)
        found = _header_match(rows, folder, reference_dir)
        if found is not None:
            break
    if found is None:
        rows = list(
            csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiters_by_frequency(lines)[0])
        )
        return SheetSkipped(None, "не найдена строка заголовков известного формата", _first(rows))
    index, layout, columns, headers = found
    keep, unknown, tasks, duplicates = _selection(headers, columns, layout)
    carried = _carried(layout, unknown, tasks)
    first_data_line = index + 2  # 1-based line of the first data row
    read = keep | carried
    try:
        table, rejected = _arrow_csv(path, index, encoding, delimiter, len(headers), read, True)
        if rejected and any(line is None for line, _ in rejected):
            # Only the single-threaded reader knows the line numbers of malformed rows.
            table, rejected = _arrow_csv(
                path, index, encoding, delimiter, len(headers), read, False
            )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise UnreadableFile(f"CSV не читается ({encoding}, «{delimiter}»): {error}") from error
    table = _with_row_numbers(table, first_data_line, [line for line, *_ in rejected])
    table, points = _split_carried(table, layout, unknown, tasks, {p: f"c{p}" for p in carried})
    table = table.rename_columns(
        [keep[int(n[1:])] if n.startswith("c") and n[1:].isdigit() else n
         for n in table.column_names]
    )  # fmt: skip
    table, problems = _recover_short_rows(table, rejected, delimiter, len(headers), keep)
    table, totals = _without_total_rows(_without_empty_rows(table))
    table = _with_title(table, layout, rows[:index], reference_dir)
    return SheetRead(
        sheet=None,
        layout=layout,
        header_row=index + 1,
        table=table,
        unknown_headers=list(unknown.values()),
        task_headers=list(tasks.values()),
        duplicate_headers=duplicates,
        rejected_rows=problems,
        total_rows=totals,
        encoding=encoding,
        delimiter=delimiter,
        task_points=points,
        kept_unknown=layout.keeps_unknown,
    )


def _arrow_csv(
    path: Path,
    header_index: int,
    encoding: str,
    delimiter: str,
    width: int,
    keep: dict[int, str],
    use_threads: bool,
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """The kept columns as strings, and the malformed rows skipped as (line, text)."""
    rejected: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        rejected.append((row.number, row.text))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            encoding=encoding,
            skip_rows=header_index + 1,
            column_names=names,
            block_size=8 << 20,
            use_threads=use_threads,
        ),
        # Blank lines are kept (as malformed rows, dropped later) so line numbers stay true.
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            include_columns=[names[i] for i in keep],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, rejected


def _with_row_numbers(table: pa.Table, first_line: int, skipped_lines: list[int]) -> pa.Table:
    """Attach the 1-based source line of every row (accounting for skipped lines)."""
    numbers = np.arange(
        first_line, first_line + table.num_rows + len(skipped_lines), dtype=np.int64
    )
    if skipped_lines:
        numbers = np.setdiff1d(numbers, np.array(skipped_lines, dtype=np.int64))
    return table.append_column("_row", pa.array(numbers[: table.num_rows]))


def _recover_short_rows(
    table: pa.Table,
    rejected: list[tuple[int, str]],
    delimiter: str,
    width: int,
    keep: dict[int, str],
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Rows with missing trailing cells (or extra empty ones) padded back in; others reported."""
    recovered: dict[str, list] = {column: [] for column in keep.values()} | {"_row": []}
    problems: list[tuple[int, str]] = []
    for line, text in rejected:
        if not text.strip():
            continue  # a blank line carries nothing
        fields = next(csv.reader([text], delimiter=delimiter), [])
        if len(fields) > width and any(f.strip() for f in fields[width:]):
            problems.append((line, f"в строке {len(fields)} полей, в заголовке {width}"))
            continue
        fields = (fields + [""] * width)[:width]
        for position, column in keep.items():
            recovered[column].append(fields[position])
        recovered["_row"].append(line)
    if not recovered["_row"]:
        return table, problems
    for name in table.column_names:  # columns made from carried ones (extra_columns): empty
        recovered.setdefault(name, [None] * len(recovered["_row"]))
    extra = pa.table(recovered, schema=table.schema)
    return pa.concat_tables([table, extra]).sort_by("_row"), problems


# Labels of totals and subtotals: «Итого», «Всего по району», «По муниципалитету».
_TOTAL_WORDS = (
    r"^\s*(итог|всего|total|"
    r"по\s+(региону|области|краю|республике|округу|району|городу|муниципалитет|мо(\s|$)))"
)
# Labels of means: «В среднем», «Среднее по региону», «Средний балл» — a total only on a row
# without a school code: «Средняя школа …», «Среднее профессиональное …», a village «Средний
# Икорец» are names.
_MEAN_WORDS = r"^\s*(в среднем|средн(ее|ий|ие)(\s+(балл|значение|арифм|по(\s|$))|\s*$))"
_IDENTITY_COLUMNS = ("school_code", "school_name", "municipality_name")
# A participant table's row with neither a school code nor a participant, only a name or a
# municipality, and no result (a subtotal of a district, a mean of the region), is not anyone's
# result. With a result it is a pupil whose school code is missing (reported at build time:
# missing_school_code, asking for the code).
_PARTICIPANT_KEYS = ("school_code", "participant_id")
_PLACE_COLUMNS = ("school_name", "municipality_name", "region_name")
_RESULT_COLUMNS = ("mark", "test_score", "primary_score", "variant", "class_label", "journal_mark")


def _without_total_rows(table: pa.Table) -> tuple[pa.Table, list[int]]:
    """Rows whose identification cells say «Итого»/«Всего»/«По району» are totals, not schools;
    so are rows without a school code saying «Среднее по региону»/«Средний балл», and rows of a
    participant table that name a place but no school code, no participant and no result. Left
    out and returned by their row numbers, so that the loader reports them."""
    columns = [c for c in _IDENTITY_COLUMNS if c in table.column_names]
    if not columns or table.num_rows == 0:
        return table, []
    no_code = (
        _blank(table["school_code"])
        if "school_code" in table.column_names
        else pa.chunked_array([pa.array([True] * table.num_rows)])
    )
    is_total = None
    for name in columns:
        # case-blind matching, not a lower-cased copy of every cell; once per distinct cell
        cells = pc.fill_null(table[name], "")
        distinct = pc.unique(cells)
        at = pc.index_in(cells, value_set=distinct)
        total = pc.match_substring_regex(distinct, _TOTAL_WORDS, ignore_case=True)
        mean = pc.match_substring_regex(distinct, _MEAN_WORDS, ignore_case=True)
        hit = pc.or_(pc.take(total, at), pc.and_(no_code, pc.take(mean, at)))
        is_total = hit if is_total is None else pc.or_(is_total, hit)
    if set(_PARTICIPANT_KEYS) <= set(table.column_names):
        places = [c for c in _PLACE_COLUMNS if c in table.column_names]
        unnamed = pc.and_(*(_blank(table[c]) for c in _PARTICIPANT_KEYS))
        for name in _RESULT_COLUMNS:
            if name in table.column_names:
                unnamed = pc.and_(unnamed, _blank(table[name]))
        placed = [pc.invert(_blank(table[c])) for c in places]
        if placed:
            some_place = placed[0]
            for other in placed[1:]:
                some_place = pc.or_(some_place, other)
            is_total = pc.or_(is_total, pc.and_(unnamed, some_place))
    totals = table.filter(is_total)["_row"].to_pylist()
    return table.filter(pc.invert(is_total)), totals


def _blank(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where a cell is empty or only spaces."""
    return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(values), ""), True)


def _without_empty_rows(table: pa.Table) -> pa.Table:
    """Rows whose every kept cell is empty (a line of bare delimiters) carry nothing."""
    data = [c for c in table.column_names if c != "_row"]
    if not data or table.num_rows == 0:
        return table
    filled = None
    for name in data:
        has_text = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(table[name]), ""), False)
        filled = has_text if filled is None else pc.or_(filled, has_text)
        if pc.all(filled).as_py():
            return table  # every row has text already: the other columns need no look
    return table.filter(filled)


# --- XLSX --------------------------------------------------------------------------------


def _read_workbook(
    path: Path, folder: str | None, reference_dir: Path | None
) -> Iterator[SheetRead | SheetSkipped]:
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for broken files
        raise UnreadableFile(f"книга Excel не открывается: {error}") from error
    hidden = {m.name for m in workbook.sheets_metadata if m.visible != SheetVisibleEnum.Visible}
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as error:
            yield SheetSkipped(name, f"лист не читается: {error}")
            continue
        if name in hidden:
            yield _hidden_sheet(name, rows)
            continue
        yield _sheet_table(name, rows, folder, reference_dir, _vertical_merges(sheet))


def _hidden_sheet(name: str, rows: list[list[object]]) -> SheetSkipped:
    """A hidden sheet is not read: the analyst does not see it (an old copy, a lookup list),
    and its rows would count beside the visible ones. Skipped, saying how many rows it holds."""
    filled = sum(1 for row in rows if any(_text(c) for c in row))
    return SheetSkipped(
        name,
        f"лист скрыт и не загружен, в нём {counted(filled, 'непустая строка')} (если данные "
        "нужны, покажите лист в Excel: «Показать…»)",
        _first(rows),
    )


def _vertical_merges(sheet: object) -> list[tuple[int, int, int]]:
    """(column, first row, last row), 0-based, of the sheet's cells merged down several rows."""
    ranges = getattr(sheet, "merged_cell_ranges", None) or []
    return [(c0, r0, r1) for (r0, c0), (r1, c1) in ranges if r1 > r0 and c1 == c0]


def _summary_csv(
    path: Path, encoding: str, delimiter: str, metrics_at: int, reference_dir: Path | None
) -> SheetRead | SheetSkipped:
    """A §4 summary sheet saved as CSV (a few thousand lines at most): read whole, then as the
    sheet it was; the year comes from the file name or the header, as a sheet's would."""
    try:
        with open(path, encoding=encoding, newline="") as handle:
            rows: list[list[object]] = list(csv.reader(handle, delimiter=delimiter))
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"CSV не читается ({encoding}): {error}") from error
    read = _summary_read(None, path.stem, rows, metrics_at, reference_dir)
    if isinstance(read, SheetRead):
        read.encoding, read.delimiter = encoding, delimiter
    return read


def _summary_read(
    sheet: str | None,
    name: str,
    rows: list[list[object]],
    metrics_at: int,
    reference_dir: Path | None,
) -> SheetRead | SheetSkipped:
    """The §4 summary table of a sheet (`name` is read for its year), or why it is skipped."""
    summary = read_summary_sheet(name, rows, metrics_at, reference_dir)
    if isinstance(summary, str):
        return SheetSkipped(sheet, summary, _first(rows))
    return SheetRead(
        sheet=sheet,
        layout=layout_named("ege_school_summary"),
        header_row=summary.header_row,
        table=summary.table,
        total_rows=summary.total_rows,
        notes=summary.notes,
    )


def _sheet_table(
    name: str,
    rows: list[list[object]],
    folder: str | None,
    reference_dir: Path | None,
    merges: list[tuple[int, int, int]] = (),
) -> SheetRead | SheetSkipped:
    metrics_at = metric_row(rows, reference_dir)
    if metrics_at is not None:
        return _summary_read(name, name, rows, metrics_at, reference_dir)
    found = _header_match(rows, folder, reference_dir)
    if found is None:
        return SheetSkipped(name, _skip_reason(rows), _first(rows))
    index, layout, columns, headers = found
    _fill_merged_down(rows, merges, below=index)
    keep, unknown, tasks, duplicates = _selection(headers, columns, layout)
    carried = _carried(layout, unknown, tasks)
    names = {p: f"_carried_{p}" for p in carried}
    read = keep | names
    body = rows[index + 1 :]
    shortest = min(map(len, body), default=0)
    texts = {column: cell_texts(_column_cells(body, p, shortest)) for p, column in read.items()}
    # an empty row carries nothing (a row empty in the read columns is looked at whole)
    filled = [any(cells) for cells in zip(*texts.values(), strict=True)] or [False] * len(body)
    filled = [is_in or any(map(_text, row)) for is_in, row in zip(filled, body, strict=True)]
    data = {column: list(compress(values, filled)) for column, values in texts.items()}
    row_numbers = list(compress(range(index + 2, index + 2 + len(body)), filled))
    table = pa.table({column: pa.array(values, pa.string()) for column, values in data.items()})
    table = table.append_column("_row", pa.array(row_numbers, pa.int64()))
    table, points = _split_carried(table, layout, unknown, tasks, names)
    table, totals = _without_total_rows(table)
    table = _with_title(table, layout, rows[:index], reference_dir)
    return SheetRead(
        sheet=name,
        layout=layout,
        header_row=index + 1,
        table=table,
        unknown_headers=list(unknown.values()),
        task_headers=list(tasks.values()),
        duplicate_headers=duplicates,
        total_rows=totals,
        task_points=points,
        kept_unknown=layout.keeps_unknown,
    )


def _column_cells(rows: list[list[object]], position: int, shortest: int) -> list[object]:
    """The cells of one column of `rows` (the shortest has `shortest` cells), None where a row
    is shorter."""
    if position < shortest:
        return list(map(itemgetter(position), rows))
    return [row[position] if position < len(row) else None for row in rows]


def _fill_merged_down(rows: list[list[object]], merges, below: int) -> None:
    """A data cell merged down over several rows (a school's code over its pupils) gives its
    value to every row it covers, as the analyst reads it; the header's merges are left alone."""
    for column, first, last in merges:
        if first <= below or first >= len(rows) or column >= len(rows[first]):
            continue
        value = rows[first][column]
        for row in rows[first + 1 : last + 1]:
            if column < len(row):
                row[column] = value


# Sheets that regional workbooks carry beside results: recognised by a word of their headers.
_OTHER_SHEETS = (
    ("заявлен", "лист заявлений на участие в экзамене — не результаты"),
    ("заявк", "лист заявок на участие в экзамене — не результаты"),
    ("расписан", "расписание экзаменов — не результаты"),
)


def _skip_reason(rows: list[list[object]]) -> str:
    """Why a sheet without a known header is skipped, in Russian."""
    head = [normalized_cyrillic(c) for r in rows[:HEADER_SEARCH_ROWS] for c in r if _text(c)]
    if not head and not any(any(_text(c) for c in r) for r in rows[:50]):
        return "лист пуст"
    for word, reason in _OTHER_SHEETS:
        if any(word in cell for cell in head):
            return reason
    return "не найдена строка заголовков известного формата"


_TITLED = ("title_subject", "title_grade", "title_year")
_TITLE_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_TITLE_GRADE = re.compile(
    r"(?:(\d{1,2})\s*(?:-?й\s*)?(?:класс|кл\b)|(?:класс|параллель)\D{0,3}(\d{1,2}))"
)


def _with_title(
    table: pa.Table, layout: Layout, title_rows: list[list[object]], reference_dir: Path | None
) -> pa.Table:
    """Summary layouts name subject, grade and year in title lines above the table (ФИС ОКО
    «Статистика по отметкам»): those lines, as read, become the title_* columns of every row."""
    if not set(_TITLED) <= set(layout.columns):
        return table
    lines = [" ".join(t for t in (_text(c) for c in row) if t) for row in title_rows]
    lines = [line for line in lines if line]
    subject = None
    for line in lines:
        match = re.search(r"предмет\s*[:\-]\s*(.+)", line, re.I)
        if match:
            subject = match.group(1).strip()
            break
    if subject is None:
        subject = next(
            (line for line in lines if subject_code(_TITLE_GRADE.sub(" ", line), reference_dir)[1]),
            None,
        )
    grade = next(
        (
            m.group(1) or m.group(2)
            for line in lines
            if (m := _TITLE_GRADE.search(normalized_cyrillic(line)))
        ),
        None,
    )
    year = next((m.group(1) for line in lines if (m := _TITLE_YEAR.search(line))), None)
    for column, value in zip(_TITLED, (subject, grade, year), strict=True):
        table = table.append_column(column, pa.array([value] * table.num_rows, pa.string()))
    return table


def _first(rows: list[list[object]]) -> list[str]:
    return [t for t in (_text(c) for c in (rows[0] if rows else [])) if t][:20]
