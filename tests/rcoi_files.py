"""Files of a region whose registry is a ФИС ОКО login list («sch220001») while its РЦОИ and
its social passport write numeric school codes («220001», «0220002»), written by hand from the
data contract (§1–§5) — small, each with its truth counted by hand:

- ОГЭ and ЕГЭ participant files as РЦОИ sends them (§3): `Код МСУ` instead of `Муниципалитет`,
  `Этап` in several spellings (основной, «основной период», резервный, «досрочный»,
  дополнительный), dates as text, as dates and as Excel day numbers, a pupil with a main and a
  reserve attempt, ЕГЭ base maths with a mark and no score, a ЕГЭ subject the minimum-score table
  lacks, scores with decimal commas, absences;
- ВПР summaries «Статистика по отметкам» and «Сравнение отметок с отметками по журналу» and the
  ЕГЭ summary workbook with no municipality column: a municipality row, then its schools, then
  the next municipality — and «МБОУ "СОШ № 1"» in two municipalities;
- a code that fits two schools of the login list (never guessed).

Importable as `rcoi_files` (pytest puts tests/ on the path)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hand_written import HandWrittenFile, save, workbook

# A file's results: (school_id, exam, year, grade, subject) → (participants counted, fails,
# absent, rows kept but not counted).

# The login list: two schools named «СОШ № 1» in two municipalities; 220005 the digits of two
# schools (a gymnasium and a lyceum listed under two prefixes).
LOGINS = [
    ["sch220001", 'МБОУ "СОШ № 1"', "Павловский район"],
    ["sch220002", 'МБОУ "Шаховская СОШ"', "Павловский район"],
    ["sch220003", 'МБОУ "СОШ № 1"', "Каменский район"],
    ["sch220004", 'МКОУ "Ракитовская ООШ"', "Каменский район"],
    ["sch220005", 'МБОУ "Гимназия № 5"', "Каменский район"],
    ["edu220005", 'МБОУ "Лицей № 5"', "Каменский район"],
]
AMBIGUOUS_CODE = "220005"  # fits sch220005 and edu220005: stays itself, reported


def write_login_list(raw: Path) -> HandWrittenFile:
    relative = "schools/Логины ОО.xlsx"
    save(workbook([["логин", "имя", "регион"], *LOGINS], "Логины"), raw, relative)
    return HandWrittenFile(relative, "schools", loaded_rows=len(LOGINS))


OGE_HEADER = "Код МСУ;Код ОУ;Код участника;Предмет;Этап;Дата экзамена;Первичный балл;Оценка"


def write_oge_csv(raw: Path) -> HandWrittenFile:
    """ОГЭ математика 2024 as РЦОИ saves it from Excel: Windows-1251, `;`, numeric codes (one with
    its leading zero), `Код МСУ`, dates as text, ISO and Excel day numbers (45447 = 04.06.2024,
    45462 = 19.06.2024), a decimal comma."""
    rows = [
        "030;220001;o01;Математика;Основной;04.06.2024;20;4",
        "030;220001;o02;Математика;основной период;45447;7;2",
        "030;220001;o03;Математика;Основной;2024-06-04;5;2",  # counts: the main attempt
        "030;220001;o03;Математика;Резервный день;45462;12;3",  # kept, not counted
        "030;0220002;o04;Математика;досрочный;22.04.2024;15,0;4",  # early: main period
        "030;0220002;o05;Математика;дополнительный (сентябрьские сроки);04.09.2024;6;2",
        "030;0220002;o06;Математика;основной;04.06.2024;;н/я",
        "015;220003;o07;Математика;Осн.;04.06.2024;9;3",
        "030;220001;o10;Математика;пересдача;10.09.2024;8;3",  # no known period: reported
        "015;220003;o09;Математика;резервный;19.06.2024;25;5",  # ill on the main day
        f"015;{AMBIGUOUS_CODE};o08;Математика;Основной;04.06.2024;11;3",
    ]
    relative = "oge/2024/ОГЭ 2024 математика.csv"
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join([OGE_HEADER, *rows]) + "\r\n").encode("cp1251"))
    return HandWrittenFile(
        relative,
        "exam_participants",
        loaded_rows=len(rows),
        results={
            ("sch220001", "oge", 2024, 9, "math"): (3, 2, 0, 2),  # the reserve, the retake
            ("sch220002", "oge", 2024, 9, "math"): (1, 0, 1, 1),  # the additional period
            ("sch220003", "oge", 2024, 9, "math"): (2, 0, 0, 0),
            (AMBIGUOUS_CODE, "oge", 2024, 9, "math"): (1, 0, 0, 0),
        },
    )


EGE_HEADER = ["Код МСУ", "Код ОУ", "Код участника", "Предмет", "Этап", "Дата экзамена",
              "Первичный балл", "Балл", "Оценка"]  # fmt: skip


def write_ege_workbook(raw: Path) -> HandWrittenFile:
    """ЕГЭ 2024 in one workbook: a title line, codes as numbers and as text with the zero, dates
    as date cells, Excel day numbers (45443 = 31.05.2024) and text, scores with decimal commas,
    base maths with a mark and no score, the oral English the minimum-score table lacks."""
    day = dt.datetime(2024, 5, 31)
    rows = [
        ["030", 220001, "e01", "Русский язык", "основной", day, "38,0", "72,0", None],
        ["030", 220001, "e02", "Русский язык", "основной", 45443, 12, 23, None],  # below 24
        ["030", 220001, "e03", "Математика (базовая)", "основной", "03.06.2024", 12, None, 4],
        ["030", 220001, "e04", "Математика (базовая)", "основной", "03.06.2024", 5, None, 2],
        ["030", "0220002", "e05", "Английский язык (устная часть)", "основной", "18.06.2024",
         15, 60, None],  # no minimum score: kept, not counted, reported
        ["030", "0220002", "e06", "Физика", "Досрочный период", "22.03.2024", "20,5", 55, None],
        ["030", "0220002", "e07", "Физика", "основной", "11.06.2024", None, "н/я", None],
        ["015", 220003, "e08", "Русский язык", "резервный", "19.06.2024", 40, 80, None],
        ["015", 220003, "e09", "Русский язык", "основной", 45443, 30, 65, None],
        ["015", 220003, "e09", "Русский язык", "резервный", 45462, 35, 70, None],  # repeat
    ]  # fmt: skip
    relative = "ege/2024/ЕГЭ 2024 результаты участников.xlsx"
    save(workbook([["Результаты ЕГЭ 2024, основной период"], EGE_HEADER, *rows], "ЕГЭ"),
          raw, relative)  # fmt: skip
    return HandWrittenFile(
        relative,
        "exam_participants",
        loaded_rows=len(rows),
        results={
            ("sch220001", "ege", 2024, 11, "russian"): (2, 1, 0, 0),
            ("sch220001", "ege", 2024, 11, "math_base"): (2, 1, 0, 0),
            ("sch220002", "ege", 2024, 11, "english_oral"): (0, 0, 0, 1),  # no minimum
            ("sch220002", "ege", 2024, 11, "physics"): (1, 0, 1, 0),
            ("sch220003", "ege", 2024, 11, "russian"): (2, 0, 0, 1),  # e09's reserve day
        },
    )


STATS_TITLE = [["Статистика по отметкам"], ["Предмет: Математика"], ["Класс: 5"],
               ["Всероссийские проверочные работы 2024"], []]  # fmt: skip


def write_mark_stats_by_municipality_rows(raw: Path) -> HandWrittenFile:
    """«Статистика по отметкам» with no municipality column: a municipality row above its
    schools. The «2» counts: 25 × 12 % = 3, 20 × 5 % = 1, 20 × 10 % = 2, 10 × 20 % = 2."""
    header = ["Название ОО", "Кол-во участников", "2", "3", "4", "5"]
    rows = [
        ["Вся выборка", "1 234 567", "8,5", "38,1", "38,9", "14,5"],
        ["Алтайский край", 20000, 9.1, 40.2, 36.5, 14.2],
        ["Павловский муниципальный район", 45, 8.9, 42.2, 35.6, 13.3],
        ['МБОУ "СОШ № 1"', 25, 12, 40, 36, 12],
        ["МБОУ «Шаховская СОШ»", 20, 5, 45, 35, 15],
        ["Каменский муниципальный район", 30, 13.3, 50, 30, 6.7],
        ['МБОУ "СОШ № 1"', 20, 10, 50, 30, 10],  # Каменский район's «СОШ № 1»
        ['МКОУ "Ракитовская ООШ"', 10, 20, 50, 30, 0],
    ]
    relative = "vpr/2024/Статистика по отметкам. Математика 5.xlsx"
    save(workbook([*STATS_TITLE, header, *rows]), raw, relative)
    return HandWrittenFile(
        relative,
        "vpr_mark_stats",
        loaded_rows=len(rows),
        results={
            ("sch220001", "vpr", 2024, 5, "math"): (25, 3, 0, 0),
            ("sch220002", "vpr", 2024, 5, "math"): (20, 1, 0, 0),
            ("sch220003", "vpr", 2024, 5, "math"): (20, 2, 0, 0),
            ("sch220004", "vpr", 2024, 5, "math"): (10, 2, 0, 0),
        },
    )


# (school, participants, lowered, confirmed, raised) of the staged school rows
JOURNAL_SCHOOLS = [("sch220001", 25, 8, 16, 1), ("sch220003", 20, 2, 17, 1)]


def write_journal_comparison_by_municipality_rows(raw: Path) -> HandWrittenFile:
    """«Сравнение отметок с отметками по журналу», the same layout: 25 × 32 % = 8 lowered,
    25 × 64 % = 16, 25 × 4 % = 1; 20 × 10 % = 2, 20 × 85 % = 17, 20 × 5 % = 1."""
    header = ["Название ОО", "Кол-во участников", "Понизили (Отметка < Отметка по журналу) %",
              "Подтвердили (Отметка = Отметке по журналу) %",
              "Повысили (Отметка > Отметка по журналу) %"]  # fmt: skip
    rows = [
        ["Вся выборка", 1234567, "23,4%", "70,1%", "6,5%"],
        ["Павловский муниципальный район", 25, "32%", "64%", "4%"],
        ['МБОУ "СОШ № 1"', 25, "32%", "64%", "4%"],
        ["Каменский муниципальный район", 20, "10%", "85%", "5%"],
        ['МБОУ "СОШ № 1"', 20, "10%", "85%", "5%"],
    ]
    title = [["Сравнение отметок с отметками по журналу"], ["Предмет: Математика"],
             ["Класс: 5"], ["ВПР 2024"], []]  # fmt: skip
    relative = "vpr/2024/Сравнение отметок с отметками по журналу. Математика 5.xlsx"
    save(workbook([*title, header, *rows]), raw, relative)
    return HandWrittenFile(relative, "vpr_journal_comparison", loaded_rows=len(rows))


SUMMARY_SUBJECTS = ("Русский язык", "Математика (профильная)")
SUMMARY_METRICS = [
    "приняло участие",
    "не преодолен min порог",
    "высокобалльники (80-99 баллов)",
    "получили 100 баллов",
    "средний балл",
]


def write_ege_summary_by_municipality_rows(raw: Path) -> HandWrittenFile:
    """The ЕГЭ summary workbook of 2023 with no municipality column: each municipality's
    subtotal written where the schools' names are, above its schools; a region total last."""
    sheet_rows = [
        ["Результаты ЕГЭ 2023 по образовательным организациям"],
        [],
        ["Образовательная организация (школа)",
         "Всего выпускников в 2023 году, сдававших ЕГЭ (чел.)",
         SUMMARY_SUBJECTS[0], None, None, None, None, SUMMARY_SUBJECTS[1]],
        [None, None, *SUMMARY_METRICS, *SUMMARY_METRICS],
        ["Павловский муниципальный район", 30, 25, 2, 3, 0, 60.5, 10, 1, 1, 0, 55],
        ['МБОУ "СОШ № 1"', 20, 15, 1, 2, 0, 62, 6, 1, 1, 0, 58],
        ['МБОУ "Шаховская СОШ"', 10, 10, 1, 1, 0, 58, 4, 0, 0, 0, 50.5],
        ["Каменский муниципальный район", 12, 11, 3, 0, 0, 50],
        ['МБОУ "СОШ № 1"', 12, 11, 3, 0, 0, 50],
        ["Итого по региону", 42, 36, 5, 3, 0, 57, 10, 1, 1, 0, 55],
    ]  # fmt: skip
    book = workbook(sheet_rows, "2023")
    book.active.merge_cells("C3:G3")
    book.active.merge_cells("H3:L3")
    relative = "ege/2023/Результаты ЕГЭ 2023 по школам.xlsx"
    save(book, raw, relative)
    return HandWrittenFile(
        relative,
        "ege_school_summary",
        loaded_rows=5,  # one row per school × subject with figures
        total_rows=3,
        results={
            ("sch220001", "ege", 2023, 11, "russian"): (15, 1, 0, 0),
            ("sch220001", "ege", 2023, 11, "math_profile"): (6, 1, 0, 0),
            ("sch220002", "ege", 2023, 11, "russian"): (10, 1, 0, 0),
            ("sch220002", "ege", 2023, 11, "math_profile"): (4, 0, 0, 0),
            ("sch220003", "ege", 2023, 11, "russian"): (11, 3, 0, 0),
        },
    )


PASSPORT_SHARES = {  # code as written → parents with higher education, percent
    220001: 45,
    "0220002": 30,
    220003: 12,
    220004: 20,
    int(AMBIGUOUS_CODE): 50,
}


def write_passport(raw: Path) -> HandWrittenFile:
    """A social passport with numeric codes: a number, a text with the zero the login lacks."""
    rows = [["Код ОО", "Доля родителей с высшим образованием, %"]]
    rows += [[code, share] for code, share in PASSPORT_SHARES.items()]
    relative = "context/2024/Социальный паспорт 2024.xlsx"
    save(workbook(rows), raw, relative)
    return HandWrittenFile(relative, "context", loaded_rows=len(PASSPORT_SHARES))


def write_region(raw: Path) -> list[HandWrittenFile]:
    """Every file of this module under raw/."""
    return [
        write_login_list(raw),
        write_oge_csv(raw),
        write_ege_workbook(raw),
        write_mark_stats_by_municipality_rows(raw),
        write_journal_comparison_by_municipality_rows(raw),
        write_ege_summary_by_municipality_rows(raw),
        write_passport(raw),
    ]
