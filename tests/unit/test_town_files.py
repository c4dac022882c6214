"""ВПР summaries whose municipality rows are bare town names (tests/town_files.py), read through
ingest and build: a town the registry knows as a municipality, or one on a sheet that has the
region's own row, heads its schools — nothing quarantined, every row loaded, no town taken for a
second region, the schools matched in their towns and counted as by hand."""

from __future__ import annotations

import pytest
from builders import fetch, fresh_warehouse
from hand_written import (
    assert_every_row_loaded_or_reported,
    assert_nothing_quarantined,
    ingested_and_built,
)
from town_files import (
    JOURNAL_SCHOOLS,
    write_journal_comparison_under_towns,
    write_mark_stats_under_towns,
    write_registry,
)

from shnor.ingest.school_names import municipality_key


@pytest.fixture(scope="module")
def with_registry(tmp_path_factory):
    raw = tmp_path_factory.mktemp("towns") / "raw"
    files = [write_registry(raw), write_mark_stats_under_towns(raw)]
    with ingested_and_built(raw) as (con, summary):
        yield con, files, summary


@pytest.fixture(scope="module")
def without_registry(tmp_path_factory):
    raw = tmp_path_factory.mktemp("towns_alone") / "raw"
    files = [write_journal_comparison_under_towns(raw)]
    with ingested_and_built(raw) as (con, summary):
        yield con, files, summary


@pytest.mark.parametrize("region", ["with_registry", "without_registry"])
def test_nothing_is_quarantined_and_every_row_is_loaded(region, request):
    con, files, summary = request.getfixturevalue(region)
    assert_nothing_quarantined(con, files, summary)
    assert_every_row_loaded_or_reported(con, files)
    assert fetch(con, "SELECT rule FROM ops.problems WHERE rule LIKE 'summary%'") == []


def test_towns_the_registry_knows_head_their_schools(with_registry):
    con, files, _ = with_registry
    assert fetch(
        con,
        "SELECT row_kind, school_id, municipality_name FROM staging.stg_vpr__mark_stats "
        "ORDER BY _row",
    ) == [
        ("sample", None, None),
        ("municipality", None, None),
        ("school", "2201", "Барнаул"),
        ("school", "2202", "Барнаул"),
        ("municipality", None, None),
        ("school", "2203", "Бийск"),
        ("municipality", None, None),
        ("school", "2204", "Павловский район"),
    ]
    assert fetch(con, "SELECT count(*) FROM marts.review_school_matches") == [(0,)]
    got = {
        (school, exam, year, grade, subject): tuple(counts)
        for school, exam, year, grade, subject, *counts in fetch(
            con,
            "SELECT school_id, exam, exam_year, grade, subject, participant_count, fail_count, "
            "absent_count, not_counted_count FROM marts.fct_school_procedure_results",
        )
    }
    assert got == files[1].results


def test_towns_below_the_region_row_head_their_schools_without_a_registry(without_registry):
    con, _, _ = without_registry
    assert fetch(con, "SELECT row_kind FROM staging.stg_vpr__journal_comparison ORDER BY _row") == [
        ("region",),
        ("municipality",),
        ("school",),
        ("municipality",),
        ("school",),
    ]
    assert (
        fetch(
            con,
            "SELECT school_id, municipality_name, participant_count, lowered_count, "
            "confirmed_count, raised_count FROM staging.stg_vpr__journal_comparison "
            "WHERE row_kind = 'school' ORDER BY _row",
        )
        == JOURNAL_SCHOOLS
    )


@pytest.mark.parametrize(
    "name",
    ["г. Барнаул", "Барнаул", "городской округ город Барнаул", "МО «Город Бийск»", "Бийск г.",
     "Павловский муниципальный район", "Павловский р-н", "Заринский район (МР)",
     "ЗАТО Сибирский", "Ёлкинский район", ""],
)  # fmt: skip
def test_the_sql_municipality_key_is_the_python_one(name):
    """The summary's town rows are compared with the registry in SQL by the key the name map
    uses in Python: the two must agree."""
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT municipality_key(?)", name) == [(municipality_key(name),)]


@pytest.mark.parametrize(
    ("name", "is_region"),
    [("Алтайский край", True), ("Воронежская область", True), ("Республика Саха (Якутия)", True),
     ("Ханты-Мансийский автономный округ — Югра", True), ("г. Москва", True),
     ("Санкт-Петербург", True), ("Красноярск", False), ("Крайний", False),
     ("Барнаул", False)],
)  # fmt: skip
def test_region_names(name, is_region):
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT is_region_name(?)", name) == [(is_region,)]
