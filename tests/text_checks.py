"""Checks of generated report texts as Russian: no decimal point in a number, no «nan» /
«None», no English words outside proper names and codes, number agreement («101 файл», not
«101 файлов»), intervals written one way («12,5 % (9,8–15,6 %)»). Shared by the HTML and XLSX
sweeps."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d+\s?(?:%|п\.п\.)|(?<![\w.])\d+\.\d+(?![\w.])")
MISSING_WORDS = re.compile(r"\b(?:nan|NaN|None|NaT|<NA>|null|True|False)\b")
ENGLISH_WORD = re.compile(r"(?<![\w/.<])[A-Za-z]{2,}(?![\w/.>(])")
# Proper names and codes a Russian report may show as they are.
ALLOWED_LATIN = {
    "shnor", "XLSX", "HTML", "CSV", "ID", "raw", "xlsx", "csv", "html", "toml", "Parquet",
    "DuckDB", "Excel", "Prefect", "PDF", "SVG", "n", "p", "z", "I", "II", "III", "IV", "V", "VI",
}  # fmt: skip
# A code shown as a label: zscore_mean, run_id, content_fingerprint, flags.low_share.
IDENTIFIER = re.compile(r"(?<![\w/])[a-z]+(?:[_.][a-z]+)+(?![\w/])")
# a number and the word after it on the same line (cells of a page are joined by line breaks)
NUMBER_AND_WORD = re.compile(
    r"(?<![\d,.№/])(\d{1,3}(?:[\u00a0\u202f ]\d{3})*|\d+)[ \u00a0]+([а-яё]+)"
)
# Words after a number that name which one (2025 год, 5 класс), not how many.
ORDINAL_WORDS = {"год", "года", "году", "годом", "годы", "годов", "годах", "класс", "класса",
                 "классе", "классов", "классах", "кл", "процентиль"}  # fmt: skip
# A preset or software version (2026.1) is a code, not a number.
VERSION = re.compile(r"(?<![\d,.])20\d\d\.\d{1,2}(?![\d,.])")
# A date and time as a machine writes it (2026-12-05T12:12:50), not as a reader reads it.
ISO_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?")
# A full stop after an abbreviation's own («п.п..»); an ellipsis «...» is left alone.
DOUBLED_STOP = re.compile(r"(?<![.])\.\.(?![.])")
# A number of five digits or more without its digit groups («120987», not «120 987»); codes
# glued to letters or dashes (sch320985, 20261205121229-dd67bd1b) are not numbers.
UNGROUPED = re.compile(r"(?<![\w.,\-/:#])\d{5,}(?![\w.,\-/:])")
# An interval written another way than the reports' one («12,5 % (9,8–15,6 %)», «−5,0 п.п.
# (от −10,1 до +0,2 п.п.)»): in square brackets («[11,1; 20,5]», «[11,1–20,5 %]») or with its
# bounds but no unit («(9,8–15,6)»).
_BOUND = r"[\u2212+\-]?\d[\d\u00a0]*,\d+"  # a bound has its decimals
OTHER_INTERVAL = re.compile(
    rf"\[\s*{_BOUND}\s*(?:;|–|…)\s*{_BOUND}[^\]\n]{{0,8}}\]|\(\s*{_BOUND}–{_BOUND}\s*\)"
)


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def agreement_errors(text: str) -> list[str]:
    """«number word» pairs where the word is a counted noun in the wrong form for the number
    (a word governed by a preposition — another case — is left alone)."""
    found = []
    for match in NUMBER_AND_WORD.finditer(text):
        number, word = match.groups()
        if word in ORDINAL_WORDS or _after_preposition(text, match.start()):
            continue
        count = int(re.sub(r"\D", "", number))
        if _morph().parse(word)[0].tag.POS not in {"NOUN", "ADJF", "PRTF"}:
            continue  # a preposition or another word that does not count («94 из 100»)
        parses = [
            p
            for p in _morph().parse(word)
            if p.is_known
            and {"NOUN", "ADJF", "PRTF"} & {p.tag.POS}
            and p.tag.case in {"nomn", "gent", "accs"}
        ]
        if not parses:
            continue
        right = set()
        for parse in parses:
            lemma = parse.inflect({"nomn", "sing"}) or parse.normal_form
            form = (
                lemma.make_agree_with_number(count)
                if hasattr(lemma, "make_agree_with_number")
                else None
            )
            if form is not None:
                right.add(form.word)
        if right and word not in right:
            found.append(f"{number} {word} (ожидалось: {' / '.join(sorted(right))})")
    return found


def _after_preposition(text: str, start: int) -> bool:
    """The number follows a preposition that puts the phrase in its own case («из 572
    сопоставлений», «от 21 школы»): then the word's form is the preposition's, not the
    number's."""
    before = re.search(r"([А-Яа-яЁё]+)[ \u00a0]+$", text[:start])
    return bool(before) and _morph().parse(before.group(1).lower())[0].tag.POS == "PREP"


