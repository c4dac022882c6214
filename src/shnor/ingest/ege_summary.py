"""The ЕГЭ school summary workbook (docs/data-contract.md): one sheet per year, title rows, a header
block over up to three rows (identity columns, then a merged subject cell over five metric
columns), merged or repeated municipality cells or a municipality subtotal row above its
schools, region totals first or last, an optional row of column numbers.

A sheet becomes long rows (one per school × subject with any figure) as text; totals and
subtotals are never schools: they are left out, reported, and used to check the schools' sums.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import pyarrow as pa

from shnor.ingest.headers import (
    canonical_column,
    column_namer,
    normalized_cyrillic,
    subject_code,
)
from shnor.ingest.school_names import municipality_key
from shnor.ingest.sql_rules import is_region_name, is_total_label
from shnor.ingest.summary_totals import Counts, TotalMatch, find_totals
from shnor.ingest.text import cell_text as _text

METRICS = ("participant_count", "fail_count", "high_80_99_count", "hundred_count", "mean_score")
CHECKED = ("participant_count", "fail_count")  # the counts a total row is checked on
IDENTITY = ("municipality_name", "school_name", "profile", "graduate_count")
# What a school row under a bare town's name («Барнаул») carries for the build to place it:
# the town, and whether the sheet has the region's own total (then the town is not the region).
TOWN = ("town_heading", "sheet_has_region_row")
HEADER_DEPTH = 3  # rows of the header block above and including the metric row
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
# Words of a school's name: a row so named is a total by arithmetic only when it sums the sheet.
# The abbreviations as whole words: «Россошанский район», «Коношский район» are places.
_SCHOOL = re.compile(
    r"(школ|\b(сош|оош|нош)\b|лицей|гимнази|интернат|кадет|учрежден|центр образован|колледж"
    r"|\b[а-я]{0,3}оу\b|\bано\b|\bоо\b|\d)"
)
_TERRITORY = re.compile(
    r"(район|округ|област|\bкра[йяю]\b|республик|\bгород|\bг\b|\bмо\b|муниципал|регион|субъект"
    r"|\bр[ -]?н$|\bмр$|\bзато\b|улус)"  # normalized: «р-н» is «р н»
)
_GRADUATES = re.compile(r"^(всего )?выпускник")
# Rows of participants who are not a school's graduates: «Выпускники прошлых лет» (ВПЛ),
# «Обучающиеся СПО», «… профессиональных образовательных организаций».
_GROUP = re.compile(r"(прошлых лет|\bвпл\b|\bспо\b|профессиональн\w* образовательн)")


@dataclass(frozen=True)
class SummaryNote:
    """Something the reader noticed on the sheet, for the problems table."""

    rule: str
    message: str
    action: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "warning"


@dataclass
class SummarySheet:
    """One sheet read as the summary layout."""

    header_row: int  # 1-based row of the metric row
    table: pa.Table  # the layout's columns as text + `_row`
    sheet_year: int | None
    total_rows: list[int]
    notes: list[SummaryNote]


def metric_row(rows: list[list[object]], reference_dir: Path | None) -> int | None:
    """Index of the row naming the metrics (participants, below threshold and at least one
    more of the five), or None: not a summary sheet."""
    canonical_column = column_namer(reference_dir)
    for index, row in enumerate(rows[:30]):
        found = [canonical_column(cell) for cell in row if _text(cell)]
        if {"participant_count", "fail_count"} <= set(found) and len(
            set(found) & set(METRICS)
        ) >= 3:
            return index
    return None


def read_summary_sheet(
    name: str, rows: list[list[object]], metric_index: int, reference_dir: Path | None
) -> SummarySheet | str:
    """The sheet's school rows in long form, or the reason it cannot be read (Russian)."""
    width = max(len(r) for r in rows[: metric_index + 1])
    grid = [list(r) + [None] * (width - len(r)) for r in rows]
    metrics = {
        c: canonical_column(grid[metric_index][c], reference_dir)
        for c in range(width)
        if canonical_column(grid[metric_index][c], reference_dir) in METRICS
    }
    first_metric = min(metrics)
    top = max(0, metric_index - HEADER_DEPTH + 1)
    identity = _identity_columns(grid, top, metric_index, first_metric, reference_dir)
    if "school_name" not in identity:
        return "в шапке сводной таблицы нет столбца с названием школы"
    blocks, notes = _subject_blocks(grid, top, metric_index, metrics, reference_dir)
    if not blocks:
        return "в шапке сводной таблицы не найдены названия предметов над показателями"
    graduates_header = _column_header(grid, top, metric_index, identity.get("graduate_count"))
    sheet_year = _first_year([name, graduates_header, *(" ".join(_cells(r)) for r in grid[:top])])
    start = metric_index + 1
    if start < len(grid) and _is_column_numbers(grid[start]):
        notes.append(
            SummaryNote(
                "column_numbers_row",
                "строка с номерами столбцов (1, 2, 3 …) под шапкой — не данные, пропущена",
                "ничего делать не нужно",
                row=start + 1,
            )
        )
        start += 1
    return _body(grid, start, identity, blocks, metric_index, sheet_year, notes)


