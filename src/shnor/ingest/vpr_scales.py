"""ФИОКО's scales from the ВПР primary score to the mark (reference/vpr_scales.csv, a region's
own file adding rows and replacing packaged ones), and what the loader says about them: a file
with no scale for its year, grade, subject and form, scores above the scale, marks that disagree
with it (docs/data-contract.md §2 a′)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyarrow as pa

from shnor.fingerprints import fingerprint
from shnor.ingest.ege_summary import SummaryNote
from shnor.ingest.headers import normalized_cyrillic, subject_code
from shnor.ingest.text import read_small_csv

SCALES_FILE = "vpr_scales.csv"
COLUMNS = (
    "exam_year",
    "grade",
    "subject",
    "form",
    "max_score",
    "min_score_3",
    "min_score_4",
    "min_score_5",
    "source",
)
MAX_LISTED_ROWS = 20


@dataclass(frozen=True)
class Scale:
    """One scale: the maximum primary score and the lowest score of «3», «4», «5»."""

    max_score: float
    min_3: float
    min_4: float
    min_5: float

    def mark(self, score: float) -> int | None:
        """The mark of a primary score, None when the score is outside 0–max."""
        if score < 0 or score > self.max_score:
            return None
        if score >= self.min_5:
            return 5
        if score >= self.min_4:
            return 4
        return 3 if score >= self.min_3 else 2


Key = tuple[int, int, str, str]


def scale_rows(reference_dir: Path | None = None) -> list[dict[str, str]]:
    """The packaged rows, then the region's (later rows win for the same key)."""
    text = resources.files("shnor.reference").joinpath(SCALES_FILE).read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    local = reference_dir / SCALES_FILE if reference_dir else None
    if local and local.is_file():
        rows += read_small_csv(local, COLUMNS[:8])
    return rows


def scales(reference_dir: Path | None = None) -> dict[Key, Scale]:
    """(year, grade, subject code, normalised form or '') → scale."""
    found: dict[Key, Scale] = {}
    for row in scale_rows(reference_dir):
        key = (
            int(row["exam_year"]),
            int(row["grade"]),
            row["subject"].strip(),
            normalized_cyrillic(row.get("form") or ""),
        )
        found[key] = Scale(
            *(float(row[c]) for c in ("max_score", "min_score_3", "min_score_4", "min_score_5"))
        )
    return found


def scales_fingerprint(reference_dir: Path | None = None) -> str:
    """A digest of the scales in force: files are checked again when a region edits them."""
    in_force = sorted(scales(reference_dir).items())
    return fingerprint(f"{key}\t{scale}\n" for key, scale in in_force)[:16]


def _number(text: object) -> float | None:
    try:
        return float(str(text).replace(",", ".").replace(" ", "").strip())
    except ValueError:
        return None


def _rows_text(rows: list[int]) -> str:
    listed = ", ".join(str(r) for r in rows[:MAX_LISTED_ROWS])
    more = len(rows) - MAX_LISTED_ROWS
    return listed + (f" и ещё {more}" if more > 0 else "")


def scale_notes(
    table: pa.Table, year: int | None, reference_dir: Path | None = None
) -> list[SummaryNote]:
    """Warnings on a ВПР participant sheet: no scale for an export's year × grade × subject ×
    form (its rows stay without marks), scores above the scale's maximum, given marks that
    disagree with the scale (rows named)."""
    if year is None or table.num_rows == 0 or "primary_score" not in table.column_names:
        return []
    known = scales(reference_dir)
    columns = table.column_names
    data = table.select(
        [c for c in ("subject", "grade", "class_label", "work_form", "mark", "primary_score",
                     "mark_source", "_row") if c in columns]
    ).to_pylist()  # fmt: skip
    missing: dict[tuple[int | None, str, str], int] = {}
    above: list[int] = []
    differs: list[int] = []
    codes: dict[str, str] = {}
    for row in data:
        subject = row.get("subject") or ""
        if subject not in codes:
            codes[subject] = subject_code(subject, reference_dir)[0]
        grade = _grade(row.get("grade"), row.get("class_label"))
        form = row.get("work_form") or ""
        scale = known.get((year, grade, codes[subject], form)) if grade else None
        from_scale = row.get("mark_source") == "scale"
        score = _number(row["primary_score"]) if row.get("primary_score") else None
        if scale is None:
            if from_scale and score is not None:
                key = (grade, subject, form)
                missing[key] = missing.get(key, 0) + 1
            continue
        if score is None:
            continue
        expected = scale.mark(score)
        given = None if from_scale else _number(row.get("mark") or "")
        if expected is None and from_scale:
            above.append(row["_row"])
        elif given is not None and given != expected:  # a score outside the scale too
            differs.append(row["_row"])
    notes = [
        SummaryNote(
            "vpr_scale_missing",
            f"нет шкалы ФИОКО для перевода баллов в отметки: ВПР {year}, "
            f"{grade or '?'} класс, «{subject}»"
            + (f" ({form})" if form else "")
            + f" — {count} строк загружены без отметок: участники не учитываются, доля «2» "
            "у школ по этой работе неизвестна (не угадывается)",
            "добавьте шкалу этого года, класса и предмета (с источником) в "
            "reference/vpr_scales.csv региона и запустите расчёт снова",
            value=f"{year}/{grade}/{subject}/{form}",
        )
        for (grade, subject, form), count in sorted(missing.items(), key=str)
    ]
    if above:
        notes.append(
            SummaryNote(
                "vpr_score_above_scale",
                f"первичный балл выше максимума шкалы ФИОКО (или отрицательный) в строках "
                f"{_rows_text(above)}: отметка не выставлена, строки не учитываются",
                "проверьте баллы в файле и шкалу в reference/vpr_scales.csv",
                row=above[0],
                column="primary_score",
            )
        )
    if differs:
        notes.append(
            SummaryNote(
                "vpr_mark_scale_mismatch",
                f"отметка в файле не совпадает с отметкой по шкале ФИОКО для первичного балла "
                f"(или балл вне шкалы) в строках {_rows_text(differs)}; учитывается отметка из "
                "файла",
                "проверьте отметки и баллы в файле (или шкалу в reference/vpr_scales.csv)",
                row=differs[0],
                column="mark",
            )
        )
    return notes


def _grade(grade: object, class_label: object) -> int | None:
    for text in (grade, class_label):
        digits = ""
        for char in str(text or "").strip():
            if not char.isdigit():
                break
            digits += char
        if digits and 1 <= int(digits) <= 11:
            return int(digits)
    return None
