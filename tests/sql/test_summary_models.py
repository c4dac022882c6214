"""School summaries and name-only schools through the SQL models (given raw rows → expected
rows): registry matching, the alias file, the review table, leading zeros, participant numbers
winning over a summary, ВПР «Статистика по отметкам» percentages → counts."""

from __future__ import annotations

from builders import build_models, fetch, insert_raw

from shnor import warehouse
from shnor.ingest.school_names import name_school_id
from shnor.quality.mart_checks import check_marts

REGISTRY = [
    {"school_code": "12345", "school_name": "МБОУ «СОШ № 5» с. Ёлкино",
     "municipality_name": "Ивановский муниципальный район"},
    {"school_code": "200", "school_name": "МКОУ ООШ № 2", "municipality_name": "Ивановский район"},
    {"school_code": "201", "school_name": "МБОУ ООШ № 2", "municipality_name": "Ивановский район"},
    {"school_code": "300", "school_name": "Гимназия № 3", "municipality_name": "г. Городск"},
]  # fmt: skip


def _summary(municipality, school, subject="Русский язык", n="20", fails="2", **extra) -> dict:
    return {
        "municipality_name": municipality,
        "school_name": school,
        "sheet_year": "2025",
        "subject": subject,
        "participant_count": n,
        "fail_count": fails,
        "high_80_99_count": extra.get("high", "3"),
        "hundred_count": extra.get("hundred", "1"),
        "mean_score": extra.get("mean", "70,5"),
    }


def test_summary_names_match_the_registry_after_normalisation(con):
    insert_raw(con, "schools", "schools/registry.csv", REGISTRY)
    insert_raw(
        con,
        "ege_school_summary",
        "ege/2025/svod.xlsx",
        [
            _summary("Ивановский р-н", "средняя общеобразовательная школа N5 села Елкино"),
            _summary("Ивановский район", "ООШ №2"),  # two registry schools: ambiguous
            _summary("г. Городск", "Лицей № 9"),  # not in the registry
            _summary("г. Городск", "ГИМНАЗИЯ №3", hundred="н/д", mean="—"),
        ],
    )
    build_models(con)
    rows = fetch(
        con,
        "SELECT school_name, school_id, match_rule FROM staging.stg_ege__school_summary "
        "ORDER BY _row",
    )
    assert [(r[1], r[2]) for r in rows] == [
        ("12345", "registry"),
        (name_school_id("Ивановский район", "ООШ №2"), "ambiguous"),
        (name_school_id("г. Городск", "Лицей № 9"), "unmatched"),
        ("300", "registry"),
    ]
    facts = fetch(
        con,
        "SELECT school_id, exam, grade, subject, participant_count, fail_count, high_count, "
        "mean_score, source FROM marts.fct_school_procedure_results ORDER BY school_id",
    )
    assert facts[0] == ("12345", "ege", 11, "russian", 20, 2, 4, 70.5, "ege_summary")
    # junk in the 100-scorers and the mean: unknown, not blocking, and reported
    gym = next(f for f in facts if f[0] == "300")
    assert gym[4:8] == (20, 2, None, None)
    warned = fetch(
        con, "SELECT row, severity FROM ops.problems WHERE rule = 'summary_unreadable_value'"
    )
    assert warned == [(5, "warning")]
    review = fetch(
        con,
        "SELECT school_name, match_status, candidate_rank, candidate_school_id "
        "FROM marts.review_school_matches ORDER BY school_name, candidate_rank",
    )
    assert ("ООШ №2", "ambiguous", 1, "200") in review or ("ООШ №2", "ambiguous", 1, "201") in (
        review
    )
    assert {r[3] for r in review if r[0] == "ООШ №2"} == {"200", "201"}
    assert next(r[1] for r in review if r[0] == "Лицей № 9") == "unmatched"
    rules = {r[0] for r in fetch(con, "SELECT rule FROM ops.problems")}
    assert {"school_name_ambiguous", "school_name_unmatched"} <= rules
    dim = dict(fetch(con, "SELECT school_id, is_in_registry FROM marts.dim_schools"))
    assert dim[name_school_id("г. Городск", "Лицей № 9")] is False


def test_the_alias_file_wins_over_automatic_matching(con):
    insert_raw(con, "schools", "schools/registry.csv", REGISTRY)
    insert_raw(
        con, "ege_school_summary", "ege/2025/svod.xlsx", [_summary("Ивановский район", "ООШ №2")]
    )
    con.execute("INSERT INTO ref.school_aliases VALUES ('Ивановский район', 'ООШ № 2', '201')")
    build_models(con)
    assert fetch(con, "SELECT school_id, match_rule FROM staging.stg_ege__school_summary") == [
        ("201", "alias")
    ]
    assert fetch(con, "SELECT count(*) FROM marts.review_school_matches") == [(0,)]


