"""A generator of the ФИС ОКО context questionnaire and the ФИОКО lists of schools with signs of
non-objective results, written from the data contract's description alone (not the demo's code):
long question headers, numbered category answers, blank answers, a title row above the header.
Each school's planted truth is returned beside the file, so tests compare outcomes with it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xlsxwriter

TITLE = "Сбор контекстных данных об ОО и участниках ВПР {year}"
PLACES = {
    False: "1. Населенный пункт городского типа (город, поселок городского типа)",
    True: "2. Населенный пункт сельского типа (село, деревня, хутор и др.)",
}
# (answer, persons at the band's middle) in the questionnaire's numbering.
BANDS = (
    ("1. менее 1 тыс. чел", 500),
    ("2. 1–5 тыс. чел", 3_000),
    ("3. 5–10 тыс. чел", 7_500),
    ("4. 10–50 тыс. чел", 30_000),
    ("5. 50–100 тыс. чел", 75_000),
    ("6. 100–500 тыс. чел", 300_000),
    ("7. 500 тыс. – 1 млн чел", 750_000),
    ("8. более 1 млн чел", 2_000_000),
)
YES = "1. Да"
NO = "2. Нет"
INTERNET = "Имеется ли в ОО доступ к сети Интернет со скоростью не менее 2 Мбит/с?"
PARENTS = "Насколько родители вовлечены в жизнь школы?"
TRANSPORT = {True: "1. Да, есть регулярное транспортное сообщение", False: "2. Нет"}


@dataclass
class School:
    """One school's planted answers (the truth the tests expect back)."""

    login: str
    name: str
    is_rural: bool
    band: int  # index into BANDS
    has_transport: bool
    is_boarding: bool
    is_special: bool
    pupils: list[int]  # grades 1–11
    teachers: int
    top_category: int
    young: int
    pension_age: int

    @property
    def log_population(self) -> float:
        return round(math.log10(BANDS[self.band][1]), 3)

    @property
    def student_count(self) -> int:
        return sum(self.pupils)


