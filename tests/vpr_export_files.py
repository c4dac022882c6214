"""Writers of the ВПР participant exports ФИС ОКО gives a region, from the data contract alone
(docs/data-contract.md §2 a′), with their known truth: the 2020–2021 workbook per subject and
grade (subject, grade and form only in the file name; «отсутствовал»; blank journal marks;
classes «НЕТ»; `балл за N` task columns) and the 2022 «протокол» (a folder per grade, sheets
`Классы` and `Протокол`, «code | name» cells, tasks headed with their maximum). Schools appear
under several login prefixes (`sch`, `edu`, `ksh`) with the same digits."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

PREFIXES = ("sch", "edu", "ksh")
SCALE_SOURCE = "synthetic scale of the tests (tests/vpr_export_files.py), not ФИОКО's"


@dataclass(frozen=True)
class Work:
    """One ВПР work: grade, subject (dative as in the 2021 file name, nominative as in the 2022
    one, canonical code), the form of the work and its scale."""

    grade: int
    dative: str
    nominative: str
    subject: str
    form: str | None  # «по образцу 8 класса» — a form with its own scale
    task_max: tuple[int, ...]
    min_3: int
    min_4: int
    min_5: int
    has_scale: bool = True

    @property
    def max_score(self) -> int:
        return sum(self.task_max)

    def mark(self, score: int) -> int:
        if score >= self.min_5:
            return 5
        if score >= self.min_4:
            return 4
        return 3 if score >= self.min_3 else 2


def _work(grade, dative, nominative, subject, tasks, form=None, has_scale=True) -> Work:
    total = sum(tasks)
    return Work(grade, dative, nominative, subject, form, tuple(tasks),
                round(total * 0.3), round(total * 0.55), round(total * 0.8), has_scale)  # fmt: skip


# A region's year: Russian and maths in grades 4–8, other subjects, a subject whose form has its
# own scale (biology 7 «по образцу 8 класса»), and one work without a scale.
WORKS = (
    *(_work(g, "математике", "Математика", "math", [1, 1, 2, 1, 2, 2, 1, 2, 2, 3, 1, 2])
      for g in (4, 5, 6, 7, 8)),
    *(_work(g, "русскому языку", "Русский язык", "russian", [3, 4, 2, 3, 2, 3, 2, 1, 2, 3])
      for g in (4, 5, 6, 7, 8)),
    _work(4, "окружающему миру", "Окружающий мир", "surrounding_world", [2, 3, 2, 2, 3, 3, 2]),
    _work(5, "истории", "История", "history", [2, 2, 1, 3, 2, 3]),
    _work(6, "географии", "География", "geography", [2, 2, 3, 2, 3, 2, 2]),
    _work(7, "биологии", "Биология", "biology", [2, 2, 3, 2, 2, 3]),
    _work(7, "биологии", "Биология", "biology", [2, 3, 2, 3, 3, 2, 3], "по образцу 8 класса"),
    _work(7, "английскому языку", "Английский язык", "english", [5, 5, 5, 5, 10]),
    _work(8, "физике", "Физика", "physics", [1, 2, 1, 2, 3, 2], has_scale=False),
)  # fmt: skip


@dataclass
class ExportTruth:
    """What the files hold: rows written, participants and fails per school digits × grade ×
    subject (fails by the scale; works without a scale count no one), schools' spellings."""

    rows: int = 0
    files: list[Path] = field(default_factory=list)
    participants: Counter = field(default_factory=Counter)
    fails: Counter = field(default_factory=Counter)
    absent: Counter = field(default_factory=Counter)
    unscaled: Counter = field(default_factory=Counter)  # sat a work that has no scale
    logins: dict[str, set[str]] = field(default_factory=dict)  # digits → spellings used
    task_max: dict[tuple[int, str], dict[str, int]] = field(default_factory=dict)


