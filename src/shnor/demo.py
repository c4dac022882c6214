"""Synthetic demo region with known truth.

`generate_demo_region` writes the raw files a regional centre (РЦОИ/РЦОКО) would receive, in
the layouts of docs/data-contract.md (registry, ВПР as ФИС ОКО exports it — ``vpr_export`` —,
ОГЭ/ЕГЭ participants and mock exams, social context), under ``data_dir/raw/``, the demo's own
(synthetic) ВПР scales in ``data_dir/reference/vpr_scales.csv``, and the planted truth beside
them in ``data_dir/demo_truth.parquet``. Everything is drawn from ``numpy.random.Generator`` streams
seeded with ``seed`` (mock exams have streams of their own, so the other files do not depend on
them): the same seed and arguments give byte-identical files.

Generative model (logit scale, higher = worse):

- every school has a persistent quality ``u_s ~ N(0, 0.45)`` (lyceums and gymnasiums are shifted
  0.3 better), a social-disadvantage score ``c_s`` (standard normal; rural schools +0.6 on
  average, lyceums/gymnasiums -0.5) acting through ``beta * c_s`` with ``beta = 0.25``, and a
  yearly drift ``d_sy`` (AR(1), rho 0.6, stationary sd 0.15);
- ``true_effect_sy = u_s + beta * c_s + d_sy`` shifts every student's fail odds; persistent
  school x subject deviations (sd 0.15) and ВПР class x year deviations (sd 0.10) come on top;
- a student's ability in a subject is ``-true_effect - deviations + g + e`` with a general part
  ``g ~ N(0, 0.7)`` shared by the student's subjects and a specific part ``e ~ N(0, 0.3)``
  (variances), so ability ~ N(-true_effect - deviations, 1);
- marks and scores come from ability through fixed per-procedure cut-points (constants below,
  chosen so regional fail shares look like real ones) plus a small year x procedure difficulty
  shift (sd 0.06);
- about 4% of schools (more likely among weak ones) inflate ВПР in every year: 80% of their
  would-be «2» become «3» with the primary score exactly at the lower «3» boundary, 20% of
  their «3» become «4» at the lower «4» boundary, most of the remaining would-be «2» are absent;
  journal marks and ОГЭ/ЕГЭ stay honest.
- ВПР files carry no mark: the earlier years come as the 2020–2021 export (one file per work,
  «Проведение работы по <предмет>, <N> класс. ВПР <год>», class letters, «балл за N»), the later
  ones as the 2022 protocol (``<N> класс/<Предмет>``, «code | name» cells, tasks headed with
  their maximum); mostly CSV (UTF-8 or Windows-1251), small files (and a year's smallest
  protocol) XLSX. Workbooks carry the task scores; the CSV copies analysts save keep them for
  Russian and maths of one grade a year (``4 + year % 5``), the other columns in every file
  (speed: task scores of every row would multiply the rows loaded). Some schools log in as
  ``edu`` + the registry digits in the protocol years; a few rows have class «НЕТ», 5% a blank
  journal mark; absentees have «отсутствовал» as the variant. In the export years grade 7
  biology of two municipalities is the form «по образцу 8 класса» with grade 8 biology's scale.
  A reader's marks from ``reference/vpr_scales.csv`` are the planted marks.
- mock exams («репетиционные экзамены», ``raw/mock/<year>/``, §3 layout plus ``Класс`` such as
  «9А» or «11Б», ``Этап`` «репетиционный» or absent) in March–April: grade 9 Russian and maths
  (ОГЭ marks), grade 11 Russian and the maths level the student sits in the main exam (ЕГЭ test
  scores, base-maths marks), same scales as the main exams. About 7% of schools never run mocks,
  the others do in a given year with probability 0.9 (0.7 with fewer than 8 students in grades
  9 and 11); 6% of a running school's results are missing (absent students). A student's mock
  ability is bivariate normal with their first-attempt main-exam ability in the subject
  (correlation 0.68, same spread), lowered by 0.3 reference sd (the mock is earlier in the
  year); the mock-only part is 10% school x grade, 30% student and 60% result noise. Mock fail
  shares come out about 1.5–2x the main exam's; scores correlate about 0.65 within a student.

Truth columns of ``demo_truth.parquet`` (one row per school x year):

- ``school_id`` (str): the school code used in every raw file (``sch`` + 6 digits).
- ``exam_year`` (int): calendar year of the assessments.
- ``municipality_name`` (str): municipality as written in the registry.
- ``settlement_type`` (str): ``urban`` or ``rural``.
- ``school_level`` (str): ``primary`` (НОШ), ``basic`` (ООШ) or ``secondary`` (СОШ).
- ``student_count`` (int): enrolment that year (the registry holds the last year's).
- ``true_effect`` (float): ``u_s + beta * c_s + d_sy``; higher = worse.
- ``social_disadvantage`` (float): ``c_s``; higher = harder conditions.
- ``is_true_low`` (bool): ``true_effect`` among the worst 10% (``ceil(0.1 * n)`` highest) of the
  ``n`` schools with ``assessed_participant_count > 0`` that year.
- ``is_true_stable_low`` (bool): ``is_true_low`` in y-1 and y; False in the first year.
- ``is_true_shnsu`` (bool): ``c_s`` among the worst (highest) 25% of all schools.
- ``is_true_resilient`` (bool): ``is_true_shnsu`` and ``true_effect`` below the median of the
  assessed schools in y-1 and y and not ``is_inflated_vpr`` in either year; False in the first
  year.
- ``is_inflated_vpr`` (bool): the school's ВПР marks are inflated that year.
- ``assessed_participant_count`` (int): first-attempt main-period participant results counted
  that year: present ВПР participants plus first ОГЭ/ЕГЭ attempts in the main period
  (``основной``, or first sitting on ``резервный`` days). Mock exams are not included.
- ``has_mock`` (bool): the school has mock exam results that year
  (``mock_participant_count > 0``).
- ``mock_participant_count`` (int): mock exam participant results that year (one per student
  and subject, grades 9 and 11), as written to ``raw/mock/<year>/``.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

__all__ = [
    "EGE_SCALES",
    "OGE_SCALES",
    "VPR_FORM_SCALES",
    "VPR_SCALES",
    "DemoSummary",
    "EgeScale",
    "MarkScale",
    "generate_demo_region",
]

# --------------------------------------------------------------------------------------------
# Public result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo_region` wrote."""

    data_dir: Path
    seed: int
    school_count: int
    years: tuple[int, ...]
    files: tuple[Path, ...]
    participant_row_count: int  # ВПР, ОГЭ and ЕГЭ participant rows (mock rows not included)
    truth_path: Path
    mock_row_count: int = 0  # mock exam participant rows (raw/mock/)


# --------------------------------------------------------------------------------------------
# Scales and cut-points (invented but plausible; fixed across years)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkScale:
    """Primary-score scale with «3»/«4»/«5» boundaries and target regional mark shares."""

    code: str
    max_score: int
    b3: int
    b4: int
    b5: int
    fail: float  # regional share of «2» at an average year (cumulative quantile)
    cum3: float  # share of marks <= 3
    cum4: float  # share of marks <= 4
    task_count: int = 0
    weight: float = 0.0  # elective popularity (ОГЭ)
    center: float = 0.0  # mean ability of those who sit it, relative to the region


@dataclass(frozen=True)
class EgeScale:
    """ЕГЭ test-score scale: minimum score and target score quantiles."""

    code: str
    max_primary: int
    min_score: int
    median: int
    p90: int
    fail: float  # regional share below the minimum among those who sit the subject
    weight: float = 0.0  # elective popularity
    center: float = 0.0  # mean ability of those who sit it, relative to the region


def _ms(code, mx, b3, b4, b5, tasks, fail, cum3, cum4):
    return MarkScale(code, mx, b3, b4, b5, fail, cum3, cum4, task_count=tasks)


RUS, MATH = "Русский язык", "Математика"
#: ВПР scales keyed by (subject as written in files, grade).
VPR_SCALES: dict[tuple[str, int], MarkScale] = {
    (RUS, 4): _ms("russian", 38, 14, 24, 33, 15, 0.12, 0.47, 0.86),
    (MATH, 4): _ms("math", 20, 6, 12, 17, 12, 0.10, 0.40, 0.81),
    ("Окружающий мир", 4): _ms("surrounding_world", 32, 8, 18, 26, 10, 0.10, 0.44, 0.87),
    (RUS, 5): _ms("russian", 45, 18, 29, 39, 12, 0.16, 0.54, 0.88),
    (MATH, 5): _ms("math", 20, 7, 11, 15, 14, 0.14, 0.50, 0.86),
    ("История", 5): _ms("history", 15, 4, 8, 12, 7, 0.12, 0.48, 0.87),
    ("Биология", 5): _ms("biology", 29, 10, 17, 23, 10, 0.12, 0.50, 0.88),
    ("География", 5): _ms("geography", 37, 10, 20, 30, 10, 0.12, 0.50, 0.88),
    (RUS, 6): _ms("russian", 51, 21, 32, 45, 14, 0.18, 0.58, 0.90),
    (MATH, 6): _ms("math", 20, 6, 10, 15, 13, 0.16, 0.55, 0.88),
    ("История", 6): _ms("history", 20, 6, 11, 16, 10, 0.13, 0.52, 0.88),
    ("Биология", 6): _ms("biology", 28, 10, 17, 24, 9, 0.12, 0.52, 0.88),
    ("География", 6): _ms("geography", 37, 11, 21, 30, 10, 0.11, 0.52, 0.88),
    ("Обществознание", 6): _ms("social_studies", 23, 8, 14, 19, 8, 0.12, 0.50, 0.87),
    (RUS, 7): _ms("russian", 47, 18, 29, 40, 14, 0.20, 0.60, 0.91),
    (MATH, 7): _ms("math", 19, 6, 11, 16, 16, 0.18, 0.60, 0.90),
    ("История", 7): _ms("history", 25, 8, 14, 20, 12, 0.14, 0.55, 0.89),
    ("Биология", 7): _ms("biology", 28, 10, 17, 24, 10, 0.13, 0.55, 0.89),
    ("География", 7): _ms("geography", 37, 11, 21, 30, 10, 0.12, 0.54, 0.89),
    ("Обществознание", 7): _ms("social_studies", 23, 8, 14, 19, 9, 0.13, 0.52, 0.88),
    (RUS, 8): _ms("russian", 51, 22, 34, 45, 17, 0.19, 0.60, 0.91),
    (MATH, 8): _ms("math", 25, 8, 14, 20, 19, 0.19, 0.62, 0.91),
    ("История", 8): _ms("history", 24, 8, 14, 20, 11, 0.14, 0.55, 0.89),
    ("Биология", 8): _ms("biology", 33, 12, 20, 27, 11, 0.13, 0.55, 0.89),
    ("География", 8): _ms("geography", 37, 11, 21, 30, 10, 0.12, 0.54, 0.89),
    ("Обществознание", 8): _ms("social_studies", 23, 8, 14, 19, 9, 0.13, 0.52, 0.88),
    ("Физика", 8): _ms("physics", 18, 5, 9, 14, 11, 0.18, 0.62, 0.92),
    ("Химия", 8): _ms("chemistry", 36, 10, 19, 28, 14, 0.12, 0.52, 0.87),
}

