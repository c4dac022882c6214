"""The participant frames of the raw checks type each distinct cell once and join it back: every
row gets what the macros give its own cell, missing and odd spellings included, and no row is
lost or doubled by the joins."""

from __future__ import annotations

import itertools

import pytest
from builders import insert_raw

from shnor import warehouse
from shnor.quality.suites import frame_for

# Spellings of a score or mark cell: numbers as exports write them, absences, junk, blanks.
CELLS = ["5", " 4 ", "4,0", "3\xa0", "1 000", "4.5", "1", "-3", "\u200b5", "н", "Н/Я", "отс.",
         "отсутствовал", "неявка", "пять", "x", "х", "-", "", "  ", None]  # fmt: skip
DATES = ["2025-06-02", "02.06.2025", "02.06.25", "45447", "2025-06-02 10:00:00", " 03.06.2025 ",
         "04/06/2025", "2024-06-02", "завтра", "", None]  # fmt: skip
STAGES = ["основной", "осн.", "резервный день", "досрочный", "репетиционный", "что-то", "", None]

# Each row typed on its own by the macros (what the frames gave before they typed each distinct
# cell once).
VPR_BY_ROW = """
SELECT _source_file, _row,
    CASE WHEN is_absent_mark(mark) THEN NULL ELSE parse_number(mark) END AS mark,
    CASE WHEN NOT is_absent_mark(mark) AND parse_number(mark) IS NULL THEN mark END AS mark_text,
    parse_number(primary_score) AS primary_score,
    CASE WHEN NOT is_absent_mark(primary_score) AND parse_number(primary_score) IS NULL
          AND lower(clean_text(primary_score)) NOT IN ('x', 'х', '-')
         THEN primary_score END AS primary_score_text,
    parse_number(journal_mark) AS journal_mark,
    CASE WHEN clean_text(journal_mark) IS NOT NULL AND parse_number(journal_mark) IS NULL
         THEN journal_mark END AS journal_mark_text
FROM raw.vpr_participants ORDER BY ALL
"""
EXAM_BY_ROW = """
SELECT _source_file, _row,
    CASE WHEN is_absent_mark(mark) THEN NULL ELSE parse_number(mark) END AS mark,
    CASE WHEN NOT is_absent_mark(mark) AND parse_number(mark) IS NULL THEN mark END AS mark_text,
    parse_number(test_score) AS test_score,
    CASE WHEN NOT is_absent_mark(test_score) AND parse_number(test_score) IS NULL
         THEN test_score END AS test_score_text,
    parse_number(primary_score) AS primary_score,
    CASE WHEN NOT is_absent_mark(primary_score) AND parse_number(primary_score) IS NULL
          AND lower(clean_text(primary_score)) NOT IN ('x', 'х', '-')
         THEN primary_score END AS primary_score_text,
    CASE WHEN clean_text(exam_date) IS NOT NULL AND parse_date(exam_date) IS NULL
         THEN exam_date END AS exam_date_text,
    CASE WHEN exam_stage(stage) = 'other' AND folder_name(_source_file) <> 'mock'
         THEN stage END AS stage_text,
    year(parse_date(exam_date)) AS exam_date_year
FROM raw.exam_participants ORDER BY ALL
"""


@pytest.fixture
def con():
    with warehouse.connect(":memory:") as connection:
        warehouse.prepare_connection(connection, None)
        from shnor.ingest.raw_tables import ensure_raw_tables

        ensure_raw_tables(connection)
        yield connection


def _typed(con, suite: str, files: list[str], columns: list[str]) -> list[tuple]:
    frame = frame_for(con, suite, {"files": files})
    rows = frame[["_source_file", "_row", *columns]].astype(object)
    rows = rows.where(rows.notna(), None)
    return sorted(tuple(r) for r in rows.itertuples(index=False))


def test_vpr_cells_are_typed_as_each_row_alone(con):
    files = ["vpr/2025/a.csv", "vpr/2025/b.csv"]
    cells = list(itertools.product(CELLS, CELLS[::-1][:7], CELLS[3:12]))
    for number, source in enumerate(files):
        rows = [
            {"school_code": "s1", "class_label": "5А", "subject": "Математика",
             "participant_id": f"p{number}-{i}", "mark": mark, "primary_score": score,
             "journal_mark": journal}
            for i, (mark, score, journal) in enumerate(cells)
        ]  # fmt: skip
        insert_raw(con, "vpr_participants", source, rows)
    expected = sorted(con.execute(VPR_BY_ROW).fetchall())
    assert len(expected) == 2 * len(cells)
    columns = ["mark", "mark_text", "primary_score", "primary_score_text", "journal_mark",
               "journal_mark_text"]  # fmt: skip
    assert _typed(con, "raw_vpr_participants", files, columns) == expected
    assert any(row[3] is not None for row in expected)  # some junk reaches a *_text column
    assert any(row[2] is None and row[3] is None for row in expected)  # an absence is no error


def test_exam_cells_are_typed_as_each_row_alone(con):
    files = ["oge/2025/a.csv", "ege/2025/b.csv", "mock/2025/c.csv"]
    cells = list(itertools.product(CELLS[::2], DATES, STAGES))
    for number, source in enumerate(files):
        rows = [
            {"school_code": "s1", "subject": "Математика", "participant_id": f"p{number}-{i}",
             "mark": mark, "test_score": CELLS[(i + 3) % len(CELLS)],
             "primary_score": CELLS[(i + 7) % len(CELLS)], "exam_date": day, "stage": stage}
            for i, (mark, day, stage) in enumerate(cells)
        ]  # fmt: skip
        insert_raw(con, "exam_participants", source, rows)
    expected = sorted(con.execute(EXAM_BY_ROW).fetchall())
    assert len(expected) == 3 * len(cells)
    columns = ["mark", "mark_text", "test_score", "test_score_text", "primary_score",
               "primary_score_text", "exam_date_text", "stage_text", "exam_date_year"]  # fmt: skip
    assert _typed(con, "raw_exam_participants", files, columns) == expected
    assert {row[9] for row in expected} >= {None, "что-то", "репетиционный"}
    assert {row[10] for row in expected} >= {None, 2024, 2025}
