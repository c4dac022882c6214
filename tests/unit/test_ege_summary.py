"""The ЕГЭ school summary workbook (docs/data-contract.md) read from real XLSX files in each layout
a
region uses: values, totals left out and checked, other sheets skipped, years of the sheets."""

from __future__ import annotations

import pytest
from summary_workbooks import SummarySchool, write_summary_workbook

from shnor.ingest.readers import SheetRead, SheetSkipped, read_file

SUBJECTS = ("Русский язык", "Математика (профильная)", "Физика")


def _schools() -> list[SummarySchool]:
    return [
        SummarySchool(
            "a", "Ивановский район", "МБОУ «СОШ № 1»", 40,
            {"Русский язык": (30, 2, 5, 1, 71.5), "Физика": (8, None, None, None, 55)},
        ),
        SummarySchool(
            "b", "Ивановский район", "МКОУ «ООШ № 2»", 12,
            {"Русский язык": (10, 1, None, None, 60)},
        ),
        SummarySchool("c", "Ивановский район", "МБОУ «СОШ № 3»", 5),  # graduates, no figures
        SummarySchool(
            "d", "г. Городск", "Лицей № 4", 50,
            {"Математика (профильная)": (20, 3, 4, None, 62.25)},
        ),
    ]  # fmt: skip


def _read(path, folder="ege"):
    sheets = read_file(path, folder)
    read = [s for s in sheets if isinstance(s, SheetRead)]
    skipped = [s for s in sheets if isinstance(s, SheetSkipped)]
    return read, skipped


def _by_school_subject(sheet: SheetRead) -> dict[tuple, dict]:
    return {(r["school_name"], r["subject"]): r for r in sheet.table.to_pylist()}


@pytest.mark.parametrize(
    ("style", "total"), [("merged", "last"), ("repeated", "first"), ("subtotal", "last")]
)
def test_every_municipality_layout_reads_the_same_school_rows(tmp_path, style, total):
    path = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: _schools()}, style, total, subjects=SUBJECTS
    )
    read, skipped = _read(path)
    assert [s.sheet for s in read] == ["2025"]
    rows = _by_school_subject(read[0])
    # one row per school × subject with a figure, and one for the school without figures
    assert sorted(rows) == sorted(
        [
            ("МБОУ «СОШ № 1»", "Русский язык"),
            ("МБОУ «СОШ № 1»", "Физика"),
            ("МКОУ «ООШ № 2»", "Русский язык"),
            ("МБОУ «СОШ № 3»", None),
            ("Лицей № 4", "Математика (профильная)"),
        ]
    )
    russian = rows[("МБОУ «СОШ № 1»", "Русский язык")]
    assert russian["municipality_name"] == "Ивановский район"
    assert (russian["participant_count"], russian["fail_count"]) == ("30", "2")
    assert (russian["high_80_99_count"], russian["hundred_count"]) == ("5", "1")
    assert russian["mean_score"] == "71.5" and russian["graduate_count"] == "40"
    assert russian["sheet_year"] == "2025"
    physics = rows[("МБОУ «СОШ № 1»", "Физика")]
    assert physics["fail_count"] is None  # blank, read as 0 by staging
    assert rows[("Лицей № 4", "Математика (профильная)")]["municipality_name"] == "г. Городск"
    assert rows[("МБОУ «СОШ № 3»", None)]["graduate_count"] == "5"
    # totals are not schools: left out, and they agree with the schools' sums
    sheet = read[0]
    expected_totals = 1 + (2 if style == "subtotal" else 0)
    assert len(sheet.total_rows) == expected_totals
    assert not [n for n in sheet.notes if n.rule == "summary_total_mismatch"]
    assert [n.rule for n in sheet.notes if n.rule == "column_numbers_row"] == ["column_numbers_row"]
    # the applications sheet is recognised as not a result sheet: skipped and said so
    assert [(s.sheet, s.reason) for s in skipped] == [
        ("Заявления", "лист заявлений на участие в экзамене — не результаты")
    ]


def test_a_total_that_differs_from_the_schools_is_a_warning(tmp_path):
    path = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: _schools()}, subjects=SUBJECTS, region_total_bias=3
    )
    read, _ = _read(path)
    notes = [n for n in read[0].notes if n.rule == "summary_total_mismatch"]
    assert len(notes) == 1 and notes[0].severity == "warning"
    assert "итог 43, сумма школ 40" in notes[0].message
    assert read[0].table.num_rows == 5  # the schools still load


