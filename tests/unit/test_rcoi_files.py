"""A region whose registry is a ФИС ОКО login list while РЦОИ and the passport write numeric codes,
whose summaries give each municipality as a row above its schools (tests/rcoi_files.py), read
through ingest and build: nothing quarantined, every input row in a raw table or reported, the
results equal the hand count, numbers and logins with the same digits one school (never guessed
where two schools fit), and the participant files' periods, dates and scores read as written."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from builders import fetch, fresh_warehouse
from hand_written import (
    assert_every_row_loaded_or_reported,
    assert_nothing_quarantined,
    ingested_and_built,
)
from rcoi_files import (
    AMBIGUOUS_CODE,
    JOURNAL_SCHOOLS,
    PASSPORT_SHARES,
    write_login_list,
    write_oge_csv,
    write_passport,
    write_region,
)

from shnor.ingest.ege_summary import _is_territory
from shnor.ingest.school_matching import confirmed_codes, school_code_map


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The files ingested and built once: (connection, files, ingest summary)."""
    raw = tmp_path_factory.mktemp("rcoi") / "raw"
    files = write_region(raw)
    with ingested_and_built(raw) as (con, summary):
        yield con, files, summary


def test_nothing_is_quarantined(region):
    assert_nothing_quarantined(*region)


def test_every_input_row_is_in_a_raw_table_or_reported(region):
    con, files, _ = region
    assert_every_row_loaded_or_reported(con, files)


def test_school_results_equal_the_hand_count(region):
    con, files, _ = region
    truth = {key: value for file in files for key, value in file.results.items()}
    got = {
        (school, exam, year, grade, subject): counts
        for school, exam, year, grade, subject, *counts in fetch(
            con,
            "SELECT school_id, exam, exam_year, grade, subject, participant_count, fail_count, "
            "absent_count, not_counted_count FROM marts.fct_school_procedure_results",
        )
    }
    assert {key: tuple(value) for key, value in got.items()} == truth


def test_schools_named_alone_take_the_municipality_row_above_them(region):
    """Two «МБОУ "СОШ № 1"», one under each municipality row: each its own registry school,
    none left for review, no repeat; the municipality rows stay aggregates."""
    con, _, _ = region
    assert fetch(
        con,
        "SELECT row_kind, school_id, municipality_name FROM staging.stg_vpr__mark_stats "
        "ORDER BY _row",
    ) == [
        ("sample", None, None),
        ("region", None, None),
        ("municipality", None, None),
        ("school", "sch220001", "Павловский муниципальный район"),
        ("school", "sch220002", "Павловский муниципальный район"),
        ("municipality", None, None),
        ("school", "sch220003", "Каменский муниципальный район"),
        ("school", "sch220004", "Каменский муниципальный район"),
    ]
    assert (
        fetch(
            con,
            "SELECT school_id, participant_count, lowered_count, confirmed_count, raised_count "
            "FROM staging.stg_vpr__journal_comparison WHERE row_kind = 'school' ORDER BY _row",
        )
        == JOURNAL_SCHOOLS
    )
    assert fetch(
        con,
        "SELECT DISTINCT municipality_name, school_id FROM staging.stg_ege__school_summary "
        "ORDER BY ALL",
    ) == [
        ("Каменский муниципальный район", "sch220003"),
        ("Павловский муниципальный район", "sch220001"),
        ("Павловский муниципальный район", "sch220002"),
    ]
    assert fetch(con, "SELECT count(*) FROM marts.review_school_matches") == [(0,)]
    assert (
        fetch(
            con,
            "SELECT rule FROM ops.problems WHERE rule LIKE '%repeat%' OR rule LIKE 'school_name%' "
            "OR rule = 'summary_total_mismatch'",
        )
        == []
    )


