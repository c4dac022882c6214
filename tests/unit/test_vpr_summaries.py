"""ВПР summary layouts of ФИС ОКО (docs/data-contract.md) read from files with title lines,
through the loader: title subject/grade/year, percentages kept as read, the sum check."""

from __future__ import annotations

import openpyxl

from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.readers import SheetRead, read_file
from shnor.presets import load_preset
from shnor.stages.build import build
from shnor.stages.ingest import map_subjects

HEADER = ["ОО", "Название ОО", "Муниципалитет", "Кол-во участников", "2", "3", "4", "5"]


def _stats_workbook(path, rows, title=("Статистика по отметкам", "Предмет: Математика",
                                         "Класс: 5", "ВПР 2025")):  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    for line in title:
        sheet.append([line])
    sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


ROWS = [
    [None, "Вся выборка", None, 1200000, 8.5, 38.1, 38.9, 14.5],
    [None, "Ивановская обл.", None, 9000, 9.1, 40.2, 36.5, 14.2],
    [None, None, "Ивановский район", 800, 10, 40, 35, 15],
    ["sch100", "МБОУ СОШ № 1", "Ивановский район", 27, 11.11, 37.04, 33.33, 18.52],
]


def test_mark_statistics_keep_title_subject_grade_and_year(tmp_path):
    path = _stats_workbook(tmp_path / "stat.xlsx", ROWS)
    (sheet,) = read_file(path, "vpr")
    assert isinstance(sheet, SheetRead) and sheet.layout.name == "vpr_mark_stats"
    rows = sheet.table.to_pylist()
    assert len(rows) == 4  # aggregates are kept as read; staging tells them apart
    school = rows[3]
    assert (school["school_code"], school["participant_count"]) == ("sch100", "27")
    assert [school[f"mark_{m}_percent"] for m in (2, 3, 4, 5)] == [
        "11.11", "37.04", "33.33", "18.52"
    ]  # fmt: skip
    assert (school["title_subject"], school["title_grade"], school["title_year"]) == (
        "Математика",
        "5",
        "2025",
    )


def test_title_in_one_line_gives_subject_grade_and_year(tmp_path):
    path = _stats_workbook(
        tmp_path / "stat.xlsx", ROWS[3:], title=("ВПР-2025. Русский язык, 4 класс",)
    )
    (sheet,) = read_file(path, "vpr")
    row = sheet.table.to_pylist()[0]
    assert (row["title_grade"], row["title_year"]) == ("4", "2025")
    assert "Русский язык" in row["title_subject"]


def test_percentages_not_summing_to_100_quarantine_the_file(tmp_path, con):
    raw = tmp_path / "raw" / "vpr" / "2025"
    raw.mkdir(parents=True)
    _stats_workbook(raw / "good.xlsx", ROWS)
    _stats_workbook(raw / "bad.xlsx", [["sch1", "СОШ", "Район", 20, 10, 40, 30, 10]])
    summary = ingest_raw(con, tmp_path / "raw")
    assert summary.quarantined == ["vpr/2025/bad.xlsx"]
    problem = con.execute(
        "SELECT rule, severity, row, value FROM ops.problems WHERE source_file = ?",
        ["vpr/2025/bad.xlsx"],
    ).fetchall()
    assert problem == [("percent_sum", "blocking", 7, "90")]
    map_subjects(con, None)
    build(con, load_preset())
    assert con.execute(
        "SELECT school_id, grade, subject, participant_count, fail_count "
        "FROM marts.fct_school_procedure_results"
    ).fetchall() == [("sch100", 5, "math", 27, 3)]


def test_journal_comparison_is_recognised(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Сравнение отметок с отметками по журналу"])
    sheet.append(["Русский язык 4 класс 2025"])
    sheet.append(["ОО", "Название ОО", "Кол-во участников", "Понизили", "Подтвердили",
                  "Повысили"])  # fmt: skip
    sheet.append(["sch1", "СОШ № 1", 50, "20%", "70%", "10%"])
    book.save(tmp_path / "journal.xlsx")
    (read,) = read_file(tmp_path / "journal.xlsx", "vpr")
    assert read.layout.name == "vpr_journal_comparison"
    row = read.table.to_pylist()[0]
    assert (row["lowered_percent"], row["raised_percent"], row["title_grade"]) == (
        "20%",
        "10%",
        "4",
    )


def test_mark_statistics_saved_as_csv_read_as_the_workbook(tmp_path):
    # The same report saved as CSV (Windows-1251, «;», decimal comma): title lines, a blank
    # line, the header, the rows.
    lines = ["Статистика по отметкам", "Предмет: Математика", "Класс: 5", "ВПР 2025", "",
             ";".join(HEADER)]  # fmt: skip
    for row in ROWS:
        lines.append(";".join("" if v is None else str(v).replace(".", ",") for v in row))
    path = tmp_path / "stat.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    (sheet,) = read_file(path, "vpr")
    assert isinstance(sheet, SheetRead) and sheet.layout.name == "vpr_mark_stats"
    school = sheet.table.to_pylist()[3]
    assert (school["school_code"], school["participant_count"]) == ("sch100", "27")
    assert school["mark_2_percent"] == "11,11"  # as read; staging parses the comma
    assert (school["title_subject"], school["title_grade"], school["title_year"]) == (
        "Математика",
        "5",
        "2025",
    )