def _identity_columns(
    grid: list[list[object]], top: int, bottom: int, before: int, reference_dir: Path | None
) -> dict[str, int]:
    """Canonical identity column → position, from the header cells left of the metrics (a
    header split over two rows is read joined as well as cell by cell)."""
    found: dict[str, int] = {}
    for column in range(before):
        cells = [_text(grid[r][column]) for r in range(top, bottom + 1)]
        texts = [t for t in cells if t]
        candidates = [" ".join(texts), *texts]
        for text in candidates:
            canonical = canonical_column(text, reference_dir)
            if canonical is None and _GRADUATES.search(normalized_cyrillic(text)):
                canonical = "graduate_count"
            if canonical in IDENTITY and canonical not in found:
                found[canonical] = column
                break
    return found


def _column_header(grid, top: int, bottom: int, column: int | None) -> str:
    if column is None:
        return ""
    return " ".join(t for t in (_text(grid[r][column]) for r in range(top, bottom + 1)) if t)


def _subject_blocks(
    grid: list[list[object]],
    top: int,
    metric_index: int,
    metrics: dict[int, str],
    reference_dir: Path | None,
) -> tuple[list[tuple[str, dict[str, int]]], list[SummaryNote]]:
    """(subject as written, metric → column) per subject block. A block starts at each
    «приняло участие»; its subject is the nearest header cell above it (merged cells give the
    text in their first column only)."""
    blocks: list[tuple[int, dict[str, int]]] = []
    for column in sorted(metrics):
        if metrics[column] == "participant_count" or not blocks:
            blocks.append((column, {}))
        blocks[-1][1].setdefault(metrics[column], column)
    named: list[tuple[str, dict[str, int]]] = []
    notes: list[SummaryNote] = []
    for start, columns in blocks:
        end = max(columns.values())
        # the nearest header text above the block; a known subject further up wins over an
        # unknown text nearer (a «в т.ч.» line under the subject's cell)
        above = [
            next((t for t in (_text(grid[r][c]) for c in range(start, end + 1)) if t), None)
            for r in range(metric_index - 1, top - 1, -1)
        ]
        texts = [t for t in above if t]
        known = [t for t in texts if subject_code(t, reference_dir)[1]]
        subject = known[0] if known else (texts[0] if texts else None)
        if not subject:
            notes.append(
                SummaryNote(
                    "summary_block_without_subject",
                    "над блоком показателей нет названия предмета; блок не загружен",
                    "впишите предмет в объединённую ячейку над блоком",
                    row=metric_index + 1,
                    column=_letter(start),
                )
            )
            continue
        missing = [m for m in CHECKED if m not in columns]
        if missing:
            notes.append(
                SummaryNote(
                    "summary_block_incomplete",
                    f"в блоке «{subject}» нет показателей {', '.join(missing)}; блок не загружен",
                    "проверьте шапку блока (пять столбцов на предмет)",
                    row=metric_index + 1,
                    column=_letter(start),
                    value=subject,
                )
            )
            continue
        named.append((subject, columns))
    return named, notes


