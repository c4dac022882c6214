"""A second, independent generator of regional «ЕГЭ по школам» summary workbooks, written from
the data contract alone (§4; issue 18): no code shared with shnor.demo or summary_workbooks.

Each variant is a layout seen in real regions. `make_variant` writes the workbook with openpyxl
and returns the truth: every school cell as written, and which rows are totals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

METRICS = (
    "приняло участие",
    "не преодолен min порог",
    "высокобалльники (80-99 баллов)",
    "получили 100 баллов",
    "средний балл",
)
REGION = "Энская область"
MUNICIPALITIES = ("Берёзовский район", "г. Приречный", "Каменский муниципальный округ")
# Subjects as regions write them, historical official names among them.
MODERN = ("Русский язык", "Математика (профильный уровень)", "Математика (базовый уровень)",
          "Физика", "Информатика", "Обществознание", "Английский язык")  # fmt: skip
HISTORICAL = ("Русский язык", "Математика П", "Математика Б", "Информатика и ИКТ", "ИКТ",
              "Обществоведение",
              "Информатика и информационно-коммуникационные технологии (ИКТ)")  # fmt: skip
LANGUAGES = ("Русский язык", "Иностранный язык (английский) письменная и устная части",
             "Немецкий язык (письменная часть)", "Немецкий язык (устная часть)",
             "Французский язык")  # fmt: skip

VARIANTS = (
    "merged_total_last",
    "repeated_total_first",
    "subtotal_above",
    "subtotal_below_words",
    "subtotal_below_unlabelled",
    "subtotal_below_named_schools_without_municipality",
    "total_in_the_middle_region_name",
    "total_first_unlabelled",
    "column_numbers_and_schools_without_figures",
    "combined_languages",
    "one_subject_per_sheet",
    "multi_year_sheet_names",
    "historical_subject_names",
    "unknown_subject_column",
)


@dataclass
class School:
    """A school's line: figures per subject as (sat, failed, 80–99, 100, mean); None = blank."""

    municipality: str
    name: str
    graduates: int
    figures: dict[str, tuple] = field(default_factory=dict)


@dataclass
class Truth:
    """What the workbook holds: school cells per (sheet, municipality, school, subject), the
    sheets' years, the rows that are totals, and subjects no alias may know."""

    cells: dict[tuple, tuple] = field(default_factory=dict)
    schools: set[tuple] = field(default_factory=set)  # (sheet, municipality, school)
    years: dict[str, int] = field(default_factory=dict)
    total_rows: dict[str, set[int]] = field(default_factory=dict)
    skipped_sheets: set[str] = field(default_factory=set)
    unknown_subjects: set[str] = field(default_factory=set)


def region(seed: int, subjects: tuple[str, ...], per_municipality: int = 4) -> list[School]:
    """Schools of three municipalities with random figures; one school has graduates only."""
    rng = random.Random(seed)
    schools = []
    for m, municipality in enumerate(MUNICIPALITIES):
        for i in range(per_municipality):
            graduates = rng.randint(8, 70)
            school = School(municipality, f"МБОУ «СОШ № {10 * m + i + 1}»", graduates)
            if not (m == 1 and i == 1):  # graduates, no figures
                for subject in subjects:
                    if rng.random() < 0.75:
                        school.figures[subject] = _figures(rng, graduates)
            schools.append(school)
    return schools


