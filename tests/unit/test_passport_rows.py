"""A social passport (docs/data-contract.md §5, «one row per school (and year)») written by hand:
a school given twice in one year with different values is a conflict reported with its rows,
never an average; the same row given twice counts once."""

from __future__ import annotations

from builders import fetch
from hand_written import (
    HandWrittenFile,
    assert_every_row_loaded_or_reported,
    ingested_and_built,
    save,
    workbook,
)

HEADER = ["Код ОО", "Наименование ОО", "Доля малообеспеченных семей", "Доля неполных семей"]
ROWS = [
    ["0101", "СОШ № 1", 12, 20],
    ["0102", "СОШ № 2", 30, 25],
    ["0102", "СОШ № 2", 40, 25],  # the same school-year, other values: a conflict
    ["0103", "СОШ № 3", 18, 22],
    ["0103", "СОШ № 3", 18, 22],  # given again with the same values: counts once
]


def test_a_school_twice_in_a_year_with_other_values_is_a_conflict_not_an_average(tmp_path):
    raw = tmp_path / "raw"
    relative = "context/2024/Социальный паспорт 2024.xlsx"
    save(workbook([HEADER, *ROWS]), raw, relative)
    files = [HandWrittenFile(relative, "context", loaded_rows=len(ROWS))]
    with ingested_and_built(raw) as (con, summary):
        # the file loads (its other schools count); the conflict is the one blocking problem
        assert (summary.quarantined, summary.loaded) == ([], [relative])
        blocking = fetch(con, "SELECT rule FROM ops.problems WHERE severity = 'blocking'")
        assert blocking == [("passport_conflict",)]
        assert_every_row_loaded_or_reported(con, files)
        said = fetch(
            con,
            "SELECT row, value, message FROM ops.problems WHERE rule = 'passport_conflict'",
        )
        shares = fetch(
            con,
            "SELECT school_id, component, share FROM staging.stg_context__components ORDER BY ALL",
        )
    ((row, value, message),) = said
    assert (row, value) == (3, "0102")
    assert "2 разные строки (строки 3, 4)" in message and "не учитывается" in message
    # 0102 counts from no row (not (30 + 40) / 2 = 35 %); 0103's repeated row counts once
    assert shares == [
        ("0101", "low_income_share", 0.12),
        ("0101", "single_parent_share", 0.2),
        ("0103", "low_income_share", 0.18),
        ("0103", "low_income_share", 0.18),
        ("0103", "single_parent_share", 0.22),
        ("0103", "single_parent_share", 0.22),
    ]