@dataclass
class _Line:
    """A body row with names or figures, before it is known to be a school or a total."""

    number: int  # 1-based sheet row
    muni: str | None  # the municipality cell as written
    school: str | None
    row: list[object]
    figures: list[list[str | None]]
    has_figures: bool
    label_total: tuple[str, str | None] | None = None  # (kind, municipality) by its words
    match: TotalMatch | None = None
    is_town: bool = False  # a bare town's name heading the schools below it
    suspect: bool = False  # a bare name above schools whose figures sum nothing: a school


def _body(
    grid: list[list[object]],
    start: int,
    identity: dict[str, int],
    blocks: list[tuple[str, dict[str, int]]],
    metric_index: int,
    sheet_year: int | None,
    notes: list[SummaryNote],
) -> SummarySheet:
    """Long school rows; totals and other non-school rows left out and noted. A row is a total
    by arithmetic first (it sums the sheet or a block of rows beside it), by its words second;
    a total by words that sums nothing is checked against its municipality or the region."""
    muni_col, school_col = identity.get("municipality_name"), identity["school_name"]
    block_positions = [[columns.get(m) for m in METRICS] for _, columns in blocks]
    lines: list[_Line] = []
    for index in range(start, len(grid)):
        row, number = grid[index], index + 1
        muni = _cell(row, muni_col)
        school = _cell(row, school_col)
        figures = [
            [
                None
                if c is None or c >= len(row) or row[c] is None or row[c] == ""
                else _text(row[c])
                for c in positions
            ]
            for positions in block_positions
        ]
        graduates = _cell(row, identity.get("graduate_count"))
        has_figures = graduates is not None or any(v is not None for b in figures for v in b)
        if muni or school or has_figures:
            lines.append(_Line(number, muni, school, row, figures, has_figures))
    with_figures = [line for line in lines if line.has_figures]
    for line in with_figures:
        if _is_total(line.school) or (not line.school and _is_total(line.muni)):
            line.label_total = ("label", None)
        elif not line.school and line.muni:
            line.label_total = ("municipality", line.muni)  # a municipality's subtotal row
        elif _is_territory(line.school):  # «Красноярский край», «Каменский район»: no school
            line.label_total = ("label", None)
    counts = [_counts(line, identity) for line in with_figures]
    marked = {p for p, line in enumerate(with_figures) if line.label_total}
    school_like = {
        p
        for p, line in enumerate(with_figures)
        if line.school and _SCHOOL.search(normalized_cyrillic(line.school))
    }
    named = {p for p, line in enumerate(with_figures) if line.school}
    for position, match in find_totals(counts, marked, school_like, named).items():
        with_figures[position].match = match
    _mark_towns(lines, identity)
    return _classified(lines, with_figures, identity, blocks, metric_index, sheet_year, notes)


def _mark_towns(lines: list[_Line], identity: dict[str, int]) -> None:
    """Mark the rows that are a bare town's name («Барнаул») heading schools: no municipality
    cell, a name that is no school's, territory's, total's or group's, the next named row a
    school's, and either no figures or figures that sum the schools below it (found by
    find_totals, or equal to the run of schools down to the next row that is none: a town of one
    school). Such a row is never a school; whether the town is their municipality is settled at
    build time by the rule the ВПР summaries use (macro town_is_municipality: the registry knows
    it, or the sheet has the region's row). A bare name whose figures sum nothing is a school
    whose name lacks a school's words (`suspect`: loaded, with a warning)."""
    named = [line for line in lines if line.school]
    for position, line in enumerate(named):
        following = named[position + 1] if position + 1 < len(named) else None
        if (
            line.muni
            or line.label_total
            or not _is_bare(line.school)
            or following is None
            or not _SCHOOL.search(normalized_cyrillic(following.school))
        ):
            continue
        if line.match is not None and line.match.scope != "below":
            continue  # a total of the sheet or of the rows above it
        if line.match or not line.has_figures:
            line.is_town = True
        elif _sums_the_schools_below(line, named[position + 1 :], identity):
            line.is_town = True
            line.label_total = ("town", line.school)  # its schools' subtotal by its place
        else:
            line.suspect = True


def _sums_the_schools_below(line: _Line, below: list[_Line], identity: dict[str, int]) -> bool:
    """Whether the row's counts are the sum of the school rows right below it (down to the
    first row that is no school's)."""
    run = []
    for other in below:
        if other.muni or not _SCHOOL.search(normalized_cyrillic(other.school)):
            break
        if other.has_figures:
            run.append(_counts(other, identity).required)
    own = _counts(line, identity).required
    sums = [sum(values) for values in zip(*run, strict=True)]
    return bool(run) and all(abs(a - b) <= 0.5 for a, b in zip(own, sums, strict=True))


