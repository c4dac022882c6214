"""Reading CSV and XLSX files as received: encodings, delimiters, title lines, bad rows, sheets."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import xlsxwriter

from shnor.ingest.headers import canonical_column
from shnor.ingest.layouts import best_layout, layout_named
from shnor.ingest.readers import SheetRead, SheetSkipped, UnreadableFile, read_file
from shnor.ingest.text import cell_text, cell_texts


def _rows(sheet: SheetRead) -> list[dict]:
    return sheet.table.to_pylist()


def _only_read(path: Path, folder: str | None) -> SheetRead:
    sheets = read_file(path, folder)
    assert len(sheets) == 1
    assert isinstance(sheets[0], SheetRead), sheets[0]
    return sheets[0]


# --- CSV ------------------------------------------------------------------------------------


def test_csv_utf8_with_bom_and_commas(tmp_path):
    path = tmp_path / "vpr.csv"
    text = (
        "Код ОО,Муниципалитет,Класс,Предмет,Код участника,Отметка,Первичный балл\n"
        "0101,Город А,4А,Русский язык,P1,4,31\n"
        '0102,"Район Б, село",5Б,Математика,P2,2,"7,5"\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    sheet = _only_read(path, "vpr")
    assert sheet.layout.name == "vpr_participants"
    assert sheet.encoding == "utf-8-sig"
    assert sheet.delimiter == ","
    assert sheet.header_row == 1
    assert sheet.sheet is None
    assert sheet.table.column_names == [
        "school_code",
        "municipality_name",
        "class_label",
        "subject",
        "participant_id",
        "mark",
        "primary_score",
        "_row",
    ]
    assert _rows(sheet) == [
        {
            "school_code": "0101",
            "municipality_name": "Город А",
            "class_label": "4А",
            "subject": "Русский язык",
            "participant_id": "P1",
            "mark": "4",
            "primary_score": "31",
            "_row": 2,
        },
        {
            "school_code": "0102",
            "municipality_name": "Район Б, село",
            "class_label": "5Б",
            "subject": "Математика",
            "participant_id": "P2",
            "mark": "2",
            "primary_score": "7,5",
            "_row": 3,
        },
    ]
    assert sheet.rejected_rows == []
    assert sheet.unknown_headers == []


def test_csv_utf8_without_bom(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("Код ОО;Наименование ОО;АТЕ\n7;Школа №7;Город\n", encoding="utf-8")
    sheet = _only_read(path, "schools")
    assert sheet.layout.name == "registry"
    assert sheet.encoding == "utf-8"
    assert _rows(sheet) == [
        {"school_code": "7", "school_name": "Школа №7", "municipality_name": "Город", "_row": 2}
    ]


def test_csv_windows_1251_semicolons_title_lines_decimal_comma(tmp_path):
    path = tmp_path / "oge.csv"
    text = (
        "Результаты ОГЭ по математике\n"
        "Основной период 2025 года\n"
        "Код ОУ;Код МСУ;Предмет;Первичный балл;Оценка;Этап;Дата экзамена\n"
        "0201;12;Математика;14,5;4;основной;03.06.2025\n"
        "0202;12;Математика;3;2;резервный;2025-06-20\n"
    )
    path.write_bytes(text.encode("cp1251"))
    sheet = _only_read(path, "oge")
    assert sheet.layout.name == "exam_participants"
    assert sheet.encoding == "cp1251"
    assert sheet.delimiter == ";"
    assert sheet.header_row == 3
    assert _rows(sheet) == [
        {
            "school_code": "0201",
            "subject": "Математика",
            "mark": "4",
            "municipality_code": "12",
            "primary_score": "14,5",
            "stage": "основной",
            "exam_date": "03.06.2025",
            "_row": 4,
        },
        {
            "school_code": "0202",
            "subject": "Математика",
            "mark": "2",
            "municipality_code": "12",
            "primary_score": "3",
            "stage": "резервный",
            "exam_date": "2025-06-20",
            "_row": 5,
        },
    ]


def test_csv_short_row_is_recovered_and_long_row_rejected(tmp_path):
    path = tmp_path / "vpr.csv"
    path.write_text(
        "ВПР 2025\n"
        "Код ОО;Класс;Предмет;Отметка;Первичный балл\n"
        "001;4А;Русский язык;4;12\n"
        "002;4Б;Математика\n"  # missing trailing cells: kept
        "003;4Б;Математика;5;1;лишнее\n"  # extra non-empty cell: rejected
        "004;4Б;Математика;2;1;\n"  # extra empty cell: kept
        "005;4В;Математика;3;9\n",
        encoding="utf-8",
    )
    sheet = _only_read(path, "vpr")
    assert [(r["school_code"], r["mark"], r["primary_score"], r["_row"]) for r in _rows(sheet)] == [
        ("001", "4", "12", 3),
        ("002", "", "", 4),
        ("004", "2", "1", 6),
        ("005", "3", "9", 7),
    ]
    assert sheet.rejected_rows == [(5, "в строке 6 полей, в заголовке 5")]


def test_csv_unknown_task_and_duplicate_headers(tmp_path):
    path = tmp_path / "vpr.csv"
    path.write_text(
        "Код ОО;Класс;Предмет;Отметка;Оценка;1;2;4.1;Примечание\n"
        "001;4А;Русский язык;4;5;1;0;x;да\n",
        encoding="utf-8",
    )
    sheet = _only_read(path, "vpr")
    assert sheet.unknown_headers == ["Примечание"]
    assert sheet.task_headers == ["1", "2", "4.1"]
    assert sheet.duplicate_headers == ["Оценка"]
    assert _rows(sheet) == [
        {
            "school_code": "001",
            "class_label": "4А",
            "subject": "Русский язык",
            "mark": "4",  # the first of two mark columns
            "_row": 2,
        }
    ]


def test_csv_without_a_known_header_is_skipped(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("Фамилия;Имя\nИванов;Иван\n", encoding="utf-8")
    [sheet] = read_file(path, "vpr")
    assert isinstance(sheet, SheetSkipped)
    assert sheet.reason == "не найдена строка заголовков известного формата"
    assert sheet.headers_seen == ["Фамилия", "Имя"]


def test_csv_blank_line_keeps_later_row_numbers(tmp_path):
    path = tmp_path / "vpr.csv"
    path.write_text(
        "Код ОО;Класс;Предмет;Отметка\n001;4А;Русский язык;4\n\n002;4Б;Математика;3\n",
        encoding="utf-8",
    )
    sheet = _only_read(path, "vpr")
    assert [(r["school_code"], r["_row"]) for r in _rows(sheet)] == [("001", 2), ("002", 4)]


# --- XLSX -----------------------------------------------------------------------------------


def _write_vpr_workbook(path: Path) -> None:
    workbook = xlsxwriter.Workbook(path)
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    vpr = workbook.add_worksheet("ВПР 4 класс")
    vpr.write_row(0, 0, ["Результаты ВПР, 4 класс, 2025"])
    vpr.write_row(
        1, 0, ["Код ОО", "Название ОО", "Класс", "Предмет", "Отметка", "Первичный балл", "Дата"]
    )
    vpr.write_row(2, 0, [101.0, "Школа 1", "4А", "Русский язык", 4.0, 12.5])
    vpr.write_datetime(2, 6, dt.datetime(2025, 4, 15), date_format)
    # rows 4 and 5 (1-based) are left empty
    vpr.write_row(5, 0, ["0102", "Школа 2", 4.0, "Математика", "отсутствовал", None])
    vpr.write_datetime(5, 6, dt.datetime(2025, 4, 17, 9, 30), workbook.add_format())
    vpr.write_row(6, 0, [103, "Школа 3", "4Б", "Математика", 2])
    other = workbook.add_worksheet("Заявления")
    other.write_row(0, 0, ["Фамилия", "Имя", "Дата заявления"])
    other.write_row(1, 0, ["Иванов", "Иван", "01.02.2025"])
    workbook.add_worksheet("Пустой")
    workbook.close()


def test_xlsx_sheets_title_row_values_and_row_numbers(tmp_path):
    path = tmp_path / "vpr.xlsx"
    _write_vpr_workbook(path)
    vpr, other, empty = read_file(path, "vpr")

    assert isinstance(vpr, SheetRead)
    assert vpr.sheet == "ВПР 4 класс"
    assert vpr.layout.name == "vpr_participants"
    assert vpr.header_row == 2
    assert vpr.unknown_headers == ["Дата"]
    assert vpr.encoding is None
    assert _rows(vpr) == [
        {
            "school_code": "101",
            "class_label": "4А",
            "subject": "Русский язык",
            "mark": "4",
            "school_name": "Школа 1",
            "primary_score": "12.5",
            "_row": 3,
        },
        {
            "school_code": "0102",
            "class_label": "4",
            "subject": "Математика",
            "mark": "отсутствовал",
            "school_name": "Школа 2",
            "primary_score": None,
            "_row": 6,
        },
        {
            "school_code": "103",
            "class_label": "4Б",
            "subject": "Математика",
            "mark": "2",
            "school_name": "Школа 3",
            "primary_score": None,
            "_row": 7,
        },
    ]

    assert isinstance(other, SheetSkipped)
    assert other.sheet == "Заявления"
    assert other.reason == "лист заявлений на участие в экзамене — не результаты"
    assert other.headers_seen == ["Фамилия", "Имя", "Дата заявления"]

    assert isinstance(empty, SheetSkipped)
    assert empty.sheet == "Пустой"
    assert empty.reason == "лист пуст"


def test_xlsx_dates_are_iso(tmp_path):
    path = tmp_path / "ege.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("ЕГЭ")
    day = workbook.add_format({"num_format": "dd.mm.yyyy"})
    moment = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    sheet.write_row(0, 0, ["Код ОУ", "Предмет", "Балл", "Дата экзамена"])
    sheet.write_row(1, 0, ["0101", "Русский язык", 23.0])
    sheet.write_datetime(1, 3, dt.datetime(2025, 6, 3), day)
    sheet.write_row(2, 0, ["0101", "Математика (профильная)", 80.0])
    sheet.write_datetime(2, 3, dt.datetime(2025, 6, 6, 10, 30), moment)
    sheet.write_row(3, 0, ["0101", "Физика", 36.0, "06.06.2025"])
    workbook.close()
    read = _only_read(path, "ege")
    assert [(r["test_score"], r["exam_date"], r["_row"]) for r in _rows(read)] == [
        ("23", "2025-06-03", 2),
        ("80", "2025-06-06 10:30:00", 3),
        ("36", "06.06.2025", 4),
    ]


def test_cell_texts_are_each_cells_text_however_equal_values_collide():
    # 1 == 1.0 == True and 1e15 == 10**15 share a set entry: each cell still gets its own text
    cells = [1, 1.0, True, 0, -0.0, False, 1e15, 10**15, 2.5, float("nan"), None, " x ", "",
             dt.date(2025, 6, 3), dt.datetime(2025, 6, 3, 10, 30), 1.0]  # fmt: skip
    assert cell_texts(cells) == [cell_text(c) for c in cells]
    assert cell_texts([1e15, 10**15]) == ["1000000000000000.0", "1000000000000000"]
    assert cell_texts([4.0, 4, True, None]) == ["4", "4", "1", None]


def test_xlsx_written_with_openpyxl(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "context.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Паспорт"
    sheet.append(["Социальный паспорт школ"])
    sheet.append([])
    sheet.append(["Код ОО", "Доля неполных семей", "Доля обучающихся с ОВЗ", "Год"])
    sheet.append(["0101", 0.25, 3.0, 2025])
    sheet.append(["0102", 0.1, 12, 2025])
    workbook.save(path)
    read = _only_read(path, "context")
    assert read.layout.name == "context"
    assert read.header_row == 3
    assert _rows(read) == [
        {
            "school_code": "0101",
            "single_parent_share": "0.25",
            "disability_share": "3",
            "context_year": "2025",
            "_row": 4,
        },
        {
            "school_code": "0102",
            "single_parent_share": "0.1",
            "disability_share": "12",
            "context_year": "2025",
            "_row": 5,
        },
    ]


# --- files that are not spreadsheets --------------------------------------------------------


def test_empty_file_is_unreadable(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="пустой"):
        read_file(path, "vpr")


def test_binary_file_named_csv_is_unreadable(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)) * 8)
    with pytest.raises(UnreadableFile, match="двоичные данные"):
        read_file(path, "vpr")


def test_pdf_is_unreadable(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(UnreadableFile, match=r"«\.pdf» не поддерживается"):
        read_file(path, "vpr")


def test_corrupt_xlsx_is_unreadable(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(random.Random(20250601).randbytes(4096))
    with pytest.raises(UnreadableFile, match="книга Excel не открывается"):
        read_file(path, "vpr")


# --- layout recognition ---------------------------------------------------------------------

VPR_HEADERS = ["Код ОО", "Муниципалитет", "Название ОО", "Класс", "Предмет", "Код участника"]
VPR_HEADERS += ["Вариант", "Первичный балл", "Отметка", "Отметка по журналу"]
OGE_HEADERS = ["Код ОУ", "Код МСУ", "Предмет", "Первичный балл", "Оценка", "Этап"]
OGE_HEADERS += ["Дата экзамена", "Код участника"]


def _columns(headers: list[str]) -> list[str | None]:
    return [canonical_column(h) for h in headers]


def test_vpr_headers_in_vpr_folder_are_vpr_participants():
    assert best_layout(_columns(VPR_HEADERS), "vpr") is layout_named("vpr_participants")
    # without a folder the best-fitting layout still wins
    assert best_layout(_columns(VPR_HEADERS), None) is layout_named("vpr_participants")


def test_oge_headers_are_exam_participants():
    assert best_layout(_columns(OGE_HEADERS), "oge") is layout_named("exam_participants")
    # an ОГЭ header set has no class: it cannot be a ВПР table even in vpr/
    assert best_layout(_columns(OGE_HEADERS), "vpr") is layout_named("exam_participants")


def test_registry_and_context_headers():
    registry = _columns(["Код ОО", "Полное наименование", "Муниципальное образование", "Уровень"])
    assert best_layout(registry, "schools") is layout_named("registry")
    context = _columns(["Код ОО", "Доля малообеспеченных семей"])
    assert best_layout(context, "context") is layout_named("context")
    assert best_layout(_columns(["Код ОО", "Предмет"]), "vpr") is None


def test_layout_recognised_from_files(tmp_path):
    vpr = tmp_path / "vpr.csv"
    vpr.write_text(";".join(VPR_HEADERS) + "\n" + "1;М;Ш;4А;Математика;P;1;5;3;4\n", "utf-8")
    oge = tmp_path / "oge.csv"
    oge.write_text(";".join(OGE_HEADERS) + "\n" + "1;2;Математика;5;3;основной;;P\n", "utf-8")
    assert _only_read(vpr, "vpr").layout.name == "vpr_participants"
    assert _only_read(oge, "oge").layout.name == "exam_participants"
    assert _only_read(oge, "vpr").layout.name == "exam_participants"