def test_a_municipality_subtotal_that_differs_is_a_warning_naming_it(tmp_path):
    path = write_summary_workbook(
        tmp_path / "svod.xlsx",
        {2025: _schools()},
        "subtotal",
        subjects=SUBJECTS,
        municipality_total_bias=2,
    )
    read, _ = _read(path)
    notes = [n for n in read[0].notes if n.rule == "summary_total_mismatch"]
    # each municipality's subtotal is off by 2 fails; the region total is right
    assert len(notes) == 2
    assert {n.message.split("«")[1].split("»")[0] for n in notes} == {
        "Ивановский район",
        "г. Городск",
    }
    assert "Русский язык, fail_count: итог 5, сумма школ 3" in notes[0].message


def test_sheet_year_from_sheet_name_else_from_the_graduates_header(tmp_path):
    path = write_summary_workbook(
        tmp_path / "svod.xlsx",
        {2024: _schools(), 2025: _schools()},
        subjects=SUBJECTS,
        sheet_names={2024: "ЕГЭ-2024", 2025: "Лист1"},
        column_numbers=False,
        other_sheet=False,
    )
    read, skipped = _read(path)
    assert not skipped
    years = {s.sheet: set(s.table["sheet_year"].to_pylist()) for s in read}
    assert years == {"ЕГЭ-2024": {"2024"}, "Лист1": {"2025"}}  # «Всего выпускников в 2025 году»


def test_junk_in_100_scorers_and_mean_stays_as_text_for_staging(tmp_path):
    schools = _schools()
    schools[0].figures["Русский язык"] = (30, 2, 5, "н/д", "—")
    path = write_summary_workbook(tmp_path / "svod.xlsx", {2025: schools}, subjects=SUBJECTS)
    read, _ = _read(path)
    russian = _by_school_subject(read[0])[("МБОУ «СОШ № 1»", "Русский язык")]
    assert (russian["hundred_count"], russian["mean_score"]) == ("н/д", "—")
    assert russian["participant_count"] == "30"


def test_a_summary_in_a_vpr_folder_is_the_wrong_place(tmp_path):
    path = write_summary_workbook(tmp_path / "svod.xlsx", {2025: _schools()}, subjects=SUBJECTS)
    read, _ = _read(path, folder="vpr")
    assert read[0].layout.name == "ege_school_summary"  # the loader reports the mismatch


@pytest.mark.parametrize("style", ["merged", "repeated", "subtotal"])
@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("cp1251", ",")])
def test_a_summary_sheet_saved_as_csv_reads_as_the_sheet(tmp_path, style, encoding, delimiter):
    # «Save as CSV» in Excel: one sheet, values as shown, merged cells empty but their first.
    import csv

    from python_calamine import CalamineWorkbook

    book = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: _schools()}, style, "last", subjects=SUBJECTS
    )
    cells = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("2025").to_python()
    shown = [["" if c == "" else str(int(c) if c == int(c) else c) if isinstance(c, float)
              else str(c) for c in row] for row in cells]  # fmt: skip
    saved = tmp_path / "ЕГЭ_сводная_2025.csv"
    with open(saved, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(shown)

    (sheet,) = read_file(book, "ege")[:1]
    (from_csv,) = read_file(saved, "ege")
    assert isinstance(from_csv, SheetRead) and from_csv.sheet is None
    assert from_csv.layout.name == "ege_school_summary"
    assert (from_csv.encoding, from_csv.delimiter) == (encoding, delimiter)
    assert _by_school_subject(from_csv) == _by_school_subject(sheet)
    assert from_csv.total_rows == sheet.total_rows
    assert [n.rule for n in from_csv.notes] == [n.rule for n in sheet.notes]


def test_a_summary_csv_is_loaded_and_checked_like_the_sheet(tmp_path, con):
    import csv

    from python_calamine import CalamineWorkbook

    from shnor.ingest.raw_load import ingest_raw

    book = write_summary_workbook(tmp_path / "svod.xlsx", {2025: _schools()}, subjects=SUBJECTS)
    cells = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("2025").to_python()
    saved = tmp_path / "raw" / "ege" / "2025" / "svod_2025.csv"
    saved.parent.mkdir(parents=True)
    with open(saved, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(
            [["" if c == "" else str(c).removesuffix(".0") for c in row] for row in cells]
        )
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.loaded == ["ege/2025/svod_2025.csv"] and summary.quarantined == []
    rows = con.execute(
        "SELECT school_name, subject, participant_count, fail_count, _sheet "
        "FROM raw.ege_school_summary WHERE subject = 'Русский язык' ORDER BY school_name"
    ).fetchall()
    assert rows == [
        ("МБОУ «СОШ № 1»", "Русский язык", "30", "2", None),
        ("МКОУ «ООШ № 2»", "Русский язык", "10", "1", None),
    ]


def test_a_school_equal_to_the_sum_of_its_neighbours_stays_a_school(tmp_path):
    # tiny schools: «СОШ № 5» has exactly the figures of the two schools below it; named like
    # a school, it is a total only if it summed the whole sheet (issue 18)
    rayon = "Ивановский район"
    schools = [
        SummarySchool("a", rayon, "МБОУ «СОШ № 5»", 2, {"Русский язык": (2, None, None, None, 60)}),
        SummarySchool("b", rayon, "МКОУ «ООШ № 6»", 1, {"Русский язык": (1, None, None, None, 50)}),
        SummarySchool("c", rayon, "МКОУ «ООШ № 7»", 1, {"Русский язык": (1, None, None, None, 70)}),
        SummarySchool("d", "г. Городск", "Лицей № 4", 9, {"Русский язык": (9, 1, 2, None, 66)}),
    ]  # fmt: skip
    path = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: schools}, "repeated", "none", subjects=SUBJECTS
    )
    read, _ = _read(path)
    assert sorted(r["school_name"] for r in read[0].table.to_pylist()) == sorted(
        s.name for s in schools
    )
    assert read[0].total_rows == []


