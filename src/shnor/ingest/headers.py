"""Header and subject names as analysts write them, mapped to canonical English codes."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

_NON_WORD = re.compile(r"[^0-9a-zа-я]+")
# Latin letters that look like Cyrillic ones, as they appear in hand-typed headers.
_LOOKALIKES = str.maketrans("aceopxyk", "асеорхук")
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip


def normalized(text: object) -> str:
    """Lower case, ё→е, punctuation and runs of spaces → one space; for matching only."""
    value = str(text or "").lower().replace("ё", "е")
    return _NON_WORD.sub(" ", value).strip()


def normalized_cyrillic(text: object) -> str:
    """`normalized`, with Latin look-alike letters inside Cyrillic words made Cyrillic."""
    value = normalized(text)
    if not re.search("[а-я]", value):
        return value
    words = value.split()
    fixed = [w.translate(_LOOKALIKES) if re.fullmatch("[а-яaceopxyk0-9]+", w) else w for w in words]
    return " ".join(fixed)


def transliterated_code(text: object) -> str:
    """A snake_case ASCII code for a name no alias knows (unknown subjects keep this)."""
    return "_".join(normalized_cyrillic(text).translate(_TRANSLIT).split()) or "unknown"


def _read_aliases(rows: list[dict[str, str]], key: str) -> dict[str, str]:
    return {normalized_cyrillic(row["alias"]): row[key] for row in rows}


def _packaged_rows(file_name: str) -> list[dict[str, str]]:
    text = resources.files("shnor.reference").joinpath(file_name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _local_rows(reference_dir: Path | None, file_name: str) -> list[dict[str, str]]:
    if reference_dir is None or not (reference_dir / file_name).is_file():
        return []
    with open(reference_dir / file_name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=8)
def header_aliases(reference_dir: Path | None = None) -> dict[str, str]:
    """Normalised header → canonical column; a region's own file extends the packaged one."""
    rows = _packaged_rows("header_aliases.csv") + _local_rows(reference_dir, "header_aliases.csv")
    aliases = _read_aliases(rows, "column")
    aliases.update({normalized_cyrillic(row["column"]): row["column"] for row in rows})
    return aliases


@lru_cache(maxsize=8)
def subject_aliases(reference_dir: Path | None = None) -> dict[str, str]:
    """Normalised subject name → canonical subject code."""
    rows = _packaged_rows("subject_aliases.csv") + _local_rows(reference_dir, "subject_aliases.csv")
    return _read_aliases(rows, "subject")


def canonical_column(header: object, reference_dir: Path | None = None) -> str | None:
    """The canonical column a header names, or None when no alias knows it."""
    return header_aliases(reference_dir).get(normalized_cyrillic(header))


def is_task_column(header: object) -> bool:
    """ВПР task columns are headed by the task number (`1`, `2`, `10`, `4.1`)."""
    return bool(re.fullmatch(r"\d{1,2}(\.\d{1,2})?", str(header or "").strip()))


def subject_code(name: object, reference_dir: Path | None = None) -> tuple[str, bool]:
    """(canonical subject code, known?) for a subject as written; unknown ones transliterated."""
    known = subject_aliases(reference_dir).get(normalized_cyrillic(name))
    return (known, True) if known else (transliterated_code(name), False)
