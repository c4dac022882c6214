"""Every layout variant of the independent generator (tests/regional_workbooks.py) reads
cell-exact: no total as a school, every subject known or reported (issue 18)."""

from __future__ import annotations

import pytest
from regional_workbooks import VARIANTS, make_variant

from shnor.ingest.headers import subject_code
from shnor.ingest.readers import SheetRead, SheetSkipped, read_file


def _number(text: str | None) -> float | None:
    return None if text is None else float(text.replace(",", "."))


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("regional") / f"{request.param}.xlsx"
    truth = make_variant(request.param, path)
    return request.param, truth, read_file(path, "ege")


def test_every_school_cell_is_read_exactly(variant):
    _, truth, sheets = variant
    read = [s for s in sheets if isinstance(s, SheetRead)]
    found = {}
    for sheet in read:
        for row in sheet.table.to_pylist():
            if row["subject"] is None or row["subject"] in truth.unknown_subjects:
                continue
            key = (sheet.sheet, row["municipality_name"], row["school_name"], row["subject"])
            assert key not in found, key
            found[key] = tuple(
                _number(row[c])
                for c in ("participant_count", "fail_count", "high_80_99_count", "hundred_count",
                          "mean_score")
            )  # fmt: skip
    expected = {
        key: tuple(None if v is None else float(v) for v in figures)
        for key, figures in truth.cells.items()
        if key[3] not in truth.unknown_subjects
    }
    assert found == expected


def test_no_total_is_a_school_and_every_school_is_one(variant):
    _, truth, sheets = variant
    read = [s for s in sheets if isinstance(s, SheetRead)]
    schools = {
        (sheet.sheet, row["municipality_name"], row["school_name"])
        for sheet in read
        for row in sheet.table.to_pylist()
    }
    assert schools == truth.schools
    assert {s.sheet: set(s.total_rows) for s in read} == truth.total_rows
    # totals that sum their schools raise no mismatch; nothing is an unlabelled leftover
    rules = {n.rule for s in read for n in s.notes}
    assert not rules & {"summary_total_mismatch", "summary_unlabelled_row"}


def test_years_of_the_sheets_and_other_sheets_skipped(variant):
    _, truth, sheets = variant
    read = [s for s in sheets if isinstance(s, SheetRead)]
    assert {s.sheet: set(s.table["sheet_year"].to_pylist()) for s in read} == {
        name: {str(year)} for name, year in truth.years.items()
    }
    assert {s.sheet for s in sheets if isinstance(s, SheetSkipped)} == truth.skipped_sheets


def test_every_subject_is_known_or_reported_unknown(variant):
    _, truth, sheets = variant
    written = {row["subject"] for s in sheets if isinstance(s, SheetRead)
               for row in s.table.to_pylist() if row["subject"]}  # fmt: skip
    unknown = {name for name in written if not subject_code(name)[1]}
    assert unknown == truth.unknown_subjects
