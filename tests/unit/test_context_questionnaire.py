"""The ФИС ОКО context questionnaire as a context source (docs/data-contract.md,
docs/methodology.md):
recognised by its long question headers, its answers mapped to components by the reviewed
reference table, ШНСУ from it alone, and the passport winning where both exist."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from builders import build_models, insert_raw
from context_inputs import BANDS, plant_schools, questionnaire_headers, write_questionnaire

from shnor import warehouse
from shnor.ingest.headers import canonical_column
from shnor.ingest.readers import read_file
from shnor.methods.context_index import COMPONENT_SIGNS, context_for_years, derived_components
from shnor.methods.context_sources import (
    combined_components,
    context_sources,
)
from shnor.presets import load_preset
from shnor.stages.flag import context_components
from shnor.stages.ingest import ingest

PLACE = "3. Где расположена ОО?"


def _components(con) -> dict[tuple[str, str], float]:
    rows = con.execute(
        "SELECT school_id, component, share FROM staging.stg_context__questionnaire_components "
        "WHERE exam_year = 2024"
    ).fetchall()
    return {(school, component): share for school, component, share in rows}


@pytest.fixture
def region(con, tmp_path):
    """40 planted schools' questionnaire of 2024 loaded and built; school 0 left «where» blank."""
    schools = plant_schools(40)
    blank = {schools[0].login: {PLACE}}
    write_questionnaire(tmp_path / "raw/context/2024/anketa.xlsx", schools, 2024, blank)
    ingest(con, tmp_path / "raw")
    build_models(con)
    return schools


def test_the_long_question_headers_are_recognised_as_the_questionnaire(tmp_path):
    schools = plant_schools(3)
    path = write_questionnaire(tmp_path / "context/2024/a.xlsx", schools, 2024)
    [sheet] = read_file(path, "context")
    assert sheet.layout.name == "context_questionnaire"
    assert sheet.header_row == 3  # under the title «Сбор контекстных данных …»
    names = set(sheet.table.column_names)
    assert {"school_code", "settlement_place", "settlement_population",
            "regional_centre_transport", "is_special_school", "is_boarding_school",
            "teacher_count", "top_category_teacher_count", "pension_age_teacher_count",
            "pupils_grade_1", "pupils_grade_11", "class_count_grade_4"} <= names  # fmt: skip
    # ~95 columns: what shnor does not read (ОВЗ by grade, extra questions) is kept and reported
    assert len(questionnaire_headers()) == 95
    assert len(sheet.unknown_headers) == 95 - len(
        [h for h in questionnaire_headers() if canonical_column(h)]
    )
    extra = json.loads(sheet.table["extra_columns"][0].as_py())
    assert "Количество обучающихся с ОВЗ в 4-х классах" in extra


def test_header_wording_varies_but_the_pattern_holds():
    assert canonical_column("7) Численность жителей населённого пункта, где находится школа") == (
        "settlement_population"
    )
    assert canonical_column("Число учащихся в 9 классах") == "pupils_grade_9"
    assert canonical_column("Количество педагогов пенсионного возраста (чел.)") == (
        "pension_age_teacher_count"
    )
    assert canonical_column("Количество обучающихся с ОВЗ в 4-х классах") is None


def test_components_per_school_are_the_planted_answers(con, region):
    found = _components(con)
    for school in region:
        login = school.login
        assert found[(login, "settlement_log_population")] == pytest.approx(school.log_population)
        assert found[(login, "no_regular_transport")] == (0 if school.has_transport else 1)
        assert found[(login, "special_school")] == float(school.is_boarding or school.is_special)
        assert found[(login, "top_category_teacher_share")] == pytest.approx(
            school.top_category / school.teachers
        )
        assert found[(login, "pension_age_teacher_share")] == pytest.approx(
            school.pension_age / school.teachers
        )
        if login == region[0].login:  # «where» left blank: no settlement component, not guessed
            assert (login, "rural_settlement") not in found
        else:
            assert found[(login, "rural_settlement")] == float(school.is_rural)
    facts = con.execute(
        "SELECT school_id, student_count, settlement_type FROM staging.stg_context__schools"
    ).df()
    facts = facts.set_index("school_id")
    for school in region:
        assert facts.loc[school.login, "student_count"] == school.student_count
    assert pd.isna(facts.loc[region[0].login, "settlement_type"])
    assert facts.loc[region[1].login, "settlement_type"] == (
        "rural" if region[1].is_rural else "urban"
    )


