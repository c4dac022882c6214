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
import pyarrow.compute as pc

from shnor.fingerprints import fingerprint
from shnor.ingest.ege_summary import SummaryNote
from shnor.ingest.headers import normalized_cyrillic, subject_code
from shnor.ingest.text import read_small_csv
from shnor.russian import counted

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
    disagree with the scale (rows named). Each distinct cell text is read once in Python; the
    rows are compared as columns (a region's file has hundreds of thousands of rows)."""
    if year is None or table.num_rows == 0 or "primary_score" not in table.column_names:
        return []
    known = scales(reference_dir)
    subject = _column(table, "subject")
    grade = pc.coalesce(
        _each_distinct(_column(table, "grade"), lambda g: _grade(g, None), pa.int64()),
        _each_distinct(_column(table, "class_label"), lambda c: _grade(None, c), pa.int64()),
    )
    form = _each_distinct(_column(table, "work_form"), lambda f: f or "", pa.string())
    code = _each_distinct(subject, lambda s: subject_code(s or "", reference_dir)[0], pa.string())
    from_scale = pc.fill_null(pc.equal(_column(table, "mark_source"), "scale"), False)
    score = _each_distinct(
        table["primary_score"], lambda t: _number(t) if t else None, pa.float64()
    )
    given = _each_distinct(_column(table, "mark"), lambda t: _number(t or ""), pa.float64())
    keyed = pa.table({"grade": grade, "code": code, "form": form})
    triples = keyed.group_by(["grade", "code", "form"]).aggregate([]).to_pylist()
    bounds = {
        (t["grade"], t["code"], t["form"]): known.get((year, t["grade"], t["code"], t["form"]))
        for t in triples
        if t["grade"]
    }
    key = pc.binary_join_element_wise(
        pc.cast(grade, pa.string()), code, form, "\x1f", null_handling="emit_null"
    )
    by_key = {"\x1f".join(map(str, k)): s for k, s in bounds.items() if s is not None}
    limits = {
        name: _each_distinct(
            key, lambda k, n=name: getattr(by_key[k], n) if k in by_key else None, pa.float64()
        )
        for name in ("max_score", "min_3", "min_4", "min_5")
    }
    has_scale = pc.is_valid(limits["max_score"])
    has_score = pc.is_valid(score)
    missing_rows = pc.and_(pc.and_(pc.invert(has_scale), from_scale), has_score)
    missing_table = pa.table(
        {"grade": grade, "subject": pc.fill_null(subject, ""), "form": form}
    ).filter(missing_rows)
    missing = {
        (row["grade"], row["subject"], row["form"]): row["count_all"]
        for row in missing_table.group_by(["grade", "subject", "form"])
        .aggregate([([], "count_all")])
        .to_pylist()
    }
    outside = pc.or_(pc.less(score, 0), pc.greater(score, limits["max_score"]))
    expected = pc.if_else(
        pc.greater_equal(score, limits["min_5"]),
        5.0,
        pc.if_else(
            pc.greater_equal(score, limits["min_4"]),
            4.0,
            pc.if_else(pc.greater_equal(score, limits["min_3"]), 3.0, 2.0),
        ),
    )
    judged = pc.fill_null(pc.and_(has_scale, has_score), False)
    above_mask = pc.fill_null(pc.and_(pc.and_(judged, outside), from_scale), False)
    differs_mask = pc.fill_null(
        pc.and_(
            pc.and_(judged, pc.invert(from_scale)),
            pc.and_(pc.is_valid(given), pc.or_(outside, pc.not_equal(given, expected))),
        ),
        False,
    )
    above = table["_row"].filter(above_mask).to_pylist()
    differs = table["_row"].filter(differs_mask).to_pylist()
    notes = [
        SummaryNote(
            "vpr_scale_missing",
            f"нет шкалы ФИОКО для перевода баллов в отметки: ВПР {year}, "
            f"{grade or '?'} класс, «{subject}»"
            + (f" ({form})" if form else "")
            + f" — загружены без отметок: {counted(count, 'строка')}; участники не учитываются, "
            "доля «2» у школ по этой работе неизвестна (не угадывается)",
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


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    """A column of the sheet, or nulls where the layout has none."""
    if name in table.column_names:
        return table[name]
    return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])


def _each_distinct(column: pa.ChunkedArray, function, kind: pa.DataType) -> pa.ChunkedArray:
    """function of every cell, called once per distinct text (a file repeats a few)."""
    unique = pc.unique(column)
    values = pa.array([function(value) for value in unique.to_pylist()], kind)
    return pc.take(values, pc.index_in(column, value_set=unique))
