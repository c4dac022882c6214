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
    EGE_GROUP_ROWS,
    EGE_METRICS,
    JOURNAL_SCHOOLS,
    write_ege_summary_of_a_district,
    write_ege_summary_with_groups,
    write_journal_comparison_under_towns,
    write_mark_stats_under_towns,
    write_registry,
)

from shnor.ingest.ege_summary import read_summary_sheet
from shnor.ingest.school_names import municipality_key


@pytest.fixture(scope="module")
def macros():
    """One warehouse for the macro cases of this module (the macros are pure functions)."""
    with fresh_warehouse() as con:
        yield con


@pytest.fixture(scope="module")
def with_registry(tmp_path_factory):
    raw = tmp_path_factory.mktemp("towns") / "raw"
    files = [
        write_registry(raw),
        write_mark_stats_under_towns(raw),
        write_ege_summary_with_groups(raw),
        write_ege_summary_of_a_district(raw),
    ]
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
    # no second region, no repeat, no total that disagrees (rows not schools: tested below)
    assert (
        fetch(
            con,
            "SELECT rule FROM ops.problems WHERE rule LIKE 'summary%' "
            "AND rule <> 'summary_not_a_school'",
        )
        == []
    )


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
    assert got == {key: value for file in files for key, value in file.results.items()}


def test_past_years_graduates_and_college_students_are_not_schools(with_registry):
    """§4: «rows that are not schools» — «Выпускники прошлых лет», «Обучающиеся СПО» — are left
    out and named, never a school for review; the region total, which counts them, agrees."""
    con, files, _ = with_registry
    said = fetch(
        con,
        "SELECT rule, row FROM ops.problems WHERE source_file = ? AND rule <> 'total_row' "
        "ORDER BY row",
        files[2].relative,
    )
    assert said == [
        ("column_numbers_row", 4),
        *(("summary_not_a_school", row) for row in EGE_GROUP_ROWS),
    ]
    assert fetch(
        con,
        "SELECT school_id, subject, participant_count, fail_count, mean_score "
        "FROM staging.stg_ege__school_summary WHERE _source_file = ? ORDER BY _row, subject",
        files[2].relative,
    ) == [
        ("2201", "math_profile", 12, 1, 60.0),
        ("2201", "russian", 28, 1, 66.0),
        ("2202", "math_profile", 0, 0, None),  # the mean of a subject nobody sat is no mean
        ("2202", "russian", 25, 0, 70.0),
        ("2203", "math_profile", 4, 1, 48.0),
        ("2203", "russian", 10, 2, 55.0),
    ]


def test_a_private_school_under_a_district_is_a_school_not_a_town(with_registry):
    """«ЧОУ «Эврика»» is a school (…ОУ as a word, as SQL is_school_name reads it): loaded in its
    district, and the school below it stays in «Павловский район», not in «Эврика»."""
    con, files, _ = with_registry
    assert fetch(
        con,
        "SELECT school_name, municipality_name, school_id FROM staging.stg_ege__school_summary "
        "WHERE _source_file = ? ORDER BY _row",
        files[3].relative,
    ) == [
        ("МБОУ «Шаховская СОШ»", "Павловский район", "2204"),
        ("ЧОУ «Эврика»", "Павловский район", "2205"),
        ("МБОУ «Павловская СОШ № 1»", "Павловский район", "2206"),
    ]
    said = fetch(con, "SELECT rule FROM ops.problems WHERE source_file = ?", files[3].relative)
    assert said == [("total_row",)]


def test_towns_below_the_region_row_head_their_schools_without_a_registry(without_registry):
    con, _, _ = without_registry
    assert fetch(con, "SELECT row_kind FROM staging.stg_vpr__journal_comparison ORDER BY _row") == [
        ("region",),
        ("municipality",),
        ("school",),
        ("municipality",),
        ("school",),
        ("municipality",),  # «Павловский район Алтайского края»: names its region, is a district
        ("school",),
        ("region",),  # «В целом по региону»: the region's, never a town on this sheet
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
     "ЗАТО Сибирский", "Ёлкинский район", "", "г. Бийcк",  # a Latin «c» in Бийcк
     "Бийск\u00a0г.", "МО Алейский р-он", "Zarinsk", "г.Барнаул", "Мирнинский район (улус)"],
)  # fmt: skip
def test_the_sql_municipality_key_is_the_python_one(name, macros):
    """The summary's town rows are compared with the registry in SQL by the key the name map
    uses in Python: the two must agree."""
    assert fetch(macros, "SELECT municipality_key(?)", name) == [(municipality_key(name),)]


@pytest.mark.parametrize(
    ("name", "is_region"),
    [("Алтайский край", True), ("Воронежская область", True), ("Республика Саха (Якутия)", True),
     ("Ханты-Мансийский автономный округ — Югра", True), ("г. Москва", True),
     ("Санкт-Петербург", True), ("Красноярск", False), ("Крайний", False),
     ("Барнаул", False)],
)  # fmt: skip
def test_region_names(name, is_region, macros):
    assert fetch(macros, "SELECT is_region_name(?)", name) == [(is_region,)]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("ЧОУ «Эврика»", None), ("КГБОУ «Эврика»", None), ("АНО «Эврика»", None),
     ("«Эврика»", "summary_bare_name")],
)  # fmt: skip
def test_a_bare_name_whose_figures_sum_nothing_is_a_school(name, kind):
    """§4: a row above schools with no school's words is a town heading them only if it has no
    figures or its figures sum the schools below; else it is a school (named in a warning when
    its name has no school's words) and the next school keeps its district."""
    header = ["Образовательная организация (школа)", "Всего выпускников", "Русский язык"]
    grid = [
        [*header, None, None, None, None],
        [None, None, *EGE_METRICS],
        ["Алтайский край", 60, 58, 3, 5, 0, 64],
        ["Павловский район", None, None, None, None, None, None],
        ["МБОУ «Шаховская СОШ»", 20, 20, 1, 2, 0, 60],
        [name, 10, 10, 1, 1, 0, 70],
        ["МБОУ «Павловская СОШ № 1»", 30, 28, 1, 2, 0, 62],
    ]
    sheet = read_summary_sheet("2023", grid, 1, None)
    table = sheet.table.to_pydict()
    assert list(zip(table["school_name"], table["municipality_name"], strict=True)) == [
        ("МБОУ «Шаховская СОШ»", "Павловский район"),
        (name, "Павловский район"),
        ("МБОУ «Павловская СОШ № 1»", "Павловский район"),
    ]
    assert sheet.total_rows == [3]
    assert [(n.rule, n.row) for n in sheet.notes] == ([(kind, 6)] if kind else [])
