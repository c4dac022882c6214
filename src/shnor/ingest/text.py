"""Encodings and delimiters of text files as Russian offices save them (Excel: cp1251, `;`)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from pathlib import Path

DELIMITERS = (";", ",", "\t")


class ReferenceFileError(ValueError):
    """A region's reference file that cannot be used; the message names the file and the fix."""


def detect_encoding(head: bytes) -> str:
    """utf-8-sig with a BOM, utf-8 when the bytes decode, else Windows-1251."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1251"


def delimiters_by_frequency(lines: list[str]) -> list[str]:
    """Candidate delimiters, the most frequent in these lines first."""
    sample = "\n".join(lines)
    return sorted(DELIMITERS, key=lambda d: -sample.count(d))


def read_small_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a small CSV (alias tables and the like) in any common encoding and delimiter."""
    data = path.read_bytes()
    text = data.decode(detect_encoding(data))
    lines = text.splitlines()
    for delimiter in delimiters_by_frequency(lines[:5]):
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        fields = [f.strip().lstrip("\ufeff") for f in reader.fieldnames or []]
        if set(required) <= set(fields):
            reader.fieldnames = fields
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    raise ReferenceFileError(
        f"{path}: нужны столбцы {', '.join(required)} в первой строке / "
        f"the first line must name the columns {', '.join(required)}"
    )


def cell_text(value: object) -> str | None:
    """A cell as the text an analyst sees: 4.0 → '4', dates as ISO, empty → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def cell_texts(cells: list[object]) -> list[str | None]:
    """Each cell as `cell_text` gives it, worked out once per distinct value (a column repeats
    its marks, codes and names over thousands of rows)."""
    distinct = set(cells)
    # 1e15 == 10**15 share a set entry but not a text: such columns go cell by cell
    if any(type(v) in (int, float) and abs(v) >= 1e15 for v in distinct):
        return [cell_text(v) for v in cells]
    text = {v: cell_text(v) for v in distinct}
    return list(map(text.__getitem__, cells))