def test_codes_that_lost_leading_zeros_are_merged_and_reported(con):
    insert_raw(con, "schools", "schools/registry.csv", [
        {"school_code": "012345", "school_name": "СОШ № 1", "municipality_name": "Район"},
    ])  # fmt: skip
    insert_raw(con, "exam_participants", "oge/2025/oge.csv", [
        {"school_code": "12345", "subject": "Математика", "mark": "2", "participant_id": "p1"},
        {"school_code": "12345", "subject": "Математика", "mark": "4", "participant_id": "p2"},
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con,
        "SELECT school_id, participant_count, fail_count FROM marts.fct_school_procedure_results",
    ) == [("012345", 2, 1)]
    assert fetch(
        con, "SELECT value FROM ops.problems WHERE rule = 'school_code_leading_zeros'"
    ) == [("12345",)]


def test_participant_numbers_win_over_a_summary_and_the_difference_is_reported(con):
    insert_raw(con, "schools", "schools/registry.csv", REGISTRY)
    insert_raw(con, "exam_participants", "ege/2025/ege.csv", [
        {"school_code": "300", "subject": "Русский язык", "test_score": score, "participant_id": p}
        for p, score in (("a", "20"), ("b", "70"), ("c", "85"))
    ])  # fmt: skip
    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        _summary("г. Городск", "Гимназия № 3", n="4", fails="1"),
        _summary("г. Городск", "Гимназия № 3", subject="Физика", n="5", fails="0"),
    ])  # fmt: skip
    build_models(con)
    facts = fetch(
        con,
        "SELECT subject, participant_count, fail_count, high_count, source "
        "FROM marts.fct_school_procedure_results ORDER BY subject",
    )
    assert facts == [("physics", 5, 0, 4, "ege_summary"), ("russian", 3, 1, 1, "participants")]
    assert fetch(
        con,
        "SELECT subject, participant_count, summary_participant_count "
        "FROM intermediate.int_summary_participant_disagreements",
    ) == [("russian", 3, 4)]
    assert fetch(
        con, "SELECT count(*) FROM ops.problems WHERE rule = 'summary_disagrees_with_participants'"
    ) == [(1,)]


def test_vpr_mark_percentages_become_counts_and_aggregates_are_not_schools(con):
    title = {"title_subject": "Математика", "title_grade": "5", "title_year": "2025"}
    insert_raw(con, "vpr_mark_stats", "vpr/2025/stat.xlsx", [
        {**title, "school_name": "Вся выборка", "participant_count": "1000000",
         "mark_2_percent": "10", "mark_3_percent": "40", "mark_4_percent": "35",
         "mark_5_percent": "15"},
        {**title, "school_name": "Ивановская обл.", "participant_count": "9000",
         "mark_2_percent": "12", "mark_3_percent": "40", "mark_4_percent": "33",
         "mark_5_percent": "15"},
        {**title, "municipality_name": "Ивановский район", "participant_count": "900",
         "mark_2_percent": "12", "mark_3_percent": "40", "mark_4_percent": "33",
         "mark_5_percent": "15"},
        {**title, "school_code": "sch300", "school_name": "Гимназия № 3",
         "municipality_name": "г. Городск", "participant_count": "27",
         "mark_2_percent": "11,11", "mark_3_percent": "37,04", "mark_4_percent": "33,33",
         "mark_5_percent": "18,52"},
    ])  # fmt: skip
    build_models(con)
    assert fetch(con, "SELECT row_kind FROM staging.stg_vpr__mark_stats ORDER BY _row") == [
        ("sample",),
        ("region",),
        ("municipality",),
        ("school",),
    ]
    facts = fetch(
        con,
        "SELECT school_id, exam_year, exam, grade, subject, participant_count, fail_count, "
        "high_count, round(mean_score, 2), source FROM marts.fct_school_procedure_results",
    )
    # 27 × 11.11% = 3 «2», 10 «3», 9 «4», 5 «5»
    assert facts == [("sch300", 2025, "vpr", 5, "math", 27, 3, 14, 3.59, "vpr_mark_stats")]


