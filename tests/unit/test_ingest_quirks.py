"""Reading quirks of real exports, file → warehouse: a header split over two rows, ВПР task
columns kept in long form (fct_school_task_results), unknown passport columns kept as JSON."""

from __future__ import annotations

import json

import openpyxl

from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.readers import SheetRead, read_file
from shnor.presets import load_preset
from shnor.stages.build import build
from shnor.stages.ingest import map_subjects


def _xlsx(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_a_header_split_over_two_rows_is_read(tmp_path):
    path = _xlsx(
        tmp_path / "vpr.xlsx",
        [
            ["ВПР 2025, результаты участников"],
            ["Код", "Название", "Класс", "Предмет", "Первичный", "Отметка", "Отметка"],
            ["ОО", "ОО", None, None, "балл", None, "по журналу"],
            ["sch1", "СОШ № 1", "5А", "Математика", 12, 4, 3],
        ],
    )
    (sheet,) = read_file(path, "vpr")
    assert isinstance(sheet, SheetRead) and sheet.layout.name == "vpr_participants"
    assert sheet.header_row == 3
    (row,) = sheet.table.to_pylist()
    assert (row["school_code"], row["school_name"], row["primary_score"]) == (
        "sch1",
        "СОШ № 1",
        "12",
    )
    assert (row["mark"], row["journal_mark"], row["_row"]) == ("4", "3", 4)


def test_task_numbers_under_a_group_title_head_the_task_columns(tmp_path):
    # «Баллы за задания» merged over the task columns, their numbers in the row below
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Результаты ВПР 2025, 7 класс"])
    sheet.append(["Код ОО", "Класс", "Предмет", "Код участника", "Отметка", "Баллы за задания"])
    sheet.merge_cells("F2:H2")
    sheet.append([None, None, None, None, None, "1", 2, "3"])
    sheet.append([540161, "7Б", "История", "H-1", 4, 2, 1, "х"])
    sheet.append([540161, "7Б", "История", "H-2", 3, 0, 1, 2])
    book.save(tmp_path / "vpr.xlsx")

    (read,) = read_file(tmp_path / "vpr.xlsx", "vpr")

    assert isinstance(read, SheetRead) and read.header_row == 3
    assert [r["school_code"] for r in read.table.to_pylist()] == ["540161", "540161"]
    points = sorted((r["_row"], r["task"], r["points"]) for r in read.task_points.to_pylist())
    assert points == [(4, "1", "2"), (4, "2", "1"), (4, "3", "х"),
                      (5, "1", "0"), (5, "2", "1"), (5, "3", "2")]  # fmt: skip


def test_task_columns_become_task_results_per_school(tmp_path, con):
    folder = tmp_path / "raw" / "vpr" / "2025"
    folder.mkdir(parents=True)
    (folder / "vpr.csv").write_text(
        "Код ОО;Класс;Предмет;Код участника;Отметка;1;2;3;4.1\n"
        "sch1;5А;Математика;p1;4;1;2;x;1\n"
        "sch1;5Б;Математика;p2;3;0;1;х;\n"
        "sch1;5Б;Математика;p3;отсутствовал;;;;\n"
        "sch2;5А;Математика;p4;2;0;0;x;0\n",
        encoding="utf-8",
    )
    ingest_raw(con, tmp_path / "raw")
    assert con.execute("SELECT count(*) FROM raw.vpr_task_points").fetchone() == (11,)
    map_subjects(con, None)
    build(con, load_preset())
    rows = con.execute(
        "SELECT school_id, exam_year, grade, subject, task, result_count, mean_points, "
        "max_points_observed FROM marts.fct_school_task_results"
    ).fetchall()
    assert rows == [
        ("sch1", 2025, 5, "math", "1", 2, 0.5, 1.0),
        ("sch1", 2025, 5, "math", "2", 2, 1.5, 2.0),
        ("sch1", 2025, 5, "math", "4.1", 1, 1.0, 1.0),
        ("sch2", 2025, 5, "math", "1", 1, 0.0, 0.0),
        ("sch2", 2025, 5, "math", "2", 1, 0.0, 0.0),
        ("sch2", 2025, 5, "math", "4.1", 1, 0.0, 0.0),
    ]


def test_unknown_passport_columns_are_kept_as_json_and_reported(tmp_path, con):
    folder = tmp_path / "raw" / "context" / "2025"
    folder.mkdir(parents=True)
    _xlsx(
        folder / "passport.xlsx",
        [
            ["Код ОО", "Доля неполных семей", "Доля детей-сирот", "Кружков"],
            ["001", 25, 3.5, 4],
            ["002", 10, None, None],
        ],
    )
    ingest_raw(con, tmp_path / "raw")
    extra = con.execute("SELECT school_code, extra_columns FROM raw.context ORDER BY 1").fetchall()
    assert extra[1] == ("002", None)
    assert json.loads(extra[0][1]) == {"Доля детей-сирот": "3.5", "Кружков": "4"}
    messages = [
        m for (m,) in con.execute(
            "SELECT message FROM ops.problems WHERE rule = 'unknown_column'"
        ).fetchall()
    ]  # fmt: skip
    assert len(messages) == 2 and all("extra_columns" in m for m in messages)
