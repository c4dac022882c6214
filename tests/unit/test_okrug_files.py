"""Summaries of autonomous okrugs (tests/okrug_files.py), read through ingest and build: the
okrug's row is the region — never a municipality, though its name ends in «округ» — and the bare
towns under it head their schools, in the ВПР summaries and the ЕГЭ summary workbook alike (one
rule: macro town_is_municipality); nothing quarantined, every row loaded or reported, the
schools counted as by hand."""

from __future__ import annotations

import pytest
from builders import fetch, fresh_warehouse
from hand_written import (
    assert_every_row_loaded_or_reported,
    assert_nothing_quarantined,
    ingested_and_built,
)
from okrug_files import (
    EGE_TOTAL_ROWS,
    YAMAL_SCHOOLS,
    write_ege_summary_of_the_okrug,
    write_journal_comparison_of_yamal,
    write_mark_stats_of_the_okrug,
    write_registry,
)

from shnor.ingest import ege_summary
from shnor.ingest.sql_rules import is_region_name


@pytest.fixture(scope="module")
def macros():
    """One warehouse for the macro cases of this module (the macros are pure functions)."""
    with fresh_warehouse() as con:
        yield con


@pytest.fixture(scope="module")
def yugra(tmp_path_factory):
    raw = tmp_path_factory.mktemp("yugra") / "raw"
    files = [
        write_registry(raw),
        write_mark_stats_of_the_okrug(raw),
        write_ege_summary_of_the_okrug(raw),
    ]
    with ingested_and_built(raw) as (con, summary):
        yield con, files, summary


@pytest.fixture(scope="module")
def yamal(tmp_path_factory):
    raw = tmp_path_factory.mktemp("yamal") / "raw"
    files = [write_journal_comparison_of_yamal(raw)]
    with ingested_and_built(raw) as (con, summary):
        yield con, files, summary


@pytest.mark.parametrize("region", ["yugra", "yamal"])
def test_nothing_is_quarantined_and_every_row_is_loaded(region, request):
    con, files, summary = request.getfixturevalue(region)
    assert_nothing_quarantined(con, files, summary)
    assert_every_row_loaded_or_reported(con, files)
    # no second region, no repeat, no total that disagrees with its schools; «Сургут» is said to
    # be a subtotal by its sum
    said = fetch(con, "SELECT rule, value FROM ops.problems WHERE rule LIKE 'summary%'")
    assert said == ([("summary_total_by_sum", "Сургут")] if region == "yugra" else [])


def test_the_okrug_row_is_the_region_and_the_towns_head_their_schools(yugra):
    con, files, _ = yugra
    assert fetch(
        con,
        "SELECT row_kind, school_id, municipality_name FROM staging.stg_vpr__mark_stats "
        "ORDER BY _row",
    ) == [
        ("sample", None, None),
        ("region", None, None),
        ("municipality", None, None),
        ("school", "8601", "Сургут"),
        ("school", "8602", "Сургут"),
        ("municipality", None, None),
        ("school", "8603", "Нижневартовск"),
        ("municipality", None, None),
        ("school", "8604", "Сургутский район"),
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
    assert got == {key: value for file in files for key, value in file.results.items()}


def test_ege_town_subtotals_are_not_schools_and_head_their_schools(yugra):
    """§4: «Сургут» sums its two schools (a subtotal by arithmetic), «Нижневартовск» equals its
    only school (no sum tells it: its place above a school does), «Сургутский район» has no
    figures; the okrug's total is the region's, checked against every school."""
    con, files, _ = yugra
    assert fetch(
        con,
        "SELECT row FROM ops.problems WHERE source_file = ? AND rule = 'total_row' ORDER BY row",
        files[2].relative,
    ) == [(row,) for row in EGE_TOTAL_ROWS]
    assert fetch(
        con,
        "SELECT DISTINCT school_id, municipality_name FROM staging.stg_ege__school_summary "
        "ORDER BY 1",
    ) == [
        ("8601", "Сургут"),
        ("8602", "Сургут"),
        ("8603", "Нижневартовск"),
        ("8604", "Сургутский район"),
    ]


def test_okrug_towns_no_registry_knows_head_their_schools(yamal):
    """Before, «Ямало-Ненецкий автономный округ» was a municipality, the towns two regions and
    the two «СОШ № 1» one school named twice: the file was quarantined."""
    con, _, _ = yamal
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
        == YAMAL_SCHOOLS
    )


REGIONS = ["Ханты-Мансийский автономный округ — Югра", "Ямало-Ненецкий автономный округ",
           "Чукотский АО", "Ненецкий автономный округ", "Еврейская автономная область",
           "г. Москва", "город Санкт-Петербург", "Севастополь", "Республика Саха (Якутия)",
           "Кемеровская область — Кузбасс", "Алтайский край", "Удмуртская Республика",
           "Чувашская Республика — Чувашия", "Воронежская обл.", "г.Москва",
           "Aлтайский крaй",  # Latin «A», «a» typed for the Cyrillic
           "Итого по Алтайскому краю"]  # fmt: skip
NOT_REGIONS = [
    ("Сургутский район", "municipality"),
    ("Ханты-Мансийский район", "municipality"),
    ("г. Сургут", "municipality"),
    ("МАОУ «СОШ № 5»", "school"),  # «автономное» only as a legal form
    ("Муниципальное автономное общеобразовательное учреждение «Гимназия № 3»", "school"),
    ("Краевое государственное бюджетное общеобразовательное учреждение «Лицей»", "school"),
    ("Республиканский лицей-интернат", "school"),
    # a municipality that names its region is the municipality (the region's words not alone)
    ("Абинский район Краснодарского края", "municipality"),
    ("Городской округ город Барнаул Алтайского края", "municipality"),
    ("Кировский район г. Москвы", "municipality"),
    ("ЧОУ «Эврика»", "school"),
    ("АНО «Эврика»", "school"),
]


@pytest.mark.parametrize("name", REGIONS)
def test_region_names_are_the_region_in_both_summaries(name, macros):
    """The ВПР summaries (SQL) and the ЕГЭ summary (Python) both read a region's name as the
    region's, though «… автономный округ» ends in «округ» and «г. Москва» starts with «г.»."""
    kinds = "SELECT summary_row_kind(NULL, ?, NULL), summary_row_kind(NULL, NULL, ?)"
    assert fetch(macros, kinds, name, name) == [("region", "region")]
    assert is_region_name(name)
    assert ege_summary.is_region_name is is_region_name  # the reader asks the one rule


@pytest.mark.parametrize(("name", "kind"), NOT_REGIONS)
def test_schools_and_districts_with_region_words_are_not_the_region(name, kind, macros):
    assert fetch(macros, "SELECT summary_row_kind(NULL, ?, NULL)", name) == [(kind,)]
    assert not is_region_name(name)