def _classified(lines, with_figures, identity, blocks, metric_index, sheet_year, notes):
    """The school rows and notes once totals are known; municipalities carried down from a
    heading or a subtotal above its schools, or given by a subtotal below its schools."""
    out: dict[str, list] = {c: [] for c in (*IDENTITY, *TOWN, "sheet_year", "subject", *METRICS)}
    out["_row"] = []
    totals: list[tuple[int, str, str | None, list]] = []  # (row, kind, municipality, cells)
    schools: list[tuple[str | None, list]] = []
    groups: list[tuple[str | None, list]] = []  # participants not from schools (ВПЛ, СПО)
    total_rows: list[int] = []
    position_of = {id(line): p for p, line in enumerate(with_figures)}
    owner_below: dict[int, str] = {}  # position of a school → municipality of a subtotal below
    for line in with_figures:
        place = _place(line)
        if line.match and line.match.scope == "above" and place:
            for p in range(line.match.first, line.match.last + 1):
                owner_below[p] = place
    # the region's own total on the sheet (by its sum or its words): a town is then not the region
    has_region_row = any(
        (line.match is not None and line.match.scope == "sheet")
        or (
            line.label_total is not None
            and line.label_total[0] == "label"
            and is_region_name(line.school or line.muni)
        )
        for line in with_figures
    )
    current: str | None = None
    town: str | None = None  # a bare town heading the rows below (macro town_is_municipality)
    for line in lines:
        number, school, muni = line.number, line.school, line.muni
        is_total = line.label_total is not None or line.match is not None
        if line.is_town and line.match is None:
            town, current = school, None  # its schools' municipality is settled at build time
            if is_total:  # its figures sum its schools: their subtotal, checked as one
                total_rows.append(number)
                totals.append((number, "municipality", school, line.figures))
            continue
        if line.suspect:
            notes.append(
                SummaryNote(
                    "summary_bare_name",
                    f"строка «{school}» над школами названа без слов школы (СОШ, лицей, МБОУ …), "
                    "а её числа не равны сумме строк под ней — загружена как школа",
                    "если это муниципалитет, исправьте его итоги или уберите их из строки; если "
                    "школа, ничего делать не нужно",
                    row=number,
                    value=school,
                )
            )
        if is_total:
            total_rows.append(number)
            place = _place(line)
            region = is_region_name(place)
            if line.match is None:  # a total by its words alone: checked against the schools
                kind, owner = line.label_total
                if kind == "label" and place and not region and not muni:
                    kind, owner = "municipality", place  # a municipality named where schools are
                elif kind == "label":
                    kind, owner = _total_kind(school, muni, current)
                totals.append((number, kind, owner, line.figures))
            elif line.label_total is None:
                notes.append(_total_by_sum(line, with_figures))
            above = line.match is not None and line.match.scope == "above"
            if place and not above and not region:
                current, town = place, None  # a subtotal above its schools heads them; one
                # below ends them
            continue
        if not line.has_figures:
            if not school and muni:
                current, town = muni, None  # a municipality heading: its schools follow
                continue
            if not muni and _place(line) and not is_region_name(school):
                current, town = school, None  # «Павловский район» heading where schools go
                continue
            notes.append(
                SummaryNote(
                    "summary_not_a_school",
                    f"строка «{school}» без единого числа — не школа, не загружена",
                    "если это школа, заполните число выпускников",
                    row=number,
                    value=school,
                )
            )
            continue
        if not school:
            notes.append(
                SummaryNote(
                    "summary_unlabelled_row",
                    "строка с числами без школы и муниципалитета не равна сумме строк рядом "
                    "или всего листа — не загружена",
                    "если это школа, впишите её название",
                    row=number,
                )
            )
            continue
        if muni:
            current, town = muni, None
        municipality = muni or owner_below.get(position_of[id(line)]) or current
        heading = town if municipality is None else None
        where = municipality or heading  # for the totals' check
        if _GROUP.search(normalized_cyrillic(school)):
            notes.append(
                SummaryNote(
                    "summary_not_a_school",
                    f"строка «{school}» — участники не из школ (выпускники прошлых лет, СПО), "
                    "не школа: не загружена; её числа учтены только при сверке итогов",
                    "ничего делать не нужно; если это школа, переименуйте строку",
                    row=number,
                    value=school,
                )
            )
            groups.append((where, line.figures))
            continue
        schools.append((where, line.figures))
        place = (municipality, heading, "true" if heading and has_region_row else None)
        written = False
        for (subject, _), cells in zip(blocks, line.figures, strict=True):
            if all(v is None for v in cells):
                continue  # nobody from this school sat the subject
            _append(out, place, school, line.row, identity, sheet_year, subject, cells, number)
            written = True
        if not written:  # graduates, but no subject figures: the school is still a school
            _append(out, place, school, line.row, identity, sheet_year, None, [None] * 5, number)
    notes += _total_checks(totals, schools, blocks, groups)
    table = pa.table(
        {c: pa.array(v, pa.int64() if c == "_row" else pa.string()) for c, v in out.items()}
    )
    return SummarySheet(metric_index + 1, table, sheet_year, total_rows, notes)


