"""ВПР files as ФИС ОКО gives them to a region, written by hand from the data contract (§2 a′,
b, c) — small, each with its truth counted by hand: the 2020–2021 export per subject and grade
(subject, grade and form only in the file name; `класс` as a letter, a number or «НЕТ»; `вариант`
«отсутствовал»; `балл за N` with «х»; `Учебник`; no mark column), the 2022 «протокол» (sheets
`Классы` and `Протокол`, «code | name» cells, task headers with their maximum, the grade only
from the folder), a login list as the registry (`логин`, `имя`, `регион`), logins with the
prefixes sch/edu/ksh, and the summaries «Статистика по отметкам» and «Сравнение отметок с
отметками по журналу» naming schools only by name, among rows of the whole sample, the region
and municipalities (importable as `fisoko_files`: pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

from hand_written import HandWrittenFile, save, workbook

# A file's results: (school_id, year, grade, subject) → (participants counted, fails, absent,
# not counted).

# The region's registry: a ФИС ОКО login list. `регион` is in practice the municipality.
LOGINS = [
    ["sch220001", 'МБОУ "СОШ № 1"', "Павловский район"],
    ["sch220002", 'МБОУ "Шаховская СОШ"', "Павловский район"],
    ["sch220003", 'МКОУ "Каменская ООШ"', "Каменский район"],
]
SCHOOLS = tuple(row[0] for row in LOGINS)
UNMATCHED_NAME = 'МБОУ "Новая школа"'  # in a summary, in no registry: the review table

# The region's scales (reference/vpr_scales.csv), invented for the test, not ФИОКО's: biology 7
# «по образцу 8 класса» has its own; English 7 of 2021 has none.
SCALES = """exam_year,grade,subject,form,max_score,min_score_3,min_score_4,min_score_5,source
2021,4,surrounding_world,,8,3,5,7,hand scale of tests/fisoko_files.py
2021,7,biology,,10,4,6,8,hand scale of tests/fisoko_files.py
2021,7,biology,по образцу 8 класса,10,6,8,9,hand scale of tests/fisoko_files.py
2022,5,math,,6,2,4,5,hand scale of tests/fisoko_files.py
"""


def write_scales(reference: Path) -> Path:
    """The region's reference/vpr_scales.csv with the hand scales."""
    reference.mkdir(parents=True, exist_ok=True)
    path = reference / "vpr_scales.csv"
    path.write_text(SCALES, encoding="utf-8")
    return path


def write_login_list(raw: Path) -> HandWrittenFile:
    """The login list ФИС ОКО gives a region: the registry."""
    relative = "schools/Логины ОО.xlsx"
    save(workbook([["логин", "имя", "регион"], *LOGINS], "Логины"), raw, relative)
    return HandWrittenFile(relative, "schools", loaded_rows=3)


EXPORT_HEADER = ["логин школы", "регион", "номер обучающегося", "код обучающегося",
                 "отметка за предыдущую четверть/триместр", "пол", "класс", "вариант",
                 "всего баллов"]  # fmt: skip


