"""The ФИС ОКО ВПР participant exports as received (docs/data-contract.md §2 a′): what their
columns leave out — subject, grade and the form of the work — taken from the file name and the
folder, and «code | name» cells split. Marks come later, from the official scale (staging)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from shnor.ingest.ege_summary import SummaryNote
from shnor.ingest.headers import normalized_cyrillic

EXPORT_LAYOUT = "vpr_export"
# «Проведение работы по математике, 5 класс. ВПР 2021», «… по биологии, 7 класс (по образцу 8
# класса) …»: the subject (dative, mapped by reference/subject_aliases.csv), grade and form.
_TITLE = re.compile(
    r"(?:проведени\w*\s+работы\s+)?по\s+(?P<subject>.+?)\s*,\s*(?P<grade>\d{1,2})\s*-?\s*(?:й\s*)?"
    r"класс\w*\s*(?:\((?P<form>[^)]*)\))?",
    re.IGNORECASE,
)
_FOLDER_GRADE = re.compile(r"(?<!\d)(\d{1,2})\s*-?\s*(?:й\s*)?(?:класс|кл\b)", re.IGNORECASE)
_FORM = re.compile(r"\((по\s+образцу[^)]*)\)", re.IGNORECASE)
_CODE_NAME_RE2 = r"^\s*(?P<code>[^|]*?)\s*\|\s*(?P<name>.*?)\s*$"
# Sheets of the 2022 protocol workbook that are not results.
CLASS_SHEETS = ("классы",)


@dataclass(frozen=True)
class ExportTitle:
    """What an export's file name and folder say: subject as written, grade, form of the work."""

    subject: str | None
    grade: int | None
    form: str | None


def export_title(path: Path) -> ExportTitle:
    """Subject, grade and form from «Проведение работы по <предмет>, <N> класс (по образцу …)»,
    else the file name as the subject («Английский язык.xlsx») and the grade of its folder."""
    stem = path.stem.replace("_", " ")
    match = _TITLE.search(stem)
    if match:
        form = match.group("form")
        return ExportTitle(
            match.group("subject").strip(),
            int(match.group("grade")),
            normalized_cyrillic(form) if form else None,
        )
    # a renamed file («Математика 5 класс (по образцу 6 класса) 2021.xlsx») or the 2022 protocol
    # («5 класс/Английский язык.xlsx»): the grade in the name, else in the folder
    form = _FORM.search(stem)
    rest = _FORM.sub(" ", stem)
    grade = _FOLDER_GRADE.search(rest) or _FOLDER_GRADE.search(path.parent.name)
    subject = _FOLDER_GRADE.sub(" ", rest)
    subject = re.sub(r"(?i)впр|20\d\d|[.,;_()\-]", " ", subject)
    subject = re.sub(r"\s+", " ", subject).strip() or None
    return ExportTitle(
        subject,
        int(grade.group(1)) if grade else None,
        normalized_cyrillic(form.group(1)) if form else None,
    )


def split_code_name(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """(code, name) of «reg22_m030 | Павловский муниципальный район» cells; a cell without «|»
    is a name alone (split once per distinct cell: a protocol repeats a few names over its
    participants)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values.cast(pa.string()))
    texts = encoded.dictionary
    parts = pc.extract_regex(texts, _CODE_NAME_RE2)
    split = pc.is_valid(parts)
    codes = _empty_as_null(pc.struct_field(parts, "code"))
    names = pc.if_else(split, _empty_as_null(pc.struct_field(parts, "name")), texts)
    return codes.take(encoded.indices), names.take(encoded.indices)


def _empty_as_null(values: pa.Array) -> pa.Array:
    """`values` with empty strings as nulls."""
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _has_text(values: pa.ChunkedArray) -> bool:
    """True when some cell of `values` is neither null nor empty."""
    return bool(pc.any(pc.fill_null(pc.not_equal(values, ""), False)).as_py())


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def complete_export(table: pa.Table, path: Path) -> tuple[pa.Table, list[SummaryNote]]:
    """The export's rows with subject, grade, form and `mark_source` = 'scale' (no mark column
    with marks) added, and the «code | name» cells split; notes say what could not be told."""
    notes: list[SummaryNote] = []
    title = export_title(path)
    n = table.num_rows
    for column, code_column in (
        ("region_name", "region_code"),
        ("municipality_name", "municipality_code"),
        ("school_name", None),
    ):
        if column not in table.column_names:
            continue
        codes, names = split_code_name(table[column])
        table = _set(table, column, names)
        if code_column and code_column not in table.column_names:
            table = table.append_column(code_column, codes)
        elif code_column:
            own = pc.fill_null(table[code_column], "")
            table = _set(
                table, code_column, pc.if_else(pc.equal(own, ""), codes, table[code_column])
            )
        elif "school_code" in table.column_names:  # «edu223574 | МБОУ …» where the login is empty
            own = pc.fill_null(pc.utf8_trim_whitespace(table["school_code"]), "")
            table = _set(
                table, "school_code", pc.if_else(pc.equal(own, ""), codes, table["school_code"])
            )
    if "subject" not in table.column_names or not _has_text(table["subject"]):
        table = _set(table, "subject", pa.array([title.subject] * n, pa.string()))
    if title.grade is not None:
        table = _set(table, "grade", pa.array([str(title.grade)] * n, pa.string()))
    elif "grade" not in table.column_names:
        table = table.append_column("grade", pa.nulls(n, pa.string()))
        notes.append(
            SummaryNote(
                "vpr_grade_from_class",
                "класс (параллель) не указан ни в имени файла, ни в папке: берётся из названий "
                "классов («5А»); строки без номера класса не учитываются",
                "положите файл в папку параллели, например «5 класс»",
            )
        )
    named = re.search(r"(?<!\d)(20\d\d)(?!\d)", path.stem)
    folder_year = next((p for p in reversed(path.parent.parts) if re.fullmatch(r"20\d\d", p)), None)
    if named and folder_year and named.group(1) != folder_year:
        year = named.group(1)
        notes.append(
            SummaryNote(
                "vpr_year_differs",
                f"в имени файла указан {year} год, файл лежит в папке {folder_year}: "
                f"результаты загружены как {folder_year} год",
                f"если это результаты {year} года, переложите файл в vpr/{year}/",
                value=year,
            )
        )
    table = _set(table, "work_form", pa.array([title.form] * n, pa.string()))
    # no ВПР mark in the file (the usual export): the mark comes from the scale in staging
    gives_marks = "mark" in table.column_names and _has_text(table["mark"])
    table = _set(
        table, "mark_source", pa.array([None if gives_marks else "scale"] * n, pa.string())
    )
    if title.subject is None:
        notes.append(
            SummaryNote(
                "vpr_subject_unknown",
                "предмет не удалось определить по имени файла",
                "назовите файл по предмету, например «Математика.xlsx»",
            )
        )
    return table, notes