def _shnsu_from_questionnaire(con) -> pd.DataFrame:
    """The context index as flag computes it, for a region with no passport."""
    schools = con.execute("SELECT * FROM marts.dim_schools").df()
    components = context_components(con, schools)
    scores = components[["school_id", "exam_year"]].drop_duplicates()
    return context_for_years(
        components, scores, load_preset(), context_sources(components)
    ).set_index("school_id")


def test_shnsu_from_the_questionnaire_alone_is_the_planted_truths_worst_quarter(con, region):
    context = _shnsu_from_questionnaire(con)
    assert len(context) == 40 and set(context["context_source"]) == {"questionnaire"}
    # The planted truth, z-scored and signed by hand (docs/methodology.md), blanks imputed as z = 0.
    truth = pd.DataFrame(
        {
            "rural_settlement": [np.nan] + [float(s.is_rural) for s in region[1:]],
            "settlement_log_population": [np.log10(BANDS[s.band][1]) for s in region],
            "no_regular_transport": [float(not s.has_transport) for s in region],
            "special_school": [float(s.is_boarding or s.is_special) for s in region],
            "top_category_teacher_share": [s.top_category / s.teachers for s in region],
            "pension_age_teacher_share": [s.pension_age / s.teachers for s in region],
            "log_student_count": [np.log(s.student_count) for s in region],
        },
        index=[s.login for s in region],
    )
    signs = pd.Series({c: COMPONENT_SIGNS[c] for c in truth.columns})
    z = ((truth - truth.mean()) / truth.std() * signs).fillna(0.0)
    expected = z.sum(axis=1) / len(signs)
    assert context.loc[expected.index, "context_index"].to_numpy() == pytest.approx(
        expected.to_numpy(), abs=2e-3
    )
    worst = set(expected.sort_values(ascending=False).index[:10])
    assert set(context.index[context["is_shnsu"]]) == worst
    # the school that left «where» blank has that component imputed, and says so
    assert context.loc[region[0].login, "imputed_component_count"] == 1
    assert bool(context.loc[region[0].login, "is_context_imputed"])
    assert not context.drop(region[0].login)["is_context_imputed"].any()


def test_the_passport_wins_a_component_both_give_and_the_questionnaire_fills_the_rest(con, region):
    a, b = region[1].login, region[2].login
    insert_raw(
        con,
        "context",
        "context/2024/passport.csv",
        [
            {"school_code": a, "top_category_teacher_share": "90", "low_income_share": "30",
             "student_count": "999", "settlement_type": "село"},
            {"school_code": b, "top_category_teacher_share": "10", "low_income_share": "5",
             "settlement_type": "город"},
        ],
    )  # fmt: skip
    build_models(con)
    context = _shnsu_from_questionnaire(con)
    assert context.loc[a, "context_source"] == "passport+questionnaire"
    assert context.loc[region[3].login, "context_source"] == "questionnaire"
    facts = con.execute(
        "SELECT school_id, student_count, settlement_type FROM staging.stg_context__schools"
    ).df()
    facts = facts.set_index("school_id")
    assert facts.loc[a, "student_count"] == 999  # the passport's pupils
    assert facts.loc[b, "student_count"] == region[2].student_count  # the passport has none
    assert facts.loc[b, "settlement_type"] == "urban"
    passport = con.execute(
        "SELECT school_id, exam_year, component, share FROM staging.stg_context__components"
    ).df()
    questionnaire = con.execute(
        "SELECT school_id, exam_year, component, share "
        "FROM staging.stg_context__questionnaire_components"
    ).df()
    empty = pd.DataFrame(columns=["school_id", "exam_year", "component", "share"])
    combined = combined_components(passport, empty, questionnaire).set_index(
        ["school_id", "component"]
    )
    assert combined.loc[(a, "top_category_teacher_share"), "share"] == pytest.approx(0.9)
    assert combined.loc[(a, "top_category_teacher_share"), "source"] == "passport"
    assert combined.loc[(a, "no_regular_transport"), "source"] == "questionnaire"
    assert combined.loc[(a, "low_income_share"), "source"] == "passport"