def test_numbers_are_the_login_with_their_digits_and_an_ambiguous_code_is_not_guessed(region):
    con, _, _ = region
    assert fetch(
        con, "SELECT raw_code, school_id, match_rule FROM staging.stg_school_code_map ORDER BY 1"
    ) == [
        ("0220002", "sch220002", "login_digits"),
        ("220001", "sch220001", "login_digits"),
        ("220003", "sch220003", "login_digits"),
        ("220004", "sch220004", "login_digits"),
        (AMBIGUOUS_CODE, AMBIGUOUS_CODE, "ambiguous"),
    ]
    # one warning per file spelling such codes (not one per code), asking to confirm them
    said = fetch(
        con,
        "SELECT source_file, message, action FROM ops.problems "
        "WHERE rule = 'school_code_login_digits' ORDER BY 1",
    )
    assert [file for file, _, _ in said] == [
        "context/2024/Социальный паспорт 2024.xlsx",
        "ege/2024/ЕГЭ 2024 результаты участников.xlsx",
        "oge/2024/ОГЭ 2024 математика.csv",
    ]
    assert "4 кода: «0220002» → «sch220002»" in said[0][1] and "и ещё 1" in said[0][1]
    assert "3 кода: «0220002» → «sch220002», «220001» → «sch220001»" in said[1][1]
    assert all(
        action.startswith("подтвердите сопоставления") and "ничего делать" not in action
        for _, _, action in said
    )
    # the rows that confirm them, as the clerk types them into the alias file
    assert "reference/school_aliases.csv" in said[1][2]
    assert "«,0220002,sch220002», «,220001,sch220001», «,220003,sch220003»" in said[1][2]
    assert "и так же для остальных пар (ещё 1 пара;" in said[0][2]
    ((message,),) = fetch(
        con, "SELECT message FROM ops.problems WHERE rule = 'school_code_ambiguous'"
    )
    assert "sch220005" in message and "edu220005" in message
    shares = dict(
        fetch(con, "SELECT school_id, round(share, 6) FROM staging.stg_context__components")
    )
    assert shares == {
        "sch220001": 0.45, "sch220002": 0.3, "sch220003": 0.12, "sch220004": 0.2,
        AMBIGUOUS_CODE: 0.5,
    }  # fmt: skip
    assert len(PASSPORT_SHARES) == len(shares)


def _staged_with_reason(con, exam: str, columns: str) -> list[tuple]:
    """The staged participant rows of an exam in file order: the columns, then why the row is
    not counted (None when it is)."""
    return fetch(
        con,
        f"SELECT {columns}, not_counted_reason FROM staging.stg_exam__participants AS p "
        "JOIN intermediate.int_participant_results_counted AS c ON c._source_file = p._source_file "
        "AND c._sheet IS NOT DISTINCT FROM p._sheet AND c._row = p._row "
        "WHERE p.exam = ? ORDER BY p._row",
        exam,
    )