#: ВПР forms with a scale of their own, keyed by (subject, grade, form as in the file name): in
#: the years written as the 2020–2021 export, grade 7 biology of the schools in two municipalities
#: is the form «по образцу 8 класса», scored and marked on grade 8 biology's scale.
BIO_FORM = "по образцу 8 класса"
VPR_FORM_SCALES: dict[tuple[str, int, str], MarkScale] = {
    ("Биология", 7, BIO_FORM): VPR_SCALES[("Биология", 8)],
}

#: ОГЭ scales keyed by subject as written in files (weight = elective popularity).
OGE_SCALES: dict[str, MarkScale] = {
    RUS: MarkScale("russian", 33, 15, 23, 29, 0.05, 0.32, 0.74),
    MATH: MarkScale("math", 31, 8, 15, 22, 0.09, 0.47, 0.86),
    "Обществознание": MarkScale("social_studies", 37, 14, 24, 32, 0.09, 0.56, 0.91, weight=0.58),
    "Информатика": MarkScale("informatics", 19, 5, 11, 17, 0.06, 0.45, 0.85, weight=0.40),
    "География": MarkScale("geography", 31, 12, 19, 25, 0.07, 0.50, 0.87, weight=0.35),
    "Биология": MarkScale("biology", 48, 13, 25, 37, 0.08, 0.56, 0.91, weight=0.25),
    "Химия": MarkScale("chemistry", 40, 10, 20, 31, 0.03, 0.30, 0.70, weight=0.12),
    "Физика": MarkScale("physics", 45, 11, 22, 34, 0.04, 0.50, 0.88, weight=0.08),
    "История": MarkScale("history", 37, 11, 20, 29, 0.06, 0.45, 0.85, weight=0.06),
    "Литература": MarkScale("literature", 45, 16, 27, 36, 0.03, 0.35, 0.75, weight=0.06),
    "Английский язык": MarkScale("english", 68, 29, 46, 58, 0.03, 0.25, 0.65, weight=0.10),
}

MATH_PROFILE, MATH_BASE = "Математика (профильная)", "Математика (базовая)"
#: ЕГЭ scales keyed by subject as written in files; minimums as in reference/ege_min_scores.csv.
EGE_SCALES: dict[str, EgeScale] = {
    RUS: EgeScale("russian", 50, 24, 70, 87, 0.03),
    # Profile maths is chosen by stronger students (`center`); base maths by the others.
    MATH_PROFILE: EgeScale("math_profile", 32, 27, 62, 80, 0.12, center=0.45),
    "Физика": EgeScale("physics", 45, 36, 55, 73, 0.06, weight=0.18),
    "Химия": EgeScale("chemistry", 56, 36, 57, 82, 0.11, weight=0.12),
    "Биология": EgeScale("biology", 59, 36, 53, 73, 0.10, weight=0.17),
    "История": EgeScale("history", 42, 32, 58, 80, 0.08, weight=0.14),
    "Обществознание": EgeScale("social_studies", 58, 42, 57, 75, 0.10, weight=0.45),
    "Информатика": EgeScale("informatics", 29, 40, 60, 85, 0.09, weight=0.18),
    "Английский язык": EgeScale("english", 100, 22, 70, 90, 0.02, weight=0.12),
    "Литература": EgeScale("literature", 48, 32, 62, 83, 0.03, weight=0.06),
    "География": EgeScale("geography", 37, 37, 60, 77, 0.06, weight=0.03),
}
#: ЕГЭ base maths is marked 2–5 from a primary score (no test score).
EGE_MATH_BASE = MarkScale("math_base", 21, 7, 12, 17, 0.04, 0.22, 0.58, center=-0.25)

# Latent-model constants.
_BETA = 0.25
_SD_U, _SD_DRIFT, _RHO_DRIFT = 0.45, 0.15, 0.6
_SD_SUBJECT, _SD_CLASS, _SD_YEAR_SHIFT = 0.15, 0.10, 0.06
_VAR_GENERAL = 0.7  # share of a student's ability variance common to all subjects
_INFLATED_SHARE = 0.04
# Journal (term) marks: ability plus teacher noise, on a slightly more lenient scale.
_SD_JOURNAL, _JOURNAL_CUM = 0.4, (0.05, 0.42, 0.84)
# Reference sd of student ability across the region (used to turn quantiles into cut-points).
_SD_REF = math.sqrt(1 + _SD_U**2 + (_BETA**2) + _SD_DRIFT**2 + _SD_SUBJECT**2)
_NORMAL = NormalDist()
# Mock exams («репетиционные экзамены»): grade 9 Russian and maths, grade 11 Russian and the
# maths level the student sits in the main exam. Mock ability is bivariate normal with the
# student's first-attempt main-exam ability in the subject (correlation `_MOCK_RHO`, same spread
# around the subject's `center`), lowered by `_MOCK_SHIFT` reference sd (earlier in the year);
# the mock-only variance splits into school x grade (timing, marking), student (progress before
# the exam) and result parts by `_MOCK_NOISE_SHARES`.
_MOCK_RHO, _MOCK_SHIFT = 0.68, 0.3
_MOCK_NOISE_SHARES = (0.1, 0.3, 0.6)
_MOCK_NEVER = 0.07  # schools that never run mocks
_MOCK_RUN, _MOCK_RUN_SMALL = 0.9, 0.7  # yearly chance otherwise (small: < 8 in grades 9 + 11)
_MOCK_ABSENT = 0.06  # a student misses one mock
_MOCK_SUBJECTS: dict[str, tuple[str, ...]] = {
    "oge": (RUS, MATH),
    "ege": (RUS, MATH_PROFILE, MATH_BASE),
}

_SUBJECT_CODES = (
    "russian",
    "math",
    "surrounding_world",
    "history",
    "biology",
    "geography",
    "social_studies",
    "physics",
    "chemistry",
    "informatics",
    "literature",
    "english",
)
_SUBJECT_INDEX = {code: i for i, code in enumerate(_SUBJECT_CODES)}

_VPR_EXTRAS: dict[int, tuple[str, ...]] = {
    4: ("Окружающий мир",),
    5: ("История", "Биология", "География"),
    6: ("История", "Биология", "География", "Обществознание"),
    7: ("История", "Биология", "География", "Обществознание"),
    8: ("История", "Биология", "География", "Обществознание", "Физика", "Химия"),
}

_LEVELS = ("НОШ", "ООШ", "СОШ")
_LEVEL_EN = ("primary", "basic", "secondary")
_MAX_GRADE = np.array([4, 9, 11])

_CONTEXT_COLUMNS: tuple[tuple[str, float, float], ...] = (
    # (header, base share, loading on c_s: + grows with disadvantage, - falls with it)
    ("Доля родителей с высшим образованием", 0.30, -0.60),
    ("Доля неполных семей", 0.20, 0.30),
    ("Доля малообеспеченных семей", 0.15, 0.60),
    ("Доля семей с безработными родителями", 0.07, 0.50),
    ("Доля обучающихся, состоящих на учёте", 0.02, 0.40),
    ("Доля обучающихся, для которых русский язык не родной", 0.03, 0.45),
    ("Доля обучающихся с ОВЗ", 0.05, 0.25),
    ("Доля вакантных ставок", 0.04, 0.50),
    ("Доля учителей высшей категории", 0.35, -0.35),
    ("Доля учителей, не подтвердивших предметные компетенции", 0.20, 0.40),
)

# Municipalities: (name in files, town nominative, town genitive). Fictional region.
_CITY_DISTRICTS = (
    ("Городской округ Приреченск", "г. Приреченск", "г. Приреченска"),
    ("Городской округ Северск", "г. Северск", "г. Северска"),
    ("Городской округ Стрежевой", "г. Стрежевой", "г. Стрежевого"),
    ("Городской округ Кедровый", "г. Кедровый", "г. Кедрового"),
    ("Городской округ Лесогорск", "г. Лесогорск", "г. Лесогорска"),
    ("Городской округ Новоозёрск", "г. Новоозёрск", "г. Новоозёрска"),
    ("Городской округ Заречный", "г. Заречный", "г. Заречного"),
    ("Городской округ Рудногорск", "г. Рудногорск", "г. Рудногорска"),
    ("Городской округ Светлогорье", "г. Светлогорье", "г. Светлогорья"),
    ("Городской округ Белоярск", "г. Белоярск", "г. Белоярска"),
    ("Городской округ Каменск-Северный", "г. Каменск-Северный", "г. Каменска-Северного"),
    ("Городской округ Усть-Тайгинск", "г. Усть-Тайгинск", "г. Усть-Тайгинска"),
)
_RURAL_DISTRICTS = (
    ("Асиновский муниципальный район", "г. Асино", "г. Асино"),
    ("Берёзовский муниципальный район", "р.п. Берёзовка", "р.п. Берёзовка"),
    ("Вороновский муниципальный район", "р.п. Вороново", "р.п. Вороново"),
    ("Зырянский муниципальный район", "р.п. Зырянское", "р.п. Зырянское"),
    ("Ильинский муниципальный район", "р.п. Ильинский", "р.п. Ильинского"),
    ("Каргатский муниципальный район", "г. Каргат", "г. Каргата"),
    ("Кожевниковский муниципальный район", "р.п. Кожевниково", "р.п. Кожевниково"),
    ("Колыванский муниципальный район", "р.п. Колывань", "р.п. Колывань"),
    ("Кривошеинский муниципальный район", "р.п. Кривошеино", "р.п. Кривошеино"),
    ("Молчановский муниципальный район", "р.п. Молчаново", "р.п. Молчаново"),
    ("Никольский муниципальный район", "г. Никольск", "г. Никольска"),
    ("Парабельский муниципальный район", "р.п. Парабель", "р.п. Парабель"),
    ("Первомайский муниципальный район", "р.п. Первомайский", "р.п. Первомайского"),
    ("Покровский муниципальный район", "г. Покровск", "г. Покровска"),
    ("Сосновский муниципальный район", "р.п. Сосновка", "р.п. Сосновка"),
    ("Тогучинский муниципальный район", "г. Тогучин", "г. Тогучина"),
    ("Топкинский муниципальный район", "г. Топки", "г. Топки"),
    ("Чаинский муниципальный район", "р.п. Подгорное", "р.п. Подгорное"),
    ("Шегарский муниципальный район", "р.п. Мельниково", "р.п. Мельниково"),
    ("Болотнинский муниципальный район", "г. Болотное", "г. Болотное"),
    ("Мошковский муниципальный район", "р.п. Мошково", "р.п. Мошково"),
    ("Тегульдетский муниципальный район", "р.п. Тегульдет", "р.п. Тегульдет"),
    ("Верхнекетский муниципальный район", "р.п. Белый Яр", "р.п. Белый Яр"),
    ("Каргасокский муниципальный район", "р.п. Каргасок", "р.п. Каргасок"),
    ("Бакчарский муниципальный район", "р.п. Бакчар", "р.п. Бакчар"),
    ("Ягодный муниципальный район", "р.п. Ягодное", "р.п. Ягодное"),
    ("Озёрный муниципальный район", "г. Озёрск", "г. Озёрска"),
    ("Таёжный муниципальный район", "р.п. Таёжный", "р.п. Таёжного"),
)
# Feminine adjectives of village names («Ивановская СОШ»), space-separated.
_VILLAGE_ADJECTIVES = (
    "Ивановская Петровская Михайловская Николаевская Александровская Покровская Никольская "
    "Троицкая Успенская Вознесенская Богородская Сосновская Берёзовская Ольховская Рябиновская "
    "Кедровская Заречная Луговская Полевская Озёрная Новосёловская Староюгинская Нижнетабаганская "
    "Малиновская Калиновская Ягодная Боровская Лесная Усть-Бакчарская Первомайская Октябрьская "
    "Крутоложная Высокоярская Светлая Ключевская Каменская Широковская Дубровинская Черемшанская "
    "Гороховская Митрофановская Вороновская Алексеевская Шерстобитовская Мельниковская Пудовская "
    "Тунгусовская Нарымская Степановская Гынгазовская Киреевская Уртамская Новокусковская "
    "Петуховская"
)
_CLASS_LETTERS = np.array(list("АБВГДЕЖИКЛМН"))

