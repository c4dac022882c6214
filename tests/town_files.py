"""ВПР summaries whose municipality rows are bare town names («Барнаул», «Бийск») above their
schools, written by hand from the data contract (§2 b, c) with hand-counted truth:

- a region with a registry that lists the towns as «г. Барнаул», «город Бийск»: a «Статистика по
  отметкам» with no region row and no municipality column — «Барнаул», its schools, «Бийск», its
  «СОШ № 1» (the same name as Барнаул's), a district and its school;
- the same region's ЕГЭ summary of 2023: its total, «Павловский район» heading three schools, a
  private one among them («ЧОУ «Эврика»», 10 sat: a school, never a town heading the next);
- a region with no registry: a «Сравнение отметок с отметками по журналу» with the region's row
  («Алтайский край») and two towns no registry names, each with a «СОШ № 1» (before, both were
  one school in no municipality: a repeat that quarantined the file), a district named with its
  region («Павловский район Алтайского края»: a municipality, not the region) and the totals
  «Итого», «В целом по региону» last (never a municipality).

Importable as `town_files` (pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

from hand_written import HandWrittenFile, save, workbook

from shnor.ingest.school_names import name_school_id

# A file's results: (school_id, exam, year, grade, subject) → (participants, fails, absent,
# rows kept but not counted).

REGISTRY = [
    ["2201", "МБОУ «СОШ № 1»", "г. Барнаул"],
    ["2202", "МБОУ «Гимназия № 22»", "г. Барнаул"],
    ["2203", "МБОУ «СОШ № 1»", "город Бийск"],
    ["2204", "МБОУ «Шаховская СОШ»", "Павловский район"],
    ["2205", "ЧОУ «Эврика»", "Павловский район"],
    ["2206", "МБОУ «Павловская СОШ № 1»", "Павловский район"],
]


def write_registry(raw: Path) -> HandWrittenFile:
    """The registry as Excel saves a CSV: Windows-1251, `;`."""
    lines = ["Код ОО;Наименование ОО;Муниципалитет", *(";".join(row) for row in REGISTRY)]
    relative = "schools/реестр.csv"
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return HandWrittenFile(relative, "schools", loaded_rows=len(REGISTRY))


STATS_TITLE = [["Статистика по отметкам"], ["Предмет: Русский язык"], ["Класс: 6"],
               ["Всероссийские проверочные работы 2024"], []]  # fmt: skip


def write_mark_stats_under_towns(raw: Path) -> HandWrittenFile:
    """No region row, no municipality column: the towns' rows head their schools. The «2»
    counts: 25 × 12 % = 3, 40 × 5 % = 2, 20 × 10 % = 2, 10 × 20 % = 2."""
    header = ["Название ОО", "Кол-во участников", "2", "3", "4", "5"]
    rows = [
        ["Вся выборка", "1 234 567", "8,5", "38,1", "38,9", "14,5"],
        ["Барнаул", 65, 7.7, 36.9, 38.5, 16.9],
        ["МБОУ «СОШ № 1»", 25, 12, 40, 36, 12],
        ["МБОУ «Гимназия № 22»", 40, 5, 35, 40, 20],
        ["Бийск", 20, 10, 50, 30, 10],
        ['МБОУ "СОШ № 1"', 20, 10, 50, 30, 10],  # Бийск's, not Барнаул's
        ["Павловский район", 10, 20, 50, 30, 0],
        ["МБОУ «Шаховская СОШ»", 10, 20, 50, 30, 0],
    ]
    relative = "vpr/2024/Статистика по отметкам. Русский язык 6.xlsx"
    save(workbook([*STATS_TITLE, header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_mark_stats",
        loaded_rows=len(rows),
        results={
            ("2201", "vpr", 2024, 6, "russian"): (25, 3, 0, 0),
            ("2202", "vpr", 2024, 6, "russian"): (40, 2, 0, 0),
            ("2203", "vpr", 2024, 6, "russian"): (20, 2, 0, 0),
            ("2204", "vpr", 2024, 6, "russian"): (10, 2, 0, 0),
        },
    )


# The two «СОШ № 1» of the towns no registry names: each its own school by municipality and name.
NOVOALTAISK = name_school_id("Новоалтайск", "МБОУ «СОШ № 1»")
ZARINSK = name_school_id("Заринск", "МБОУ «СОШ № 1»")
PAVLOVSKY = "Павловский район Алтайского края"
SHAKHOVO = name_school_id(PAVLOVSKY, "МБОУ «Шаховская СОШ»")
# (school, municipality, participants, lowered, confirmed, raised) of the staged school rows:
# 30 × 20 % = 6, 30 × 70 % = 21, 30 × 10 % = 3; 20 × 5 % = 1, 20 × 90 % = 18, 20 × 5 % = 1;
# 10 × 10 % = 1, 10 × 80 % = 8, 10 × 10 % = 1.
JOURNAL_SCHOOLS = [
    (NOVOALTAISK, "Новоалтайск", 30, 6, 21, 3),
    (ZARINSK, "Заринск", 20, 1, 18, 1),
    (SHAKHOVO, PAVLOVSKY, 10, 1, 8, 1),
]


def write_journal_comparison_under_towns(raw: Path) -> HandWrittenFile:
    """The region's row first, then two towns no registry names, each heading its «СОШ № 1», a
    district named with its region heading its school, and two totals."""
    header = ["Название ОО", "Кол-во участников", "Понизили (Отметка < Отметка по журналу) %",
              "Подтвердили (Отметка = Отметке по журналу) %",
              "Повысили (Отметка > Отметка по журналу) %"]  # fmt: skip
    rows = [
        ["Алтайский край", 20000, "20%", "72%", "8%"],
        ["Новоалтайск", 30, "20%", "70%", "10%"],
        ["МБОУ «СОШ № 1»", 30, "20%", "70%", "10%"],
        ["Заринск", 20, "5%", "90%", "5%"],
        ["МБОУ «СОШ № 1»", 20, "5%", "90%", "5%"],
        [PAVLOVSKY, 10, "10%", "80%", "10%"],
        ["МБОУ «Шаховская СОШ»", 10, "10%", "80%", "10%"],
        ["Итого", 60, "13%", "78%", "8%"],  # left out by the reader: a total_row
        ["В целом по региону", 20000, "20%", "72%", "8%"],  # the region's row, not a town
    ]
    title = [["Сравнение отметок с отметками по журналу"], ["Предмет: Математика"],
             ["Класс: 5"], ["ВПР 2024"], []]  # fmt: skip
    relative = "vpr/2024/Сравнение отметок с отметками по журналу. Математика 5.xlsx"
    save(workbook([*title, header, *rows]), raw, relative)
    return HandWrittenFile(
        relative, "vpr_journal_comparison", loaded_rows=len(rows) - 1, total_rows=1
    )


EGE_SUBJECTS = ("Русский язык", "Математика (профильная)")
EGE_METRICS = ["приняло участие", "не преодолен min порог", "высокобалльники (80-99 баллов)",
               "получили 100 баллов", "средний балл"]  # fmt: skip
# Rows of participants not from schools: left out, reported, counted only in the totals' check.
EGE_GROUP_ROWS = [9, 10]


def write_ege_summary_with_groups(raw: Path) -> HandWrittenFile:
    """The ЕГЭ summary of 2024 (§4): the municipality repeated on every row, a row of column
    numbers under the header, the region total first, a school nobody of which sat profile maths
    (zeros and a mean of 0), and the rows of graduates of past years and of СПО students that
    regions add under the schools — not schools; the region total counts them (russian: 28 + 25
    + 10 + 6 + 3 = 72 sat, 1 + 0 + 2 + 2 + 1 = 6 failed; maths: 12 + 0 + 4 + 3 = 19, 3)."""
    header = ["Муниципальное образование", "Образовательная организация (школа)",
              "Всего выпускников в 2024 году, сдававших ЕГЭ (чел.)",
              EGE_SUBJECTS[0], None, None, None, None, EGE_SUBJECTS[1]]  # fmt: skip
    rows = [
        ["Результаты ЕГЭ 2024 по образовательным организациям"],
        header,
        [None, None, None, *EGE_METRICS, *EGE_METRICS],
        list(range(1, 14)),
        [None, "Итого по региону", 81, 72, 6, 5, 0, 60, 19, 3, 2, 0, 55],
        ["г. Барнаул", "МБОУ «СОШ № 1»", 30, 28, 1, 3, 0, 66, 12, 1, 2, 0, 60],
        ["г. Барнаул", "МБОУ «Гимназия № 22»", 25, 25, 0, 2, 0, 70, 0, 0, 0, 0, 0],
        ["город Бийск", 'МБОУ "СОШ № 1"', 12, 10, 2, 0, 0, 55, 4, 1, 0, 0, 48],
        [None, "Выпускники прошлых лет", 9, 6, 2, 0, 0, 45, 3, 1, 0, 0, 40],
        [None, "Обучающиеся СПО", 5, 3, 1, 0, 0, 48],
    ]
    book = workbook(rows, "2024")
    book.active.merge_cells("D2:H2")
    book.active.merge_cells("I2:M2")
    relative = "ege/2024/Результаты ЕГЭ 2024 по школам.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(
        relative,
        "ege_school_summary",
        loaded_rows=6,  # one row per school × subject with figures (zeros are figures)
        total_rows=1,
        results={
            ("2201", "ege", 2024, 11, "russian"): (28, 1, 0, 0),
            ("2201", "ege", 2024, 11, "math_profile"): (12, 1, 0, 0),
            ("2202", "ege", 2024, 11, "russian"): (25, 0, 0, 0),
            # nobody of 2202 sat profile maths (zeros, mean 0): no result, like blank cells
            ("2203", "ege", 2024, 11, "russian"): (10, 2, 0, 0),
            ("2203", "ege", 2024, 11, "math_profile"): (4, 1, 0, 0),
        },
    )


def write_ege_summary_of_a_district(raw: Path) -> HandWrittenFile:
    """The ЕГЭ summary of 2023 (§4): the region total, «Павловский район» with no figures, its
    three schools; the total is their sum (russian: 20 + 10 + 28 = 58 sat, 1 + 1 + 1 = 3 failed).
    Before, «ЧОУ «Эврика»» (no «МБОУ», «СОШ») was taken for a town: left out, and the next
    school placed in «Эврика»."""
    rows = [
        ["Образовательная организация (школа)", "Всего выпускников", "Русский язык"],
        [None, None, *EGE_METRICS],
        ["Алтайский край", 60, 58, 3, 5, 0, 64],
        ["Павловский район"],
        ["МБОУ «Шаховская СОШ»", 20, 20, 1, 2, 0, 60],
        ["ЧОУ «Эврика»", 10, 10, 1, 1, 0, 70],
        ["МБОУ «Павловская СОШ № 1»", 30, 28, 1, 2, 0, 62],
    ]
    book = workbook(rows, "2023")
    book.active.merge_cells("C1:G1")
    relative = "ege/2023/Результаты ЕГЭ 2023 по школам.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(
        relative,
        "ege_school_summary",
        loaded_rows=3,
        total_rows=1,
        results={
            ("2204", "ege", 2023, 11, "russian"): (20, 1, 0, 0),
            ("2205", "ege", 2023, 11, "russian"): (10, 1, 0, 0),
            ("2206", "ege", 2023, 11, "russian"): (28, 1, 0, 0),
        },
    )
