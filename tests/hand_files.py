"""Small regional files written by hand from the data contract — not from the demo generator —
each with the quirks real regions send: title lines, a header split over two rows with merged
cells, header spellings in other case, spacing and ё, school codes that lost their leading zeros
or carry spaces, total and subtotal rows, empty rows, hidden sheets, one sheet per class,
marks typed as text, absence markers, decimal commas, dates as dates and as text.

Every file comes with its truth, counted by hand: how many of its rows are results, how many
are totals, and the school results they give (importable as `hand_files`: pytest puts tests/
on the path)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hand_written import HandWrittenFile, save
from openpyxl import Workbook
from openpyxl.styles import Alignment

YEAR = 2024

# The registry: codes with leading zeros, as the region keeps them.
REGISTRY_ROWS = [
    ["012345", "МБОУ «Средняя общеобразовательная школа № 1»", "Берёзовский район", "город"],
    ["012346", "МБОУ СОШ № 2", "Берёзовский район", "село"],
    ["012347", "МКОУ ООШ с. Каменка", "Каменский район", "село"],
]


# A file's results: (school_id, exam, grade, subject) → (participants counted, fails, absent).


def write_registry(raw: Path) -> HandWrittenFile:
    """The registry as Excel saves a CSV in Russian Windows: Windows-1251, `;`, a title line."""
    lines = ["Реестр общеобразовательных организаций на 01.09.2024"]
    lines.append("код оо;Полное  наименование;МУНИЦИПАЛИТЕТ;Тип поселения")
    lines += [";".join(row) for row in REGISTRY_ROWS]
    path = raw / "schools" / "реестр.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return HandWrittenFile("schools/реестр.csv", "schools", loaded_rows=3)


def _title_and_merged_header(sheet, title: str, top: list, bottom: list) -> None:
    """Two title lines, an empty line, then a header over two rows: single headers merged
    down, a group title merged across the columns under it."""
    sheet.append([title])
    sheet.append(["Основной период"])
    sheet.append([])
    sheet.append(top)
    sheet.append(bottom)
    for position, (upper, lower) in enumerate(zip(top, bottom, strict=True), start=1):
        if upper is not None and lower is None:
            sheet.merge_cells(start_row=4, end_row=5, start_column=position, end_column=position)
            sheet.cell(4, position).alignment = Alignment(vertical="center", wrap_text=True)
    group = top.index("Результат") + 1
    sheet.merge_cells(start_row=4, end_row=4, start_column=group, end_column=group + 1)


OGE_TOP = ["Код  ОУ", "Наименование ОО", "ПРЕДМЕТ", "Код участника", "Результат", None,
           "Дата экзамена", "Этап"]  # fmt: skip
OGE_BOTTOM = [None, None, None, None, "Первичный балл", "Оценка", None, None]


def write_oge_workbook(raw: Path) -> HandWrittenFile:
    """An ОГЭ workbook of one subject with a sheet per class (9А, 9Б: their row numbers
    overlap), a hidden sheet holding an old copy, total and mean rows, an empty row, a school
    code merged down over its pupils' rows."""
    book = Workbook()
    first = book.active
    first.title = "9А"
    _title_and_merged_header(first, "Результаты ОГЭ-2024 по математике", OGE_TOP, OGE_BOTTOM)
    day = dt.datetime(2024, 6, 4)
    rows_a = [
        # a code stored as a number: its leading zero is lost
        [12345, "СОШ № 1", "Математика", "p01", 25, "5", day, "основной"],
        [12345, "СОШ № 1", "математика", "p02", "14,0", "4", day, "Основной"],
        [],  # an empty row in the middle
        [" 012346 ", "СОШ № 2", "Математика ", "p03", 5, 2, "04.06.2024", "основной"],
        ["012346", "СОШ № 2", "Математика", "p04", None, "н/я", "04.06.2024", "основной"],
        ["012346", "СОШ № 2", "Математика", "p05", 9, "3", "04.06.2024", "основной"],
        [None, "Итого", None, None, 53, None, None, None],
        [None, "Среднее по региону", None, None, "13,3", "3,5", None, None],
    ]
    for row in rows_a:
        first.append(row)
    second = book.create_sheet("9Б")
    _title_and_merged_header(second, "Результаты ОГЭ-2024 по математике", OGE_TOP, OGE_BOTTOM)
    rows_b = [
        [12347, "ООШ с. Каменка", "Математика", "p11", 7, 2, day, "основной"],
        [None, "ООШ с. Каменка", "Математика", "p12", 19, 4, day, "основной"],
        [12345, "СОШ № 1", "Математика", "p13", 12, 3, day, "основной"],
        [None, "Всего по району", None, None, 38, None, None, None],
    ]
    for row in rows_b:
        second.append(row)
    second.merge_cells("A6:A7")  # the school's code merged down over its two pupils
    # A hidden sheet: an old copy of 9А with other figures. The analyst does not see it.
    hidden = book.create_sheet("9А (старая)")
    _title_and_merged_header(hidden, "Результаты ОГЭ-2024 по математике", OGE_TOP, OGE_BOTTOM)
    hidden.append([12345, "СОШ № 1", "Математика", "p01", 2, 2, day, "основной"])
    hidden.sheet_state = "hidden"
    relative = f"oge/{YEAR}/ОГЭ математика 9 классы.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(
        relative,
        "exam_participants",
        loaded_rows=8,
        total_rows=3,
        skipped_sheets={"9А (старая)": "скрыт"},
        results={
            ("012345", "oge", 9, "math"): (3, 0, 0),
            ("012346", "oge", 9, "math"): (2, 1, 1),
            ("012347", "oge", 9, "math"): (2, 1, 0),
        },
    )


