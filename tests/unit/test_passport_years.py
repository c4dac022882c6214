"""A social passport with several years' rows (docs/data-contract.md §5, «one row per school (and
year)»), written by hand: each row counts for the year it states (`Учебный год` «2023/2024» is
2024, the year of its spring and summer assessments), a row without a year for its folder's, a
cell stating no year is reported and the row kept, a file whose rows state other years than its
folder's is named once with those years; a school-year two files give differently
counts from neither until an analyst names one (reference/authoritative_files.csv)."""

from __future__ import annotations

from pathlib import Path

from builders import fetch
from hand_written import (
    HandWrittenFile,
    assert_every_row_loaded_or_reported,
    ingested_and_built,
    save,
    workbook,
)

SEVERAL_YEARS = "context/2024/Социальный паспорт 2022–2024.xlsx"
HEADER = ["Код ОО", "Наименование ОО", "Учебный год", "Доля малообеспеченных семей",
          "Доля неполных семей", "Численность обучающихся"]  # fmt: skip
ROWS = [  # the year each row counts for after it
    ["0101", "СОШ № 1", "2022/2023", 10, 20, 400],  # 2023
    ["0101", "СОШ № 1", "2023/2024", 12, 22, 410],  # 2024
    ["0102", "СОШ № 2", "2023/2024", 30, 25, 300],  # 2024
    ["0102", "СОШ № 2", None, 30, 25, 300],  # 2024 (the folder's), the same values: once
    ["0103", "СОШ № 3", 2023, 18, 16, 200],  # 2023 (a number cell)
    ["0104", "СОШ № 4", "н/д", 8, 9, 150],  # no year: reported, counted for 2024
    ["0105", "СОШ № 5", "2023-24", 5, 6, 120],  # 2024
    ["0107", "СОШ № 7", "2024/2025", 4, 5, 90],  # 2025, though in the 2024 folder: a warning
]
ONE_YEAR = "context/2023/Социальный паспорт 2023.xlsx"
ONE_YEAR_HEADER = ["Код ОО", "Доля малообеспеченных семей", "Доля неполных семей",
                   "Численность обучающихся"]  # fmt: skip
ONE_YEAR_ROWS = [
    ["0101", 11, 20, 400],  # 2023 again, another value: neither file counts for it
    ["0103", 18, 16, 200],  # 2023 again, the same values: once
    ["0106", 7, 7, 100],
]
FILES = [
    HandWrittenFile(SEVERAL_YEARS, "context", loaded_rows=len(ROWS)),
    HandWrittenFile(ONE_YEAR, "context", loaded_rows=len(ONE_YEAR_ROWS)),
]
# (school, year) → (low-income share, single-parent share, pupils), by hand from the rows above
TRUTH = {
    ("0101", 2024): (0.12, 0.22, 410),
    ("0102", 2024): (0.30, 0.25, 300),
    ("0103", 2023): (0.18, 0.16, 200),
    ("0104", 2024): (0.08, 0.09, 150),
    ("0105", 2024): (0.05, 0.06, 120),
    ("0106", 2023): (0.07, 0.07, 100),
    ("0107", 2025): (0.04, 0.05, 90),
}


def _write(raw: Path) -> None:
    save(workbook([HEADER, *ROWS]), raw, SEVERAL_YEARS)
    save(workbook([ONE_YEAR_HEADER, *ONE_YEAR_ROWS]), raw, ONE_YEAR)


def _context(con) -> dict[tuple[str, int], tuple[float, float, int]]:
    """(school, year) → (low-income share, single-parent share, pupils) as staging counts them."""
    shares = fetch(
        con,
        "SELECT school_id, exam_year, component, list(DISTINCT share), count(DISTINCT _source_file)"
        " FROM staging.stg_context__components GROUP BY ALL",
    )
    assert all(len(values) == 1 and files == 1 for *_, values, files in shares)  # no average
    share = {(school, year, component): values[0] for school, year, component, values, _ in shares}
    pupils = fetch(
        con, "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools"
    )
    return {
        (school, year): (
            round(share[school, year, "low_income_share"], 4),
            round(share[school, year, "single_parent_share"], 4),
            count,
        )
        for school, year, count in pupils
    }


def test_each_row_counts_for_its_stated_year_and_a_conflicting_year_for_neither(tmp_path):
    raw = tmp_path / "raw"
    _write(raw)
    with ingested_and_built(raw) as (con, summary):
        assert summary.quarantined == []
        assert sorted(summary.loaded) == sorted(f.relative for f in FILES)
        assert_every_row_loaded_or_reported(con, FILES)
        found = _context(con)
        said = fetch(
            con,
            "SELECT source_file, rule, severity, row, value, message FROM ops.problems "
            "WHERE rule IN ('passport_conflict', 'passport_year_unknown', 'year_mismatch', "
            "'passport_year_differs') "
            "ORDER BY ALL",
        )
    assert found == TRUTH
    conflicts = [s for s in said if s[1] == "passport_conflict"]
    # 0101's 2023: one file in the 2023 folder, the other's «2022/2023» row — neither counts
    assert [(s[0], s[2], s[3], s[4]) for s in conflicts] == [
        (ONE_YEAR, "blocking", 2, SEVERAL_YEARS),
        (SEVERAL_YEARS, "blocking", 2, ONE_YEAR),
    ]
    assert all("0101" in s[5] and "за 2023 год" in s[5] for s in conflicts)
    # «н/д» is no year: named once, its row counted for the folder's year (0104 in 2024)
    unknown = [s[:5] for s in said if s[1] == "passport_year_unknown"]
    assert unknown == [(SEVERAL_YEARS, "passport_year_unknown", "warning", 7, "н/д")]
    # rows of 2023 (0101, 0103) and 2025 (0107) in the 2024 folder: one warning for the file
    moved = [s for s in said if s[1] == "passport_year_differs"]
    assert [s[:5] for s in moved] == [
        (SEVERAL_YEARS, "passport_year_differs", "warning", None, "2023,2025")
    ]
    assert "«Социальный паспорт 2022–2024.xlsx» из папки 2024" in moved[0][5]
    assert "2023 год — 2 строки, 2025 год — 1 строка" in moved[0][5]


def test_the_analyst_names_the_file_that_counts_for_the_year(tmp_path):
    raw, reference = tmp_path / "raw", tmp_path / "reference"
    _write(raw)
    reference.mkdir()
    (reference / "authoritative_files.csv").write_text(
        "source_file,exam_year,municipality_name,reviewed_by,note\n"
        f"{ONE_YEAR},2023,,Иванова И. И.,паспорт 2023 года уточнён\n",
        encoding="utf-8",
    )
    with ingested_and_built(raw, reference) as (con, _):
        found = _context(con)
        conflicts = fetch(con, "SELECT * FROM ops.problems WHERE rule = 'passport_conflict'")
    assert found == TRUTH | {("0101", 2023): (0.11, 0.20, 400)}
    assert conflicts == []