# A dash in a count cell is «nobody» (0), as staging reads it (macro count_text).
DASHES = frozenset({"-", "–", "—"})


def _counts(line: _Line, identity: dict[str, int]) -> Counts:
    """The row's counts for the arithmetic: participants and fails of each subject always
    (blank or dash 0), graduates, 80–99 and 100 where given."""
    required: list[float] = []
    optional: list[float | None] = [_number(_cell(line.row, identity.get("graduate_count")))]
    for cells in line.figures:
        for value in cells[:2]:
            number = _number(value)
            required.append(
                0.0
                if value is None or value.strip() in DASHES
                else (number if number is not None and number >= 0 else math.nan)
            )
        optional += [_number(v) for v in cells[2:4]]
    return Counts(tuple(required), tuple(optional))


def _total_by_sum(line: _Line, with_figures: list[_Line]) -> SummaryNote:
    """What an analyst reads about a row taken as a total by its numbers alone."""
    match = line.match
    label = line.school or line.muni
    if match.scope == "sheet":
        covered = "сумме всех школ листа"
    else:
        first, last = with_figures[match.first].number, with_figures[match.last].number
        covered = f"сумме строк {first}–{last} {'над ней' if match.scope == 'above' else 'под ней'}"
    return SummaryNote(
        "summary_total_by_sum",
        (f"строка «{label}»" if label else "строка без подписи")
        + f": её числа равны {covered} — это итог, не школа, не загружена",
        "ничего делать не нужно; если это школа, проверьте её числа",
        row=line.number,
        value=label,
    )


def _append(out, place, school, row, identity, year, subject, cells, number) -> None:
    """One school × subject row; `place` is (municipality, town heading, sheet has the
    region's row)."""
    municipality, heading, region_row = place
    out["municipality_name"].append(municipality)
    out["town_heading"].append(heading)
    out["sheet_has_region_row"].append(region_row)
    out["school_name"].append(school)
    out["profile"].append(_cell(row, identity.get("profile")))
    out["graduate_count"].append(_cell(row, identity.get("graduate_count")))
    out["sheet_year"].append(str(year) if year else None)
    out["subject"].append(subject)
    for metric, value in zip(METRICS, cells, strict=True):
        out[metric].append(value)
    out["_row"].append(number)