def test_periods_dates_and_scores_are_read_as_written(region):
    con, _, _ = region
    rows = _staged_with_reason(
        con,
        "oge",
        "p.participant_id, stage, exam_date, primary_score, test_score, mark, municipality_code",
    )
    day = dt.date(2024, 6, 4)
    assert rows == [
        ("o01", "main", day, 20, None, 4, "030", None),
        ("o02", "main", day, 7, None, 2, "030", None),  # 45447
        ("o03", "main", day, 5, None, 2, "030", None),
        ("o03", "reserve", dt.date(2024, 6, 19), 12, None, 3, "030", "repeat_attempt"),
        ("o04", "early", dt.date(2024, 4, 22), 15, None, 4, "030", None),
        ("o05", "additional", dt.date(2024, 9, 4), 6, None, 2, "030", "not_main_period"),
        ("o06", "main", day, None, None, None, "030", "absent"),
        ("o07", "main", day, 9, None, 3, "015", None),
        ("o10", "other", dt.date(2024, 9, 10), 8, None, 3, "030", "not_main_period"),
        ("o09", "reserve", dt.date(2024, 6, 19), 25, None, 5, "015", None),
        ("o08", "main", day, 11, None, 3, "015", None),
    ]
    ege = _staged_with_reason(
        con, "ege", "p.participant_id, p.subject, stage, exam_date, primary_score, test_score, mark"
    )
    may31 = dt.date(2024, 5, 31)
    assert ege == [
        ("e01", "russian", "main", may31, 38, 72, None, None),
        ("e02", "russian", "main", may31, 12, 23, None, None),  # 45443
        ("e03", "math_base", "main", dt.date(2024, 6, 3), 12, None, 4, None),
        ("e04", "math_base", "main", dt.date(2024, 6, 3), 5, None, 2, None),
        ("e05", "english_oral", "main", dt.date(2024, 6, 18), 15, 60, None, "unknown_minimum"),
        ("e06", "physics", "early", dt.date(2024, 3, 22), 20.5, 55, None, None),
        ("e07", "physics", "main", dt.date(2024, 6, 11), None, None, None, "absent"),
        ("e08", "russian", "reserve", dt.date(2024, 6, 19), 40, 80, None, None),
        ("e09", "russian", "main", may31, 30, 65, None, None),
        ("e09", "russian", "reserve", dt.date(2024, 6, 19), 35, 70, None, "repeat_attempt"),
    ]
    said = fetch(
        con,
        'SELECT rule, "column", value FROM ops.problems '
        "WHERE rule IN ('value_unknown', 'unknown_minimum') ORDER BY ALL",
    )
    assert said == [
        ("unknown_minimum", None, "english_oral"),
        ("value_unknown", "Этап", "пересдача"),  # the retake: kept, not counted, said so
    ]


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory):
    """The login list, the ОГЭ file and the passport with the region's alias file confirming
    two codes matched by digits (one typed without the zero the file writes, as a spreadsheet
    saves it) and the ambiguous one, saved from Excel (Windows-1251, `;`)."""
    root = tmp_path_factory.mktemp("confirmed")
    raw, reference = root / "raw", root / "reference"
    files = [write_login_list(raw), write_oge_csv(raw), write_passport(raw)]
    reference.mkdir()
    (reference / "school_aliases.csv").write_bytes(
        "municipality;school_name;school_code\r\n;220001;sch220001\r\n;220002;sch220002\r\n"
        f"Каменский район;{AMBIGUOUS_CODE};edu220005\r\n".encode("cp1251")
    )
    with ingested_and_built(raw, reference) as (con, summary):
        yield con, files, summary


def test_codes_confirmed_in_the_alias_file_are_their_schools_and_warned_no_more(confirmed):
    con, files, summary = confirmed
    assert_nothing_quarantined(con, files, summary)
    assert_every_row_loaded_or_reported(con, files)
    assert fetch(
        con, "SELECT raw_code, school_id, match_rule FROM staging.stg_school_code_map ORDER BY 1"
    ) == [
        ("0220002", "sch220002", "alias"),
        ("220001", "sch220001", "alias"),
        ("220003", "sch220003", "login_digits"),
        ("220004", "sch220004", "login_digits"),
        (AMBIGUOUS_CODE, "edu220005", "alias"),
    ]
    said = fetch(
        con,
        "SELECT source_file, message, action FROM ops.problems "
        "WHERE rule LIKE 'school_code%' ORDER BY 1",
    )
    assert [(file, message.split(" — ")[1]) for file, message, _ in said] == [
        ("context/2024/Социальный паспорт 2024.xlsx",
         "2 кода: «220003» → «sch220003», «220004» → «sch220004»"),
        ("oge/2024/ОГЭ 2024 математика.csv", "1 код: «220003» → «sch220003»"),
    ]  # fmt: skip
    assert "«,220003,sch220003»" in said[1][2] and "остальных" not in said[1][2]
    # the same pupils counted for the confirmed schools; the ambiguous code's for the lyceum
    truth = dict(files[1].results)
    truth[("edu220005", "oge", 2024, 9, "math")] = truth.pop((AMBIGUOUS_CODE, "oge", 2024, 9,
                                                               "math"))  # fmt: skip
    assert {
        (school, exam, year, grade, subject): tuple(counts)
        for school, exam, year, grade, subject, *counts in fetch(
            con,
            "SELECT school_id, exam, exam_year, grade, subject, participant_count, fail_count, "
            "absent_count, not_counted_count FROM marts.fct_school_procedure_results",
        )
    } == truth
    shares = fetch(
        con, "SELECT school_id, round(share, 6) FROM staging.stg_context__components ORDER BY 1"
    )
    assert shares == [("edu220005", 0.5), ("sch220001", 0.45), ("sch220002", 0.3),
                      ("sch220003", 0.12), ("sch220004", 0.2)]  # fmt: skip