# ОГЭ/ЕГЭ calendars: day offsets from 20 May (main period); reserve and additional windows.
_OGE_MAIN_DAY = {
    RUS: 14,
    MATH: 21,
    "Обществознание": 2,
    "Информатика": 3,
    "География": 7,
    "Биология": 8,
    "Химия": 2,
    "Физика": 17,
    "История": 17,
    "Литература": 28,
    "Английский язык": 3,
}
_EGE_MAIN_DAY = {
    RUS: 10,
    MATH_PROFILE: 7,
    MATH_BASE: 7,
    "Физика": 14,
    "Химия": 3,
    "Биология": 14,
    "История": 3,
    "Обществознание": 11,
    "Информатика": 19,
    "Английский язык": 17,
    "Литература": 3,
    "География": 3,
}


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def generate_demo_region(
    data_dir: Path,
    *,
    seed: int = 20241,
    school_count: int = 600,
    last_year: int = 2026,
    year_count: int = 3,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write a synthetic region's raw files and its planted truth under `data_dir`."""
    if school_count < 10:
        raise ValueError(f"school_count must be at least 10, got {school_count}")
    if year_count < 1:
        raise ValueError(f"year_count must be at least 1, got {year_count}")
    data_dir = Path(data_dir)
    raw = data_dir / "raw"
    _refuse_non_empty(raw)
    say = progress or (lambda _message: None)
    years = tuple(range(last_year - year_count + 1, last_year + 1))

    rng = np.random.default_rng(seed)  # data
    frng = np.random.default_rng([seed, 7])  # file formats, header spellings, missing cells
    # Mock exams draw from their own streams: adding them left every other file unchanged.
    mrng = np.random.default_rng([seed, 11])  # mock data
    mfrng = np.random.default_rng([seed, 13])  # mock file formats and headers
    say("Школы и муниципалитеты / schools")
    region = _make_region(rng, school_count, years)
    mock_never = mrng.random(school_count) < _MOCK_NEVER

    files: list[Path] = []
    participant_rows = 0
    mock_rows = 0
    assessed = np.zeros((len(years), school_count), dtype=np.int64)
    mock_counts = np.zeros((len(years), school_count), dtype=np.int64)
    for yi, year in enumerate(years):
        say(f"ВПР {year}")
        protocol = _is_protocol_year(yi, len(years))
        vpr = _vpr_rows(rng, region, yi, with_forms=not protocol)
        assessed[yi] += np.bincount(vpr["school"][~vpr["absent"]], minlength=school_count)
        files += _write_vpr(frng, region, vpr, raw / "vpr" / str(year), year, protocol)
        participant_rows += len(vpr["school"])

        say(f"ОГЭ {year}")
        oge = _gia_rows(rng, region, yi, year, exam="oge")
        assessed[yi] += np.bincount(oge["school"][oge["counted"]], minlength=school_count)
        files += _write_gia(frng, region, oge, raw / "oge" / str(year), year, yi, exam="oge")
        participant_rows += len(oge["school"])

        say(f"ЕГЭ {year}")
        ege = _gia_rows(rng, region, yi, year, exam="ege")
        assessed[yi] += np.bincount(ege["school"][ege["counted"]], minlength=school_count)
        files += _write_gia(frng, region, ege, raw / "ege" / str(year), year, yi, exam="ege")
        participant_rows += len(ege["school"])

        say(f"Репетиционные экзамены {year} / mock exams")
        senior = region.cohorts[yi][:, 8] + region.cohorts[yi][:, 10]
        p_run = np.where(senior < 8, _MOCK_RUN_SMALL, _MOCK_RUN)
        runs = ~mock_never & (mrng.random(school_count) < p_run)
        mocks = [
            _mock_rows(mrng, region, yi, year, oge, runs, exam="oge"),
            _mock_rows(mrng, region, yi, year, ege, runs, exam="ege"),
        ]
        for mock in mocks:
            mock_counts[yi] += np.bincount(mock["school"], minlength=school_count)
            mock_rows += len(mock["school"])
        files += _write_mock(mfrng, region, mocks, raw / "mock" / str(year), year, yi)

        say(f"Контекст {year} / context")
        files.append(_write_context(frng, rng, region, raw / "context" / str(year), year, yi))

    say("Реестр ОО / registry")
    files.append(_write_registry(region, raw / "schools", last_year))
    _write_vpr_scales(data_dir / "reference", years)
    _write_support_references(data_dir / "reference")
    _write_region_name(data_dir / "reference")

    say("Истина / demo_truth.parquet")
    truth_path = data_dir / "demo_truth.parquet"
    _truth_frame(region, years, assessed, mock_counts).to_parquet(truth_path, index=False)
    return DemoSummary(
        data_dir=data_dir,
        seed=seed,
        school_count=school_count,
        years=years,
        files=tuple(files),
        participant_row_count=int(participant_rows),
        truth_path=truth_path,
        mock_row_count=int(mock_rows),
    )


# What the demo's synthetic ВПР tasks «check», by the task's place in the paper (easier first).
_DEMO_SKILLS = {
    "russian": ("орфография", "пунктуация", "морфемный и словообразовательный разбор",
                "морфологический разбор", "синтаксический разбор", "понимание текста",
                "лексическое значение слова", "речевая ситуация"),
    "math": ("вычисления с натуральными числами", "дроби и проценты", "текстовая задача",
             "единицы измерения", "таблицы и диаграммы", "геометрические фигуры",
             "логическая задача", "задача повышенной сложности"),
}  # fmt: skip
_DEMO_MEASURES = (
    ("vpr", "russian", "наставник из школы-тьютора для учителей русского языка; разбор слабых "
     "заданий на школьном методическом объединении; курсы повышения квалификации «Формирование "
     "орфографической грамотности»"),
    ("vpr", "math", "наставник из школы-тьютора для учителей математики; разбор слабых заданий на "
     "методическом объединении; курсы повышения квалификации «Текстовые задачи в основной школе»"),
    ("ege", "", "наставник из школы-тьютора для учителя предмета; консультации для выпускников по "
     "темам с низкой решаемостью; курсы повышения квалификации по подготовке к ЕГЭ"),
)  # fmt: skip


def _write_support_references(reference: Path) -> None:
    """The demo region's filled reference/task_descriptions.csv (what each synthetic ВПР task
    checks) and reference/support_measures.csv (its measures), as a region would write them;
    files already there (the analyst's) are left alone."""
    reference.mkdir(parents=True, exist_ok=True)
    source = "демо-регион (shnor demo): синтетические задания"
    descriptions = reference / "task_descriptions.csv"
    if not descriptions.exists():
        lines = ["exam,grade,subject,task,level,checked_skill,source"]
        for (_, grade), scale in VPR_SCALES.items():
            skills = _DEMO_SKILLS.get(scale.code)
            for task in range(1, scale.task_count + 1):
                skill = (skills[(task - 1) % len(skills)] if skills
                         else f"{task}-я тема рабочей программы по предмету")  # fmt: skip
                level = "повышенный" if task > scale.task_count * 0.75 else "базовый"
                lines.append(f"vpr,{grade},{scale.code},{task},{level},{skill},{source}")
        descriptions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    measures = reference / "support_measures.csv"
    if not measures.exists():
        lines = ["exam,subject,measure,source"]
        lines += [f'{exam},{subject},"{text}",демо-регион (shnor demo)'
                  for exam, subject, text in _DEMO_MEASURES]  # fmt: skip
        measures.write_text("\n".join(lines) + "\n", encoding="utf-8")


DEMO_REGION_NAME = "Демонстрационная область (синтетические данные)"


def _write_region_name(reference: Path) -> None:
    """The demo region's name for report titles (reference/region.txt), unless one is there."""
    path = reference / "region.txt"
    if not path.exists():
        reference.mkdir(parents=True, exist_ok=True)
        path.write_text(DEMO_REGION_NAME + "\n", encoding="utf-8")


def _write_vpr_scales(reference: Path, years: Sequence[int]) -> None:
    """The demo's own ВПР scales as the region's reference/vpr_scales.csv (synthetic, labelled
    so): its marks follow them, not ФИОКО's real scales of those years. A file already there
    (the analyst's) is left alone."""
    path = reference / "vpr_scales.csv"
    if path.exists():
        return
    reference.mkdir(parents=True, exist_ok=True)
    source = "синтетическая шкала демо-региона (shnor demo) — не шкала ФИОКО"
    lines = ["exam_year,grade,subject,form,max_score,min_score_3,min_score_4,min_score_5,source"]
    keyed = [((grade, ""), scale) for (_, grade), scale in VPR_SCALES.items()]
    keyed += [((grade, form), scale) for (_, grade, form), scale in VPR_FORM_SCALES.items()]
    lines += [
        f"{year},{grade},{scale.code},{form},{scale.max_score},{scale.b3},{scale.b4},{scale.b5},"
        f"{source}"
        for year in years
        for (grade, form), scale in keyed
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _refuse_non_empty(raw: Path) -> None:
    """Raise FileExistsError when `raw` already holds files other than .gitkeep."""
    if not raw.exists():
        return
    taken = [p for p in raw.rglob("*") if p.is_file() and p.name != ".gitkeep"]
    if taken:
        raise FileExistsError(
            f"{raw} already holds {len(taken)} file(s) (e.g. {taken[0]}); the demo region is "
            "written only into an empty raw/ folder. Move the files away or choose another "
            "--data-dir. / Папка raw/ не пуста: демо-регион записывается только в пустую папку."
        )


# --------------------------------------------------------------------------------------------
# Region: schools, municipalities, latent truth
# --------------------------------------------------------------------------------------------


@dataclass
class _Region:
    """Schools with their attributes and latent truth (arrays indexed by school)."""

    codes: np.ndarray
    names: np.ndarray
    muni: np.ndarray
    muni_names: list[str]
    muni_codes: list[str]
    rural: np.ndarray
    level: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    plain_single_class: np.ndarray
    cohorts: np.ndarray  # (years, schools, 11 grades)
    c: np.ndarray
    true_effect: np.ndarray  # (years, schools)
    subject_dev: np.ndarray  # (schools, subjects)
    inflated: np.ndarray  # (years, schools)
    context_noise: np.ndarray  # (schools, context columns), persistent
    task_munis: frozenset[int]

    @property
    def n(self) -> int:
        """Number of schools."""
        return len(self.codes)

    def student_count(self, yi: int) -> np.ndarray:
        """Enrolment per school in year index `yi`."""
        return self.cohorts[yi].sum(axis=1)


def _make_region(rng: np.random.Generator, n: int, years: Sequence[int]) -> _Region:
    """Draw schools, municipalities, sizes and the latent truth."""
    m = max(3, round(n / 40))
    n_city = max(1, round(m * 0.3))
    munis = _cycled(_CITY_DISTRICTS, n_city) + _cycled(_RURAL_DISTRICTS, m - n_city)
    weights = np.array([6.0] + [1.5] * (n_city - 1) + [1.0] * (m - n_city))
    muni = np.concatenate([np.arange(m), rng.choice(m, size=n - m, p=weights / weights.sum())])
    muni = np.sort(muni)
    is_city = muni < n_city
    rural = rng.random(n) < np.where(is_city, 0.04, 0.72)

    r = rng.random(n)
    level = np.where(
        rural,
        np.select([r < 0.10, r < 0.48], [0, 1], 2),
        np.select([r < 0.06, r < 0.11], [0, 1], 2),
    )
    elite = (~rural) & (level == 2) & (rng.random(n) < 0.12)

    base = np.where(
        rural,
        np.clip(rng.lognormal(np.log(9.0), 0.6, n), 2, 35),
        np.clip(rng.lognormal(np.log(55.0), 0.45, n), 12, 150),
    )
    base *= np.where(level == 2, 1.0, np.where(rural, 0.7, 0.6))
    senior = np.where(rural, 0.42, 0.55) * np.where(elite, 1.3, 1.0)

    ny = len(years)
    grades = np.arange(1, 12)
    noise = rng.lognormal(0.0, 0.08, (ny, n, 11))
    lam = base[None, :, None] * noise * np.where(grades >= 10, senior[:, None], 1.0)[None, :, :]
    cohorts = rng.poisson(lam)
    cohorts = np.where(grades[None, None, :] <= _MAX_GRADE[level][None, :, None], cohorts, 0)

    u = rng.normal(0.0, _SD_U, n) - 0.3 * elite
    c = rng.normal(0.0, 1.0, n) + 0.6 * rural - 0.5 * elite
    c -= 0.6 * rural.mean()
    drift = np.empty((ny, n))
    drift[0] = rng.normal(0.0, _SD_DRIFT, n)
    for yi in range(1, ny):
        innov = rng.normal(0.0, _SD_DRIFT * math.sqrt(1 - _RHO_DRIFT**2), n)
        drift[yi] = _RHO_DRIFT * drift[yi - 1] + innov
    true_effect = u[None, :] + _BETA * c[None, :] + drift
    subject_dev = rng.normal(0.0, _SD_SUBJECT, (n, len(_SUBJECT_CODES)))

    k = max(1, round(_INFLATED_SHARE * n))
    weak = u + _BETA * c
    w = np.exp(0.8 * (weak - weak.mean()) / weak.std())
    chosen = rng.choice(n, size=k, replace=False, p=w / w.sum())
    inflated = np.zeros((ny, n), dtype=bool)
    inflated[:, chosen] = True

    codes = np.array([f"sch{x:06d}" for x in rng.choice(np.arange(100000, 1000000), n, False)])
    names = _school_names(rng, muni, munis, rural, level, elite)
    centre = rng.uniform([55.8, 76.5], [59.8, 88.0], (m, 2))
    spread = np.where(rural, 0.45, 0.04)[:, None] * np.where(is_city, 0.5, 1.0)[:, None]
    coords = centre[muni] + rng.normal(0.0, 1.0, (n, 2)) * spread
    plain_single = rng.random(n) < 0.5
    task_munis = frozenset(int(x) for x in rng.choice(np.arange(1, m), size=2, replace=False))
    return _Region(
        codes=codes,
        names=names,
        muni=muni,
        muni_names=[x[0] for x in munis],
        muni_codes=[f"{i + 1:02d}" for i in range(m)],
        rural=rural,
        level=level,
        lat=np.round(coords[:, 0], 6),
        lon=np.round(coords[:, 1], 6),
        plain_single_class=plain_single,
        cohorts=cohorts,
        c=c,
        true_effect=true_effect,
        subject_dev=subject_dev,
        inflated=inflated,
        context_noise=rng.normal(0.0, 0.5, (n, len(_CONTEXT_COLUMNS))),
        task_munis=task_munis,
    )


def _cycled(items: Sequence[tuple[str, str, str]], k: int) -> list[tuple[str, str, str]]:
    """First `k` items, numbering repeats when the list runs out."""
    out = []
    for i in range(k):
        name, town, gen = items[i % len(items)]
        rep = i // len(items)
        out.append((f"{name} ({rep + 1})" if rep else name, town, gen))
    return out


def _school_names(rng, muni, munis, rural, level, elite) -> np.ndarray:
    """Official-looking school names, unique within each municipality."""
    names = np.empty(len(muni), dtype=object)
    for mi, (_name, _town, town_gen) in enumerate(munis):
        adjectives = list(rng.permutation(_VILLAGE_ADJECTIVES.split()))
        members = np.flatnonzero(muni == mi)
        numbers = iter(rng.permutation(np.arange(1, max(200, 2 * len(members)))))
        elite_numbers = itertools.count(1)
        used: dict[str, int] = {}
        for s in members:
            lvl = int(level[s])
            if rural[s]:
                form = rng.choice(["МКОУ", "МБОУ", "МАОУ"], p=[0.5, 0.45, 0.05])
                kind = _LEVELS[lvl]
                adj = adjectives[used.get("_i", 0) % len(adjectives)]
                used["_i"] = used.get("_i", 0) + 1
                key = f"{adj} {kind}"
                used[key] = used.get(key, 0) + 1
                suffix = f" № {used[key]}" if used[key] > 1 else ""
                names[s] = f"{form} «{key}{suffix}»"
            elif elite[s]:
                kind = "Лицей" if rng.random() < 0.5 else "Гимназия"
                form = "МАОУ" if rng.random() < 0.7 else "МБОУ"
                tail = f" {town_gen}" if rng.random() < 0.5 else ""
                names[s] = f"{form} «{kind} № {next(elite_numbers)}»{tail}"
            else:
                form = "МАОУ" if rng.random() < 0.25 else "МБОУ"
                kind = ("Начальная школа", "ООШ", "СОШ")[lvl]
                num = next(numbers)
                if lvl == 2 and rng.random() < 0.04:
                    names[s] = (
                        f"{form} «СОШ № {num} с углублённым изучением отдельных предметов» "
                        f"{town_gen}"
                    )
                else:
                    names[s] = f"{form} «{kind} № {num}» {town_gen}"
    return names


# --------------------------------------------------------------------------------------------
# Scores from ability
# --------------------------------------------------------------------------------------------


def _q(p: float) -> float:
    """Cut-point on the ability scale for a regional cumulative share `p`."""
    return _SD_REF * _NORMAL.inv_cdf(p)


def _mark_scores(ability: np.ndarray, scale: MarkScale) -> np.ndarray:
    """Primary scores (int) from ability via piecewise-linear knots at the mark cut-points."""
    qs = (0.0005, scale.fail, scale.cum3, scale.cum4, 0.9995)
    xs = [scale.center + _q(p) for p in qs]
    ys = [0.0, scale.b3, scale.b4, scale.b5, scale.max_score + 1 - 1e-9]
    return np.clip(np.floor(np.interp(ability, xs, ys)), 0, scale.max_score).astype(np.int64)


def _marks(scores: np.ndarray, scale: MarkScale) -> np.ndarray:
    """Marks 2–5 from primary scores and the scale's boundaries."""
    return 2 + (scores >= scale.b3) + (scores >= scale.b4) + (scores >= scale.b5)


def _ege_scores(ability: np.ndarray, scale: EgeScale) -> np.ndarray:
    """ЕГЭ test scores 0–100 from ability via knots at the minimum, median, p90 and top."""
    xs = [scale.center + _q(p) for p in (0.0005, scale.fail, 0.5, 0.9, 0.9985)]
    ys = [0.0, scale.min_score, scale.median, scale.p90, 101 - 1e-9]
    return np.clip(np.floor(np.interp(ability, xs, ys)), 0, 100).astype(np.int64)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner index and position within owner for `counts` repeated items."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(counts.sum()) - np.repeat(starts, counts)


# --------------------------------------------------------------------------------------------
# ВПР participant rows
# --------------------------------------------------------------------------------------------

_VPR_KEYS = list(VPR_SCALES)
_VPR_KEY_INDEX = {k: i for i, k in enumerate(_VPR_KEYS)}


def _vpr_rows(
    rng: np.random.Generator, reg: _Region, yi: int, *, with_forms: bool
) -> dict[str, np.ndarray]:
    """One year's ВПР participant rows (internal columns, ordered by school/class/subject); with
    `with_forms`, grade 7 biology of the form schools is the form «по образцу 8 класса»."""
    grades = np.arange(4, 9)
    coh = reg.cohorts[yi][:, 3:8]
    sg_school, sg_g = np.nonzero(coh > 0)
    size = coh[sg_school, sg_g]
    cap = np.where(reg.rural[sg_school], 25, 28)
    ncls = np.ceil(size / cap).astype(np.int64)
    cls_owner, cls_no = _expand(ncls)
    cls_school = sg_school[cls_owner]
    cls_grade = grades[sg_g[cls_owner]]
    tot, k = size[cls_owner], ncls[cls_owner]
    cls_size = tot // k + (cls_no < tot % k)
    grade_str = cls_grade.astype(str)
    plain = reg.plain_single_class[cls_school] & (k == 1)
    cls_label = np.where(plain, grade_str, np.char.add(grade_str, _CLASS_LETTERS[cls_no]))
    cls_effect = rng.normal(0.0, _SD_CLASS, len(cls_school))
    cls_first_student = np.cumsum(cls_size) - cls_size

    # Subjects per class: Russian, maths and the grade's rotating subjects.
    parts_class, parts_key = [], []
    for g in grades:
        idx = np.flatnonzero(cls_grade == g)
        extras = _VPR_EXTRAS[int(g)]
        n_extra = 1 if g == 4 else 2
        pick = np.argsort(rng.random((len(idx), len(extras))), axis=1)[:, :n_extra]
        keys = np.array([_VPR_KEY_INDEX[(s, int(g))] for s in (RUS, MATH, *extras)])
        chosen = np.concatenate([np.zeros((len(idx), 1), int), np.ones((len(idx), 1), int)], 1)
        chosen = np.concatenate([chosen, pick + 2], axis=1)
        parts_class.append(np.repeat(idx, chosen.shape[1]))
        parts_key.append(keys[chosen].ravel())
    cs_class = np.concatenate(parts_class)
    cs_key = np.concatenate(parts_key)
    order = np.argsort(cs_class, kind="stable")
    cs_class, cs_key = cs_class[order], cs_key[order]

    row_cs, pos = _expand(cls_size[cs_class])
    row_class = cs_class[row_cs]
    row_key = cs_key[row_cs]
    row_student = cls_first_student[row_class] + pos
    school = cls_school[row_class]
    n_students = int(cls_size.sum())
    student_school = np.repeat(cls_school, cls_size)
    _, school_first = np.unique(student_school, return_index=True)
    first_of_school = np.zeros(reg.n, dtype=np.int64)
    first_of_school[np.unique(student_school)] = school_first
    student_code = 10001 + np.arange(n_students) - first_of_school[student_school]

    general = rng.normal(0.0, math.sqrt(_VAR_GENERAL), n_students)
    nrow = len(row_key)
    key_code = np.array([_SUBJECT_INDEX[VPR_SCALES[k].code] for k in _VPR_KEYS])
    year_shift = rng.normal(0.0, _SD_YEAR_SHIFT, len(_VPR_KEYS))
    ability = (
        -reg.true_effect[yi, school]
        - reg.subject_dev[school, key_code[row_key]]
        - cls_effect[row_class]
        + general[row_student]
        + rng.normal(0.0, math.sqrt(1 - _VAR_GENERAL), nrow)
        - year_shift[row_key]
    )
    journal_noise = rng.normal(0.0, _SD_JOURNAL, nrow)
    u_raise, u_abs, u_var = rng.random(nrow), rng.random(nrow), rng.random(nrow)

    score = np.empty(nrow, dtype=np.int64)
    honest = np.empty(nrow, dtype=np.int64)
    journal = np.empty(nrow, dtype=np.int64)
    b3 = np.empty(nrow, dtype=np.int64)
    b4 = np.empty(nrow, dtype=np.int64)
    sd_j = math.sqrt(_SD_REF**2 + _SD_JOURNAL**2)
    j_cuts = [sd_j * _NORMAL.inv_cdf(p) for p in _JOURNAL_CUM]
    for ki, key in enumerate(_VPR_KEYS):
        sel = row_key == ki
        if not sel.any():
            continue
        scale = VPR_SCALES[key]
        score[sel] = _mark_scores(ability[sel], scale)
        honest[sel] = _marks(score[sel], scale)
        b3[sel], b4[sel] = scale.b3, scale.b4
    form = _form_rows(reg, school, row_key) if with_forms else np.zeros(nrow, dtype=bool)
    if form.any():  # the form's own scale; scores are a function of ability (no draws)
        scale = VPR_FORM_SCALES[("Биология", 7, BIO_FORM)]
        score[form] = _mark_scores(ability[form], scale)
        honest[form] = _marks(score[form], scale)
        b3[form], b4[form] = scale.b3, scale.b4
    j = ability + journal_noise
    journal[:] = 2 + (j >= j_cuts[0]) + (j >= j_cuts[1]) + (j >= j_cuts[2])

    mark = honest.copy()
    inflated = reg.inflated[yi, school]
    up2 = inflated & (honest == 2) & (u_raise < 0.8)
    up3 = inflated & (honest == 3) & (u_raise < 0.2)
    score = np.where(up2, b3, np.where(up3, b4, score))
    mark = np.where(up2 | up3, mark + 1, mark)
    p_absent = 0.04 + 0.03 * (honest == 2)
    p_absent = np.where(inflated & (honest == 2) & ~up2, 0.6, p_absent)
    absent = u_abs < p_absent
    return {
        "school": school,
        "class_label": cls_label[row_class],
        "key": row_key,
        "code": student_code[row_student],
        "variant": 1 + (u_var < 0.5),
        "score": score,
        "mark": mark,
        "honest": honest,
        "journal": journal,
        "absent": absent,
        "form": form,
    }


def _form_rows(reg: _Region, school: np.ndarray, row_key: np.ndarray) -> np.ndarray:
    """Rows of grade 7 biology written as the form «по образцу 8 класса» (two municipalities)."""
    form_school = np.isin(reg.muni, sorted(reg.task_munis))
    return form_school[school] & (row_key == _VPR_KEY_INDEX[("Биология", 7)])


# --------------------------------------------------------------------------------------------
# ОГЭ / ЕГЭ participant rows
# --------------------------------------------------------------------------------------------


def _gia_rows(rng: np.random.Generator, reg: _Region, yi: int, year: int, *, exam: str) -> dict:
    """One year's ОГЭ (grade 9) or ЕГЭ (grade 11) rows, first attempts and retakes."""
    grade = 9 if exam == "oge" else 11
    cohort = reg.cohorts[yi][:, grade - 1]
    stu_school = np.repeat(np.arange(reg.n), cohort)
    ns = len(stu_school)
    general = rng.normal(0.0, math.sqrt(_VAR_GENERAL), ns)
    level_ability = -reg.true_effect[yi, stu_school] + general
    if exam == "oge":
        core = np.stack([np.full(ns, 0), np.full(ns, 1)], axis=1)
        subjects = list(OGE_SCALES)
        weights = np.array([OGE_SCALES[s].weight for s in subjects[2:]])
        gumbel = -np.log(-np.log(rng.random((ns, len(weights)))))
        top = np.argsort(-(np.log(weights) + gumbel), axis=1)[:, :2] + 2
        take = np.concatenate([core, top], axis=1)
        mask = np.ones_like(take, dtype=bool)
    else:
        subjects = [RUS, MATH_PROFILE, MATH_BASE, *list(EGE_SCALES)[2:]]
        p_profile = 1 / (1 + np.exp(-(np.log(0.45 / 0.55) + 1.0 * level_ability)))
        maths = np.where(rng.random(ns) < p_profile, 1, 2)
        weights = np.array([EGE_SCALES[s].weight for s in subjects[3:]])
        gumbel = -np.log(-np.log(rng.random((ns, len(weights)))))
        top = np.argsort(-(np.log(weights) + gumbel), axis=1)[:, :3] + 3
        n_el = rng.choice(4, size=ns, p=[0.10, 0.45, 0.38, 0.07])
        take = np.concatenate([np.zeros((ns, 1), int), maths[:, None], top], axis=1)
        mask = np.concatenate([np.ones((ns, 2), bool), np.arange(3)[None, :] < n_el[:, None]], 1)
    row_student = np.repeat(np.arange(ns), take.shape[1])[mask.ravel()]
    row_subject = take.ravel()[mask.ravel()]
    nrow = len(row_student)
    school = stu_school[row_student]
    codes = np.array([_gia_code(s) for s in subjects])
    year_shift = rng.normal(0.0, _SD_YEAR_SHIFT, len(subjects))
    ability = (
        level_ability[row_student]
        - reg.subject_dev[school, np.array([_SUBJECT_INDEX[c] for c in codes])[row_subject]]
        + rng.normal(0.0, math.sqrt(1 - _VAR_GENERAL), nrow)
        - year_shift[row_subject]
    )

    primary, test, mark, fail = _gia_results(ability, row_subject, subjects, exam)
    main_day = _OGE_MAIN_DAY if exam == "oge" else _EGE_MAIN_DAY
    day_shift = rng.integers(-2, 3, len(subjects))
    may20 = np.datetime64(f"{year}-05-20")
    main_dates = np.array([may20 + main_day[s] + day_shift[i] for i, s in enumerate(subjects)])
    date = main_dates[row_subject]
    stage = np.zeros(nrow, dtype=np.int64)  # 0 основной, 1 резервный, 2 дополнительный
    late = rng.random(nrow) < 0.03
    reserve_lo = np.datetime64(f"{year}-06-24" if exam == "oge" else f"{year}-06-19")
    date = np.where(late, reserve_lo + rng.integers(0, 7, nrow), date)
    stage = np.where(late, 1, stage)

    ids = rng.choice(2**48 - 2**44, size=ns, replace=False) + 2**44
    participant = np.char.mod("%012x", ids)
    first = {
        "school": school,
        "subject": row_subject,
        "student": row_student,
        "primary": primary,
        "test": test,
        "mark": mark,
        "stage": stage,
        "date": date,
        "counted": np.ones(nrow, dtype=bool),
    }
    # Retakes: a new row, later date, some improvement from preparation.
    if exam == "oge":
        retakable = fail
        rounds = ((0.25, 1, f"{year}-07-01", 3), (0.75, 2, f"{year}-09-03", 15))
    else:
        retakable = fail & np.isin(row_subject, [0, 2])
        rounds = ((0.6, 1, f"{year}-07-03", 2), (0.6, 2, f"{year}-09-04", 16))
    parts = [first]
    pending = np.flatnonzero(retakable)
    ability_now = ability.copy()
    for p_take, stg, start, span in rounds:
        sel = pending[rng.random(len(pending)) < p_take]
        if len(sel) == 0:
            continue
        new_ability = ability_now[sel] + rng.normal(0.25, 0.4, len(sel))
        ability_now[sel] = new_ability
        rp, rt, rm, rf = _gia_results(new_ability, row_subject[sel], subjects, exam)
        parts.append(
            {
                "school": school[sel],
                "subject": row_subject[sel],
                "student": row_student[sel],
                "primary": rp,
                "test": rt,
                "mark": rm,
                "stage": np.full(len(sel), stg),
                "date": np.datetime64(start) + rng.integers(0, span, len(sel)),
                "counted": np.zeros(len(sel), dtype=bool),
            }
        )
        still = np.zeros(nrow, dtype=bool)
        still[pending] = True
        still[sel[~rf]] = False
        pending = np.flatnonzero(still)
    out = {key: np.concatenate([p[key] for p in parts]) for key in first}
    order = np.lexsort((out["date"], out["student"]))
    out = {key: value[order] for key, value in out.items()}
    out["participant"] = participant[out["student"]]
    out["subjects"] = np.array(subjects, dtype=object)
    # First-attempt abilities and students, for the mock exams of the same students.
    out["first_student"], out["first_subject"], out["first_ability"] = (
        row_student,
        row_subject,
        ability,
    )
    out["student_school"], out["student_participant"] = stu_school, participant
    return out


def _gia_code(subject: str) -> str:
    """Canonical code of an ОГЭ/ЕГЭ subject for the subject-deviation table."""
    if subject in (MATH_PROFILE, MATH_BASE):
        return "math"
    scale = OGE_SCALES.get(subject) or EGE_SCALES[subject]
    return scale.code


def _gia_results(ability, row_subject, subjects, exam):
    """Primary score, test score (-1 = none), mark (-1 = none) and fail flag per row."""
    n = len(ability)
    primary = np.empty(n, dtype=np.int64)
    test = np.full(n, -1, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    fail = np.zeros(n, dtype=bool)
    for si, subject in enumerate(subjects):
        sel = row_subject == si
        if not sel.any():
            continue
        if exam == "oge" or subject == MATH_BASE:
            scale = OGE_SCALES[subject] if exam == "oge" else EGE_MATH_BASE
            primary[sel] = _mark_scores(ability[sel], scale)
            mark[sel] = _marks(primary[sel], scale)
            fail[sel] = mark[sel] == 2
        else:
            ege = EGE_SCALES[subject]
            test[sel] = _ege_scores(ability[sel], ege)
            primary[sel] = np.rint(test[sel] * ege.max_primary / 100).astype(np.int64)
            fail[sel] = test[sel] < ege.min_score
    return primary, test, mark, fail


# --------------------------------------------------------------------------------------------
# Mock exam rows
# --------------------------------------------------------------------------------------------


def _mock_rows(mrng, reg: _Region, yi: int, year: int, gia: dict, runs, *, exam: str) -> dict:
    """One year's mock rows for the students of the ОГЭ or ЕГЭ rows `gia` (schools `runs`)."""
    grade = 9 if exam == "oge" else 11
    subjects = list(gia["subjects"])
    stu_school = gia["student_school"]
    student, subject = gia["first_student"], gia["first_subject"]
    wanted = np.isin(subject, [subjects.index(x) for x in _MOCK_SUBJECTS[exam]])
    keep = wanted & runs[stu_school[student]]
    student, subject, main = student[keep], subject[keep], gia["first_ability"][keep]
    school = stu_school[student]
    n = len(student)

    centers = np.array([_gia_center(x, exam) for x in subjects])[subject]
    shares = _MOCK_NOISE_SHARES
    noise = (
        math.sqrt(shares[0]) * mrng.normal(0.0, 1.0, reg.n)[school]
        + math.sqrt(shares[1]) * mrng.normal(0.0, 1.0, len(stu_school))[student]
        + math.sqrt(shares[2]) * mrng.normal(0.0, 1.0, n)
    )
    year_shift = mrng.normal(0.0, _SD_YEAR_SHIFT, len(subjects))
    ability = (
        centers
        + _MOCK_RHO * (main - centers)
        + math.sqrt(1 - _MOCK_RHO**2) * _SD_REF * noise
        - _MOCK_SHIFT * _SD_REF
        - year_shift[subject]
    )
    primary, test, mark, _fail = _gia_results(ability, subject, subjects, exam)

    # Each school sets its own day per subject, a weekday between 1 March and 25 April.
    offsets = mrng.integers(0, 56, (reg.n, len(subjects)))
    days = np.datetime64(f"{year}-03-01") + offsets[school, subject]
    date = np.busday_offset(days, 0, roll="forward")

    # Classes: a school's grade split into classes of at most 25 (rural) or 28 (urban).
    cohort = reg.cohorts[yi][:, grade - 1]
    first_of_school = np.cumsum(cohort) - cohort
    position = student - first_of_school[school]
    k = np.ceil(cohort / np.where(reg.rural, 25, 28)).astype(np.int64)
    cls = position * k[school] // cohort[school]
    plain = reg.plain_single_class[school] & (k[school] == 1)
    label = np.where(plain, str(grade), np.char.add(str(grade), _CLASS_LETTERS[cls]))

    present = mrng.random(n) >= _MOCK_ABSENT
    return {
        "school": school[present],
        "grade": np.full(int(present.sum()), grade),
        "class_label": label[present],
        "subject": np.array(subjects, dtype=object)[subject[present]],
        "participant": gia["student_participant"][student[present]],
        "primary": primary[present],
        "test": test[present],
        "mark": mark[present],
        "date": date[present],
    }


def _gia_center(subject: str, exam: str) -> float:
    """Mean ability of those who sit an ОГЭ/ЕГЭ subject, relative to the region."""
    if exam == "oge":
        return OGE_SCALES[subject].center
    return EGE_MATH_BASE.center if subject == MATH_BASE else EGE_SCALES[subject].center


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

_MUNI_HEADERS = ("Муниципалитет", "МО", "Муниципальное образование")
_XLSX_REGION_LIMIT = 150_000  # larger region-wide files are delivered as CSV (speed)
_STAGES = np.array(["основной", "резервный", "дополнительный"], dtype=object)


@dataclass(frozen=True)
class _Format:
    """How one file is delivered."""

    kind: str  # csv_utf8 | csv_1251 | xlsx
    title_lines: int = 0
    sheets_by_subject: bool = False

    @property
    def suffix(self) -> str:
        """File extension."""
        return ".xlsx" if self.kind == "xlsx" else ".csv"


def _pick_format(frng: np.random.Generator, rows: int, *, xlsx_limit: int) -> _Format:
    """A delivery format for a file of `rows` rows (XLSX only for smaller files)."""
    options = ["csv_utf8", "csv_1251"] + (["xlsx", "xlsx"] if rows <= xlsx_limit else [])
    kind = str(frng.choice(options))
    if kind != "xlsx":
        return _Format(kind)
    return _Format(kind, int(frng.integers(1, 3)), bool(frng.random() < 0.4))


def _vary(header: str, frng: np.random.Generator, p: float = 0.12) -> str:
    """A header as a real export might spell it (case, spaces, ё)."""
    if "ё" in header and frng.random() < 0.5:
        header = header.replace("ё", "е")
    if frng.random() >= p:
        return header
    kind = int(frng.integers(0, 4))
    if kind == 0:
        return header[0].lower() + header[1:]
    if kind == 1:
        return header.upper()
    if kind == 2 and " " in header:
        return header.replace(" ", "  ", 1)
    return header + " "


# ВПР as ФИС ОКО exports it (docs/data-contract.md, `vpr_export`): no ВПР mark column, the
# subject, grade and form in the file name or the grade folder; marks come from the scale.
_DATIVE = {
    RUS: "русскому языку",
    MATH: "математике",
    "Окружающий мир": "окружающему миру",
    "История": "истории",
    "Биология": "биологии",
    "География": "географии",
    "Обществознание": "обществознанию",
    "Физика": "физике",
    "Химия": "химии",
}
_EXPORT_HEADERS = (
    "логин школы",
    "регион",
    "номер обучающегося",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "класс",
    "вариант",
    "всего баллов",
)
_PROTOCOL_REGION = ("99", "reg990000 | Демо-регион")
_VPR_XLSX_LIMIT = 3000  # ВПР files up to this many rows may come as XLSX (speed)
_EDU_SHARE = 0.3  # schools whose ФИС ОКО login is `edu…` in the protocol years
_NO_CLASS_SHARE = 0.005  # rows with class «НЕТ»
_NO_JOURNAL_SHARE = 0.05  # rows with a blank journal mark
_SEXES = np.array(["М", "Ж"], dtype=object)
_CSV_KINDS = ["csv_utf8", "csv_1251"]


def _is_protocol_year(yi: int, year_count: int) -> bool:
    """Later years come as the 2022 «протокол», earlier ones as the 2020–2021 export."""
    return yi >= max(1, year_count // 2)


def _write_vpr(frng, reg: _Region, rows: dict, folder: Path, year: int, protocol: bool) -> list:
    """Write one year's ВПР as ФИС ОКО exports it, a file per work; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    logins = _logins(frng, reg, protocol)
    work = rows["key"] * 2 + rows["form"]
    works, sizes = np.unique(work, return_counts=True)
    smallest = works[np.argmin(sizes)] if protocol else -1  # a protocol workbook every year
    written = []
    for w, size in zip(works, sizes, strict=True):
        idx = np.flatnonzero(work == w)
        (subject, grade), form = _VPR_KEYS[w // 2], BIO_FORM if w % 2 else None
        small = size <= _VPR_XLSX_LIMIT and (form is not None or frng.random() < 0.15)
        fmt = _Format("xlsx" if small or w == smallest else str(frng.choice(_CSV_KINDS)))
        tasks = fmt.kind == "xlsx" or (subject in (RUS, MATH) and grade == 4 + year % 5)
        scale = VPR_FORM_SCALES[(subject, grade, form)] if form else VPR_SCALES[(subject, grade)]
        if protocol:
            path = folder / f"{grade} класс" / f"{subject}{fmt.suffix}"
            table = _protocol_table(frng, reg, rows, idx, logins, scale, year, tasks)
        else:
            named = f" ({form})" if form else ""
            title = f"Проведение работы по {_DATIVE[subject]}, {grade} класс{named}. ВПР {year}"
            path = folder / f"{title}{fmt.suffix}"
            table = _export_table(frng, reg, rows, idx, logins, scale, tasks)
        written.append(_write_vpr_file(path, table, fmt, year, grade, protocol))
    return written


def _logins(frng, reg: _Region, protocol: bool) -> np.ndarray:
    """ФИС ОКО logins: the registry's `sch…`, or `edu…` with the same digits for some schools
    in the protocol years."""
    edu = protocol & (frng.random(reg.n) < _EDU_SHARE)
    return np.where(edu, np.char.replace(reg.codes.astype(str), "sch", "edu"), reg.codes)


def _export_table(frng, reg: _Region, rows: dict, idx, logins, scale, tasks: bool) -> pa.Table:
    """The 2020–2021 export of one work: class letters, numbered participants and, with
    `tasks`, «балл за N»."""
    school = rows["school"][idx]
    label = rows["class_label"][idx].astype(str)
    letter = np.char.lstrip(label, "0123456789")
    klass = np.where(letter == "", label, letter)
    number = _expand(np.bincount(school, minlength=reg.n)[np.unique(school)])[1] + 1
    cols = {
        "логин школы": pa.array(logins[school]),
        "регион": pa.array(np.array(reg.muni_names, dtype=object)[reg.muni[school]]),
        "номер обучающегося": pa.array(number),
        "код обучающегося": pa.array(rows["code"][idx]),
    }
    cols |= _common_columns(frng, rows, idx, klass)
    cols = dict(zip(_EXPORT_HEADERS, cols.values(), strict=True))
    points = _task_points(frng, rows["score"][idx], scale, tasks)
    absent = rows["absent"][idx]
    for t in range(points.shape[1]):
        cols[f"балл за {t + 1}"] = pa.array(points[:, t], mask=absent)
    return pa.table(cols)


def _common_columns(frng, rows: dict, idx, klass: np.ndarray) -> dict[str, pa.Array]:
    """Journal mark (some blank), sex, class («НЕТ» for a few), variant or «отсутствовал»,
    total score."""
    n, absent = len(idx), rows["absent"][idx]
    no_class = frng.random(n) < _NO_CLASS_SHARE
    variant = np.where(absent, "отсутствовал", rows["variant"][idx].astype(str))
    return {
        "journal": pa.array(rows["journal"][idx], mask=frng.random(n) < _NO_JOURNAL_SHARE),
        "sex": pa.array(_SEXES[frng.integers(0, 2, n)]),
        "class": pa.array(np.where(no_class, "НЕТ", klass).tolist()),
        "variant": pa.array(variant.tolist()),
        "score": pa.array(rows["score"][idx], mask=absent),
    }


def _protocol_table(frng, reg, rows: dict, idx, logins, scale, year, tasks: bool) -> pa.Table:
    """The 2022 «протокол» of one subject and grade: «code | name» cells and, with `tasks`,
    tasks headed with their maximum («3 (2б)»)."""
    school = rows["school"][idx]
    muni = reg.muni[school]
    muni_cells = np.char.add(
        np.char.add("reg99_m", np.char.zfill(np.array(reg.muni_codes, dtype=str), 3)),
        np.char.add(" | ", np.array(reg.muni_names, dtype=str)),
    ).astype(object)
    school_cells = np.char.add(np.char.add(logins.astype(str), " | "), reg.names.astype(str))
    common = _common_columns(frng, rows, idx, rows["class_label"][idx].astype(str))
    points = _task_points(frng, rows["score"][idx], scale, tasks)
    absent = rows["absent"][idx]
    n = len(idx)
    cols = {
        "Пользователь": pa.array(logins[school]),
        "Код региона": pa.array(np.full(n, _PROTOCOL_REGION[0], dtype=object)),
        "Регион": pa.array(np.full(n, _PROTOCOL_REGION[1], dtype=object)),
        "Муниципалитет": pa.array(muni_cells[muni]),
        "Школа": pa.array(school_cells.astype(object)[school]),
        "Дата загрузки": pa.array(np.full(n, f"{year}-04-20", dtype=object)),
        "Код": pa.array(rows["code"][idx]),
        "Вариант": common["variant"],
    }
    for t, top in enumerate(_task_caps(scale)[: points.shape[1]]):
        cols[f"{t + 1} ({top}б)"] = pa.array(points[:, t], mask=absent)
    cols["Наименование класса"] = common["class"]
    cols["Пол"] = common["sex"]
    cols["Отметка за предыдущий триместр/ четверть/полугодие"] = common["journal"]
    cols["Итого баллов"] = common["score"]
    return pa.table(cols)


def _task_caps(scale: MarkScale) -> np.ndarray:
    """Maximum points per task, summing to the scale's maximum score."""
    caps = np.full(scale.task_count, scale.max_score // scale.task_count)
    caps[scale.task_count - scale.max_score % scale.task_count :] += 1
    return caps


def _task_points(frng, scores: np.ndarray, scale: MarkScale, tasks: bool) -> np.ndarray:
    """Points per task (rows x tasks) summing to the primary score, easier tasks first; no
    columns without `tasks`."""
    if not tasks:
        return np.zeros((len(scores), 0), dtype=np.int64)
    caps = _task_caps(scale)
    unit_task = np.repeat(np.arange(scale.task_count), caps)
    difficulty = np.linspace(0.0, 1.0, scale.task_count)[unit_task]
    keys = frng.random((len(scores), len(unit_task))) + difficulty[None, :]
    ranks = np.empty(keys.shape, dtype=np.int64)
    np.put_along_axis(ranks, np.argsort(keys, axis=1), np.arange(keys.shape[1])[None, :], axis=1)
    starts = np.concatenate([[0], np.cumsum(caps)[:-1]])
    return np.add.reduceat((ranks < scores[:, None]).astype(np.int64), starts, axis=1)


def _write_vpr_file(path: Path, table: pa.Table, fmt: _Format, year, grade, protocol) -> Path:
    """One ВПР file: CSV as analysts save it, or the workbook (the protocol's with `Классы`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt.kind != "xlsx":
        _write_csv(path, table, fmt)
        return path
    sheets = [("Протокол" if protocol else "Лист1", [], table)]
    if protocol:
        classes = pa.table({"Класс": [f"{grade}А"], "Учебник": ["Учебник для школы"]})
        sheets.insert(0, ("Классы", [], classes))
    _write_xlsx(path, sheets, year)
    return path


def _write_gia(frng, reg: _Region, rows: dict, folder: Path, year, yi, *, exam) -> list[Path]:
    """Write one year's ОГЭ or ЕГЭ participant files; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    label = "ОГЭ" if exam == "oge" else "ЕГЭ"
    plans = ("region_sheets", "split", "region_csv") if exam == "oge" else None
    plans = plans or ("split", "region_xlsx", "region_csv")
    plan = plans[yi % 3]
    n = len(rows["school"])
    written = []
    if plan == "split":
        muni_of_row = reg.muni[rows["school"]]
        for mi in range(len(reg.muni_names)):
            idx = np.flatnonzero(muni_of_row == mi)
            if len(idx) == 0:
                continue
            fmt = _pick_format(frng, len(idx), xlsx_limit=15000)
            path = folder / f"{label}_{year}_МСУ_{reg.muni_codes[mi]}{fmt.suffix}"
            written.append(_write_gia_file(frng, reg, rows, idx, path, fmt, year, exam))
        return written
    if plan == "region_sheets" and n <= _XLSX_REGION_LIMIT:
        fmt = _Format("xlsx", int(frng.integers(1, 3)), True)
    elif plan == "region_xlsx" and n <= _XLSX_REGION_LIMIT:
        fmt = _Format("xlsx", 2, False)
    else:
        fmt = _Format("csv_1251" if frng.random() < 0.5 else "csv_utf8")
    path = folder / f"{label}_{year}_результаты_участников{fmt.suffix}"
    written.append(_write_gia_file(frng, reg, rows, np.arange(n), path, fmt, year, exam))
    return written


def _write_gia_file(frng, reg, rows, idx, path, fmt, year, exam) -> Path:
    """Write the ОГЭ/ЕГЭ rows `idx` to `path` in format `fmt`."""
    school = rows["school"][idx]
    subjects = rows["subjects"]
    subj = subjects[rows["subject"][idx]]
    use_msu = frng.random() < 0.5
    cols: dict[str, pa.Array] = {
        _vary(str(frng.choice(["Код ОУ", "Код ОУ", "Код ОО"])), frng): pa.array(reg.codes[school])
    }
    if use_msu:
        cols[_vary("Код МСУ", frng)] = pa.array(np.array(reg.muni_codes)[reg.muni[school]])
    else:
        cols[_vary(str(frng.choice(_MUNI_HEADERS)), frng)] = pa.array(
            np.array(reg.muni_names, dtype=object)[reg.muni[school]]
        )
    cols[_vary(str(frng.choice(["Код участника", "ID участника"])), frng)] = pa.array(
        rows["participant"][idx].tolist()
    )
    cols[_vary("Предмет", frng)] = pa.array(subj)
    cols[_vary("Первичный балл", frng)] = pa.array(rows["primary"][idx])
    if exam == "ege":
        test = rows["test"][idx]
        cols[_vary("Балл", frng)] = pa.array(test, mask=test < 0)
    mark = rows["mark"][idx]
    cols[_vary("Оценка", frng)] = pa.array(mark, mask=mark < 0)
    cols[_vary("Этап", frng)] = pa.array(_STAGES[rows["stage"][idx]])
    cols[_vary("Дата экзамена", frng)] = _date_column(rows["date"][idx], fmt)
    table = pa.table(cols)
    if fmt.kind != "xlsx":
        _write_csv(path, table, fmt)
        return path
    label = "ОГЭ" if exam == "oge" else "ЕГЭ"
    title = [f"Результаты {label} {year}", "Основной, дополнительный и резервный периоды"]
    if fmt.sheets_by_subject:
        sheets = []
        for subject in [x for x in subjects if x in set(subj)]:
            sel = np.flatnonzero(subj == subject)
            titles = [f"{title[0]}, {subject}", title[1]][: fmt.title_lines]
            sheets.append((subject[:31], titles, table.take(pa.array(sel))))
    else:
        sheets = [(f"{label} {year}", title[: fmt.title_lines], table)]
    _write_xlsx(path, sheets, year)
    return path


_MOCK_XLSX_LIMIT = 1500  # mock files up to this many rows may come as XLSX (speed)


def _write_mock(frng, reg: _Region, mocks: list[dict], folder: Path, year, yi) -> list[Path]:
    """Write one year's mock exam files (grades 9 and 11); return their paths.

    Even year indexes: one file per municipality holding both grades; odd ones: one region file
    per grade. `Класс` tells grade 9 (ОГЭ-like) rows from grade 11 (ЕГЭ-like) rows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = {key: np.concatenate([m[key] for m in mocks]) for key in mocks[0]}
    keys = ("subject", "participant", "class_label", "grade", "school")
    order = np.lexsort([rows[key].astype(str) if key == "subject" else rows[key] for key in keys])
    rows = {key: value[order] for key, value in rows.items()}
    written = []
    if yi % 2 == 0:
        muni_of_row = reg.muni[rows["school"]]
        for mi in range(len(reg.muni_names)):
            idx = np.flatnonzero(muni_of_row == mi)
            if len(idx) == 0:
                continue
            fmt = _pick_format(frng, len(idx), xlsx_limit=_MOCK_XLSX_LIMIT)
            name = f"Репетиционные_экзамены_{year}_МСУ_{reg.muni_codes[mi]}{fmt.suffix}"
            titles = [f"Репетиционные экзамены {year}", reg.muni_names[mi]]
            path = folder / name
            written.append(_write_mock_file(frng, reg, rows, idx, path, fmt, year, titles))
        return written
    for grade, label in ((9, "ОГЭ"), (11, "ЕГЭ")):
        idx = np.flatnonzero(rows["grade"] == grade)
        if len(idx) == 0:
            continue
        if len(idx) <= _MOCK_XLSX_LIMIT:
            fmt = _Format("xlsx", int(frng.integers(1, 3)), bool(frng.random() < 0.5))
        else:
            fmt = _Format("csv_1251" if frng.random() < 0.5 else "csv_utf8")
        name = f"Репетиционный_{label}_{grade}_классы_{year}{fmt.suffix}"
        titles = [f"Репетиционный экзамен в формате {label}, {year}", f"{grade} классы"]
        path = folder / name
        written.append(_write_mock_file(frng, reg, rows, idx, path, fmt, year, titles))
    return written


def _write_mock_file(frng, reg, rows, idx, path, fmt, year, titles) -> Path:
    """Write the mock rows `idx` to `path` in format `fmt` (§3 layout plus `Класс`)."""
    school = rows["school"][idx]
    subj = rows["subject"][idx]
    cols: dict[str, pa.Array] = {
        _vary(str(frng.choice(["Код ОУ", "Код ОУ", "Код ОО"])), frng): pa.array(reg.codes[school])
    }
    if frng.random() < 0.5:
        cols[_vary("Код МСУ", frng)] = pa.array(np.array(reg.muni_codes)[reg.muni[school]])
    else:
        cols[_vary(str(frng.choice(_MUNI_HEADERS)), frng)] = pa.array(
            np.array(reg.muni_names, dtype=object)[reg.muni[school]]
        )
    cols[_vary(str(frng.choice(["Код участника", "ID участника"])), frng)] = pa.array(
        rows["participant"][idx].tolist()
    )
    cols[_vary("Класс", frng)] = pa.array(rows["class_label"][idx].tolist())
    cols[_vary("Предмет", frng)] = pa.array(subj)
    cols[_vary("Первичный балл", frng)] = pa.array(rows["primary"][idx])
    test = rows["test"][idx]
    if (test >= 0).any():
        cols[_vary("Балл", frng)] = pa.array(test, mask=test < 0)
    mark = rows["mark"][idx]
    if (mark >= 0).any():
        cols[_vary("Оценка", frng)] = pa.array(mark, mask=mark < 0)
    if frng.random() < 0.5:
        cols[_vary("Этап", frng)] = pa.array(np.full(len(idx), "репетиционный", dtype=object))
    cols[_vary("Дата экзамена", frng)] = _date_column(rows["date"][idx], fmt)
    table = pa.table(cols)
    if fmt.kind != "xlsx":
        _write_csv(path, table, fmt)
        return path
    if fmt.sheets_by_subject:
        sheets = []
        grades = rows["grade"][idx]
        for grade, subject in dict.fromkeys(zip(grades.tolist(), subj.tolist(), strict=True)):
            sel = np.flatnonzero((grades == grade) & (subj == subject))
            sheet = f"{grade} кл, {subject}"[:31]
            heads = [f"{titles[0]}, {subject}", titles[1]][: fmt.title_lines]
            sheets.append((sheet, heads, table.take(pa.array(sel))))
    else:
        sheets = [("Результаты", titles[: fmt.title_lines], table)]
    _write_xlsx(path, sheets, year)
    return path


def _date_column(dates: np.ndarray, fmt: _Format) -> pa.Array:
    """Exam dates: `dd.mm.yyyy` text in Windows-1251 CSV, dates otherwise."""
    if fmt.kind == "csv_1251":
        day = pd.DatetimeIndex(dates).strftime("%d.%m.%Y")
        return pa.array(np.asarray(day, dtype=object))
    return pa.array(dates.astype("datetime64[D]"))


def _write_context(frng, rng, reg: _Region, folder: Path, year: int, yi: int) -> Path:
    """Write one year's social passport (one row per school)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = reg.n
    kind = ("xlsx", "csv_1251", "csv_utf8")[yi % 3]
    fmt = _Format(kind, 1 if kind == "xlsx" else 0)
    cols: dict[str, pa.Array] = {
        _vary(str(frng.choice(["Код ОО", "Логин ОО"])), frng): pa.array(reg.codes)
    }
    for ci, (header, base, loading) in enumerate(_CONTEXT_COLUMNS):
        logit = (
            math.log(base / (1 - base))
            + loading * reg.c
            + reg.context_noise[:, ci]
            + rng.normal(0.0, 0.1, n)
        )
        share = 1 / (1 + np.exp(-logit))
        if yi == 0 and ci == len(_CONTEXT_COLUMNS) - 1:
            continue  # the teacher-competence assessment started later
        percent = frng.random() < 0.5
        values = np.round(share * 100, 1) if percent else np.round(share, 3)
        missing = frng.random(n) < 0.05
        if fmt.kind == "csv_1251":
            text = np.char.replace(values.astype(str), ".", ",").astype(object)
            text[missing] = None
            cols[_vary(header, frng)] = pa.array(text.tolist(), type=pa.string())
        else:
            cols[_vary(header, frng)] = pa.array(values, mask=missing)
    cols[_vary("Тип поселения", frng)] = pa.array(np.where(reg.rural, "село", "город").tolist())
    cols[_vary("Численность обучающихся", frng)] = pa.array(reg.student_count(yi))
    table = pa.table(cols)
    path = folder / f"Социальный_паспорт_ОО_{year}{fmt.suffix}"
    if fmt.kind == "xlsx":
        _write_xlsx(path, [("Паспорт", [f"Социальный паспорт ОО, {year} год"], table)], year)
    else:
        _write_csv(path, table, fmt)
    return path


def _write_registry(reg: _Region, folder: Path, last_year: int) -> Path:
    """Write the school registry (state at the start of the last school year)."""
    folder.mkdir(parents=True, exist_ok=True)
    cols = {
        "Код ОО": pa.array(reg.codes),
        "Полное наименование": pa.array(reg.names),
        "Муниципалитет": pa.array(np.array(reg.muni_names, dtype=object)[reg.muni]),
        "Тип поселения": pa.array(np.where(reg.rural, "село", "город").tolist()),
        "Уровень": pa.array(np.array(_LEVELS, dtype=object)[reg.level]),
        "Численность обучающихся": pa.array(reg.student_count(-1)),
        "Широта": pa.array(reg.lat),
        "Долгота": pa.array(reg.lon),
    }
    table = pa.table(cols)
    path = folder / f"Реестр_ОО_{last_year}.xlsx"
    title = [f"Реестр общеобразовательных организаций на 01.09.{last_year - 1}"]
    _write_xlsx(path, [("Реестр", title, table)], last_year)
    return path


def _write_csv(path: Path, table: pa.Table, fmt: _Format) -> None:
    """CSV as UTF-8 with BOM and `,`, or Windows-1251 with `;`."""
    delimiter = ";" if fmt.kind == "csv_1251" else ","
    buf = io.BytesIO()
    options = pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed")
    pacsv.write_csv(table, buf, write_options=options)
    data = buf.getvalue()
    if fmt.kind == "csv_1251":
        data = data.decode("utf-8").encode("cp1251")
    else:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def _write_xlsx(path: Path, sheets: list[tuple[str, list[str], pa.Table]], year: int) -> None:
    """XLSX (constant memory): per sheet, title lines, the header row, then the data."""
    options = {
        "constant_memory": True,
        "default_date_format": "dd.mm.yyyy",
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    with xlsxwriter.Workbook(str(path), options) as wb:
        wb.set_properties({"created": dt.datetime(year, 9, 1), "author": "shnor demo"})
        for name, titles, table in sheets:
            ws = wb.add_worksheet(name)
            r = 0
            for t in titles:
                ws.write_string(r, 0, t)
                r += 1
            ws.write_row(r, 0, table.column_names)
            r += 1
            cols = []
            for column_name, column in zip(table.column_names, table.columns, strict=True):
                values = column.to_pylist()
                if column_name.isdigit():  # task points: numbers, `x` stays text
                    values = [int(v) if v is not None and v.isdigit() else v for v in values]
                cols.append(values)
            for row in zip(*cols, strict=True):
                ws.write_row(r, 0, row)
                r += 1


# --------------------------------------------------------------------------------------------
# Truth
# --------------------------------------------------------------------------------------------


def _truth_frame(
    reg: _Region, years: Sequence[int], assessed: np.ndarray, mock_counts: np.ndarray
) -> pd.DataFrame:
    """One row per school x year with the planted truth."""
    n = reg.n
    shnsu = np.zeros(n, dtype=bool)
    shnsu[np.argsort(-reg.c, kind="stable")[: math.ceil(0.25 * n)]] = True
    low = np.zeros((len(years), n), dtype=bool)
    better = np.zeros((len(years), n), dtype=bool)
    for yi in range(len(years)):
        ok = np.flatnonzero(assessed[yi] > 0)
        te = reg.true_effect[yi, ok]
        worst = ok[np.argsort(-te, kind="stable")[: math.ceil(0.1 * len(ok))]]
        low[yi, worst] = True
        better[yi, ok] = te < np.median(te)
    frames = []
    for yi, year in enumerate(years):
        prev = max(yi - 1, 0)
        has_prev = yi > 0
        frames.append(
            pd.DataFrame(
                {
                    "school_id": reg.codes.astype(object),
                    "exam_year": np.full(n, year, dtype=np.int64),
                    "municipality_name": np.array(reg.muni_names, dtype=object)[reg.muni],
                    "settlement_type": np.where(reg.rural, "rural", "urban").astype(object),
                    "school_level": np.array(_LEVEL_EN, dtype=object)[reg.level],
                    "student_count": reg.student_count(yi).astype(np.int64),
                    "true_effect": reg.true_effect[yi],
                    "social_disadvantage": reg.c,
                    "is_true_low": low[yi],
                    "is_true_stable_low": has_prev & low[prev] & low[yi],
                    "is_true_shnsu": shnsu,
                    "is_true_resilient": has_prev
                    & shnsu
                    & better[prev]
                    & better[yi]
                    & ~reg.inflated[prev]
                    & ~reg.inflated[yi],
                    "is_inflated_vpr": reg.inflated[yi],
                    "assessed_participant_count": assessed[yi].astype(np.int64),
                    "has_mock": mock_counts[yi] > 0,
                    "mock_participant_count": mock_counts[yi].astype(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
