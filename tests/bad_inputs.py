"""A tiny hand-made region (4 schools, ВПР 2025–2026, ОГЭ and ЕГЭ 2026) and a corpus of bad
input files to drop beside it, each with the outcome docs/data-contract.md promises for it
(importable as `bad_inputs`: pytest puts tests/ on the path)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

SCHOOLS = ("s01", "s02", "s03", "s04")
VPR_HEADER = ["Код ОО", "Класс", "Предмет", "Код участника", "Первичный балл", "Отметка",
              "Отметка по журналу"]  # fmt: skip
OGE_HEADER = ["Код ОУ", "Предмет", "Код участника", "Первичный балл", "Оценка", "Этап",
              "Дата экзамена"]  # fmt: skip
EGE_HEADER = ["Код ОУ", "Предмет", "Код участника", "Первичный балл", "Балл", "Этап",
              "Дата экзамена"]  # fmt: skip


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    return "\n".join(";".join(map(str, r)) for r in [header, *rows]) + "\n"


def write(raw: Path, relative: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def vpr_rows(year: int, schools=SCHOOLS, subject="Математика", pupils=15, seed=0) -> list:
    rng = random.Random(f"{year}-{seed}")
    rows = []
    for number, school in enumerate(schools):
        for pupil in range(pupils):
            mark = 2 if pupil < number + 1 else rng.choice((3, 4, 5))
            rows.append([school, "5А", subject, f"{school}-{pupil}", mark * 3, mark, mark])
    return rows


def exam_rows(kind: str, year: int, schools=SCHOOLS, pupils=15, subject="Математика") -> list:
    rows = []
    for number, school in enumerate(schools):
        for pupil in range(pupils):
            if kind == "oge":
                mark = 2 if pupil < number else 4
                rows.append([school, subject, f"{school}-{pupil}", mark * 5, mark, "основной",
                             f"{year}-05-28"])  # fmt: skip
            else:
                score = 20 if pupil < number else 70
                rows.append([school, "Русский язык", f"{school}-{pupil}", score // 2, score,
                             "основной", f"{year}-06-01"])  # fmt: skip
    return rows


def tiny_region(raw: Path) -> None:
    """The good files: registry, social passport, ВПР 2025 and 2026, ОГЭ and ЕГЭ 2026."""
    registry = [["s01", "Школа 1", "Район А", "город", 300], ["s02", "Школа 2", "Район А",
                "село", 200], ["s03", "Школа 3", "Район Б", "город", 400],
                ["s04", "Школа 4", "Район Б", "село", 5]]  # fmt: skip
    write(raw, "schools/registry.csv", csv_text(
        ["Код ОО", "Полное наименование", "Муниципалитет", "Тип поселения",
         "Численность обучающихся"], registry))  # fmt: skip
    passport = [[s, 20 + 5 * i, 10 + i] for i, s in enumerate(SCHOOLS)]
    passport_header = ["Код ОО", "Доля родителей с высшим образованием", "Доля неполных семей"]
    write(raw, "context/2026/passport.csv", csv_text(passport_header, passport))
    for year in (2025, 2026):
        write(raw, f"vpr/{year}/results.csv", csv_text(VPR_HEADER, vpr_rows(year)))
    write(raw, "oge/2026/oge.csv", csv_text(OGE_HEADER, exam_rows("oge", 2026)))
    write(raw, "ege/2026/ege.csv", csv_text(EGE_HEADER, exam_rows("ege", 2026)))


GOOD_FILES = ("schools/registry.csv", "context/2026/passport.csv", "vpr/2025/results.csv",
              "vpr/2026/results.csv", "oge/2026/oge.csv", "ege/2026/ege.csv")  # fmt: skip


@dataclass(frozen=True)
class BadInput:
    """One bad file: where it goes, how it is made, and what the run must do with it."""

    name: str
    path: str
    make: Callable[[Path, str], object]
    outcome: str  # "quarantined" or "loaded" (loaded with a warning)
    rule: str  # the rule the validation report names for this file
    # the rule's severity when it is not the outcome's (a build-level blocking problem of a
    # loaded file: some of its rows count for nothing)
    severity: str | None = None


def _vpr(rows: list, header=VPR_HEADER, encoding="utf-8"):
    return lambda raw, path: write(raw, path, csv_text(header, rows), encoding)


def _broken_xlsx(raw: Path, path: str) -> None:
    target = raw / path
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(target))
    workbook.add_worksheet("ВПР").write_row(0, 0, VPR_HEADER)
    workbook.close()
    target.write_bytes(target.read_bytes()[:300])


def _copy_of(source: str):
    return lambda raw, path: write(raw, path, (raw / source).read_bytes())


def _one(school="s01", mark=4, journal=4, pupil="x-1", subject="Биология", primary=12):
    return [school, "6Б", subject, pupil, primary, mark, journal]


ODD_HEADER = ["Код\u00a0ОО", "Клacс", "Предмет", "Код участника", "Первичный балл",
              "От\u200bметка", "Отметка по журналу"]  # fmt: skip
CORPUS: tuple[BadInput, ...] = (
    BadInput("not a spreadsheet", "vpr/2026/scan.pdf",
             lambda raw, path: write(raw, path, b"%PDF-1.4 binary"), "quarantined",
             "unreadable_file"),
    BadInput("empty file", "vpr/2026/empty.csv", lambda raw, path: write(raw, path, b""),
             "quarantined", "unreadable_file"),
    BadInput("headers only", "vpr/2026/headers_only.csv", _vpr([]), "loaded", "no_data_rows"),
    BadInput("wrong encoding (UTF-16)", "vpr/2026/utf16.csv",
             _vpr([_one(subject="История")], encoding="utf-16"), "quarantined",
             "unreadable_file"),
    BadInput("missing required column", "vpr/2026/no_mark.csv",
             lambda raw, path: write(raw, path, csv_text(
                 ["Код ОО", "Класс", "Предмет", "Первичный балл"], [["s01", "5А", "Физика", 3]])),
             "quarantined", "no_known_layout"),
    BadInput("mark out of range", "vpr/2026/mark7.csv", _vpr([_one(mark=7)]), "quarantined",
             "mark_out_of_range"),
    BadInput("mark not a number", "vpr/2026/mark_text.csv",
             _vpr([_one(subject="Химия", mark="пять")]), "quarantined", "mark_not_numeric"),
    BadInput("negative primary score", "oge/2026/negative.csv",
             lambda raw, path: write(raw, path, csv_text(OGE_HEADER, [
                 ["s01", "Химия", "p1", -3, 3, "основной", "2026-05-30"]])),
             "quarantined", "primary_score_negative"),
    BadInput("impossible test score", "ege/2026/score120.csv",
             lambda raw, path: write(raw, path, csv_text(EGE_HEADER, [
                 ["s01", "Физика", "p1", 30, 120, "основной", "2026-06-05"]])),
             "quarantined", "test_score_out_of_range"),
    BadInput("duplicate participant rows", "vpr/2026/duplicates.csv",
             _vpr([_one(subject="География", pupil="d-1"), _one(subject="География", pupil="d-1",
                                                              mark=3)]),
             "quarantined", "duplicate_participant_row"),
    # the first school's class given again with other numbers: the file loads, and neither it
    # nor results.csv counts for that class (issue 18), named on both files
    BadInput("conflicting resubmission", "vpr/2025/zz_resubmitted.csv",
             _vpr([[*r[:5], 5, 5] for r in vpr_rows(2025)[:15]]), "loaded",
             "participant_conflict", "блокирующая"),
    BadInput("copy under another name", "vpr/2026/results_copy.csv",
             _copy_of("vpr/2026/results.csv"), "quarantined", "duplicate_file"),
    BadInput("ВПР in the ОГЭ folder", "oge/2026/vpr_here.csv", _vpr([_one()]), "quarantined",
             "folder_content_mismatch"),
    BadInput("ЕГЭ content in the ОГЭ folder", "oge/2026/ege_here.csv",
             lambda raw, path: write(raw, path, csv_text(EGE_HEADER, [
                 ["s02", "Обществознание", "e1", 20, 55, "основной", "2026-06-10"]])),
             "quarantined", "exam_content_mismatch"),
    BadInput("exam date of another year", "ege/2025/dated_2026.csv",
             lambda raw, path: write(raw, path, csv_text(EGE_HEADER, [
                 ["s01", "Литература", "y1", 20, 55, "основной", "2026-06-10"]])),
             "quarantined", "year_mismatch"),
    BadInput("outside the known folders", "stray/results.csv", _vpr([_one()]), "quarantined",
             "unknown_folder"),
    BadInput("no year folder", "vpr/results.csv", _vpr([_one()]), "quarantined",
             "missing_year_folder"),
    BadInput("broken XLSX (truncated zip)", "vpr/2026/broken.xlsx", _broken_xlsx, "quarantined",
             "unreadable_file"),
    BadInput("share out of range", "context/2025/passport_bad.csv",
             lambda raw, path: write(raw, path, csv_text(
                 ["Код ОО", "Доля неполных семей"], [["s01", 250]])),
             "quarantined", "share_out_of_range"),
    BadInput("formula-looking name", "vpr/2026/=HYPERLINK(x).csv",
             _vpr([_one(subject="=1+2", mark="=SUM(A1:A9)")]), "quarantined", "mark_not_numeric"),
    BadInput("unknown school", "vpr/2026/new_school.csv",
             _vpr([_one(school="s99", subject="Английский язык", pupil=f"n{i}") for i in range(3)]),
             "loaded", "unknown_school"),
    BadInput("unknown column", "vpr/2026/extra_column.csv",
             lambda raw, path: write(raw, path, csv_text(
                 [*VPR_HEADER, "Комментарий учителя"],
                 [[*_one(subject="Русский язык", school="s02", pupil="u1"), "болел"]])),
             "loaded", "unknown_column"),
    BadInput("junk in a column no flag uses", "vpr/2026/journal_junk.csv",
             _vpr([_one(school="s03", subject="Окружающий мир", journal="н/а")]), "loaded",
             "value_unknown"),
    BadInput("odd Unicode in headers", "vpr/2026/odd_unicode.csv",
             _vpr([_one(school="s04", subject="Обществознание", pupil="o1"),
                   _one(school="s04", subject="Обществознание", pupil="o2", mark="4\u00a0")],
                  header=ODD_HEADER),
             "loaded", ""),
    BadInput("Windows-1251", "vpr/2026/cp1251.csv",
             _vpr([_one(school="s01", subject="Литература", pupil="w1")], encoding="cp1251"),
             "loaded", ""),
)  # fmt: skip
