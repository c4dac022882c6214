"""Comparative workbooks: the regional procedure sheet says when comparisons exist but none has a
verdict; every comparison is in some workbook when a school has no municipality."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from report_workbooks import titled_frame

from shnor.presets import load_preset
from shnor.reports.build import load_marts, write_reports
from shnor.reports.comparative import REGIONAL_PROCEDURE_SHEET, VERDICTS

YEAR = 2026
NO_COMPARISONS = "Нет процедур с результатами в обоих годах."


def test_regional_procedure_sheet_without_verdicts_does_not_say_there_are_no_comparisons(
    demo_run, tmp_path
):
    marts = load_marts(Path(demo_run["manifest"]).parent)
    comparisons = marts["rpt_year_over_year"].copy()
    of_year = comparisons["exam_year"] == YEAR
    plain = comparisons.loc[~comparisons["change_label"].isin(VERDICTS), "change_label"]
    assert of_year.sum() > 0 and len(plain) > 0
    # Same comparisons, none of them with a verdict (a quiet year, or a small region).
    comparisons.loc[of_year, "change_label"] = plain.iloc[0]
    marts["rpt_year_over_year"] = comparisons
    write_reports(marts, load_preset(), [], tmp_path, [YEAR])
    book = openpyxl.load_workbook(tmp_path / f"year_over_year_{YEAR - 1}_{YEAR}.xlsx")
    texts = [c for row in book[REGIONAL_PROCEDURE_SHEET].values for c in row if c]
    assert NO_COMPARISONS not in texts, texts


def test_every_comparison_is_in_some_workbook_when_a_school_has_no_municipality(demo_run, tmp_path):
    marts = load_marts(Path(demo_run["manifest"]).parent)
    comparisons = marts["rpt_year_over_year"]
    plain = comparisons[
        (comparisons["exam_year"] == YEAR) & ~comparisons["change_label"].isin(VERDICTS)
    ]
    school = plain["school_id"].iloc[0]
    for frame in marts.values():  # a school the registry does not know, files without municipality
        if {"school_id", "municipality_name"} <= set(frame.columns):
            frame.loc[frame["school_id"] == school, "municipality_name"] = None
    write_reports(marts, load_preset(), [], tmp_path, [YEAR])
    listed = set()
    for path in tmp_path.glob("*.xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        for name in book.sheetnames:
            if name.startswith("Процедуры"):
                table = titled_frame(book[name])
                if "Код ОО" in table:
                    listed |= set(table["Код ОО"])
    assert school in listed