def test_journal_comparison_rows_load_with_counts(con):
    insert_raw(con, "vpr_journal_comparison", "vpr/2025/journal.xlsx", [
        {"title_subject": "Русский язык", "title_grade": "4", "school_code": "sch1",
         "participant_count": "50", "lowered_percent": "20", "confirmed_percent": "70",
         "raised_percent": "10"},
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con,
        "SELECT school_id, exam_year, grade, subject, lowered_count, confirmed_count, "
        "raised_count, row_kind FROM staging.stg_vpr__journal_comparison",
    ) == [("sch1", 2025, 4, "russian", 10, 35, 5, "school")]


def test_alias_file_of_a_region_is_read_as_text(tmp_path, con):
    (tmp_path / "school_aliases.csv").write_text(
        "municipality,school_name,school_code\nРайон,СОШ № 1,012345\n", encoding="utf-8"
    )
    warehouse.load_reference_tables(con, tmp_path)
    assert fetch(con, "SELECT CAST(school_code AS VARCHAR) FROM ref.school_aliases") == [
        ("012345",)
    ]


def test_journal_comparison_gives_m1_its_counts_where_participants_have_no_journal(con):
    insert_raw(con, "vpr_participants", "vpr/2025/vpr.csv", [
        {"school_code": code, "class_label": "4А", "subject": "Русский язык", "mark": "4",
         "participant_id": f"{code}-{i}"}
        for code in ("sch1", "sch2") for i in range(20)
    ])  # fmt: skip
    insert_raw(con, "vpr_journal_comparison", "vpr/2025/journal.xlsx", [
        {"title_subject": "Русский язык", "title_grade": "4", "school_code": "sch1",
         "participant_count": "20", "lowered_percent": "10", "confirmed_percent": "40",
         "raised_percent": "50"},
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con,
        "SELECT school_id, journal_pair_count, raised_count, lowered_count, journal_source "
        "FROM intermediate.int_vpr_objectivity_evidence ORDER BY school_id",
    ) == [("sch1", 20, 10, 2, "journal_comparison"), ("sch2", 0, 0, 0, None)]


def test_a_school_repeated_in_a_summary_counts_once_and_is_reported(con):
    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        _summary("Район", "СОШ № 1", n="20", fails="2"),
        _summary("Район", 'МБОУ "СОШ №1"', n="25", fails="5"),  # the same school, spelt again
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con, "SELECT participant_count, fail_count FROM marts.fct_school_procedure_results"
    ) == [(20, 2)]
    assert fetch(con, "SELECT row FROM ops.problems WHERE rule = 'summary_repeated_school'") == [
        (3,)
    ]


def test_a_school_on_several_profile_rows_is_their_sum(con):
    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        {**_summary("Район", "СОШ № 1", n="10", fails="1", mean="60"), "profile": "технолог."},
        {**_summary("Район", "СОШ № 1", n="30", fails="3", mean="80"), "profile": "гуманитарный"},
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con,
        "SELECT participant_count, fail_count, high_count, mean_score "
        "FROM marts.fct_school_procedure_results",
    ) == [(40, 4, 8, 75.0)]
    assert fetch(
        con, "SELECT count(*) FROM ops.problems WHERE rule = 'summary_repeated_school'"
    ) == [(0,)]


def test_a_year_from_its_own_folder_wins_over_the_same_year_in_another_workbook(con):
    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        _summary("Район", "СОШ № 1", n="20", fails="2"),  # sheet 2025
        {**_summary("Район", "СОШ № 1", n="18", fails="1"), "sheet_year": "2024"},
    ])  # fmt: skip
    insert_raw(con, "ege_school_summary", "ege/2024/svod.xlsx", [
        {**_summary("Район", "СОШ № 1", n="19", fails="3"), "sheet_year": "2024"},
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con,
        "SELECT exam_year, participant_count, fail_count FROM marts.fct_school_procedure_results "
        "ORDER BY exam_year",
    ) == [(2024, 19, 3), (2025, 20, 2)]


def test_without_a_registry_summary_names_join_the_codes_of_participant_files(con):
    insert_raw(con, "exam_participants", "ege/2025/ege.csv", [
        {"school_code": "300", "school_name": "МБОУ «Гимназия № 3»", "municipality_name":
         "г. Городск", "subject": "Русский язык", "test_score": score, "participant_id": p}
        for p, score in (("a", "20"), ("b", "70"))
    ])  # fmt: skip
    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        _summary("город Городск", "ГИМНАЗИЯ №3", n="2", fails="1"),
        _summary("город Городск", "ГИМНАЗИЯ №3", subject="Физика", n="5", fails="0"),
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con, "SELECT DISTINCT school_id, match_rule FROM staging.stg_ege__school_summary"
    ) == [("300", "result_files")]
    assert fetch(
        con,
        "SELECT school_id, subject, participant_count, source "
        "FROM marts.fct_school_procedure_results ORDER BY subject",
    ) == [("300", "physics", 5, "ege_summary"), ("300", "russian", 2, "participants")]
    assert fetch(con, "SELECT count(*) FROM marts.dim_schools") == [(1,)]