def _total_checks(totals, schools, blocks, groups=()) -> list[SummaryNote]:
    """A warning for each total row whose counts differ from the sum over its schools — with or
    without the rows of participants not from schools (`groups`: a total may count them)."""
    sums: dict[tuple, list[list[float]]] = defaultdict(
        lambda: [[0.0] * len(CHECKED) for _ in blocks]
    )
    for rows, with_groups in ((schools, (False, True)), (groups, (True,))):
        for municipality, figures in rows:
            for key in (municipality_key(municipality) if municipality else None, "*region*"):
                for grouped, (b, cells) in product(with_groups, enumerate(figures)):
                    for m in range(len(CHECKED)):
                        sums[(key, grouped)][b][m] += _number(cells[m]) or 0
    notes = []
    for number, kind, owner, figures in totals:
        keys = [municipality_key(owner) if owner else None] if kind != "region" else []
        keys += ["*region*"] if kind != "municipality" else []
        # a subtotal without schools is not checked
        keys = [(k, g) for k in keys for g in (True, False) if (k, False) in sums]
        differences = []
        for key in keys:
            differences = _differences(figures, sums[key], blocks)
            if not differences:
                break
        if differences:
            where = f"по муниципалитету «{owner}»" if kind == "municipality" else "по региону"
            notes.append(
                SummaryNote(
                    "summary_total_mismatch",
                    f"итоговая строка {where} не совпадает с суммой школ: "
                    + "; ".join(differences[:3])
                    + (f" и ещё {len(differences) - 3}" if len(differences) > 3 else ""),
                    "проверьте, все ли школы есть в таблице и нет ли ошибок в итогах",
                    row=number,
                )
            )
    return notes


def _differences(figures, sums, blocks) -> list[str]:
    found = []
    for b, cells in enumerate(figures):
        for m, metric in enumerate(CHECKED):
            stated = _number(cells[m])
            if stated is not None and abs(stated - sums[b][m]) > 0.5:
                found.append(
                    f"{blocks[b][0]}, {metric}: итог {stated:g}, сумма школ {sums[b][m]:g}"
                )
    return found


def _is_territory(text: str | None) -> bool:
    """A name of a region or municipality, not of a school (a total by its words)."""
    label = normalized_cyrillic(text)
    return bool(label) and bool(_TERRITORY.search(label)) and not _SCHOOL.search(label)


def _place(line: _Line) -> str | None:
    """The municipality a total or heading row names: its municipality cell, else a territory
    written where the schools' names are («Павловский муниципальный район» with no
    municipality column), or a bare town's name («Барнаул») whose figures sum the schools
    next to it — never a total's words («Итого»)."""
    if line.muni and not _is_total(line.muni):
        return line.muni
    if not line.muni and _is_territory(line.school) and not _is_total(line.school):
        return line.school
    if not line.muni and line.match and line.match.scope != "sheet" and _is_bare(line.school):
        return line.school
    return None


def _is_bare(text: str | None) -> bool:
    """A name that is no school's, region's, territory's, total's or group's: a bare town's
    («Барнаул») where schools' names go."""
    label = normalized_cyrillic(text)
    return bool(label) and not (
        _SCHOOL.search(label)
        or is_region_name(text)
        or _GROUP.search(label)
        or _is_territory(text)
        or _is_total(text)
    )


def _is_total(text: str | None) -> bool:
    return is_total_label(text)


def _total_kind(
    school: str | None, muni: str | None, current: str | None
) -> tuple[str, str | None]:
    """(kind, municipality) of a total row: «по региону/области» → region; «Итого по
    Ивановскому району» or «Итого» beside a municipality → that municipality; a bare «Итого»
    is checked against its municipality, else the region ("either")."""
    label = normalized_cyrillic(school or muni)
    if is_region_name(school or muni):
        return "region", None
    if re.search(r"(район|округ|город|\bг\b|\bмо\b|поселени)", label):
        return "municipality", current
    if school and muni and not _is_total(muni):
        return "municipality", muni
    return ("either", current) if school else ("region", None)


def _is_column_numbers(row: list[object]) -> bool:
    values = [_text(c) for c in row]
    numbers = [v for v in values if v]
    return (
        len(numbers) >= 3
        and all(v.isdigit() for v in numbers)
        and numbers[:3]
        == [
            "1",
            "2",
            "3",
        ]
    )


def _first_year(texts: list[str]) -> int | None:
    for text in texts:
        match = _YEAR.search(text or "")
        if match:
            return int(match.group(1))
    return None


def _cell(row: list[object], column: int | None) -> str | None:
    return _text(row[column]) if column is not None and column < len(row) else None


def _cells(row: list[object]) -> list[str]:
    return [t for t in (_text(c) for c in row) if t]


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text.replace(",", ".").replace(" ", "").replace("\xa0", ""))
    except ValueError:
        return None


def _letter(column: int) -> str:
    """Excel column letter of a 0-based position."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
