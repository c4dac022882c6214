"""The validation report a data clerk can act on: a count per file with the worst first, rule
names in Russian beside their codes, in both the workbook and the page."""

from __future__ import annotations

import openpyxl
import pandas as pd

from shnor.quality.report import problems_by_file, write_validation_report


def problems() -> pd.DataFrame:
    rows = [
        ("vpr/2025/a.csv", "Лист1", 5, "Отметка", "7", "mark_out_of_range", "blocking"),
        ("vpr/2025/a.csv", "Лист1", 6, "Отметка", "9", "mark_out_of_range", "blocking"),
        ("vpr/2025/a.csv", None, None, "X", "", "unknown_column", "warning"),
        ("ege/2025/b.xlsx", "2025", 3, None, None, "total_row", "warning"),
        ("ege/2025/b.xlsx", "2025", None, None, None, "file_corrected", "info"),
    ]
    columns = ["source_file", "sheet", "row", "column", "value", "rule", "severity"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(message="…", action="…")


def test_problems_are_counted_per_file_worst_first_with_russian_rule_names(tmp_path):
    paths = write_validation_report(problems(), [("Файлов", 2)], tmp_path)
    book = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    assert book.sheetnames[:2] == ["По файлам", "Проблемы"]
    by_file = list(book["По файлам"].iter_rows(values_only=True))
    header = by_file[0]
    first = dict(zip(header, by_file[1], strict=True))
    second = dict(zip(header, by_file[2], strict=True))
    assert (first["Файл"], first["Блокирующих"], first["Предупреждений"]) == (
        "vpr/2025/a.csv",
        2,
        1,
    )
    assert (second["Файл"], second["Блокирующих"], second["Сведений"]) == ("ege/2025/b.xlsx", 0, 1)
    assert first["Правила"].startswith("отметка вне 2–5 (2); ")
    detail = list(book["Проблемы"].iter_rows(values_only=True))
    named = dict(zip(detail[0], detail[1], strict=True))
    assert named["Код правила"] == "mark_out_of_range"
    assert named["Правило"] != "mark_out_of_range" and named["Правило"]
    page = paths["html"].read_text("utf-8")
    assert "По файлам (2)" in page and "Проблемы по файлам (5)" in page
    # grouped by file, the worst file first, each with its count agreed in Russian
    first_file = page.index("<h3>vpr/2025/a.csv — 3 проблемы</h3>")
    assert first_file < page.index("<h3>ege/2025/b.xlsx — 2 проблемы</h3>")
    assert [row[0] for row in detail[1:]] == ["vpr/2025/a.csv"] * 3 + ["ege/2025/b.xlsx"] * 2


def test_a_run_without_problems_counts_no_files():
    empty = problems().iloc[0:0].assign(rule_ru=[])
    assert problems_by_file(empty).empty
