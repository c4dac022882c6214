"""Header and subject names as analysts write them, mapped to canonical English codes."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from shnor.fingerprints import fingerprint
from shnor.ingest.text import read_small_csv

_NON_WORD = re.compile(r"[^0-9a-zа-я]+")
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
# Latin letters that look like Cyrillic ones, as they appear in hand-typed headers.
_LOOKALIKES = str.maketrans("aceopxykABCEHKMOPTXY", "асеорхукАВСЕНКМОРТХУ")
_LOOKALIKE_WORD = re.compile(r"[0-9а-яёА-ЯЁaceopxykABCEHKMOPTXY]+")
_TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


def normalized(text: object) -> str:
    """Lower case, ё→е, invisible characters (zero-width space, soft hyphen, BOM) dropped,
    punctuation and runs of spaces → one space; for matching only."""
    value = _INVISIBLE.sub("", str(text or "")).lower().replace("ё", "е")
    return _NON_WORD.sub(" ", value).strip()


def normalized_cyrillic(text: object) -> str:
    """`normalized`, with Latin look-alike letters (either case) made Cyrillic in Russian text:
    in words that mix them with Cyrillic or consist of look-alikes only («Код MO» → «код мо»)."""
    value = str(text or "")
    if not re.search("[а-яёА-ЯЁ]", value):
        return normalized(value)

    def fixed(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.translate(_LOOKALIKES) if _LOOKALIKE_WORD.fullmatch(word) else word

    return normalized(_TOKEN.sub(fixed, value))


def _read_aliases(rows: list[dict[str, str]], key: str) -> dict[str, str]:
    return {normalized_cyrillic(row["alias"]): row[key] for row in rows}


def _packaged_rows(file_name: str) -> list[dict[str, str]]:
    text = resources.files("shnor.reference").joinpath(file_name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def _local_version(reference_dir: Path | None, file_name: str) -> tuple[int, int] | None:
    """The region file's (mtime, size), None when absent: part of the cache key, so an edited
    alias file is read again by a long-running process."""
    path = reference_dir / file_name if reference_dir else None
    if not (path and path.is_file()):
        return None
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _local_rows(reference_dir: Path | None, file_name: str, key: str) -> list[dict[str, str]]:
    if _local_version(reference_dir, file_name) is None:
        return []
    return read_small_csv(reference_dir / file_name, (key, "alias"))


def header_aliases(reference_dir: Path | None = None) -> dict[str, str]:
    """Normalised header → canonical column; a region's own file extends the packaged one."""
    return _header_aliases(reference_dir, _local_version(reference_dir, "header_aliases.csv"))


@lru_cache(maxsize=8)
def _header_aliases(reference_dir: Path | None, version: tuple[int, int] | None) -> dict[str, str]:
    rows = _packaged_rows("header_aliases.csv")
    rows += _local_rows(reference_dir, "header_aliases.csv", "column")
    aliases = _read_aliases(rows, "column")
    aliases.update({normalized_cyrillic(row["column"]): row["column"] for row in rows})
    return aliases


def subject_aliases(reference_dir: Path | None = None) -> dict[str, str]:
    """Normalised subject name → canonical subject code."""
    return _subject_aliases(reference_dir, _local_version(reference_dir, "subject_aliases.csv"))


@lru_cache(maxsize=8)
def _subject_aliases(reference_dir: Path | None, version: tuple[int, int] | None) -> dict[str, str]:
    rows = _packaged_rows("subject_aliases.csv")
    rows += _local_rows(reference_dir, "subject_aliases.csv", "subject")
    return _read_aliases(rows, "subject")


def aliases_fingerprint(reference_dir: Path | None = None) -> str:
    """A digest of every header alias in force: files read under other aliases are read again."""
    aliases = sorted(header_aliases(reference_dir).items())
    patterns = header_patterns(reference_dir)
    return fingerprint(
        [
            *(f"{header}\t{column}\n" for header, column in aliases),
            *(f"{pattern.pattern}\t{column}\n" for pattern, column in patterns),
        ]
    )[:16]


