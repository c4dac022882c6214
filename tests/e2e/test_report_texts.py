"""The texts of the published pages read as Russian: no «nan» or «None» where a value is
missing, no decimal point in a number with % or п.п."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from text_checks import page_text

DECIMAL_POINT = re.compile(r"\d\.\d+\s?(?:%|п\.п\.)")
MISSING_WORDS = re.compile(r"\b(?:nan|NaN|None|NaT|<NA>)\b")


def pages(demo_run) -> list[Path]:
    """Every published page: the reports and the school cards (reports/cards/)."""
    reports = Path(demo_run["manifest"]).parent / "reports"
    return sorted([*reports.glob("*.html"), *reports.glob("cards/*.html")])


def test_there_are_pages_to_read(demo_run):
    assert len(pages(demo_run)) >= 3


@pytest.mark.parametrize("kind", ["year_over_year", "municipality", "validation_report", "cards/"])
def test_pages_print_no_missing_value_words_and_no_decimal_points(demo_run, kind):
    reports = Path(demo_run["manifest"]).parent / "reports"
    checked = [path for path in pages(demo_run)
               if path.relative_to(reports).as_posix().startswith(kind)]  # fmt: skip
    assert checked, kind
    for path in checked:
        text = page_text(path)
        assert not MISSING_WORDS.findall(text), (path.name, MISSING_WORDS.findall(text)[:5])
        assert not DECIMAL_POINT.findall(text), (path.name, DECIMAL_POINT.findall(text)[:5])