def english_words(text: str) -> list[str]:
    """Latin words and code identifiers, except proper names (a name in «», e.g. the preset
    «reference»), the allowed codes and file paths."""
    cleaned = re.sub(r"«[\w.\-]+»", " ", text)  # a Latin proper name in quotes
    cleaned = re.sub(r"(витрин[аеуы]) [a-z_.]+", r"\1", cleaned)  # a table's own name
    cleaned = re.sub(r"\S*/\S*|\S+\.(?:csv|xlsx|xls|html|toml|json|parquet)\b", " ", cleaned)
    codes = IDENTIFIER.findall(cleaned)
    cleaned = IDENTIFIER.sub(" ", cleaned)
    return codes + [w for w in ENGLISH_WORD.findall(cleaned) if w not in ALLOWED_LATIN]


def russian_text_problems(text: str) -> list[str]:
    """Everything wrong with one text; empty when it reads as Russian."""
    problems = [f"десятичная точка: {m}" for m in DECIMAL_POINT.findall(VERSION.sub(" ", text))]
    problems += [f"пропуск как слово: {m}" for m in MISSING_WORDS.findall(text)]
    problems += [f"английское слово: {w}" for w in english_words(text)]
    problems += [f"согласование: {e}" for e in agreement_errors(text)]
    problems += [f"дата в машинном виде: {m}" for m in ISO_TIMESTAMP.findall(text)]
    problems += [f"две точки подряд: {text[max(0, m.start() - 12) : m.end()]}"
                 for m in DOUBLED_STOP.finditer(text)]  # fmt: skip
    problems += [f"интервал не в принятом виде: {m}" for m in OTHER_INTERVAL.findall(text)]
    undated = ISO_TIMESTAMP.sub(" ", text)
    problems += [f"число без разрядов: {m}" for m in UNGROUPED.findall(undated)]
    return problems


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    # style and script are not text; <code> holds codes by design (rule codes)
    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script", "code")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script", "code")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    """The visible text of an HTML page."""
    parser = _Text()
    parser.feed(path.read_text("utf-8"))
    return "\n".join(parser.parts)


def workbook_problems(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, problem) for every text cell of a workbook that does not read as Russian;
    columns of codes (a header starting with «Код») are codes by design and left out."""
    import openpyxl

    found = []
    for sheet in openpyxl.load_workbook(path, read_only=True).worksheets:
        code_columns: set[int] = set()
        for row in sheet.iter_rows():
            for cell in row:
                value = getattr(cell, "value", None)
                if not isinstance(value, str):
                    continue
                if value.startswith("Код"):
                    code_columns.add(cell.column)
                    continue
                if cell.column in code_columns:
                    continue
                found += [(sheet.title, cell.coordinate, p) for p in russian_text_problems(value)]
    return found