def header_patterns(reference_dir: Path | None = None) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(regex over the normalised header, canonical column) of reference/header_patterns.csv, in
    order (a region's rows first): long questionnaire headers whose wording varies by year."""
    return _header_patterns(reference_dir, _local_version(reference_dir, "header_patterns.csv"))


@lru_cache(maxsize=8)
def _header_patterns(
    reference_dir: Path | None, version: tuple[int, int] | None
) -> tuple[tuple[re.Pattern[str], str], ...]:
    rows = _local_rows_of(reference_dir, "header_patterns.csv", ("column", "pattern"))
    rows += _packaged_rows("header_patterns.csv")
    return tuple((re.compile(row["pattern"]), row["column"]) for row in rows)


def _local_rows_of(
    reference_dir: Path | None, file_name: str, required: tuple[str, ...]
) -> list[dict[str, str]]:
    if _local_version(reference_dir, file_name) is None:
        return []
    return read_small_csv(reference_dir / file_name, required)


def canonical_column(header: object, reference_dir: Path | None = None) -> str | None:
    """The canonical column a header names: an exact alias, else the first header pattern the
    normalised header matches (`{n}` in the column is the pattern's group `n`), else None."""
    return column_namer(reference_dir)(header)


def column_namer(reference_dir: Path | None = None) -> Callable[[object], str | None]:
    """`canonical_column` under the aliases and patterns in force now, each text answered once:
    a header search asks it of every cell of 30 rows, which then costs one look at the region's
    files (not two per cell) and one normalisation per distinct text."""
    return _column_namer(
        reference_dir,
        _local_version(reference_dir, "header_aliases.csv"),
        _local_version(reference_dir, "header_patterns.csv"),
    )


@lru_cache(maxsize=8)
def _column_namer(
    reference_dir: Path | None,
    aliases_version: tuple[int, int] | None,
    patterns_version: tuple[int, int] | None,
) -> Callable[[object], str | None]:
    aliases = _header_aliases(reference_dir, aliases_version)
    patterns = _header_patterns(reference_dir, patterns_version)

    @lru_cache(maxsize=65536)
    def named(written: str) -> str | None:
        text = normalized_cyrillic(written)
        known = aliases.get(text)
        if known or len(text) < 12:  # short headers are aliases only, never patterns
            return known
        for pattern, column in patterns:
            found = pattern.search(text)
            if found:
                return column.format(**found.groupdict())
        return None

    # normalized_cyrillic reads a cell as str(cell or ""): the same key for the same answer
    return lambda header: named(str(header or ""))


# A ВПР task header: the task number (`1`, `4.1`), the ФИС ОКО export's «балл за 1», the 2022
# protocol's number with its criterion and maximum («5К1 (1б)», «1 (5б)»).
_TASK_HEADER = re.compile(
    r"(?:балл(?:ы)?\s+за\s+)?(\d{1,2}(?:\.\d{1,2})?(?:\s*[кk]\s*\d{1,2})?)"
    r"\s*(?:\(\s*(\d{1,3})\s*(?:б|балл\w*)?\.?\s*\))?",
    re.IGNORECASE,
)


def task_header(header: object) -> tuple[str, int | None] | None:
    """(task, maximum points or None) of a ВПР task column header, or None for other headers."""
    match = _TASK_HEADER.fullmatch(str(header or "").strip())
    if match is None:
        return None
    task = re.sub(r"\s+", "", match.group(1)).upper().replace("K", "К")
    return task, int(match.group(2)) if match.group(2) else None


def is_task_column(header: object) -> bool:
    """ВПР task columns: headed by the task number (`1`, `2`, `10`, `4.1`), «балл за 1» or
    «5К1 (1б)» (the task with its maximum)."""
    return task_header(header) is not None


# Word stems that name a subject whatever the wording around them («Математика (профильный
# уровень)», «Иностранный язык (английский)»): tried, in order, when no alias matches exactly.
# An oral part («Английский язык (устная часть)») is its own subject, never the language's.
_SUBJECT_STEMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("математ", "проф"), "math_profile"),
    (("математ", "баз"), "math_base"),
    (("русск", "язык"), "russian"),
    (("англ", "устн"), "english_oral"),
    (("немец", "устн"), "german_oral"),
    (("француз", "устн"), "french_oral"),
    (("испан", "устн"), "spanish_oral"),
    (("китай", "устн"), "chinese_oral"),
    (("англ",), "english"),
    (("немец",), "german"),
    (("француз",), "french"),
    (("испан",), "spanish"),
    (("китай",), "chinese"),
    (("окружающ",), "surrounding_world"),
    (("обществозн",), "social_studies"),
    (("обществовед",), "social_studies"),
    (("информатик",), "informatics"),
    (("литератур",), "literature"),
    (("географ",), "geography"),
    (("биолог",), "biology"),
    (("хими",), "chemistry"),
    (("физик",), "physics"),
    (("истори",), "history"),
    (("математ",), "math"),
)


def subject_code(name: object, reference_dir: Path | None = None) -> tuple[str | None, bool]:
    """(canonical subject code, known?) for a subject as written: an alias, else the subject
    whose word stems the name carries, else (None, False): an unknown subject gets no code; its
    results are reported and not loaded (never under an invented code)."""
    text = normalized_cyrillic(name)
    known = subject_aliases(reference_dir).get(text)
    if known:
        return known, True
    # «письменная и устная части» together are the language itself, not its oral part
    stemmed = text.replace("устн", "") if "письм" in text else text
    for stems, code in _SUBJECT_STEMS:
        if all(stem in stemmed for stem in stems):
            return code, True
    if re.search(r"(^| )икт( |$)", text):
        return "informatics", True
    return None, False
