"""Comparative workbooks: the regional procedure sheet says when comparisons exist but none has a
verdict; a listed school with no municipality keeps its comparisons in a municipal workbook."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from report_workbooks import titled_frame

from shnor.presets import load_preset
from shnor.report_tables import MUNICIPALITY_NOT_GIVEN
from shnor.reports.build import load_marts, write_reports
from shnor.reports.comparative import PROCEDURE_SHEET, VERDICTS

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
    texts = [c for row in book[PROCEDURE_SHEET].values for c in row if c]
    assert NO_COMPARISONS not in texts, texts


def test_a_listed_school_with_no_municipality_keeps_its_comparisons_in_a_municipal_workbook(
    demo_run, tmp_path
):
    marts = load_marts(Path(demo_run["manifest"]).parent)
    comparisons = marts["rpt_year_over_year"]
    listed = marts["rpt_school_list"].query("exam_year == @YEAR and is_on_shnor_list")
    plain = comparisons[
        (comparisons["exam_year"] == YEAR)
        & ~comparisons["change_label"].isin(VERDICTS)
        & comparisons["school_id"].isin(listed["school_id"])
    ]
    school = plain["school_id"].iloc[0]
    for frame in marts.values():  # a school the registry does not know, files without municipality
        if {"school_id", "municipality_name"} <= set(frame.columns):
            frame.loc[frame["school_id"] == school, "municipality_name"] = None
    write_reports(marts, load_preset(), [], tmp_path, [YEAR])
    shown = []
    for path in tmp_path.glob("municipality_*.xlsx"):
        table = titled_frame(path, PROCEDURE_SHEET)
        if "Код ОО" in table:
            columns = (table["Код ОО"], table["Процедура"], table["Муниципалитет"])
            shown += list(zip(*columns, strict=True))
    ours = sorted(row for row in shown if row[0] == school)
    procedures = comparisons.query("exam_year == @YEAR and school_id == @school")["procedure_name"]
    assert ours == sorted((school, p, MUNICIPALITY_NOT_GIVEN) for p in procedures)
