"""Summary workbooks through the raw load (issue 18): a multi-year workbook needs no year
folder when its sheets name their years; a sheet's year beats its folder's, with a warning."""

from __future__ import annotations

from builders import build_models
from regional_workbooks import make_variant

from shnor.ingest.raw_load import ingest_raw


def _problems(con, source: str) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {}
    for rule, severity, sheet, message in con.execute(
        "SELECT rule, severity, sheet, message FROM ops.problems WHERE source_file = ? "
        "ORDER BY ALL",
        [source],
    ).fetchall():
        found.setdefault(rule, []).append((severity, sheet, message))
    return found


def test_a_multi_year_workbook_loads_without_a_year_folder(tmp_path, con):
    folder = tmp_path / "raw" / "ege"
    folder.mkdir(parents=True)
    truth = make_variant("multi_year_sheet_names", folder / "svod_2022_2024.xlsx")
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.loaded == ["ege/svod_2022_2024.xlsx"] and summary.quarantined == []
    years = dict(
        con.execute(
            "SELECT _sheet, list_distinct(list(sheet_year)) FROM raw.ege_school_summary GROUP BY 1"
        ).fetchall()
    )
    assert {sheet: years[sheet] for sheet in years} == {
        name: [str(year)] for name, year in truth.years.items()
    }
    (count,) = con.execute("SELECT count(*) FROM raw.ege_school_summary").fetchone()
    assert count == len(truth.cells) + 2  # + the school with graduates only, on each sheet
    problems = _problems(con, "ege/svod_2022_2024.xlsx")
    assert "missing_year_folder" not in problems
    assert problems["sheet_skipped"] == [
        ("warning", "2024 (заявления)",
         "лист пропущен: лист заявлений на участие в экзамене — не результаты; первые ячейки: "
         "Муниципальное образование, Образовательная организация, Подано заявлений на ЕГЭ-2024")
    ]  # fmt: skip


def test_a_yearless_sheet_outside_a_year_folder_is_quarantined(tmp_path, con):
    folder = tmp_path / "raw" / "ege"
    folder.mkdir(parents=True)
    make_variant("merged_total_last", folder / "svod.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(folder / "svod.xlsx")
    sheet = book["2023"]
    sheet.title = "Лист1"
    sheet.cell(1, 1).value = "Результаты ЕГЭ по образовательным организациям"
    sheet.cell(3, 4).value = "Всего выпускников, сдававших ЕГЭ"
    book.save(folder / "svod.xlsx")
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.quarantined == ["ege/svod.xlsx"]
    (severity, _, message), *_ = _problems(con, "ege/svod.xlsx")["missing_year_folder"]
    assert severity == "blocking" and "прямо в ege/" in message


def test_a_sheet_of_another_year_than_its_folder_wins_with_a_warning(tmp_path, con):
    folder = tmp_path / "raw" / "ege" / "2023"
    folder.mkdir(parents=True)
    make_variant("multi_year_sheet_names", folder / "svod.xlsx")
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.loaded == ["ege/2023/svod.xlsx"]
    problems = _problems(con, "ege/2023/svod.xlsx")
    assert [(s, sheet) for s, sheet, _ in problems["sheet_year_differs"]] == [
        ("warning", "2022 год")
    ]
    years = {
        row[0] for row in con.execute("SELECT sheet_year FROM raw.ege_school_summary").fetchall()
    }
    assert years == {"2022", "2023"}


def test_a_multi_year_workbook_without_a_folder_stages_each_sheet_under_its_year(tmp_path, con):
    folder = tmp_path / "raw" / "ege"
    folder.mkdir(parents=True)
    truth = make_variant("multi_year_sheet_names", folder / "svod.xlsx")
    ingest_raw(con, tmp_path / "raw")
    build_models(con)
    staged = con.execute(
        "SELECT exam_year, count(*) FROM staging.stg_ege__school_summary "
        "WHERE subject IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    by_year = {}
    for sheet, *_ in truth.cells:
        by_year[truth.years[sheet]] = by_year.get(truth.years[sheet], 0) + 1
    assert staged == sorted(by_year.items())


def test_an_unknown_subject_column_is_reported_and_the_others_load(tmp_path, con):
    folder = tmp_path / "raw" / "ege" / "2023"
    folder.mkdir(parents=True)
    truth = make_variant("unknown_subject_column", folder / "svod.xlsx")
    ingest_raw(con, tmp_path / "raw")
    build_models(con)
    subjects = dict(
        con.execute(
            "SELECT subject_name, count(*) FROM staging.stg_ege__school_summary "
            "WHERE subject IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    expected = {}
    for _, _, _, subject in truth.cells:
        if subject not in truth.unknown_subjects:
            expected[subject] = expected.get(subject, 0) + 1
    assert subjects == expected
    astronomy = sum(1 for key in truth.cells if key[3] == "Астрономия")
    ((value, sheet, message),) = con.execute(
        "SELECT value, sheet, message FROM ops.problems WHERE rule = 'unknown_subject'"
    ).fetchall()
    assert (value, sheet) == ("Астрономия", "2023")
    assert f"его строки школ ({astronomy}) не загружены" in message