@pytest.mark.parametrize("label", ["", "Красноярский край", "ВСЕГО ПО СУБЪЕКТУ РФ:", "Σ"])
@pytest.mark.parametrize("total", ["first", "last"])
def test_a_region_total_is_found_by_its_sum_whatever_its_label(tmp_path, label, total):
    from openpyxl import load_workbook

    path = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: _schools()}, "merged", total, subjects=SUBJECTS
    )
    book = load_workbook(path)
    sheet = book["2025"]
    row = next(
        r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Итого по региону"
    )
    sheet.cell(row, 1).value = None
    sheet.cell(row, 2).value = label or None  # in the school column, or nowhere
    book.save(path)
    read, _ = _read(path)
    assert read[0].total_rows == [row]
    assert sorted({r["school_name"] for r in read[0].table.to_pylist()}) == sorted(
        s.name for s in _schools()
    )
    # a total by its words («ВСЕГО», a territory's name) needs no note of its sum
    by_words = label.startswith("ВСЕГО") or label.endswith("край")
    assert [n.rule for n in read[0].notes if n.row == row] == (
        [] if by_words else ["summary_total_by_sum"]
    )


@pytest.mark.parametrize("label", ["Красноярский край", "Ивановский муниципальный район"])
def test_a_total_named_for_a_territory_that_sums_nothing_is_a_warning_not_a_school(tmp_path, label):
    from openpyxl import load_workbook

    path = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: _schools()}, "merged", "last", subjects=SUBJECTS,
        region_total_bias=2,
    )  # fmt: skip
    book = load_workbook(path)
    sheet = book["2025"]
    row = next(
        r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Итого по региону"
    )
    sheet.cell(row, 1).value = None
    sheet.cell(row, 2).value = label
    book.save(path)
    read, _ = _read(path)
    assert label not in {r["school_name"] for r in read[0].table.to_pylist()}
    assert read[0].total_rows == [row]
    assert [n.rule for n in read[0].notes if n.row == row] == ["summary_total_mismatch"]


def test_two_tiny_schools_with_the_same_figures_are_both_schools(tmp_path):
    # names without school words: only arithmetic could mistake one for the other's total
    same = {"Русский язык": (1, None, None, None, 64)}
    schools = [
        SummarySchool("a", "Ивановский район", "Ивановская", 1, dict(same)),
        SummarySchool("b", "Ивановский район", "Петровская", 1, dict(same)),
        SummarySchool("c", "г. Городск", "Лицей № 4", 9, {"Русский язык": (9, 1, 2, None, 66)}),
    ]
    path = write_summary_workbook(
        tmp_path / "svod.xlsx", {2025: schools}, "repeated", "none", subjects=SUBJECTS
    )
    read, _ = _read(path)
    assert sorted(r["school_name"] for r in read[0].table.to_pylist()) == sorted(
        s.name for s in schools
    )