def scale_rows(year: int, works: tuple[Work, ...] = WORKS) -> list[str]:
    """The synthetic scales as rows of a region's reference/vpr_scales.csv (works with a scale)."""
    header = "exam_year,grade,subject,form,max_score,min_score_3,min_score_4,min_score_5,source"
    return [header] + [
        f"{year},{w.grade},{w.subject},{w.form or ''},{w.max_score},{w.min_3},{w.min_4},"
        f"{w.min_5},{SCALE_SOURCE}"
        for w in works
        if w.has_scale
    ]


def write_scales(reference_dir: Path, year: int, works: tuple[Work, ...] = WORKS) -> Path:
    """A region's reference/vpr_scales.csv holding the synthetic scales of these works."""
    reference_dir.mkdir(parents=True, exist_ok=True)
    path = reference_dir / "vpr_scales.csv"
    path.write_text("\n".join(scale_rows(year, works)) + "\n", encoding="utf-8")
    return path


def _schools(count: int) -> list[str]:
    return [f"22{number:04d}" for number in range(1, count + 1)]


def _participants(rng: random.Random, work: Work, schools: list[str], rows: int):
    """(digits, class letter, score or None when absent, journal mark) per participant row."""
    per_school = max(1, rows // len(schools))
    for digits in schools:
        size = max(1, int(rng.gauss(per_school, per_school * 0.3)))
        letters = "АБВГ"[: max(1, min(4, size // 25 + 1))]
        ability = rng.random()
        for _ in range(size):
            absent = rng.random() < 0.07
            score = (
                None
                if absent
                else min(work.max_score, max(0, round(rng.gauss(ability * work.max_score, 4))))
            )
            journal = None if rng.random() < 0.12 else rng.choice((2, 3, 3, 4, 4, 5))
            letter = "НЕТ" if rng.random() < 0.03 else rng.choice(letters)
            yield digits, letter, score, journal


def _task_points(rng: random.Random, work: Work, score: int) -> list[int]:
    """Points per task summing to the score, each within its maximum."""
    points = [0] * len(work.task_max)
    left = score
    order = list(range(len(points)))
    while left > 0:
        rng.shuffle(order)
        for index in order:
            if left and points[index] < work.task_max[index]:
                points[index] += 1
                left -= 1
    return points


def _count(truth: ExportTruth, work: Work, digits: str, score: int | None) -> None:
    key = (digits, work.grade, work.subject)
    if score is None:
        truth.absent[key] += 1
    elif not work.has_scale:
        truth.unscaled[key] += 1
    else:
        truth.participants[key] += 1
        truth.fails[key] += work.mark(score) == 2


def _login(rng: random.Random, truth: ExportTruth, digits: str) -> str:
    login = rng.choice(PREFIXES) + digits
    truth.logins.setdefault(digits, set()).add(login)
    return login


def write_2021_export(
    path: Path, work: Work, year: int, schools: list[str], rows: int, rng: random.Random,
    truth: ExportTruth,
) -> Path:  # fmt: skip
    """One «Проведение работы по …, N класс. ВПР <year>.xlsx» workbook."""
    form = f" ({work.form})" if work.form else ""
    path = path / f"Проведение работы по {work.dative}, {work.grade} класс{form}. ВПР {year}.xlsx"
    textbook = rng.random() < 0.5
    headers = [
        "логин школы", "регион", "номер обучающегося", "код обучающегося",
        "отметка за предыдущую четверть/триместр", "пол", "класс", "вариант", "всего баллов",
        *(f"балл за {n}" for n in range(1, len(work.task_max) + 1)),
        *(["Учебник"] if textbook else []),
    ]  # fmt: skip
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Лист1")
    sheet.write_row(0, 0, headers)
    line = 1
    logins = {digits: _login(rng, truth, digits) for digits in schools}
    numbers: Counter = Counter()
    for digits, letter, score, journal in _participants(rng, work, schools, rows):
        numbers[digits] += 1
        absent = score is None
        cells = [
            logins[digits], f"Муниципалитет {int(digits[-2:]) % 7 + 1}", numbers[digits],
            int(digits) * 1000 + numbers[digits], journal, rng.choice("МЖ"),
            letter if rng.random() > 0.5 or letter == "НЕТ" else letter.lower(),
            "отсутствовал" if absent else rng.randint(1, 20), None if absent else score,
            *([None] * len(work.task_max) if absent else _task_points(rng, work, score)),
            *(["Учебник для школы"] if textbook else []),
        ]  # fmt: skip
        sheet.write_row(line, 0, cells)
        line += 1
        _count(truth, work, digits, score)
    book.close()
    truth.rows += line - 1
    truth.files.append(path)
    return path


def write_2022_protocol(
    folder: Path, work: Work, schools: list[str], rows: int, rng: random.Random,
    truth: ExportTruth,
) -> Path:  # fmt: skip
    """One «<Предмет>.xlsx» protocol workbook in the folder «<N> класс»."""
    folder = folder / f"{work.grade} класс"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{work.nominative}.xlsx"
    tasks = [f"{n} ({m}б)" if n % 3 else f"{n}К1 ({m}б)" for n, m in
             enumerate(work.task_max, start=1)]  # fmt: skip
    truth.task_max[(work.grade, work.subject)] = {
        t.split(" ")[0]: m for t, m in zip(tasks, work.task_max, strict=True)
    }
    headers = [
        "Пользователь", "Код региона", "Регион", "Муниципалитет", "Школа", "Дата загрузки",
        "Код", "Вариант", *tasks, "Наименование класса", "Пол",
        "Отметка за предыдущий триместр/ четверть/полугодие", "Итого баллов",
    ]  # fmt: skip
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    classes = book.add_worksheet("Классы")
    classes.write_row(0, 0, ["Класс", "Учебник"])
    classes.write_row(1, 0, [f"{work.grade}А", "Учебник для школы"])
    sheet = book.add_worksheet("Протокол")
    sheet.write_row(0, 0, headers)
    line = 1
    logins = {digits: _login(rng, truth, digits) for digits in schools}
    for digits, letter, score, journal in _participants(rng, work, schools, rows):
        absent = score is None
        municipality = int(digits[-2:]) % 7 + 1
        cells = [
            logins[digits], 22, "reg220000 | Алтайский край",
            f"reg22_m{municipality:03d} | Муниципалитет {municipality}",
            f'{logins[digits]} | МБОУ "СОШ № {int(digits[2:])}"', "2022-04-20",
            int(digits) * 1000 + line, "отсутствовал" if absent else rng.randint(1, 20),
            *([None] * len(work.task_max) if absent else _task_points(rng, work, score)),
            f"{work.grade}{letter}" if letter != "НЕТ" else "НЕТ", rng.choice("МЖ"), journal,
            None if absent else score,
        ]  # fmt: skip
        sheet.write_row(line, 0, cells)
        line += 1
        _count(truth, work, digits, score)
    book.close()
    truth.rows += line - 1
    truth.files.append(path)
    return path


def write_login_list(path: Path, schools: list[str]) -> Path:
    """A ФИС ОКО login list (`логин`, `имя`, `регион`): the region's registry of schools."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Логины")
    sheet.write_row(0, 0, ["логин", "имя", "регион"])
    for line, digits in enumerate(schools, start=1):
        sheet.write_row(line, 0, [f"sch{digits}", f'МБОУ "СОШ № {int(digits[2:])}"',
                                  f"Муниципалитет {int(digits[-2:]) % 7 + 1}"])  # fmt: skip
    book.close()
    return path


def write_region(
    raw_dir: Path, year: int, school_count: int = 20, rows_per_file: int = 400, style: str = "2021",
    works: tuple[Work, ...] = WORKS, seed: int = 1,
) -> ExportTruth:  # fmt: skip
    """A region's ВПР year as ФИС ОКО exports it (style '2021' or '2022'), under raw_dir/vpr/."""
    rng = random.Random(seed)
    schools = _schools(school_count)
    folder = raw_dir / "vpr" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    truth = ExportTruth()
    for work in works:
        if style == "2021":
            write_2021_export(folder, work, year, schools, rows_per_file, rng, truth)
        elif work.form is None:  # the protocol names no form: one file per subject and grade
            write_2022_protocol(folder, work, schools, rows_per_file, rng, truth)
    return truth