def _figures(rng: random.Random, graduates: int) -> tuple:
    sat = rng.randint(1, graduates)
    failed = rng.randint(0, sat // 5)
    high = rng.randint(0, (sat - failed) // 4)
    hundred = rng.choice((0, 0, 1)) if sat - failed - high > 0 else 0
    return sat, failed or None, high or None, hundred or None, round(rng.uniform(35, 85), 1)


class _Sheet:
    """One summary sheet being written: header block, then body rows."""

    def __init__(self, book: Workbook, name: str, year: int, subjects: tuple[str, ...]):
        self.ws = book.create_sheet(name)
        self.name, self.subjects, self.total_rows = name, subjects, set()
        self.ws.cell(1, 1, f"Результаты ЕГЭ {year} года по образовательным организациям")
        for column, header in enumerate(
            ("Муниципальное образование", "Образовательная организация (школа)",
             "Профиль (при наличии)", f"Всего выпускников в {year} году, сдававших ЕГЭ"),
            start=1,
        ):  # fmt: skip
            self.ws.cell(3, column, header)
            self.ws.merge_cells(start_row=3, start_column=column, end_row=5, end_column=column)
        for s, subject in enumerate(subjects):
            first = 5 + 5 * s
            self.ws.cell(4, first, subject)
            self.ws.merge_cells(start_row=4, start_column=first, end_row=4, end_column=first + 4)
            for m, metric in enumerate(METRICS):
                self.ws.cell(5, first + m, metric)
        self.ws.cell(3, 5, "Результаты")  # a line above the subjects' cells
        self.next = 6

    def column_numbers(self) -> None:
        for column in range(1, 5 + 5 * len(self.subjects)):
            self.ws.cell(self.next, column, column)
        self.next += 1

    def school(self, school: School, municipality: str | None) -> int:
        row = self.next
        if municipality:
            self.ws.cell(row, 1, municipality)
        self.ws.cell(row, 2, school.name)
        self.ws.cell(row, 4, school.graduates)
        for s, subject in enumerate(self.subjects):
            for m, value in enumerate(school.figures.get(subject, (None,) * 5)):
                if value is not None:
                    self.ws.cell(row, 5 + 5 * s + m, value)
        self.next += 1
        return row

    def total(self, schools: list[School], first: str | None, second: str | None) -> None:
        """A total row: sums of counts (blank = 0 written as 0), graduates, weighted mean."""
        row = self.next
        if first:
            self.ws.cell(row, 1, first)
        if second:
            self.ws.cell(row, 2, second)
        self.ws.cell(row, 4, sum(s.graduates for s in schools))
        for s, subject in enumerate(self.subjects):
            lines = [x.figures[subject] for x in schools if subject in x.figures]
            for m in range(4):
                self.ws.cell(row, 5 + 5 * s + m, sum(line[m] or 0 for line in lines))
            sat = sum(line[0] for line in lines)
            if sat:
                mean = sum(line[0] * line[4] for line in lines) / sat
                self.ws.cell(row, 9 + 5 * s, round(mean, 2))
        self.total_rows.add(row)
        self.next += 1

    def merge_municipality(self, first: int, last: int) -> None:
        if last > first:
            self.ws.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)


def _by_municipality(schools: list[School]) -> dict[str, list[School]]:
    found: dict[str, list[School]] = {}
    for school in schools:
        found.setdefault(school.municipality, []).append(school)
    return found


def _write_sheet(book, truth, name, year, schools, subjects, style) -> None:
    """One sheet in a style: municipality cells, subtotals and the region total's place."""
    sheet = _Sheet(book, name, year, subjects)
    groups = _by_municipality(schools)
    if style.get("column_numbers"):
        sheet.column_numbers()
    region_total = style.get("region_total", "last")
    label = style.get("region_label", ("Итого по региону", None))
    if region_total == "first":
        sheet.total(schools, *label)
    for g, (municipality, members) in enumerate(groups.items()):
        if region_total == "middle" and g == 1:
            sheet.total(schools, *label)
        subtotal = style.get("subtotal")
        if subtotal == "above":
            sheet.total(members, municipality, None)
        first = None
        for school in members:
            muni = municipality if style.get("municipality") == "repeated" else None
            if style.get("municipality") == "merged" and first is None:
                muni = municipality
            row = sheet.school(school, muni)
            first = row if first is None else first
        if style.get("municipality") == "merged":
            sheet.merge_municipality(first, sheet.next - 1)
        if subtotal == "below_words":
            sheet.total(members, municipality, f"Итого по МО «{municipality}»")
        elif subtotal == "below_unlabelled":
            sheet.total(members, None, None)
        elif subtotal == "below_named":  # the municipality named once, under its schools
            sheet.total(members, municipality, None)
    if region_total == "last":
        sheet.total(schools, *label)
    truth.years[name] = year
    truth.total_rows[name] = sheet.total_rows
    for school in schools:
        truth.schools.add((name, school.municipality, school.name))
        for subject, figures in school.figures.items():
            if subject in subjects:
                truth.cells[(name, school.municipality, school.name, subject)] = figures


def make_variant(variant: str, path: Path, seed: int = 18) -> Truth:
    """Write the variant's workbook at `path`; return its truth."""
    book = Workbook()
    book.remove(book.active)
    truth = Truth()
    styles = {
        "merged_total_last": {"municipality": "merged"},
        "repeated_total_first": {
            "municipality": "repeated", "region_total": "first",
            "region_label": (None, "ВСЕГО:"),
        },
        "subtotal_above": {"subtotal": "above"},
        "subtotal_below_words": {"municipality": "repeated", "subtotal": "below_words"},
        "subtotal_below_unlabelled": {
            "municipality": "merged", "subtotal": "below_unlabelled",
            "region_label": (None, None),
        },
        "subtotal_below_named_schools_without_municipality": {"subtotal": "below_named"},
        "total_in_the_middle_region_name": {
            "municipality": "repeated", "region_total": "middle", "region_label": (None, REGION),
        },
        "total_first_unlabelled": {
            "municipality": "merged", "region_total": "first", "region_label": (None, None),
        },
        "column_numbers_and_schools_without_figures": {
            "municipality": "merged", "column_numbers": True,
        },
    }  # fmt: skip
    if variant in styles:
        schools = region(seed, MODERN)
        _write_sheet(book, truth, "2023", 2023, schools, MODERN, styles[variant])
    elif variant == "combined_languages":
        schools = region(seed, LANGUAGES)
        _write_sheet(book, truth, "2023", 2023, schools, LANGUAGES, {"municipality": "repeated"})
    elif variant == "one_subject_per_sheet":
        schools = region(seed, MODERN[:3])
        for subject in MODERN[:3]:
            style = {"municipality": "merged", "subtotal": "above"}
            name = f"2023 {subject}"[:31]
            _write_sheet(book, truth, name, 2023, schools, (subject,), style)
    elif variant == "multi_year_sheet_names":
        for year, name in ((2022, "2022 год"), (2023, "ЕГЭ-2023")):
            schools = region(seed + year, MODERN)
            _write_sheet(book, truth, name, year, schools, MODERN, {"municipality": "repeated"})
        applications = book.create_sheet("2024 (заявления)")
        applications.append(["Муниципальное образование", "Образовательная организация",
                             "Подано заявлений на ЕГЭ-2024"])  # fmt: skip
        applications.append([MUNICIPALITIES[0], "МБОУ «СОШ № 1»", 25])
        truth.skipped_sheets.add("2024 (заявления)")
    elif variant == "historical_subject_names":
        schools = region(seed, HISTORICAL)
        _write_sheet(book, truth, "2015", 2015, schools, HISTORICAL, {"subtotal": "above"})
    elif variant == "unknown_subject_column":
        subjects = (*MODERN[:3], "Астрономия")
        schools = region(seed, subjects)
        _write_sheet(book, truth, "2023", 2023, schools, subjects, {"municipality": "merged"})
        truth.unknown_subjects.add("Астрономия")
    else:
        raise ValueError(variant)
    book.save(path)
    return truth