def test_impossible_100_scorers_or_mean_become_unknown_and_do_not_block_publishing(con):
    insert_raw(con, "schools", "schools/registry.csv", REGISTRY)
    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        _summary("г. Городск", "Гимназия № 3", high="15", hundred="9"),  # 24 of 20 sat
        _summary("г. Городск", "Гимназия № 3", subject="Химия", mean="105"),
        _summary("г. Городск", "Гимназия № 3", subject="Физика", hundred="-1"),
    ])  # fmt: skip
    build_models(con)
    assert fetch(
        con,
        "SELECT subject, participant_count, fail_count, high_count, mean_score "
        "FROM marts.fct_school_procedure_results ORDER BY subject",
    ) == [("chemistry", 20, 2, 4, None), ("physics", 20, 2, None, 70.5),
          ("russian", 20, 2, None, 70.5)]  # fmt: skip
    warned = fetch(
        con,
        'SELECT "row", "column", severity FROM ops.problems '
        "WHERE rule = 'summary_unreadable_value' ORDER BY 1",
    )
    assert warned == [(2, "high_80_99_count, hundred_count", "warning"),
                      (3, "mean_score", "warning"),
                      (4, "high_80_99_count, hundred_count", "warning")]  # fmt: skip
    blocking = [
        p for p in check_marts(con, ["marts.fct_school_procedure_results"])
        if p.severity == "blocking"
    ]  # fmt: skip
    assert blocking == []


def test_a_procedure_known_only_from_summaries_has_objectivity_evidence(con):
    # A region sending only ФИС ОКО summaries: §2b gives counts and the mean, §2c the journal
    # counts. Twelve schools raise 5% of marks above the journal; one raises 60% — M1.
    from shnor.methods.objectivity import objectivity_markers
    from shnor.presets import load_preset

    title = {"title_subject": "Математика", "title_grade": "5", "title_year": "2025"}
    codes = [f"sch{i:02d}" for i in range(13)]
    insert_raw(con, "vpr_mark_stats", "vpr/2025/stat.xlsx", [
        {**title, "school_code": code, "participant_count": "40", "mark_2_percent": "10",
         "mark_3_percent": "40", "mark_4_percent": "40", "mark_5_percent": "10"}
        for code in codes
    ])  # fmt: skip
    insert_raw(con, "vpr_journal_comparison", "vpr/2025/journal.xlsx", [
        {**title, "school_code": code, "participant_count": "40", "lowered_percent": "5",
         "confirmed_percent": "35" if code == "sch12" else "90",
         "raised_percent": "60" if code == "sch12" else "5"}
        for code in codes
    ])  # fmt: skip
    build_models(con)
    evidence = con.execute(
        "SELECT * FROM intermediate.int_vpr_objectivity_evidence ORDER BY school_id"
    ).df()
    assert len(evidence) == 13
    row = evidence.iloc[12]
    assert (row.school_id, row.participant_count, row.fail_count, row.mean_mark) == (
        "sch12",
        40,
        4,
        3.5,
    )
    assert (row.journal_pair_count, row.raised_count, row.journal_source) == (
        40,
        24,
        "journal_comparison",
    )
    assert evidence["listed_count"].isna().all()  # M5 (absentees) needs participant rows
    results = con.execute("SELECT * FROM marts.fct_school_procedure_results").df()
    markers = objectivity_markers(evidence, results, load_preset()).set_index("school_id")
    assert markers.index[markers["m1_journal_mismatch"]].tolist() == ["sch12"]
    assert not markers[["m2_boundary_spike", "m5_absentees"]].any().any()


def test_a_dash_in_a_count_is_nobody_not_junk(con):
    from shnor.quality.suites import frame_for

    insert_raw(con, "ege_school_summary", "ege/2025/svod.xlsx", [
        _summary("Район", "СОШ № 1", n="12", fails="-"),
        _summary("Район", "СОШ № 2", n="—", fails="–"),
    ])  # fmt: skip
    frame = frame_for(con, "raw_ege_school_summary", {"files": ["ege/2025/svod.xlsx"]})
    assert frame["participant_count"].tolist() == [12, 0]
    assert frame["fail_count"].tolist() == [0, 0]
    assert frame["fail_count_text"].isna().all() and frame["participant_count_text"].isna().all()
    build_models(con)
    assert fetch(
        con, "SELECT participant_count, fail_count FROM marts.fct_school_procedure_results"
    ) == [(12, 0)]
