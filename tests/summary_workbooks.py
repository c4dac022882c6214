"""Builders of ЕГЭ school summary workbooks (docs/data-contract.md) as regions send them: title
rows,
a three-row header with a merged cell per subject, merged or repeated municipality cells or a
subtotal row above its schools, region totals first or last, column numbers, name drift."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

SUBJECTS = (
    "Русский язык", "Математика (профильная)", "Математика (базовая)", "Физика", "Химия",
    "Биология", "География", "История", "Обществознание", "Литература", "Информатика",
    "Английский язык", "Немецкий язык", "Французский язык", "Испанский язык", "Китайский язык",
    "Итальянский язык", "Татарский язык", "Якутский язык", "Астрономия", "Экономика",
)  # fmt: skip
METRIC_HEADERS = (
    "приняло участие",
    "не преодолен min порог",
    "высокобалльники (80-99 баллов)",
    "получили 100 баллов",
    "средний балл",
)


@dataclass
class SummarySchool:
    """One school's line of a summary sheet; figures per subject: (sat, failed, 80–99, 100,
    mean) as written (None = blank cell)."""

    key: str  # the school's true identity (test truth, never written)
    municipality: str
    name: str
    graduates: int | None
    figures: dict[str, tuple] = field(default_factory=dict)


def _figures(rng: random.Random, graduates: int) -> tuple:
    sat = rng.randint(0, graduates)
    if sat == 0:
        return (None, None, None, None, None)
    failed = rng.randint(0, max(0, sat // 4))
    high = rng.randint(0, max(0, (sat - failed) // 3))
    hundred = rng.choice([0, 0, 0, 1]) if sat - failed - high > 0 else 0
    mean = round(rng.uniform(40, 80), 1)
    # a blank count is 0: regions leave zero cells empty
    return (sat, failed or None, high or None, hundred or None, mean)


def _drift(rng: random.Random, name: str) -> str:
    """The same school's name as another year's file spells it."""
    changes = [
        lambda s: s.replace("«", '"').replace("»", '"'),
        lambda s: s.upper(),
        lambda s: s.replace("ё", "е").replace("Ё", "Е"),
        lambda s: s.replace("МБОУ", "Муниципальное бюджетное общеобразовательное учреждение"),
        lambda s: s.replace("МБОУ", "МАОУ"),
        lambda s: s.replace("СОШ", "средняя общеобразовательная школа"),
        lambda s: s.replace("№ ", "№"),
        lambda s: s.replace("№ ", "N "),
        lambda s: s.replace(" ", "  "),
        lambda s: s.replace("О", "O").replace("М", "M"),  # Latin look-alikes
    ]
    for change in rng.sample(changes, 2):
        name = change(name)
    return name


def summary_region(
    seed: int = 1, schools: int = 380, years: tuple[int, ...] = (2024, 2025), renamed: int = 3
) -> dict[int, list[SummarySchool]]:
    """A region's summary lines per year: the later years' names drift in spelling, and a few
    schools are really renamed (which no normalisation can see)."""
    rng = random.Random(seed)
    municipalities = [f"{stem} муниципальный район" for stem in (
        "Ивановский", "Петровский", "Сидоровский", "Ёлкинский", "Озёрный", "Лесной",
        "Степной", "Речной", "Горный", "Луговой", "Полевой", "Северный",
    )] + ["г. Городск", "городской округ Заречный"]  # fmt: skip
    kinds = ("СОШ", "ООШ", "Лицей", "Гимназия")
    base = []
    for i in range(schools):
        municipality = municipalities[i % len(municipalities)]
        kind = rng.choice(kinds)
        place = rng.choice(["с. Ёлкино", "п. Озёрный", "д. Берёзовка", ""]) if i % 3 else ""
        name = f"МБОУ «{kind} № {i + 1}{(' ' + place) if place else ''}»"
        base.append((f"k{i}", municipality, name))
    out: dict[int, list[SummarySchool]] = {}
    for number, year in enumerate(years):
        lines = []
        renamed_keys = {f"k{i}" for i in rng.sample(range(schools), renamed)} if number else set()
        for key, municipality, name in base:
            if number:
                name = _drift(rng, name)
            if key in renamed_keys:
                name = name.replace("№", "имени Героя №")
            graduates = rng.randint(3, 60)
            school = SummarySchool(key, municipality, name, graduates)
            if rng.random() < 0.01:
                lines.append(school)  # graduates but no subject figures
                continue
            for subject in SUBJECTS:
                if rng.random() < 0.6:
                    school.figures[subject] = _figures(rng, graduates)
            lines.append(school)
        out[year] = lines
    return out


def write_summary_workbook(
    path: Path,
    sheets: dict[int, list[SummarySchool]],
    municipality_style: str = "merged",  # merged | repeated | subtotal
    region_total: str = "last",  # first | last | none
    column_numbers: bool = True,
    subjects: tuple[str, ...] = SUBJECTS,
    other_sheet: bool = True,
    sheet_names: dict[int, str] | None = None,
    region_total_bias: int = 0,
    municipality_total_bias: int = 0,
) -> Path:
    """An XLSX workbook in the §4 layout, one sheet per year (named by the year)."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "align": "center"})
    for year, schools in sheets.items():
        sheet = workbook.add_worksheet((sheet_names or {}).get(year, str(year)))
        sheet.write(0, 0, "Результаты единого государственного экзамена")
        sheet.write(1, 0, "по образовательным организациям региона")
        top = 3
        identity = (
            "Муниципальное образование",
            "Образовательная организация (школа)",
            "Профиль (при наличии)",
            f"Всего выпускников в {year} году, сдававших ЕГЭ (чел.)",
        )
        for column, header in enumerate(identity):
            sheet.merge_range(top, column, top + 2, column, header, bold)
        sheet.merge_range(top, 4, top, 4 + 5 * len(subjects) - 1, "Результаты ЕГЭ", bold)
        for s, subject in enumerate(subjects):
            first = 4 + 5 * s
            sheet.merge_range(top + 1, first, top + 1, first + 4, subject, bold)
            for m, metric in enumerate(METRIC_HEADERS):
                sheet.write(top + 2, first + m, metric, bold)
        row = top + 3
        if column_numbers:
            for column in range(4 + 5 * len(subjects)):
                sheet.write_number(row, column, column + 1)
            row += 1
        totals = _sums(schools, subjects)
        totals[subjects[0]][0] += region_total_bias  # a region total that disagrees
        if region_total == "first":
            row = _write_total(sheet, row, "Итого по региону", None, totals, subjects)
        by_municipality: dict[str, list[SummarySchool]] = {}
        for school in schools:
            by_municipality.setdefault(school.municipality, []).append(school)
        for municipality, members in by_municipality.items():
            if municipality_style == "subtotal":
                sums = _sums(members, subjects)
                sums[subjects[0]][1] += municipality_total_bias  # fails of the first subject
                row = _write_total(sheet, row, None, municipality, sums, subjects)
            first_row = row
            for school in members:
                if municipality_style == "repeated":
                    sheet.write(row, 0, municipality)
                sheet.write(row, 1, school.name)
                if school.graduates is not None:
                    sheet.write_number(row, 3, school.graduates)
                for s, subject in enumerate(subjects):
                    for m, value in enumerate(school.figures.get(subject, (None,) * 5)):
                        if value is not None:
                            sheet.write(row, 4 + 5 * s + m, value)
                row += 1
            if municipality_style == "merged":
                if row - first_row > 1:
                    sheet.merge_range(first_row, 0, row - 1, 0, municipality)
                else:
                    sheet.write(first_row, 0, municipality)
        if region_total == "last":
            row = _write_total(sheet, row, "Итого по региону", None, totals, subjects)
    if other_sheet:
        sheet = workbook.add_worksheet("Заявления")
        sheet.write_row(0, 0, ["Муниципальное образование", "Образовательная организация",
                               "Подано заявлений на ЕГЭ"])  # fmt: skip
        sheet.write_row(1, 0, ["Ивановский муниципальный район", "МБОУ СОШ № 1", 12])
    workbook.close()
    return path


def _sums(schools: list[SummarySchool], subjects: tuple[str, ...]) -> dict[str, list[int]]:
    sums = {}
    for subject in subjects:
        counts = [0, 0, 0, 0]
        for school in schools:
            figures = school.figures.get(subject)
            if figures:
                for m in range(4):
                    counts[m] += figures[m] if isinstance(figures[m], int) else 0
        sums[subject] = counts
    return sums


def _write_total(sheet, row, label, municipality, sums, subjects) -> int:
    if label:
        sheet.write(row, 0, label)
    if municipality:
        sheet.write(row, 0, municipality)
    for s, subject in enumerate(subjects):
        for m, value in enumerate(sums[subject]):
            sheet.write_number(row, 4 + 5 * s + m, value)
    return row + 1
