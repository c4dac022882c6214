"""A 2020–2021 ВПР export whose `регион` holds a grouping label («Городские школы», «Группа 3»)
or the region's own name rather than a municipality (docs/data-contract.md §2 a′), written by
hand: a school the registry knows keeps the registry's municipality; for one it does not know,
a label is never its municipality (the warning municipality_label says to add it to the
registry), while a municipality's name is."""

from __future__ import annotations

import pytest
from builders import fetch, fresh_warehouse
from fisoko_files import EXPORT_HEADER, write_login_list
from hand_written import (
    HandWrittenFile,
    assert_every_row_loaded_or_reported,
    assert_nothing_quarantined,
    ingested_and_built,
    save,
    workbook,
)

# The region's scale for the file (invented for the test): «3» from 4, «4» from 6, «5» from 8.
SCALE = """exam_year,grade,subject,form,max_score,min_score_3,min_score_4,min_score_5,source
2021,5,math,,10,4,6,8,hand scale of tests/unit/test_vpr_region_labels.py
"""
EXPORT = "vpr/2021/Проведение работы по математике, 5 класс. ВПР 2021.xlsx"
ROWS = [  # (login, регион, …, вариант, всего баллов, балл за 1, балл за 2): the mark after
    ["sch220001", "Городские школы", 1, 1001, 4, "М", "А", 1, 7, 4, 3],  # 4; in the registry
    ["sch220009", "Городские школы", 1, 9001, 3, "Ж", "А", 1, 3, 2, 1],  # 2
    ["sch220008", "Алтайский край", 1, 8001, 5, "М", "Б", 2, 8, 5, 3],  # 5
    ["sch220007", "Группа 3", 1, 7001, 4, "Ж", "А", 1, 5, 3, 2],  # 3
    ["sch220007", "Группа 3", 2, 7002, 4, "М", "А", "отсутствовал", None, None, None],
    ["sch220006", "Бийский район", 1, 6001, 3, "М", "НЕТ", 2, 2, 1, 1],  # 2
    ["sch220002", "Группа 3", 1, 2001, 5, "Ж", "А", 1, 9, 5, 4],  # 5; in the registry
]  # fmt: skip
# by hand: school → (participants with a mark, «2», absent)
RESULTS = {
    "sch220001": (1, 0, 0), "sch220009": (1, 1, 0), "sch220008": (1, 0, 0),
    "sch220007": (1, 0, 1), "sch220006": (1, 1, 0), "sch220002": (1, 0, 0),
}  # fmt: skip
# the registry's municipality first; a label is none; «Бийский район» names one
MUNICIPALITIES = {
    ("sch220001", "Павловский район", True), ("sch220002", "Павловский район", True),
    ("sch220003", "Каменский район", True), ("sch220006", "Бийский район", False),
    ("sch220007", None, False), ("sch220008", None, False), ("sch220009", None, False),
}  # fmt: skip


@pytest.fixture(scope="module")
def macros():
    """One warehouse for the macro cases of this module (the macros are pure functions)."""
    with fresh_warehouse() as con:
        yield con


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The login list and the export ingested and built once: (connection, files, summary)."""
    root = tmp_path_factory.mktemp("labels")
    raw, reference = root / "raw", root / "reference"
    reference.mkdir()
    (reference / "vpr_scales.csv").write_text(SCALE, encoding="utf-8")
    header = [*EXPORT_HEADER, "балл за 1", "балл за 2"]
    save(workbook([header, *ROWS]), raw, EXPORT)
    files = [write_login_list(raw), HandWrittenFile(EXPORT, "vpr_participants", len(ROWS))]
    with ingested_and_built(raw, reference) as (con, summary):
        yield con, files, summary


def test_nothing_is_quarantined_and_every_row_is_loaded(region):
    con, files, summary = region
    assert_nothing_quarantined(con, files, summary)
    assert_every_row_loaded_or_reported(con, files)


def test_results_equal_the_hand_count(region):
    con, _, _ = region
    got = fetch(
        con,
        "SELECT school_id, participant_count, fail_count, coalesce(absent_count, 0) "
        "FROM marts.fct_school_procedure_results WHERE exam = 'vpr' AND subject = 'math' "
        "AND exam_year = 2021 AND grade = 5",
    )
    assert {school: tuple(counts) for school, *counts in got} == RESULTS


def test_a_label_is_never_a_municipality_and_the_analyst_is_told(region):
    con, _, _ = region
    schools = fetch(
        con, "SELECT school_id, municipality_name, is_in_registry FROM marts.dim_schools"
    )
    assert set(schools) == MUNICIPALITIES
    said = fetch(
        con,
        'SELECT row, "column", value, message, action FROM ops.problems '
        "WHERE rule = 'municipality_label' ORDER BY row",
    )
    assert [(row, column, value) for row, column, value, *_ in said] == [
        (3, "регион", "Городские школы"),
        (4, "регион", "Алтайский край"),
        (5, "регион", "Группа 3"),
    ]
    messages = [message for *_, message, _ in said]
    assert "группа школ" in messages[0] and "в реестре нет школ с этой отметкой: 1 (" in messages[0]
    assert "(sch220009)" in messages[0] and "sch220001" not in messages[0]
    assert "название региона" in messages[1] and "(sch220008)" in messages[1]
    assert "(sch220007)" in messages[2] and "sch220002" not in messages[2]
    assert all("добавьте эти школы в реестр" in action for *_, action in said)
    # «Бийский район» is a municipality: the school is only not in the registry
    unknown = fetch(con, "SELECT value FROM ops.problems WHERE rule = 'unknown_school' ORDER BY 1")
    assert unknown == [("sch220006",), ("sch220007",), ("sch220008",), ("sch220009",)]


@pytest.mark.parametrize(
    ("label", "is_municipality"),
    [("Городские школы", False), ("Сельские ОО", False), ("Группа 3", False),
     ("Кластер 2", False), ("Прочие", False), ("7", False), ("Алтайский край", False),
     ("г. Москва", False), ("", False), ("Павловский район", True), ("Барнаул", True),
     ("г. Бийск", True), ("Шкотовский район", True), ("ЗАТО Сибирский", True),
     ("Городской округ Сургут", True), ("Абинский район Краснодарского края", True),
     ("Городской округ город Барнаул Алтайского края", True), ("Областные ОО", False),
     ("Республиканские ОО", False), ("Итого", False), ("Среднее по региону", False)],
)  # fmt: skip
def test_municipality_labels(label, is_municipality, macros):
    assert fetch(macros, "SELECT is_municipality_label(?)", label) == [(is_municipality,)]
