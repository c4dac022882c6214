"""ingest_raw: raw/ files into raw.* with provenance, checksums, corrections and quarantine."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from pathlib import Path

import pytest
import xlsxwriter

from shnor import warehouse
from shnor.ingest import raw_load
from shnor.ingest.raw_load import ingest_raw, raw_files
from shnor.ingest.raw_tables import ensure_raw_tables

VPR_HEADER = "Код ОО;Класс;Предмет;Отметка;Первичный балл\n"
OGE_HEADER = "Код ОУ;Код МСУ;Предмет;Первичный балл;Оценка;Этап\n"


@pytest.fixture
def con():
    """A warehouse without raw tables: ingest must create them."""
    with warehouse.connect(":memory:") as connection:
        warehouse.prepare_connection(connection, None)
        yield connection


def _write(raw: Path, relative: str, text: str, encoding: str = "utf-8") -> Path:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def _vpr_text(*rows: str) -> str:
    return VPR_HEADER + "".join(f"{row}\n" for row in rows)


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _count(con, table: str) -> int:
    return _rows(con, f"SELECT count(*) FROM {table}")[0][0]


def _files(con) -> dict[str, tuple]:
    rows = _rows(
        con,
        "SELECT source_file, status, folder, folder_year, layouts, row_count FROM raw._files",
    )
    return {row[0]: row[1:] for row in rows}


def _problems(con, severity: str | None = None) -> list[tuple]:
    sql = 'SELECT source_file, rule, severity, sheet, "row", "column" FROM ops.problems'
    if severity:
        sql += f" WHERE severity = '{severity}'"
    return sorted(_rows(con, sql), key=str)


def _school_codes(con, table: str = "raw.vpr_participants") -> list[tuple]:
    return _rows(con, f"SELECT _source_file, school_code, mark FROM {table} ORDER BY ALL")


# --- provenance -----------------------------------------------------------------------------


def test_provenance_on_every_row(con, tmp_path):
    raw = tmp_path / "raw"
    csv_path = _write(raw, "vpr/2025/spring.csv", _vpr_text("001;4А;Математика;4;10"))
    xlsx_path = raw / "oge" / "2025" / "oge.xlsx"
    xlsx_path.parent.mkdir(parents=True)
    workbook = xlsxwriter.Workbook(xlsx_path)
    sheet = workbook.add_worksheet("Математика")
    sheet.write_row(0, 0, ["Результаты ОГЭ"])
    sheet.write_row(1, 0, ["Код ОУ", "Предмет", "Оценка"])
    sheet.write_row(2, 0, ["0101", "Математика", 5])
    sheet.write_row(3, 0, ["0102", "Математика", 2])
    workbook.close()

    before = dt.datetime.now()
    summary = ingest_raw(con, raw)
    after = dt.datetime.now()

    assert summary.loaded == ["oge/2025/oge.xlsx", "vpr/2025/spring.csv"]
    assert summary.rows_loaded == 3
    assert summary.changed
    vpr = _rows(
        con,
        "SELECT school_code, class_label, subject, mark, primary_score, _source_file, _sheet, "
        "_row, _file_checksum, _loaded_at FROM raw.vpr_participants",
    )
    csv_checksum = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    [(*values, loaded_at)] = vpr
    assert values == [
        "001",
        "4А",
        "Математика",
        "4",
        "10",
        "vpr/2025/spring.csv",
        None,
        2,
        csv_checksum,
    ]
    assert before <= loaded_at <= after

    exams = _rows(
        con,
        "SELECT school_code, mark, _source_file, _sheet, _row, _file_checksum "
        "FROM raw.exam_participants ORDER BY _row",
    )
    xlsx_checksum = hashlib.sha256(xlsx_path.read_bytes()).hexdigest()
    assert exams == [
        ("0101", "5", "oge/2025/oge.xlsx", "Математика", 3, xlsx_checksum),
        ("0102", "2", "oge/2025/oge.xlsx", "Математика", 4, xlsx_checksum),
    ]
    assert _rows(con, "SELECT count(*) FROM raw.exam_participants WHERE _loaded_at IS NULL") == [
        (0,)
    ]
    assert _files(con) == {
        "oge/2025/oge.xlsx": ("loaded", "oge", 2025, "exam_participants", 2),
        "vpr/2025/spring.csv": ("loaded", "vpr", 2025, "vpr_participants", 1),
    }
    assert _rows(con, "SELECT encoding FROM raw._files ORDER BY source_file") == [
        (None,),
        ("utf-8",),
    ]
    assert _problems(con) == []


def test_registry_file_without_a_year_folder_loads(con, tmp_path):
    raw = tmp_path / "raw"
    _write(
        raw,
        "schools/registry.csv",
        "Код ОО;Полное наименование;Муниципалитет;Тип поселения\n001;Школа 1;Город;город\n",
        encoding="cp1251",
    )
    summary = ingest_raw(con, raw)
    assert summary.loaded == ["schools/registry.csv"]
    assert _rows(
        con, "SELECT school_code, school_name, settlement_type, _source_file FROM raw.schools"
    ) == [("001", "Школа 1", "город", "schools/registry.csv")]
    assert _files(con)["schools/registry.csv"] == ("loaded", "schools", None, "registry", 1)


# --- unchanged, corrected, removed ----------------------------------------------------------


def test_second_ingest_of_unchanged_files_reads_nothing(con, tmp_path):
    raw = tmp_path / "raw"
    _write(raw, "vpr/2025/a.csv", _vpr_text("001;4А;Математика;4;10", "002;4Б;Математика;2;3"))
    _write(raw, "vpr/2024/a.csv", _vpr_text("001;4А;Математика;5;12"))
    first = ingest_raw(con, raw)
    loaded_at = _rows(con, "SELECT DISTINCT _loaded_at FROM raw.vpr_participants ORDER BY 1")

    second = ingest_raw(con, raw)

    assert first.loaded == ["vpr/2024/a.csv", "vpr/2025/a.csv"]
    assert second.unchanged == ["vpr/2024/a.csv", "vpr/2025/a.csv"]
    assert (second.loaded, second.corrected, second.removed, second.quarantined) == ([], [], [], [])
    assert second.rows_loaded == 0
    assert not second.changed
    assert _count(con, "raw.vpr_participants") == 3
    assert _count(con, "raw._files") == 2
    assert _rows(con, "SELECT DISTINCT _loaded_at FROM raw.vpr_participants ORDER BY 1") == (
        loaded_at
    )


def test_files_are_read_and_checked_again_when_the_reading_code_changes(con, tmp_path, monkeypatch):
    # A new shnor (a fixed reader or check) re-reads what an older one loaded, so a file's
    # rows and problems are always those this shnor finds, not those of the version before.
    raw = tmp_path / "raw"
    _write(raw, "vpr/2025/a.csv", _vpr_text("001;4А;Математика;4;10"))
    ingest_raw(con, raw)
    assert ingest_raw(con, raw).unchanged == ["vpr/2025/a.csv"]
    monkeypatch.setattr(raw_load, "_reading_code_digest", lambda: "a newer shnor")

    again = ingest_raw(con, raw)

    assert again.loaded == ["vpr/2025/a.csv"] and again.unchanged == []
    assert _count(con, "raw.vpr_participants") == 1
    assert ingest_raw(con, raw).unchanged == ["vpr/2025/a.csv"]


def test_corrected_file_replaces_its_rows(con, tmp_path):
    raw = tmp_path / "raw"
    path = _write(
        raw, "vpr/2025/a.csv", _vpr_text("001;4А;Математика;4;10", "002;4Б;Математика;2;3")
    )
    _write(raw, "vpr/2025/b.csv", _vpr_text("009;4А;Математика;3;8"))
    ingest_raw(con, raw)

    path.write_text(_vpr_text("001;4А;Математика;5;14"), encoding="utf-8")
    summary = ingest_raw(con, raw)

    assert summary.corrected == ["vpr/2025/a.csv"]
    assert summary.unchanged == ["vpr/2025/b.csv"]
    assert summary.loaded == []
    assert summary.rows_loaded == 1
    assert summary.changed
    assert _school_codes(con) == [
        ("vpr/2025/a.csv", "001", "5"),
        ("vpr/2025/b.csv", "009", "3"),
    ]
    new_checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    assert _rows(
        con,
        "SELECT DISTINCT _file_checksum FROM raw.vpr_participants "
        "WHERE _source_file = 'vpr/2025/a.csv'",
    ) == [(new_checksum,)]
    assert _rows(
        con, "SELECT checksum, row_count FROM raw._files WHERE source_file = 'vpr/2025/a.csv'"
    ) == [(new_checksum, 1)]


def test_removed_file_takes_its_rows_away(con, tmp_path):
    raw = tmp_path / "raw"
    gone = _write(
        raw, "vpr/2025/a.csv", _vpr_text("001;4А;Математика;4;10;x", "002;4Б;Математика;2;3")
    )
    _write(raw, "vpr/2025/b.csv", _vpr_text("009;4А;Математика;3;8"))
    ingest_raw(con, raw)
    assert _count(con, "raw.vpr_participants") == 2  # plus one malformed row reported
    assert [p[1] for p in _problems(con)] == ["malformed_row"]

    gone.unlink()
    summary = ingest_raw(con, raw)

    assert summary.removed == ["vpr/2025/a.csv"]
    assert summary.unchanged == ["vpr/2025/b.csv"]
    assert summary.changed
    assert _school_codes(con) == [("vpr/2025/b.csv", "009", "3")]
    assert list(_files(con)) == ["vpr/2025/b.csv"]
    assert _problems(con) == []


# --- quarantine -----------------------------------------------------------------------------


def _bad_tree(raw: Path) -> None:
    _write(raw, "vpr/2025/good.csv", _vpr_text("001;4А;Математика;4;10"))
    _write(raw, "oge/2025/good.csv", OGE_HEADER + "001;12;Математика;20;4;основной\n")
    _write(raw, "misc/2025/stray.csv", _vpr_text("002;4А;Математика;4;10"))
    _write(raw, "loose.csv", _vpr_text("003;4А;Математика;4;10"))
    _write(raw, "vpr/no_year.csv", _vpr_text("004;4А;Математика;4;10"))
    _write(raw, "vpr/2025/oge_in_vpr.csv", OGE_HEADER + "005;12;Математика;20;4;основной\n")
    (raw / "ege" / "2025").mkdir(parents=True)
    (raw / "ege" / "2025" / "broken.xlsx").write_bytes(random.Random(7).randbytes(2048))
    _write(raw, "context/2025/notes.csv", "Фамилия;Имя\nИванов;Иван\n")


QUARANTINED = {
    "misc/2025/stray.csv": ("quarantined", None, None, "", 0),
    "loose.csv": ("quarantined", None, None, "", 0),
    "vpr/no_year.csv": ("quarantined", "vpr", None, "", 0),
    "vpr/2025/oge_in_vpr.csv": ("quarantined", "vpr", 2025, "exam_participants", 0),
    "ege/2025/broken.xlsx": ("quarantined", "ege", 2025, "", 0),
    "context/2025/notes.csv": ("quarantined", "context", 2025, "", 0),
}


def test_bad_files_are_quarantined_and_the_others_load(con, tmp_path):
    raw = tmp_path / "raw"
    _bad_tree(raw)

    summary = ingest_raw(con, raw)

    assert sorted(summary.quarantined) == sorted(QUARANTINED)
    assert summary.loaded == ["oge/2025/good.csv", "vpr/2025/good.csv"]
    assert summary.rows_loaded == 2
    assert _files(con) == QUARANTINED | {
        "oge/2025/good.csv": ("loaded", "oge", 2025, "exam_participants", 1),
        "vpr/2025/good.csv": ("loaded", "vpr", 2025, "vpr_participants", 1),
    }
    assert _school_codes(con) == [("vpr/2025/good.csv", "001", "4")]
    assert _rows(con, "SELECT _source_file, school_code FROM raw.exam_participants") == [
        ("oge/2025/good.csv", "001")
    ]
    blocking = [(p[0], p[1]) for p in _problems(con, "blocking")]
    assert sorted(blocking) == sorted(
        [
            ("misc/2025/stray.csv", "unknown_folder"),
            ("loose.csv", "unknown_folder"),
            ("vpr/no_year.csv", "missing_year_folder"),
            ("vpr/2025/oge_in_vpr.csv", "folder_content_mismatch"),
            ("ege/2025/broken.xlsx", "unreadable_file"),
            ("context/2025/notes.csv", "no_known_layout"),
        ]
    )
    # the unrecognised CSV also says why (a warning next to its blocking problem)
    assert ("context/2025/notes.csv", "sheet_skipped") in [
        (p[0], p[1]) for p in _problems(con, "warning")
    ]
    for table in ("raw.vpr_participants", "raw.exam_participants", "raw.context", "raw.schools"):
        quarantined_rows = con.execute(
            f"SELECT count(*) FROM {table} WHERE list_contains(?, _source_file)",
            [list(QUARANTINED)],
        ).fetchall()
        assert quarantined_rows == [(0,)], table


def test_quarantined_file_unchanged_stays_quarantined(con, tmp_path):
    raw = tmp_path / "raw"
    _bad_tree(raw)
    ingest_raw(con, raw)
    problems = _problems(con)

    summary = ingest_raw(con, raw)

    # Quarantined files are checked again on every run (and listed again); loaded ones are not.
    assert sorted(summary.quarantined) == sorted(QUARANTINED)
    assert len(summary.unchanged) == 2
    assert summary.corrected == [] and summary.loaded == []
    assert _problems(con) == problems
    assert {k: v for k, v in _files(con).items() if v[0] == "quarantined"} == QUARANTINED


def test_fixed_file_leaves_quarantine(con, tmp_path):
    raw = tmp_path / "raw"
    path = _write(raw, "vpr/2025/a.csv", OGE_HEADER + "005;12;Математика;20;4;основной\n")
    assert ingest_raw(con, raw).quarantined == ["vpr/2025/a.csv"]

    path.write_text(_vpr_text("005;4А;Математика;4;10"), encoding="utf-8")
    summary = ingest_raw(con, raw)

    assert summary.quarantined == []
    assert summary.corrected == ["vpr/2025/a.csv"]
    assert _files(con)["vpr/2025/a.csv"] == ("loaded", "vpr", 2025, "vpr_participants", 1)
    assert _problems(con) == []


def test_vpr_file_in_oge_folder_is_quarantined(con, tmp_path):
    raw = tmp_path / "raw"
    _write(
        raw,
        "oge/2025/vpr.csv",
        "Код ОО;Класс;Предмет;Код участника;Вариант;Первичный балл;Отметка;"
        "Отметка по журналу;1;2;3\n"
        "001;4А;Математика;P1;2;10;4;4;1;0;1\n",
    )
    summary = ingest_raw(con, raw)
    assert summary.quarantined == ["oge/2025/vpr.csv"]
    assert _count(con, "raw.exam_participants") == 0


def test_alias_added_after_quarantine_lets_the_file_load(con, tmp_path):
    raw = tmp_path / "raw"
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    _write(raw, "vpr/2025/a.csv", "Шифр ОО;Класс;Предмет;Отметка\n001;4А;Математика;4\n")
    assert ingest_raw(con, raw, reference_dir).quarantined == ["vpr/2025/a.csv"]
    assert [p[1] for p in _problems(con, "blocking")] == ["no_known_layout"]

    (reference_dir / "header_aliases.csv").write_text(
        "column,alias\nschool_code,Шифр ОО\n", encoding="utf-8"
    )
    ingest_raw(con, raw, reference_dir)

    assert _files(con)["vpr/2025/a.csv"][0] == "loaded"
    assert _school_codes(con) == [("vpr/2025/a.csv", "001", "4")]


# --- warnings -------------------------------------------------------------------------------


def test_unknown_columns_are_warnings_naming_the_column(con, tmp_path):
    raw = tmp_path / "raw"
    _write(
        raw,
        "vpr/2025/a.csv",
        "Код ОО;Класс;Предмет;Отметка;Примечание;Учитель;1;2\n001;4А;Математика;4;—;Иванова;1;0\n",
    )
    summary = ingest_raw(con, raw)
    assert summary.loaded == ["vpr/2025/a.csv"]
    assert _count(con, "raw.vpr_participants") == 1
    assert _problems(con) == [
        ("vpr/2025/a.csv", "unknown_column", "warning", None, 1, "Примечание"),
        ("vpr/2025/a.csv", "unknown_column", "warning", None, 1, "Учитель"),
    ]
    messages = [m for (m,) in _rows(con, "SELECT message FROM ops.problems ORDER BY 1")]
    assert messages == [
        "столбец «Примечание» не распознан и не загружен",
        "столбец «Учитель» не распознан и не загружен",
    ]


def test_skipped_sheet_and_malformed_row_are_warnings(con, tmp_path):
    raw = tmp_path / "raw"
    path = raw / "vpr" / "2025" / "book.xlsx"
    path.parent.mkdir(parents=True)
    workbook = xlsxwriter.Workbook(path)
    results = workbook.add_worksheet("Результаты")
    results.write_row(0, 0, ["Код ОО", "Класс", "Предмет", "Отметка"])
    results.write_row(1, 0, ["001", "4А", "Русский язык", 3])
    notes = workbook.add_worksheet("Пояснения")
    notes.write_row(0, 0, ["Составитель", "Иванова"])
    workbook.close()
    _write(raw, "vpr/2025/extra.csv", _vpr_text("002;4А;Математика;4;10;лишнее"))

    summary = ingest_raw(con, raw)

    assert summary.loaded == ["vpr/2025/book.xlsx", "vpr/2025/extra.csv"]
    assert _problems(con) == [
        ("vpr/2025/book.xlsx", "sheet_skipped", "warning", "Пояснения", None, None),
        ("vpr/2025/extra.csv", "malformed_row", "warning", None, 2, None),
    ]
    assert _school_codes(con) == [("vpr/2025/book.xlsx", "001", "3")]
    assert _rows(con, "SELECT _sheet FROM raw.vpr_participants") == [("Результаты",)]


# --- housekeeping ---------------------------------------------------------------------------


def test_hidden_lock_and_placeholder_files_are_not_inputs(tmp_path):
    raw = tmp_path / "raw"
    _write(raw, "vpr/2025/a.csv", _vpr_text())
    _write(raw, "vpr/2025/~$a.xlsx", "lock")
    _write(raw, "vpr/2025/.a.csv", "hidden")
    _write(raw, ".cache/x.csv", "hidden")
    _write(raw, "vpr/.gitkeep", "")
    _write(raw, "vpr/2025/Thumbs.db", "x")
    assert [p.relative_to(raw).as_posix() for p in raw_files(raw)] == ["vpr/2025/a.csv"]


def test_ensure_raw_tables_is_idempotent_and_adds_missing_columns(con):
    con.execute("CREATE TABLE raw.schools (school_code VARCHAR, _source_file VARCHAR)")
    ensure_raw_tables(con)
    ensure_raw_tables(con)
    columns = {
        name: kind
        for name, kind in _rows(
            con,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'schools'",
        )
    }
    assert columns["school_name"] == "VARCHAR"
    assert columns["_row"] == "BIGINT"
    assert columns["_loaded_at"] == "TIMESTAMP"
    tables = {
        name
        for (name,) in _rows(
            con, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        )
    }
    # The problems found in raw files are kept in ops, not in the raw layer they describe.
    assert _rows(con, "SELECT count(*) FROM information_schema.tables "
                 "WHERE table_schema = 'ops' AND table_name = 'problems'") == [(1,)]  # fmt: skip
    assert tables == {
        "_files",
        "vpr_participants",
        "vpr_task_points",
        "vpr_mark_stats",
        "vpr_journal_comparison",
        "exam_participants",
        "ege_school_summary",
        "context",
        "context_questionnaire",
        "fioco_objectivity_list",
        "schools",
    }


def test_a_byte_copy_is_not_loaded_and_names_the_first_file(con, tmp_path):
    raw = tmp_path / "raw"
    _write(raw, "vpr/2025/a.csv", _vpr_text("001;4А;Математика;4;10"))
    ingest_raw(con, raw)
    _write(raw, "vpr/2025/b.csv", _vpr_text("001;4А;Математика;4;10"))
    summary = ingest_raw(con, raw)
    assert summary.quarantined == ["vpr/2025/b.csv"]
    assert _rows(con, "SELECT rule, value FROM ops.problems") == [
        ("duplicate_file", "vpr/2025/a.csv")
    ]
    assert _count(con, "raw.vpr_participants") == 1
    # Once the first file is corrected, its old content under the other name is no copy.
    _write(raw, "vpr/2025/a.csv", _vpr_text("001;4А;Математика;5;12"))
    summary = ingest_raw(con, raw)
    assert summary.corrected == ["vpr/2025/a.csv"]
    # now it gives a.csv's class and subject with other numbers: it loads, and neither file
    # counts for them (issue 18: which file wins must not depend on names or order)
    assert summary.quarantined == []
    from builders import build_models

    build_models(con)
    rules = {r[0] for r in _rows(con, "SELECT rule FROM ops.problems")}
    assert "duplicate_file" not in rules and "participant_conflict" in rules