def plant_schools(count: int, seed: int = 3, prefix: str = "sch") -> list[School]:
    """Schools of a region: rural ones small and in small settlements, some without transport."""
    rng = np.random.default_rng(seed)
    schools = []
    for i in range(count):
        rural = bool(rng.random() < 0.5)
        band = int(rng.integers(0, 3) if rural else rng.integers(3, 8))
        size = int(rng.integers(5, 25) if rural else rng.integers(20, 90))
        pupils = [int(max(0, size + rng.integers(-4, 5))) for _ in range(11)]
        teachers = max(4, sum(pupils) // 12)
        schools.append(
            School(
                login=f"{prefix}{100000 + i}",
                name=f"МБОУ «Школа № {i + 1}»",
                is_rural=rural,
                band=band,
                has_transport=bool(not rural or rng.random() < 0.6),
                is_boarding=bool(rng.random() < 0.08),
                is_special=bool(rng.random() < 0.05),
                pupils=pupils,
                teachers=teachers,
                top_category=int(rng.integers(0, teachers + 1)),
                young=int(rng.integers(0, teachers // 3 + 1)),
                pension_age=int(rng.integers(0, teachers // 2 + 1)),
            )
        )
    return schools


def questionnaire_headers() -> list[str]:
    """The questionnaire's ~95 columns, headed by long questions as ФИС ОКО words them."""
    headers = [
        "Логин",
        "Полное наименование ОО",
        "1. Организационно-правовая форма ОО",
        "2. Уровни общего образования, реализуемые в ОО",
        "3. Где расположена ОО?",
        "4. Численность населения населенного пункта, в котором расположена ОО",
        "5. Имеется ли регулярное транспортное сообщение населенного пункта, в котором "
        "расположена ОО, с региональным центром?",
        "6. Является ли ОО специальной (коррекционной) школой?",
        "7. Является ли ОО вечерней (сменной) общеобразовательной школой?",
        "8. Является ли ОО школой-интернатом?",
    ]
    for grade in range(1, 12):
        headers.append(f"Количество обучающихся в {grade}-х классах")
        headers.append(f"Количество классов в {grade}-х классах")
        headers.append(f"Количество обучающихся с ОВЗ в {grade}-х классах")
        headers.append(
            f"Количество обучающихся, для которых русский язык не является родным, в {grade}-х "
            "классах"
        )
    headers += [
        "Общее количество учителей в ОО",
        "Количество учителей, имеющих высшую квалификационную категорию",
        "Количество учителей в возрасте до 30 лет",
        "Количество учителей пенсионного возраста",
        "Количество компьютеров, используемых в учебном процессе",
        INTERNET,
        PARENTS,
    ]
    # Questions shnor does not read: kept in extra_columns and reported as unknown.
    headers += [f"Дополнительный вопрос анкеты № {n} о материально-техническом оснащении ОО"
                for n in range(1, 96 - len(headers))]  # fmt: skip
    return headers


def questionnaire_row(school: School, headers: list[str], blank: set[str]) -> list[object]:
    """One school's answers in the order of the headers; questions in `blank` left empty."""
    answers: dict[str, object] = {
        "Логин": school.login,
        "Полное наименование ОО": school.name,
        "1. Организационно-правовая форма ОО": "1. Муниципальное бюджетное учреждение",
        "2. Уровни общего образования, реализуемые в ОО": "1. НОО, ООО, СОО",
        "3. Где расположена ОО?": PLACES[school.is_rural],
        "4. Численность населения населенного пункта, в котором расположена ОО": BANDS[school.band][
            0
        ],
        headers[6]: TRANSPORT[school.has_transport],
        headers[7]: YES if school.is_special else NO,
        headers[8]: NO,
        headers[9]: YES if school.is_boarding else NO,
        "Общее количество учителей в ОО": school.teachers,
        "Количество учителей, имеющих высшую квалификационную категорию": school.top_category,
        "Количество учителей в возрасте до 30 лет": school.young,
        "Количество учителей пенсионного возраста": school.pension_age,
        "Количество компьютеров, используемых в учебном процессе": 12,
        INTERNET: YES,
        PARENTS: "2. Скорее вовлечены",
    }
    for grade, pupils in enumerate(school.pupils, start=1):
        answers[f"Количество обучающихся в {grade}-х классах"] = pupils
        answers[f"Количество классов в {grade}-х классах"] = max(1, pupils // 25)
        answers[f"Количество обучающихся с ОВЗ в {grade}-х классах"] = pupils // 10
    for header in headers:
        if header.startswith("Дополнительный вопрос"):
            answers[header] = "1. Да, в полном объеме"
    return [None if h in blank else answers.get(h) for h in headers]


def write_questionnaire(
    path: Path, schools: list[School], year: int, blank: dict[str, set[str]] | None = None
) -> Path:
    """The questionnaire as XLSX: a title row, the header of long questions, a row per school;
    `blank` maps a login to the questions it left unanswered."""
    headers = questionnaire_headers()
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Анкета ОО")
    sheet.write(0, 0, TITLE.format(year=year))
    sheet.write_row(2, 0, headers)
    for number, school in enumerate(schools):
        row = questionnaire_row(school, headers, (blank or {}).get(school.login, set()))
        sheet.write_row(3 + number, 0, row)
    workbook.close()
    return path


def write_fioco_list(
    path: Path, rows: list[dict[str, object]], with_procedures: bool = True
) -> Path:
    """A ФИОКО list: login, year, and (when `with_procedures`) grade and subject per row."""
    headers = ["Логин ОО", "Год"] + (["Класс", "Предмет"] if with_procedures else [])
    keys = ["login", "year"] + (["grade", "subject"] if with_procedures else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Список ОО")
    sheet.write(0, 0, "Перечень ОО с признаками необъективных результатов ВПР")
    sheet.write_row(1, 0, headers)
    for number, row in enumerate(rows):
        sheet.write_row(2 + number, 0, [row.get(k) for k in keys])
    workbook.close()
    return path
