"""Files of autonomous okrugs and federal cities, written by hand from the data contract (§2 b, c;
§4) with hand-counted truth: region rows whose names end in «округ» or start with «г.», and
municipality rows that are bare town names, in ВПР and ЕГЭ summaries:

- Ханты-Мансийский автономный округ — Югра, with a registry naming «г. Сургут», «г.
  Нижневартовск», «Сургутский район»: a «Статистика по отметкам» (the region's row, bare towns
  above their schools, a district) and the ЕГЭ summary of 2024 (the region total first, «Сургут»
  a subtotal equal to its two schools, «Нижневартовск» one equal to its single school — no sum of
  two rows or more, so told by its place alone — and «Сургутский район» a heading without
  figures);
- Ямало-Ненецкий автономный округ, with no registry: a «Сравнение отметок с отметками по
  журналу» whose towns each have a «СОШ № 1» (before, the okrug's row was taken for a
  municipality, both towns for the region, and both schools for one school named twice — a
  repeat that quarantined the file).

Importable as `okrug_files` (pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

from hand_written import HandWrittenFile, save, workbook

from shnor.ingest.school_names import name_school_id

REGISTRY = [
    ["8601", "МБОУ «СОШ № 1»", "г. Сургут"],
    ["8602", "МБОУ «Гимназия № 2»", "г. Сургут"],
    ["8603", "МБОУ «СОШ № 1»", "г. Нижневартовск"],
    ["8604", "МБОУ «Лянторская СОШ № 3»", "Сургутский район"],
]
OKRUG = "Ханты-Мансийский автономный округ — Югра"


def write_registry(raw: Path) -> HandWrittenFile:
    """The registry as Excel saves a CSV: Windows-1251, `;`."""
    lines = ["Код ОО;Наименование ОО;Муниципалитет", *(";".join(row) for row in REGISTRY)]
    relative = "schools/реестр.csv"
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return HandWrittenFile(relative, "schools", loaded_rows=len(REGISTRY))


def write_mark_stats_of_the_okrug(raw: Path) -> HandWrittenFile:
    """The okrug's row, then bare towns and a district above their schools. The «2» counts:
    25 × 12 % = 3, 40 × 5 % = 2, 20 × 10 % = 2, 10 × 20 % = 2."""
    title = [["Статистика по отметкам"], ["Предмет: Математика"], ["Класс: 5"],
             ["Всероссийские проверочные работы 2024"], []]  # fmt: skip
    header = ["Название ОО", "Кол-во участников", "2", "3", "4", "5"]
    rows = [
        ["Вся выборка", "1 234 567", "8,5", "38,1", "38,9", "14,5"],
        [OKRUG, 15000, 9.1, 40.2, 36.5, 14.2],
        ["Сургут", 65, 7.7, 36.9, 38.5, 16.9],
        ["МБОУ «СОШ № 1»", 25, 12, 40, 36, 12],
        ["МБОУ «Гимназия № 2»", 40, 5, 35, 40, 20],
        ["Нижневартовск", 20, 10, 50, 30, 10],
        ['МБОУ "СОШ № 1"', 20, 10, 50, 30, 10],  # Нижневартовск's, not Сургут's
        ["Сургутский район", 10, 20, 50, 30, 0],
        ["МБОУ «Лянторская СОШ № 3»", 10, 20, 50, 30, 0],
    ]
    relative = "vpr/2024/Статистика по отметкам. Математика 5.xlsx"
    save(workbook([*title, header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_mark_stats",
        loaded_rows=len(rows),
        results={
            ("8601", "vpr", 2024, 5, "math"): (25, 3, 0, 0),
            ("8602", "vpr", 2024, 5, "math"): (40, 2, 0, 0),
            ("8603", "vpr", 2024, 5, "math"): (20, 2, 0, 0),
            ("8604", "vpr", 2024, 5, "math"): (10, 2, 0, 0),
        },
    )


EGE_METRICS = ["приняло участие", "не преодолен min порог", "высокобалльники (80-99 баллов)",
               "получили 100 баллов", "средний балл"]  # fmt: skip
# The rows the ЕГЭ summary leaves out as totals: the okrug, «Сургут», «Нижневартовск».
EGE_TOTAL_ROWS = [4, 5, 8]


def write_ege_summary_of_the_okrug(raw: Path) -> HandWrittenFile:
    """The ЕГЭ summary of 2024 with no municipality column: the okrug's total first (russian 28 +
    25 + 10 + 6 = 69 sat, 1 + 0 + 2 + 0 = 3 failed; maths 12 + 10 + 4 + 2 = 28, 1 + 0 + 1 + 1 =
    3), then each town's subtotal above its schools, a district's heading without figures."""
    header = ["Образовательная организация (школа)",
              "Всего выпускников в 2024 году, сдававших ЕГЭ (чел.)",
              "Русский язык", None, None, None, None, "Математика (профильная)"]  # fmt: skip
    rows = [
        header,
        [None, None, *EGE_METRICS, *EGE_METRICS],
        [OKRUG, 75, 69, 3, 5, 0, 64, 28, 3, 2, 0, 58],
        ["Сургут", 56, 53, 1, 5, 0, 68, 22, 1, 2, 0, 61],
        ["МБОУ «СОШ № 1»", 30, 28, 1, 3, 0, 66, 12, 1, 2, 0, 60],
        ["МБОУ «Гимназия № 2»", 26, 25, 0, 2, 0, 70, 10, 0, 0, 0, 62],
        ["Нижневартовск", 12, 10, 2, 0, 0, 55, 4, 1, 0, 0, 48],
        ['МБОУ "СОШ № 1"', 12, 10, 2, 0, 0, 55, 4, 1, 0, 0, 48],  # Нижневартовск's
        ["Сургутский район"],
        ["МБОУ «Лянторская СОШ № 3»", 7, 6, 0, 0, 0, 58, 2, 1, 0, 0, 40],
    ]
    book = workbook([["Результаты ЕГЭ 2024 по образовательным организациям"], *rows], "2024")
    book.active.merge_cells("C2:G2")
    book.active.merge_cells("H2:L2")
    relative = "ege/2024/Результаты ЕГЭ 2024 по школам.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(
        relative,
        "ege_school_summary",
        loaded_rows=8,  # one row per school × subject with figures
        total_rows=len(EGE_TOTAL_ROWS),
        results={
            ("8601", "ege", 2024, 11, "russian"): (28, 1, 0, 0),
            ("8601", "ege", 2024, 11, "math_profile"): (12, 1, 0, 0),
            ("8602", "ege", 2024, 11, "russian"): (25, 0, 0, 0),
            ("8602", "ege", 2024, 11, "math_profile"): (10, 0, 0, 0),
            ("8603", "ege", 2024, 11, "russian"): (10, 2, 0, 0),
            ("8603", "ege", 2024, 11, "math_profile"): (4, 1, 0, 0),
            ("8604", "ege", 2024, 11, "russian"): (6, 0, 0, 0),
            ("8604", "ege", 2024, 11, "math_profile"): (2, 1, 0, 0),
        },
    )


# The two «СОШ № 1» of the Yamal towns no registry names: each its own school by town and name.
SALEKHARD = name_school_id("Салехард", "МБОУ «СОШ № 1»")
NOVY_URENGOY = name_school_id("Новый Уренгой", "МБОУ «СОШ № 1»")
# (school, municipality, participants, lowered, confirmed, raised): 30 × 20 % = 6, 30 × 70 % =
# 21, 30 × 10 % = 3; 20 × 5 % = 1, 20 × 90 % = 18, 20 × 5 % = 1.
YAMAL_SCHOOLS = [
    (SALEKHARD, "Салехард", 30, 6, 21, 3),
    (NOVY_URENGOY, "Новый Уренгой", 20, 1, 18, 1),
]


def write_journal_comparison_of_yamal(raw: Path) -> HandWrittenFile:
    """«Ямало-Ненецкий автономный округ» (ends in «округ») first, then two towns no registry
    names, each heading its «СОШ № 1»."""
    header = ["Название ОО", "Кол-во участников", "Понизили (Отметка < Отметка по журналу) %",
              "Подтвердили (Отметка = Отметке по журналу) %",
              "Повысили (Отметка > Отметка по журналу) %"]  # fmt: skip
    rows = [
        ["Ямало-Ненецкий автономный округ", 9000, "20%", "72%", "8%"],
        ["Салехард", 30, "20%", "70%", "10%"],
        ["МБОУ «СОШ № 1»", 30, "20%", "70%", "10%"],
        ["Новый Уренгой", 20, "5%", "90%", "5%"],
        ["МБОУ «СОШ № 1»", 20, "5%", "90%", "5%"],
    ]
    title = [["Сравнение отметок с отметками по журналу"], ["Предмет: Русский язык"],
             ["Класс: 6"], ["ВПР 2024"], []]  # fmt: skip
    relative = "vpr/2024/Сравнение отметок с отметками по журналу. Русский язык 6.xlsx"
    save(workbook([*title, header, *rows]), raw, relative)
    return HandWrittenFile(relative, "vpr_journal_comparison", loaded_rows=len(rows))