def write_surrounding_world_2021(raw: Path) -> HandWrittenFile:
    """«Проведение работы по окружающему миру, 4 класс. ВПР 2021.xlsx»: one school under three
    login prefixes, classes as a letter (either case), a number and «НЕТ», an absentee, «х»
    tasks, a textbook column. Scale 2021/4: «3» from 3, «4» from 5, «5» from 7."""
    header = [*EXPORT_HEADER, "балл за 1", "балл за 2", "балл за 3", "Учебник"]
    rows = [  # the marks by the scale after each row
        ["sch220001", "Павловский район", 1, 10001, 4, "М", "А", 1, 7, 2, 3, 2, "Плешаков"],  # 5
        ["edu220001", "Павловский район", 2, 10002, 3, "Ж", "а", 2, 2, 1, 1, "х", "Плешаков"],
        ["ksh220001", "Павловский район", 3, 10003, None, "Ж", 1, "отсутствовал", None, None,
         None, None, "Плешаков"],
        ["sch220002", "Павловский район", 1, 20001, 5, "М", "НЕТ", 1, 5, 2, 3, 0, None],  # 4
        ["sch220002", "Павловский район", 2, 20002, 2, "Ж", "Б", 2, 3, 1, 2, "х", None],  # 3
        ["sch220003", "Каменский район", 1, 30001, 3, "М", 4, 1, 0, 0, 0, 0, None],  # 2
    ]  # fmt: skip
    relative = "vpr/2021/Проведение работы по окружающему миру, 4 класс. ВПР 2021.xlsx"
    save(workbook([header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_participants",
        loaded_rows=6,
        results={
            ("sch220001", 2021, 4, "surrounding_world"): (2, 1, 1, 0),
            ("sch220002", 2021, 4, "surrounding_world"): (2, 0, 0, 0),
            ("sch220003", 2021, 4, "surrounding_world"): (1, 1, 0, 0),
        },
    )


def write_biology_form_2021(raw: Path) -> HandWrittenFile:
    """«… по биологии, 7 класс (по образцу 8 класса) …»: the form's own scale (3 from 6), not
    grade 7's (3 from 4): a score of 5 is a «2»."""
    header = [*EXPORT_HEADER, "балл за 1", "балл за 2"]
    rows = [
        ["sch220002", "Павловский район", 1, 20101, 3, "Ж", "А", 3, 5, 3, 2],  # 2 by the form
        ["sch220002", "Павловский район", 2, 20102, 4, "М", "А", 4, 9, 5, 4],  # 5
    ]
    relative = (
        "vpr/2021/Проведение работы по биологии, 7 класс (по образцу 8 класса). ВПР 2021.xlsx"
    )
    save(workbook([header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_participants",
        loaded_rows=2,
        results={("sch220002", 2021, 7, "biology"): (2, 1, 0, 0)},
    )


def write_english_without_scale_2021(raw: Path) -> HandWrittenFile:
    """«… по иностранному языку (английский), 7 класс …»: no scale in 2021 for it, so its rows
    are kept without marks (not counted), never given invented ones."""
    header = [*EXPORT_HEADER, "балл за 1"]
    rows = [
        ["sch220001", "Павловский район", 1, 10201, 4, "Ж", "Б", 1, 20, 20],
        ["sch220001", "Павловский район", 2, 10202, 5, "М", "Б", "отсутствовал", None, None],
        ["sch220003", "Каменский район", 1, 30201, 3, "Ж", "А", 2, 11, 11],
    ]
    relative = (
        "vpr/2021/Проведение работы по иностранному языку (английский), 7 класс. ВПР 2021.xlsx"
    )
    save(workbook([header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_participants",
        loaded_rows=3,
        results={
            ("sch220001", 2021, 7, "english"): (0, 0, 1, 1),
            ("sch220003", 2021, 7, "english"): (0, 0, 0, 1),
        },
    )


PROTOCOL_HEADER = ["Пользователь", "Код региона", "Регион", "Муниципалитет", "Школа",
                   "Дата загрузки", "Код", "Вариант", "1 (2б)", "2 (3б)", "3К1 (1б)",
                   "Наименование класса", "Пол",
                   "Отметка за предыдущий триместр/ четверть/полугодие",
                   "Итого баллов"]  # fmt: skip


def write_protocol_2022(raw: Path) -> HandWrittenFile:
    """«5 класс/Математика.xlsx» (2022): the grade only from the folder; a sheet of classes
    before the protocol; a school given only in «edu220001 | МБОУ …» when `Пользователь` is
    empty. Scale 2022/5: «3» from 2, «4» from 4, «5» from 5."""
    region = "reg220000 | Алтайский край"
    pavlovsk, kamensk = "reg22_m030 | Павловский район", "reg22_m015 | Каменский район"
    rows = [
        ["sch220001", 22, region, pavlovsk, 'edu220001 | МБОУ "СОШ № 1"', "20.04.2022", 101, 1,
         2, 3, 1, "5А", "М", 4, 6],  # «5»
        [None, 22, region, pavlovsk, 'ksh220002 | МБОУ "Шаховская СОШ"', "20.04.2022", 102, 2,
         0, 1, 0, "5Б", "Ж", 3, 1],  # «2»
        ["sch220002", 22, region, pavlovsk, 'sch220002 | МБОУ "Шаховская СОШ"', "20.04.2022",
         103, "отсутствовал", None, None, None, "5Б", "М", 3, None],
        ["sch220003", 22, region, kamensk, 'sch220003 | МКОУ "Каменская ООШ"', "21.04.2022",
         104, 1, 1, 2, "х", "НЕТ", "Ж", None, 3],  # «3»
    ]  # fmt: skip
    book = workbook([["Класс", "Учебник"], ["5А", "Дорофеев"], ["5Б", "Мерзляк"]], "Классы")
    protocol = book.create_sheet("Протокол")
    for row in [PROTOCOL_HEADER, *rows]:
        protocol.append(row)
    relative = "vpr/2022/5 класс/Математика.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_participants",
        loaded_rows=4,
        skipped_sheets={"Классы": "не результаты участников"},
        results={
            ("sch220001", 2022, 5, "math"): (1, 0, 0, 0),
            ("sch220002", 2022, 5, "math"): (1, 1, 1, 0),
            ("sch220003", 2022, 5, "math"): (1, 0, 0, 0),
        },
    )


STATS_TITLE = [["Статистика по отметкам"], ["Предмет: Математика"], ["Класс: 5"],
               ["Всероссийские проверочные работы 2021"], []]  # fmt: skip


def write_mark_stats_by_name(raw: Path) -> HandWrittenFile:
    """«Статистика по отметкам» naming schools only by `Название ОО` (no `ОО` code), among the
    whole sample, the region and its municipalities; one school spelled with other quotes, one
    in no registry. The «2» counts: 25 × 12 % = 3, 20 × 5 % = 1, 10 × 20 % = 2, 8 × 25 % = 2."""
    header = ["Название ОО", "Муниципалитет", "Кол-во участников", "2", "3", "4", "5"]
    rows = [
        ["Вся выборка", None, "1 234 567", "8,5", "38,1", "38,9", "14,5"],
        ["Алтайский край", None, 20000, 9.1, 40.2, 36.5, 14.2],
        [None, "Павловский район", 300, 10, 40, 35, 15],
        ['МБОУ "СОШ № 1"', "Павловский район", 25, 12, 40, 36, 12],
        ["МБОУ «Шаховская СОШ»", "Павловский район", 20, 5, 45, 35, 15],
        ["Каменский район", None, 120, 15, 45, 30, 10],
        ['МКОУ "Каменская ООШ"', "Каменский район", 10, 20, 50, 30, 0],
        [UNMATCHED_NAME, "Каменский район", 8, 25, 50, 25, 0],
    ]
    relative = "vpr/2021/Статистика по отметкам. Математика 5.xlsx"
    save(workbook([*STATS_TITLE, header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_mark_stats",
        loaded_rows=8,
        results={
            ("sch220001", 2021, 5, "math"): (25, 3, 0, 0),
            ("sch220002", 2021, 5, "math"): (20, 1, 0, 0),
            ("sch220003", 2021, 5, "math"): (10, 2, 0, 0),
            (UNMATCHED_NAME, 2021, 5, "math"): (8, 2, 0, 0),
        },
    )


# (school, participants, lowered, confirmed, raised) as the staged school rows must give them
JOURNAL_SCHOOLS = [
    ("sch220001", 25, 8, 16, 1),
    ("sch220002", 20, 2, 17, 1),
    (UNMATCHED_NAME, 8, 0, 8, 0),
]


def write_journal_comparison_by_name(raw: Path) -> HandWrittenFile:
    """«Сравнение отметок с отметками по журналу» with the same quirks, percent signs and
    decimal commas: 25 × 32 % = 8 lowered, 25 × 64 % = 16, 25 × 4 % = 1; 20 × 10 % = 2, …"""
    header = ["Название ОО", "Муниципалитет", "Кол-во участников", "Понизили (Отметка < "
              "Отметка по журналу) %", "Подтвердили (Отметка = Отметке по журналу) %",
              "Повысили (Отметка > Отметка по журналу) %"]  # fmt: skip
    rows = [
        ["Вся выборка", None, 1234567, "23,4%", "70,1%", "6,5%"],
        ["Алтайский край", None, 20000, "20%", "72%", "8%"],
        [None, "Павловский район", 300, "18%", "75%", "7%"],
        ['МБОУ "СОШ № 1"', "Павловский район", 25, "32%", "64%", "4%"],
        ["МБОУ «Шаховская СОШ»", "Павловский район", 20, "10%", "85%", "5%"],
        [UNMATCHED_NAME, "Каменский район", 8, "0%", "100%", "0%"],
    ]
    title = [["Сравнение отметок с отметками по журналу"], ["Предмет: Математика"],
             ["Класс: 5"], ["ВПР 2021"], []]  # fmt: skip
    relative = "vpr/2021/Сравнение отметок с отметками по журналу. Математика 5.xlsx"
    save(workbook([*title, header, *rows]), raw, relative)
    return HandWrittenFile(relative, "vpr_journal_comparison", loaded_rows=6)


def write_region(raw: Path, reference: Path) -> list[HandWrittenFile]:
    """Every file of this module under raw/, the scales under reference/."""
    write_scales(reference)
    return [
        write_login_list(raw),
        write_surrounding_world_2021(raw),
        write_biology_form_2021(raw),
        write_english_without_scale_2021(raw),
        write_protocol_2022(raw),
        write_mark_stats_by_name(raw),
        write_journal_comparison_by_name(raw),
    ]