def test_a_confirmed_code_is_the_school_typed_as_the_registry_spells_it():
    """Confirmed beats digits and ambiguity; a number matches its confirmation with or without
    its zeros; the school typed under another prefix or without zeros is the registry's; a code
    confirmed as itself stays its own school; a row confirming a name is not a code's."""
    registry = pd.DataFrame({"school_id": ["sch220001", "sch220005", "edu220005", "0330001"]})
    confirmed = confirmed_codes(
        [("0220001", "edu220001"), ("220005", "sch220005"), ("220007", "220007"),
         ("ksh330001", "330001"), ("СОШ № 1", "sch220001")]
    )  # fmt: skip
    mapped = school_code_map(["220001", "220005", "220007", "ksh330001", "edu330001"],
                             registry, confirmed)  # fmt: skip
    assert list(zip(mapped["raw_code"], mapped["school_id"], mapped["match_rule"],
                    strict=True)) == [
        ("220001", "sch220001", "alias"),
        ("220005", "sch220005", "alias"),
        ("220007", "220007", "alias"),
        ("ksh330001", "0330001", "alias"),
        ("edu330001", "0330001", "login_digits"),
    ]  # fmt: skip


def test_codes_of_the_other_kind_match_one_registry_school_by_their_digits():
    """A login for a numeric registry and a number for a login list; several registry schools
    with the digits, or a short number, are never matched across kinds."""
    registry = pd.DataFrame({"school_id": ["220001", "0220002", "sch220003", "sch220005",
                                           "edu220005", "7"]})  # fmt: skip
    codes = ["sch220001", "edu0220002", "220003", "0220003", "220005", "ksh220005", "sch0007"]
    mapped = school_code_map(codes, registry)
    assert list(zip(mapped["raw_code"], mapped["school_id"], mapped["match_rule"],
                    mapped["candidate_ids"].fillna(""), strict=True)) == [
        ("sch220001", "220001", "login_digits", ""),
        ("edu0220002", "0220002", "login_digits", ""),
        ("220003", "sch220003", "login_digits", ""),
        ("0220003", "sch220003", "login_digits", ""),
        ("220005", "220005", "ambiguous", "edu220005,sch220005"),
        ("ksh220005", "ksh220005", "ambiguous", "edu220005,sch220005"),
        ("sch0007", "sch0007", "code", ""),  # «7» is too short to be a login's digits
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "day"),
    [("45447", "2024-06-04"), ("45447.0", "2024-06-04"), ("04.06.2024", "2024-06-04"),
     ("4.6.24", "2024-06-04"), ("04/06/2024", "2024-06-04"), ("2024-06-04 00:00:00", "2024-06-04"),
     ("20.06.2024 10:00", "2024-06-20"), ("20.06.2024 10:00:00", "2024-06-20"),
     ("2024", None), ("июнь", None)],
)  # fmt: skip
def test_exam_dates(cell, day):
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT parse_date(?)::VARCHAR", cell) == [(day,)]