VPR_HEADER = ["Код ОО", "Наименование ОО", "Класс", "Предмет", "Код участника", "Вариант",
              "Первичный балл", "Отметка", "Отметка по журналу", "1", "2", "3", "4.1"]  # fmt: skip


def write_vpr_tab_csv(raw: Path) -> HandWrittenFile:
    """A ВПР participant file saved by Excel as «Текст (разделители — табуляция)»: Windows-1251,
    tabs, a title line, task columns, marks as text, absence written «н/я» and «отсутствовал»,
    a decimal comma, a subtotal by district and a regional mean at the end."""
    rows = [
        ["012345", "СОШ № 1", "5А", "Математика", "v01", "1", "12,0", "4", "4", "1", "2", "х",
         "1"],
        ["12345", "СОШ № 1", "5 а", "Математика", "v02", "2", "3", "2", "3", "0", "1", "0", "0"],
        ["012345", "СОШ № 1", "5А", "Математика", "v03", "", "", "н/я", "3", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", "", ""],
        [" 012346", "СОШ № 2", "5Б", "математика", "v04", "1", "15", "5", "4", "2", "2", "1",
         "2"],
        ["012346", "СОШ № 2", "5Б", "Математика", "v05", "", "", "отсутствовал", "", "", "", "",
         ""],
        ["", "Всего по району", "", "", "", "", "", "", "", "", "", "", ""],
        ["", "Среднее по региону", "", "Математика", "", "", "9,8", "3,7", "", "", "", "", ""],
    ]  # fmt: skip
    lines = ["Результаты ВПР 2024. Математика, 5 класс", "\t".join(VPR_HEADER)]
    lines += ["\t".join(row) for row in rows]
    relative = f"vpr/{YEAR}/ВПР математика 5.txt"
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return HandWrittenFile(
        relative,
        "vpr_participants",
        loaded_rows=5,
        total_rows=2,
        results={
            ("012345", "vpr", 5, "math"): (2, 1, 1),
            ("012346", "vpr", 5, "math"): (1, 0, 1),
        },
    )


PASSPORT_SHARES = {  # school → (parents with higher education, low-income families), fractions
    "012345": (0.45, 0.12),
    "012346": (0.305, 0.3),
    "012347": (0.12, 0.05),
}


def write_passport(raw: Path) -> HandWrittenFile:
    """A social passport as a district sends it: a title line, one share in percent (one cell
    with a % sign), another in fractions, a column the contract does not know, codes that lost
    their leading zero, a district total at the end."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Социальный паспорт общеобразовательных организаций на 01.09.2024"])
    sheet.append(["Код ОО", "Наименование ОО", "Доля родителей с высшим образованием, %",
                  "Доля малообеспеченных семей", "Число компьютеров", "Тип поселения"])  # fmt: skip
    sheet.append([12345, "МБОУ «СОШ № 1»", 45, "0,12", 30, "город"])
    sheet.append([12346, "МБОУ СОШ № 2", "30,5", 0.3, 12, "село"])
    sheet.append(["012347", "МКОУ ООШ с. Каменка", "12%", "0,05", None, "село"])
    sheet.append([None, "Итого по району", "29,2", "0,16", 42, None])
    relative = f"context/{YEAR}/Социальный паспорт ОО.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(relative, "context", loaded_rows=3, total_rows=1)