def test_two_years_of_questionnaires_give_the_enrolment_trend(con, tmp_path):
    schools = plant_schools(6)
    write_questionnaire(tmp_path / "raw/context/2023/a.xlsx", schools, 2023)
    later = plant_schools(6)
    for school in later:
        school.pupils = [p // 2 for p in school.pupils]  # every school halves
    write_questionnaire(tmp_path / "raw/context/2024/a.xlsx", later, 2024)
    ingest(con, tmp_path / "raw")
    build_models(con)
    enrolment = con.execute(
        "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools"
    ).df()
    schools_dim = con.execute("SELECT * FROM marts.dim_schools").df()
    trend = derived_components(schools_dim, enrolment, [2023, 2024])
    trend = trend[trend["component"] == "enrolment_trend"].set_index("school_id")["share"]
    for before, after in zip(schools, later, strict=True):
        assert trend[before.login] == pytest.approx(
            np.log(after.student_count / before.student_count)
        )


def test_an_unmapped_answer_is_a_warning_and_a_regions_row_maps_it(con, tmp_path):
    schools = plant_schools(4)
    path = tmp_path / "raw/context/2024/a.xlsx"
    write_questionnaire(path, schools, 2024)
    insert_raw(
        con,
        "context_questionnaire",
        "context/2024/b.csv",
        [{"school_code": "x1", "regional_centre_transport": "3. Только в летний период"}],
    )
    build_models(con)
    problems = con.execute(
        "SELECT source_file, value FROM ops.problems WHERE rule = 'questionnaire_answer_unmapped'"
    ).fetchall()
    assert problems == [("context/2024/b.csv", "3. Только в летний период")]
    assert ("x1", "no_regular_transport") not in _components(con)

    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "questionnaire_answers.csv").write_text(
        "question,answer_pattern,component,value,note\n"
        "regional_centre_transport,летн,no_regular_transport,1,только летом — нет регулярного\n",
        encoding="utf-8",
    )
    warehouse.prepare_connection(con, reference)
    build_models(con)
    assert _components(con)[("x1", "no_regular_transport")] == 1.0
    assert not con.execute(
        "SELECT count(*) FROM ops.problems WHERE rule = 'questionnaire_answer_unmapped'"
    ).fetchall()[0][0]


def test_a_regions_header_pattern_is_tried_before_the_packaged_ones(tmp_path):
    header = "Сколько педагогов в школе имеют стаж более 40 лет и высшую категорию"
    assert canonical_column(header) == "top_category_teacher_count"
    (tmp_path / "header_patterns.csv").write_text(
        "column,pattern,note\nveteran_teacher_count,стаж более 40,вопрос региональной анкеты\n",
        encoding="utf-8",
    )
    assert canonical_column(header, tmp_path) == "veteran_teacher_count"


def test_a_second_questionnaire_file_for_the_same_schools_and_year_loads(con, tmp_path):
    """Not quarantined (which file won depended on the order they came in): both load, and the
    build settles a school given twice (tests/unit/test_questionnaire_conflicts.py)."""
    schools = plant_schools(3)
    write_questionnaire(tmp_path / "raw/context/2024/a.xlsx", schools, 2024)
    write_questionnaire(tmp_path / "raw/context/2024/b.xlsx", schools[:1], 2024)
    write_questionnaire(tmp_path / "raw/context/2025/a.xlsx", schools, 2025)
    summary = ingest(con, tmp_path / "raw")
    assert summary.quarantined == []
    assert sorted(summary.loaded) == [
        "context/2024/a.xlsx", "context/2024/b.xlsx", "context/2025/a.xlsx"
    ]  # fmt: skip
    assert not con.execute(
        "SELECT count(*) FROM ops.problems WHERE severity = 'blocking'"
    ).fetchall()[0][0]


@pytest.mark.parametrize(
    ("question", "answer", "component", "value"),
    [
        ("settlement_population", "2) от 1 до 5 тыс. человек", "settlement_log_population", 3.477),
        ("settlement_population", "3", "settlement_log_population", 3.875),
        ("settlement_population", "7. 500 тыс. – 1 млн чел.", "settlement_log_population", 5.875),
        ("settlement_population", "8. Более 1 млн чел", "settlement_log_population", 6.301),
        ("settlement_place", "село", "rural_settlement", 1.0),
        ("settlement_place", "1. Населённый пункт городского типа (пгт)", "rural_settlement", 0.0),
        ("regional_centre_transport", "2. НЕТ", "no_regular_transport", 1.0),
        ("regional_centre_transport", "1", "no_regular_transport", 0.0),
        ("is_boarding_school", "1. Да", "special_school", 1.0),
        ("is_evening_school", "нет", "special_school", 0.0),
    ],
)
def test_answer_wordings_map_to_their_component(con, question, answer, component, value):
    insert_raw(
        con, "context_questionnaire", "context/2024/a.csv", [{"school_code": "1", question: answer}]
    )
    build_models(con)
    assert _components(con) == {("1", component): pytest.approx(value)}