@pytest.mark.parametrize(
    ("cell", "stage"),
    [("основной", "main"), ("Осн.", "main"), ("", "main"), ("резервный день", "reserve"),
     ("резервный день основного периода", "reserve"), ("Досрочный период", "early"),
     ("доп. (сентябрьские сроки)", "additional"), ("дополнительный (резервный день)",
     "additional"), ("пересдача", "other"), ("через неделю", "other"),
     ("в сроки основного", "main")],
)  # fmt: skip
def test_exam_stages(cell, stage):
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT exam_stage(?)", cell) == [(stage,)]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("Россошанский муниципальный район", "municipality"), ("г. Россошь", "municipality"),
     ("Коношский район", "municipality"), ("Кировский р-н", "municipality"),
     ("Сосновский МР", "municipality"), ("ЗАТО Северск", "municipality"),
     ("МБОУ Россошанская СОШ № 1", "school"), ("МКОУ Коношская ООШ", "school"),
     ("МБОУ СОШ с. Кировское Кировского района", "school"), ("НОШ-детский сад", "school"),
     ("Алтайский край", "region")],
)  # fmt: skip
def test_summary_names_are_schools_by_whole_words(name, kind):
    with fresh_warehouse() as con:
        assert fetch(con, "SELECT summary_row_kind(NULL, ?, NULL)", name) == [(kind,)]


def _placed(names: list[str]) -> list[tuple]:
    with fresh_warehouse() as con:
        con.execute(
            "CREATE TABLE sheet AS SELECT 'vpr/2024/s.xlsx' AS _source_file, 'Лист1' AS _sheet, "
            "CAST(n AS INTEGER) AS _row, NULL::VARCHAR AS school_code, name AS school_name, "
            "NULL::VARCHAR AS municipality_name "
            "FROM unnest(?) WITH ORDINALITY AS t(name, n)",
            [names],
        )
        return fetch(
            con,
            "SELECT school_name, row_kind, placed_municipality "
            "FROM summary_rows_placed('sheet') ORDER BY _row",
        )


def test_a_regional_school_under_the_region_row_does_not_flip_the_sheet():
    assert _placed(
        ["Алтайский край", "КГБОУ «Алтайская кадетская школа»", "Алейский район",
         "МБОУ СОШ № 1", "г. Барнаул", "МБОУ СОШ № 1"]
    ) == [
        ("Алтайский край", "region", None),
        ("КГБОУ «Алтайская кадетская школа»", "school", None),
        ("Алейский район", "municipality", None),
        ("МБОУ СОШ № 1", "school", "Алейский район"),
        ("г. Барнаул", "municipality", None),
        ("МБОУ СОШ № 1", "school", "г. Барнаул"),
    ]  # fmt: skip


def test_subtotals_below_their_schools_place_the_schools_above_them():
    assert [row[2] for row in _placed(
        ["МБОУ СОШ № 1", "Алейский район", "МБОУ СОШ № 2", "г. Барнаул", "Алтайский край"]
    )] == ["Алейский район", None, "г. Барнаул", None, None]  # fmt: skip


def test_a_district_named_with_сош_inside_ends_the_block_above():
    assert [row[2] for row in _placed(
        ["Воронежская область", "Павловский район", "МБОУ СОШ № 1",
         "Россошанский муниципальный район", "МБОУ СОШ № 2"]
    )] == [None, None, "Павловский район", None, "Россошанский муниципальный район"]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "territory"),
    [("Россошанский муниципальный район", True), ("Коношский район", True),
     ("г. Россошь", True), ("Кировский р-н", True), ("Сосновский МР", True),
     ("ЗАТО Северск", True), ("МБОУ Россошанская СОШ № 1", False),
     ("МБОУ СОШ Кировского района", False)],
)  # fmt: skip
def test_ege_summary_names_places_by_whole_words(name, territory):
    assert _is_territory(name) is territory
