"""The stages of an annual run, each a plain function over a warehouse connection.

Flows only sequence these; tests call them directly. Order: ingest → build → flag → publish.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from scipy.stats import norm

from shnor import warehouse
from shnor.flags import school_flags
from shnor.incremental import Changes, forget_build, remember_build
from shnor.ingest.headers import subject_code
from shnor.ingest.raw_load import IngestSummary, Problem, ingest_raw, record_problems
from shnor.ingest.school_matching import CODED_RAW_TABLES, school_name_map, update_school_code_map
from shnor.methods.context_index import context_index, derived_components, shnsu_mask
from shnor.methods.context_sources import (
    combined_components,
    context_school_years,
    context_sources,
)
from shnor.methods.contextual import contextual_value_added
from shnor.methods.objectivity import objectivity_concerns, objectivity_markers, vpr_evidence_mask
from shnor.methods.objectivity_lists import with_fioco_list
from shnor.methods.support import class_support_signals, early_warning
from shnor.presets import Preset
from shnor.progress import report
from shnor.report_tables import REPORT_TABLES, report_tables
from shnor.scoring import school_year_scores, year_input_keys

Progress = Callable[[str], None]

# Tables the Python stages make beside the SQL models; with the models of the marts and
# reports layers, they are every table a run publishes (`published_tables`).
PYTHON_TABLES = (
    "marts.review_school_matches",
    "marts.fct_school_flags",
    "marts.fct_class_support_signals",
    "marts.fct_school_early_warning",
    *(f"reports.{name}" for name in REPORT_TABLES),
)


def published_tables() -> list[str]:
    """`schema.table` of every table this shnor publishes (a table an earlier version left in
    the warehouse is not one of them)."""
    models = [model.table for model in warehouse.models(("marts", "reports"))]
    return sorted({*models, *PYTHON_TABLES})


FLAG_STEPS = 6  # parts of `flag` reported to the progress bar


def sql_parameters(preset: Preset) -> dict[str, Any]:
    """Values the SQL models bind, from the preset."""
    confidence = preset["indicators.interval_confidence"]
    return {
        "z": float(norm.ppf(0.5 + confidence / 2)),
        "high_marks": list(preset["indicators.high_marks"]),
        "ege_high_score": preset["indicators.ege_high_score"],
        "small_sample_size": preset["small_samples.small_sample_size"],
        "limited_sample_size": preset["small_samples.limited_sample_size"],
        "prevention_min_failed_subjects": preset["flags.prevention_group.min_failed_subjects"],
        "prevention_journal_mark_at_most": preset["flags.prevention_group.journal_mark_at_most"],
        "boundary_pass_rate": preset["objectivity.boundary_pass_rate"],
        "boundary_min_results": preset["objectivity.boundary_min_results"],
    }


def prepare_connection(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> None:
    """Macros and reference tables every model relies on."""
    con.execute(resources.files("shnor.sql").joinpath("macros.sql").read_text("utf-8"))
    warehouse.load_reference_tables(con, reference_dir)


def ingest(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    reference_dir: Path | None = None,
    on_file: Callable[[str, int, int], None] | None = None,
) -> IngestSummary:
    """Load new and changed files into raw.*, then map the subjects they name."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(
            f"Папка с исходными данными не найдена: {raw_dir}. "
            "Положите файлы в raw/ (см. docs/data-contract.md) или создайте демо-регион: shnor demo"
        )
    summary = ingest_raw(con, raw_dir, reference_dir, on_file)
    map_subjects(con, reference_dir)
    return summary


# Where subject names stand in raw.*: (table, column, what a row is, in Russian).
SUBJECT_COLUMNS = (
    ("vpr_participants", "subject", "строки участников"),
    ("exam_participants", "subject", "строки участников"),
    ("ege_school_summary", "subject", "строки школ"),
    ("vpr_mark_stats", "title_subject", "строки школ"),
    ("vpr_journal_comparison", "title_subject", "строки школ"),
    ("fioco_objectivity_list", "subject", "строки списка"),
)


def map_subjects(con: duckdb.DuckDBPyConnection, reference_dir: Path | None) -> pd.DataFrame:
    """ref.subject_map: every subject name in raw.* → canonical code. A name no alias knows
    gets no code: staging leaves its rows out (other subjects of the file still load) and each
    file is told, in Russian, which subject and how many of its rows were not loaded."""
    union = " UNION ".join(
        f"SELECT DISTINCT {column} FROM raw.{table} WHERE {column} IS NOT NULL"
        for table, column, _ in SUBJECT_COLUMNS
    )
    names = [row[0] for row in con.execute(union).fetchall()]
    mapped = [(name, *subject_code(name, reference_dir)) for name in names]
    frame = pd.DataFrame(mapped, columns=["raw_subject", "subject", "is_known"])
    frame["subject"] = frame["subject"].astype("string")
    frame["is_known"] = frame["is_known"].astype(bool)
    warehouse.replace_table(con, "ref.subject_map", frame)
    con.execute("DELETE FROM raw._problems WHERE rule = 'unknown_subject'")
    unknown = sorted(name for name, _, known in mapped if not known)
    problems = []
    for table, column, what in SUBJECT_COLUMNS if unknown else ():
        found = con.execute(
            f"""SELECT _source_file, {column}, arg_min(_sheet, _row), min(_row), count(*)
                FROM raw.{table} WHERE list_contains($names, {column})
                GROUP BY ALL ORDER BY ALL""",
            {"names": unknown},
        ).fetchall()
        problems += [
            Problem(
                source,
                "unknown_subject",
                "warning",
                f"предмет «{name}» не найден в справочнике предметов: его {what} ({count}) "
                "не загружены, код предмету не придумывается (другие предметы файла загружены)",
                "если это известный предмет, добавьте его название в "
                "reference/subject_aliases.csv и запустите расчёт снова",
                sheet=sheet,
                row=row,
                column="Предмет",
                value=name,
            )
            for source, name, sheet, row, count in found
        ]
    record_problems(con, problems)
    return frame


def build(
    con: duckdb.DuckDBPyConnection,
    preset: Preset,
    on_model: Callable[[Any], None] | None = None,
    changes: Changes | None = None,
    schools_mapped: bool = False,
) -> dict[str, int]:
    """Staging, intermediate and SQL marts from raw.*; returns row counts by table. With
    `changes` (see `incremental.py`) only the changed files and years are built again; they
    must be found after `map_schools` (the code map is part of what the build compares), so a
    caller that did so passes `schools_mapped`. Results the build cannot use are reported, never
    dropped silently."""
    parameters = sql_parameters(preset)
    counts = {} if schools_mapped else map_schools(con)
    # A build that dies half-way leaves no record of a last build: the next one is full (it
    # could not tell the rows this one changed from those of the last build).
    forget_build(con)
    counts |= warehouse.run_models(
        con, parameters, ("staging", "intermediate", "marts"), on_model, changes
    )
    record_unusable_results(con)
    remember_build(con, parameters)
    return counts


def map_schools(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """ref.school_code_map (result codes → registry codes, leading zeros restored),
    ref.school_name_map (summary names → school ids) and marts.review_school_matches (names for
    the analyst to confirm), with warnings in raw._problems (docs/data-contract.md)."""
    code_map, registry = update_school_code_map(con)
    # The macros run on distinct spellings (thousands), not on every participant row.
    spelled = " UNION ALL ".join(
        f"SELECT school_code, school_name, "
        f"{'municipality_name' if table != 'context' else 'NULL'} AS municipality_name, "
        f"count(*) AS n FROM raw.{table} GROUP BY ALL"
        for table in CODED_RAW_TABLES
    )
    named = con.execute(
        f"""WITH cleaned AS (
                SELECT clean_code(school_code) AS school_id, clean_text(school_name) AS
                       school_name, clean_text(municipality_name) AS municipality_name, n
                FROM ({spelled})
                WHERE clean_code(school_code) IS NOT NULL AND clean_text(school_name) IS NOT NULL
            ),
            names AS (SELECT school_id, school_name, sum(n) AS n FROM cleaned GROUP BY ALL),
            municipalities AS (
                SELECT school_id, municipality_name, sum(n) AS n FROM cleaned
                WHERE municipality_name IS NOT NULL GROUP BY ALL
            )
            SELECT school_id, arg_max(names.school_name, names.n) AS school_name,
                   any_value(m.municipality_name) AS municipality_name
            FROM names
            LEFT JOIN (SELECT school_id, arg_max(municipality_name, n) AS municipality_name
                       FROM municipalities GROUP BY school_id) AS m USING (school_id)
            GROUP BY school_id"""
    ).df()
    names = con.execute(
        """SELECT clean_text(municipality_name) AS municipality_name,
                  clean_text(school_name) AS school_name,
                  string_agg(DISTINCT coalesce(sheet_year, folder_year(_source_file)::VARCHAR),
                             ',' ORDER BY coalesce(sheet_year, folder_year(_source_file)::VARCHAR)
                  ) AS years,
                  string_agg(DISTINCT _source_file, ',' ORDER BY _source_file) AS source_files
           FROM raw.ege_school_summary WHERE clean_text(school_name) IS NOT NULL
           GROUP BY ALL ORDER BY ALL"""
    ).df()
    aliases = con.execute(
        "SELECT CAST(municipality AS VARCHAR) AS municipality, "
        "CAST(school_name AS VARCHAR) AS school_name, "
        "CAST(school_code AS VARCHAR) AS school_code FROM ref.school_aliases"
    ).df()
    # schools coded result files name, where the registry does not have them
    recoded = dict(zip(code_map["raw_code"], code_map["school_id"], strict=True))
    named = named.assign(school_id=named["school_id"].map(lambda code: recoded.get(code, code)))
    named = named[~named["school_id"].isin(registry["school_id"])].drop_duplicates("school_id")
    known = pd.concat(
        [
            registry.assign(source="registry"),
            named.fillna({"municipality_name": ""}).assign(source="result_files"),
        ],
        ignore_index=True,
    )
    name_map, review = school_name_map(names, known, aliases.fillna(""))
    counts = {
        "ref.school_code_map": len(code_map),
        "ref.school_name_map": warehouse.replace_table(
            con,
            "ref.school_name_map",
            name_map.astype({"municipality_name": "string", "school_name": "string"}),
        ),
        "marts.review_school_matches": warehouse.replace_table(
            con, "marts.review_school_matches", review
        ),
    }
    con.execute(
        "DELETE FROM raw._problems WHERE list_contains($rules, rule)",
        {"rules": list(IDENTITY_RULES)},
    )
    record_problems(con, identity_problems(code_map, name_map, names))
    return counts


IDENTITY_RULES = ("school_code_leading_zeros", "school_name_unmatched", "school_name_ambiguous")


def identity_problems(
    code_map: pd.DataFrame, name_map: pd.DataFrame, names: pd.DataFrame
) -> list[Problem]:
    """Warnings: codes merged across leading zeros; names left to the review table."""
    problems = [
        Problem(
            "(все файлы)",
            "school_code_leading_zeros",
            "warning",
            f"код ОО «{row.raw_code}» и «{row.school_id}» "
            + ("в реестре " if row.match_rule == "leading_zeros" else "в других файлах ")
            + f"различаются только ведущими нулями: это одна школа с кодом «{row.school_id}»",
            "ничего делать не нужно; если это разные школы, исправьте код в файле",
            column="Код ОО",
            value=row.raw_code,
        )
        for row in code_map[code_map["match_rule"].str.startswith("leading_zeros")].itertuples()
    ]
    sources = {
        (row.municipality_name, row.school_name): row.source_files for row in names.itertuples()
    }
    for row in name_map[name_map["match_rule"].isin(["unmatched", "ambiguous"])].itertuples():
        ambiguous = row.match_rule == "ambiguous"
        problems.append(
            Problem(
                sources.get((row.municipality_name, row.school_name), "(все файлы)").split(",")[0],
                "school_name_ambiguous" if ambiguous else "school_name_unmatched",
                "warning",
                f"школа «{row.school_name}» ({row.municipality_name}) "
                + ("подходит к нескольким школам реестра" if ambiguous else "не найдена в реестре")
                + ": оценивается отдельно под своим названием, кандидаты — в review_school_matches",
                "подтвердите соответствие строкой в reference/school_aliases.csv "
                "(муниципалитет, название как в файле, код ОО)",
                column="Образовательная организация",
                value=row.school_name,
            )
        )
    return problems


BUILD_RULES = (
    "unknown_minimum",
    "missing_school_code",
    "missing_grade",
    "unknown_school",
    "summary_unreadable_value",
    "summary_disagrees_with_participants",
    "summary_repeated_school",
    "summary_conflict",
    "participant_conflict",
    "passport_conflict",
    "context_scale",
    "questionnaire_answer_unmapped",
    "fioco_list_unknown_school",
)
EXAM_LABELS = {"vpr": "ВПР", "oge": "ОГЭ", "ege": "ЕГЭ", "mock": "репетиционный экзамен"}
# Conflicting school-procedures listed one by one per file; the rest are counted in one line.
MAX_CONFLICTS_LISTED = 20
RESOLVE_CONFLICT = (
    "выясните, какой файл верен, и укажите его в reference/authoritative_files.csv "
    "(source_file, при необходимости exam_year и municipality_name, reviewed_by — кто "
    "проверил); или удалите неверный файл"
)


def summary_conflicts(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One blocking problem per file row of a school-procedure that files give with different
    numbers, naming the other files: none of them counts until an analyst names one in
    reference/authoritative_files.csv (the other rows of the files still count)."""
    rows = con.execute(
        """SELECT r._source_file, r._sheet, r._row, r.school_name, r.subject_name, r.exam_year,
                  r.participant_count, r.fail_count,
                  string_agg(DISTINCT o._source_file, '», «' ORDER BY o._source_file)
           FROM intermediate.int_ege_summary_file_rows AS r
           JOIN intermediate.int_ege_summary_file_rows AS o
             ON o.school_id = r.school_id AND o.exam_year = r.exam_year
            AND o.subject = r.subject AND coalesce(o.profile, '') = coalesce(r.profile, '')
            AND o._source_file <> r._source_file AND o.figures_hash <> r.figures_hash
           WHERE r.is_conflict
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    return [
        Problem(
            source,
            "summary_conflict",
            "blocking",
            f"«{school}», {subject}, {year}: файл даёт {count} участников и {fails} не "
            f"преодолевших порог, а файл «{others}» — другие числа; какой верен, неизвестно: "
            "результат этой школы по предмету не учитывается ни из одного файла (остальные "
            "строки файлов учтены)",
            "выясните, какой файл верен, и укажите его в reference/authoritative_files.csv "
            "(source_file, при необходимости exam_year и municipality_name, reviewed_by — кто "
            "проверил); или удалите неверный файл",
            sheet=sheet,
            row=row,
            column="Образовательная организация (школа)",
            value=others,
        )
        for source, sheet, row, school, subject, year, count, fails, others in rows
    ]


def vpr_summary_conflicts(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One blocking problem per file row of a school's ВПР summary (§2b, §2c) that files give
    with different numbers, naming the other files: none counts until an analyst names one in
    reference/authoritative_files.csv (the files' other rows still count)."""
    rows = con.execute(
        """SELECT r._source_file, r._sheet, r._row, r.summary, r.school_id, r.school_name,
                  r.grade, r.subject_name, r.exam_year, r.participant_count,
                  string_agg(DISTINCT o._source_file, '», «' ORDER BY o._source_file)
           FROM intermediate.int_vpr_summary_file_rows AS r
           JOIN intermediate.int_vpr_summary_file_rows AS o
             ON o.summary = r.summary AND o.school_id = r.school_id
            AND o.exam_year = r.exam_year AND o.grade IS NOT DISTINCT FROM r.grade
            AND o.subject = r.subject AND o._source_file <> r._source_file
            AND o.figures_hash <> r.figures_hash
           WHERE r.is_conflict
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    kinds = {
        "mark_stats": "«Статистика по отметкам»",
        "journal_comparison": "«Сравнение отметок с отметками по журналу»",
    }
    return [
        Problem(
            source,
            "summary_conflict",
            "blocking",
            f"ВПР {year}, {kinds[summary]}: школа {school_id} «{school}», {grade} класс, "
            f"{subject}: файл даёт {count} участников, а файл «{others}» — другие числа; какой "
            "верен, неизвестно: эта строка школы не учитывается ни из одного файла (остальные "
            "строки файлов учтены)",
            RESOLVE_CONFLICT,
            sheet=sheet,
            row=row,
            column="ОО",
            value=others,
        )
        for source, sheet, row, summary, school_id, school, grade, subject, year, count, others in (
            rows
        )
    ]


def passport_conflicts(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One blocking problem per file and school-year whose social passport files give
    differently, naming the other files: none counts for it until an analyst names one in
    reference/authoritative_files.csv (the files' other schools still count)."""
    rows = con.execute(
        """SELECT r._source_file, r.first_sheet, r.first_row, r.school_id, r.school_name,
                  r.exam_year,
                  string_agg(DISTINCT o._source_file, '», «' ORDER BY o._source_file)
           FROM staging.stg_context__passport_files AS r
           JOIN staging.stg_context__passport_files AS o
             ON o.school_id = r.school_id AND o.exam_year IS NOT DISTINCT FROM r.exam_year
            AND o._source_file <> r._source_file AND o.rows_hash <> r.rows_hash
           WHERE r.is_conflict
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    return [
        Problem(
            source,
            "passport_conflict",
            "blocking",
            f"социальный паспорт школы {school_id}"
            + (f" «{school}»" if school else "")
            + f" за {year} год: файл даёт одни значения, а файл «{others}» — другие; какой "
            "верен, неизвестно: паспорт этой школы за год не учитывается ни из одного файла "
            "(индекс условий строится без него; остальные школы файлов учтены)",
            RESOLVE_CONFLICT,
            sheet=sheet,
            row=row,
            column="Код ОО",
            value=others,
        )
        for source, sheet, row, school_id, school, year, others in rows
    ]


def participant_conflicts(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One blocking problem per file and school-procedure (class, subject) that participant
    files give with different rows, naming the other files: none counts for it until an analyst
    names one in reference/authoritative_files.csv (the files' other rows still count)."""
    rows = con.execute(
        """SELECT r._source_file, r.first_sheet, r.first_row, r.school_id, r.school_name,
                  r.exam, r.exam_year, r.class_label, coalesce(r.subject_name, r.subject),
                  r.row_count,
                  string_agg(DISTINCT o._source_file, '», «' ORDER BY o._source_file),
                  r.crossed_files
           FROM intermediate.int_participant_file_procedures AS r
           LEFT JOIN intermediate.int_participant_file_procedures AS o
             ON o.procedure_key = r.procedure_key AND o._source_file <> r._source_file
            AND o.rows_hash <> r.rows_hash
           WHERE r.is_conflict
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    problems, listed = [], defaultdict(int)
    for row_values in rows:
        source, sheet, row, school_id, school, exam, year, class_label, subject, n = row_values[:10]
        others, crossed = row_values[10:]
        listed[source] += 1
        if listed[source] > MAX_CONFLICTS_LISTED:
            continue
        where = f"класс {class_label}" if class_label else "класс не указан"
        said = (
            f"файл даёт {n} строк участников, а файл «{others}» — другие строки"
            + (" (или баллы за задания)" if exam == "vpr" else "")
            if others
            else f"те же участники (по коду) есть в файле «{crossed}» в другом классе"
        )
        problems.append(
            Problem(
                source,
                "participant_conflict",
                "blocking",
                f"школа {school_id} «{school}», {EXAM_LABELS.get(exam, exam)} {year}, {where}, "
                f"{subject}: {said}; какой файл верен, неизвестно: эти результаты школы не "
                "учитываются ни из одного файла (остальные строки файлов учтены)",
                RESOLVE_CONFLICT,
                sheet=sheet,
                row=row,
                column="Код ОО",
                value=others or crossed,
            )
        )
    for source, count in sorted(listed.items()):
        if count > MAX_CONFLICTS_LISTED:
            problems.append(
                Problem(
                    source,
                    "participant_conflict",
                    "blocking",
                    f"ещё {count - MAX_CONFLICTS_LISTED} результатов школ (класс, предмет) "
                    "расходятся с другими файлами и не учитываются ни из одного (показаны первые)",
                    RESOLVE_CONFLICT,
                    column="Код ОО",
                )
            )
    return problems


def record_unusable_results(con: duckdb.DuckDBPyConnection) -> None:
    """raw._problems warnings, per file, for participant rows the build could not use (ЕГЭ
    subjects and years with no minimum score, rows with no school code or no grade) and for
    schools the registry does not know (when there is a registry; docs/data-contract.md)."""
    con.execute(
        "DELETE FROM raw._problems WHERE list_contains($rules, rule)", {"rules": list(BUILD_RULES)}
    )
    rows = con.execute(
        """SELECT _source_file, exam_year, subject, count(*), min(_row)
           FROM intermediate.int_participant_results_counted
           WHERE not_counted_reason = 'unknown_minimum' GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    problems = [
        Problem(
            source,
            "unknown_minimum",
            "warning",
            f"нет минимального балла ЕГЭ {year} по предмету «{subject}»: "
            f"{count} результатов не учтены",
            "добавьте строку год, предмет, минимальный балл в reference/ege_min_scores.csv",
            row=first_row,
            value=subject,
        )
        for source, year, subject, count, first_row in rows
    ]
    rows = con.execute(
        """SELECT _source_file, school_id IS NULL, count(*), min(_row)
           FROM intermediate.int_participant_results_counted
           WHERE school_id IS NULL OR grade IS NULL OR exam_year IS NULL
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    problems += [
        Problem(
            source,
            "missing_school_code" if no_code else "missing_grade",
            "warning",
            f"{count} строк без кода школы не учтены"
            if no_code
            else f"{count} строк без класса (параллели) или года не учтены",
            "заполните код ОО / класс в файле и запустите расчёт снова",
            row=first_row,
        )
        for source, no_code, count, first_row in rows
    ]
    rows = con.execute(
        """SELECT r._source_file, r.school_id, count(*), min(r._row)
           FROM intermediate.int_participant_results_counted AS r
           WHERE r.school_id IS NOT NULL
             AND EXISTS (SELECT 1 FROM staging.stg_schools)
             AND r.school_id NOT IN (SELECT school_id FROM staging.stg_schools)
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    problems += [
        Problem(
            source,
            "unknown_school",
            "warning",
            f"школы с кодом «{school_id}» нет в реестре ({count} результатов); она оценивается "
            "под этим кодом без муниципалитета и типа поселения из реестра",
            "проверьте код ОО; если школа новая, добавьте её в реестр (raw/schools/)",
            row=first_row,
            column="Код ОО",
            value=school_id,
        )
        for source, school_id, count, first_row in rows
    ]
    problems += summary_problems(con) + context_scale_problems(con)
    problems += participant_conflicts(con) + vpr_summary_conflicts(con)
    problems += passport_conflicts(con)
    problems += questionnaire_problems(con) + fioco_list_problems(con)
    record_problems(con, problems)


def fioco_list_problems(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """A warning per ФИОКО list row whose login names no school shnor knows (neither the
    registry nor any results): it is compared, but cannot be matched to results."""
    rows = con.execute(
        """SELECT _source_file, school_id, min(_row)
           FROM staging.stg_objectivity__fioco_list
           WHERE school_id NOT IN (SELECT school_id FROM marts.dim_schools)
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    return [
        Problem(
            source,
            "fioco_list_unknown_school",
            "warning",
            f"школы с логином «{school_id}» из списка ФИОКО нет ни в реестре, ни в результатах",
            "проверьте логин (или добавьте школу в реестр raw/schools/)",
            row=first_row,
            column="Логин",
            value=school_id,
        )
        for source, school_id, first_row in rows
    ]


def questionnaire_problems(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One warning per file × question × answer of the ФИС ОКО questionnaire that
    reference/questionnaire_answers.csv does not map (the component is left to imputation)."""
    rows = con.execute(
        """SELECT _source_file, question, answer, count(*), min(_row)
           FROM staging.stg_context__questionnaire_answers
           WHERE is_mapped_question AND component IS NULL
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    return [
        Problem(
            source,
            "questionnaire_answer_unmapped",
            "warning",
            f"ответ «{answer}» на вопрос анкеты ({question}) не сопоставлен с компонентом "
            f"индекса условий ({count} школ): компонент считается неизвестным (заполняется)",
            "добавьте строку question, answer_pattern, component, value в "
            "reference/questionnaire_answers.csv",
            row=first_row,
            column=question,
            value=answer,
        )
        for source, question, answer, count, first_row in rows
    ]


def context_scale_problems(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One line per passport year saying which components were read as percent and which as
    fractions, naming files whose own values alone would have read the other way."""
    rows = con.execute(
        """SELECT exam_year, component, any_value(scale) AS scale,
                  list(DISTINCT _source_file ORDER BY _source_file)
                      FILTER (WHERE file_scale <> scale) AS other_files
           FROM staging.stg_context__components GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    years: dict[int, list[tuple[str, str, list[str] | None]]] = {}
    for year, component, scale, others in rows:
        years.setdefault(year, []).append((component, scale, others))
    problems = []
    for year, components in years.items():
        words = {"percent": "проценты", "fraction": "доли единицы"}
        said = "; ".join(
            f"{component}: {words[scale]}"
            + (f" (в т.ч. файлы {', '.join(others)}, где все значения ≤ 1)" if others else "")
            for component, scale, others in components
        )
        problems.append(
            Problem(
                f"context/{year}/",
                "context_scale",
                "warning",
                f"социальный паспорт {year}: шкала определена по всем файлам года — {said}",
                "проверьте: если столбец в каком-то файле дан в долях единицы, а в других в "
                "процентах, приведите файлы к одной шкале",
            )
        )
    return problems


def summary_problems(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """Warnings about school summaries: cells that are not numbers, and impossible 100-scorers or
    means (unknown, never blocking; the row is left out when participants or fails are unreadable),
    and summaries that disagree with participant results (which win)."""
    rows = con.execute(
        """SELECT _source_file, _sheet, _row, school_name, subject_name, unreadable_columns
           FROM staging.stg_ege__school_summary WHERE len(unreadable_columns) > 0
           ORDER BY ALL"""
    ).fetchall()
    problems = [
        Problem(
            source,
            "summary_unreadable_value",
            "warning",
            f"«{school}», {subject}: не число (или невозможное значение: отрицательное, "
            f"80–100 баллов больше участников, средний вне 0–100) в столбцах "
            f"{', '.join(columns)} — значение неизвестно"
            + ("; строка не учтена" if {"participant_count", "fail_count"} & set(columns) else ""),
            "исправьте ячейку в файле и запустите расчёт снова",
            sheet=sheet,
            row=row,
            column=", ".join(columns),
            value=subject,
        )
        for source, sheet, row, school, subject, columns in rows
    ]
    rows = con.execute(
        """SELECT _source_file, _sheet, _row, school_name, subject_name, school_id, exam_year
           FROM staging.stg_ege__school_summary
           WHERE subject IS NOT NULL AND participant_count > 0 AND fail_count IS NOT NULL
           QUALIFY row_number() OVER (
               PARTITION BY school_id, exam_year, subject, coalesce(profile, ''), _source_file
               ORDER BY _sheet, _row
           ) > 1
           ORDER BY ALL"""
    ).fetchall()
    problems += [
        Problem(
            source,
            "summary_repeated_school",
            "warning",
            f"«{school}», {subject}: школа ({school_id}) уже есть в сводной таблице за {year} год "
            "выше; взята первая строка, эта не учтена",
            "проверьте, не повторена ли школа (или две школы сопоставлены одной — тогда "
            "исправьте reference/school_aliases.csv)",
            sheet=sheet,
            row=row,
            value=school,
        )
        for source, sheet, row, school, subject, school_id, year in rows
    ]
    problems += summary_conflicts(con)
    rows = con.execute(
        """SELECT _source_file, _sheet, _row, school_id, exam_year, exam, grade, subject,
                  participant_count, summary_participant_count, fail_count, summary_fail_count
           FROM intermediate.int_summary_participant_disagreements ORDER BY ALL"""
    ).fetchall()
    problems += [
        Problem(
            source,
            "summary_disagrees_with_participants",
            "warning",
            f"школа {school_id}, {exam} {year}, {grade} класс, {subject}: по участникам "
            f"{n} участников и {fails} не справившихся, в сводной таблице {sn} и {sfails}; "
            "взяты данные по участникам",
            "сверьте сводную таблицу с файлами участников",
            sheet=sheet,
            row=row,
            value=subject,
        )
        for source, sheet, row, school_id, year, exam, grade, subject, n, sn, fails, sfails in rows
    ]
    return problems


def context_components(con: duckdb.DuckDBPyConnection, schools: pd.DataFrame) -> pd.DataFrame:
    """Context components per school-year, from the passport, the registry's conditions and the
    ФИС ОКО questionnaire. School conditions join the index only where the school has a passport
    or a questionnaire that year, so the ШНСУ population is those schools; the passport wins a
    component both give, then the registry's conditions, then the questionnaire
    (methods/context_sources.py)."""
    passport = con.execute(
        "SELECT school_id, exam_year, component, share FROM staging.stg_context__components"
    ).df()
    questionnaire = con.execute(
        "SELECT school_id, exam_year, component, share "
        "FROM staging.stg_context__questionnaire_components"
    ).df()
    enrolment = con.execute(
        "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools "
        "WHERE student_count IS NOT NULL"
    ).df()
    with_context = context_school_years(passport, questionnaire)
    derived = derived_components(schools, enrolment, sorted(set(with_context["exam_year"])))
    derived = derived.merge(with_context, on=["school_id", "exam_year"])
    return combined_components(passport, derived, questionnaire)


def flag(con: duckdb.DuckDBPyConnection, preset: Preset) -> dict[str, int]:
    """Objectivity markers, school scores (ВПР set aside where objectivity is in doubt), context
    index and flags, at school grain in pandas; then the report tables."""
    results = con.execute("SELECT * FROM marts.fct_school_procedure_results").df()
    schools = con.execute("SELECT * FROM marts.dim_schools").df()
    evidence = con.execute("SELECT * FROM intermediate.int_vpr_objectivity_evidence").df()
    report("flag", "маркеры объективности ВПР", 0, FLAG_STEPS)
    fioco = con.execute(
        "SELECT school_id, exam_year, grade, subject FROM staging.stg_objectivity__fioco_list"
    ).df()
    markers = objectivity_markers(evidence, results, preset)
    # The ФИОКО list counts as a concern when the preset says so (objectivity.fioco_list_...).
    concerns = with_fioco_list(objectivity_concerns(markers, preset), fioco, preset)
    usable = vpr_evidence_mask(results, concerns, preset)
    report("flag", "школьный эффект (эмпирический Байес)", 1, FLAG_STEPS)
    scores, score_keys = reused_year_scores(con, results, schools, preset, usable)
    components = context_components(con, schools)
    report("flag", "индекс условий, ШНСУ", 2, FLAG_STEPS)
    context = context_for_years(components, scores, preset, context_sources(components))
    students = con.execute(
        "SELECT school_id, exam_year, count(*) AS student_count, "
        "count(*) FILTER (WHERE is_at_risk) AS at_risk_student_count "
        "FROM intermediate.int_vpr_students_at_risk GROUP BY ALL"
    ).df()
    report("flag", "флаги и причины", 3, FLAG_STEPS)
    value_added = contextual_value_added(scores, context, schools)
    # Procedure-level rules read only the evidence in use (ВПР set aside does not count).
    flags = school_flags(
        scores,
        results[usable],
        context,
        concerns,
        preset,
        value_added=value_added,
        students=students,
    )
    counts = store_year_scores(con, scores, score_keys) | {
        "intermediate.int_vpr_objectivity_markers": warehouse.replace_table(
            con, "intermediate.int_vpr_objectivity_markers", markers
        ),
        "intermediate.int_school_objectivity": warehouse.replace_table(
            con, "intermediate.int_school_objectivity", concerns
        ),
        "intermediate.int_school_context": warehouse.replace_table(
            con, "intermediate.int_school_context", context
        ),
        "marts.fct_school_flags": warehouse.replace_table(con, "marts.fct_school_flags", flags),
    }
    report("flag", "сигналы поддержки, раннее предупреждение", 4, FLAG_STEPS)
    classes = con.execute("SELECT * FROM intermediate.int_vpr_class_results").df()
    mock = con.execute("SELECT * FROM marts.fct_school_mock_results").df()
    counts["marts.fct_class_support_signals"] = warehouse.replace_table(
        con, "marts.fct_class_support_signals", class_support_signals(classes, preset)
    )
    counts["marts.fct_school_early_warning"] = warehouse.replace_table(
        con, "marts.fct_school_early_warning", early_warning(mock, results, preset)
    )
    report("flag", "таблицы отчётов", 5, FLAG_STEPS)
    counts |= warehouse.run_models(con, sql_parameters(preset), ("reports",))
    for name, table in report_tables(report_inputs(con, schools, results, flags), preset).items():
        counts[f"reports.{name}"] = warehouse.replace_table(con, f"reports.{name}", table)
    report("flag", "готово", FLAG_STEPS, FLAG_STEPS)
    return counts


SCORE_KEYS = "ops.score_inputs"


def reused_year_scores(
    con: duckdb.DuckDBPyConnection,
    results: pd.DataFrame,
    schools: pd.DataFrame,
    preset: Preset,
    usable: pd.Series,
) -> tuple[pd.DataFrame, dict[int, str]]:
    """`school_year_scores`, fitted again only for the years whose inputs differ from those of
    the scores in the warehouse (a new file of the latest year leaves the earlier years' fits
    as they were); also the per-year input keys, to store beside the scores."""
    keys = year_input_keys(results, schools, preset, usable)
    stored = {}
    if warehouse.table_exists(con, SCORE_KEYS) and warehouse.table_exists(
        con, "intermediate.int_school_year_scores"
    ):
        stored = dict(con.execute(f"SELECT exam_year, input_key FROM {SCORE_KEYS}").fetchall())
    kept = sorted(year for year, key in keys.items() if stored.get(year) == key)
    refit = sorted(set(keys) - set(kept))
    if not kept:
        return school_year_scores(results, schools, preset, evidence_mask=usable), keys
    earlier = con.execute(
        "SELECT * FROM intermediate.int_school_year_scores "
        "WHERE list_contains($years, exam_year) ORDER BY exam_year, school_id",
        {"years": kept},
    ).df()
    if not refit:
        return earlier, keys
    # A year is fitted with the years before it (one model across years, docs/methodology.md).
    scores = school_year_scores(results, schools, preset, evidence_mask=usable, years=refit)
    earlier = earlier[list(scores.columns)].astype(scores.dtypes.to_dict())
    scores = pd.concat([scores, earlier], ignore_index=True)
    return scores.sort_values(["exam_year", "school_id"], ignore_index=True), keys


def store_year_scores(
    con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, keys: dict[int, str]
) -> dict[str, int]:
    """The scores and their per-year input keys, in one transaction (a key never describes
    scores other than those stored beside it)."""
    con.execute("BEGIN TRANSACTION")
    try:
        counts = {
            "intermediate.int_school_year_scores": warehouse.replace_table(
                con, "intermediate.int_school_year_scores", scores
            ),
            SCORE_KEYS: warehouse.replace_table(
                con, SCORE_KEYS, pd.DataFrame(keys.items(), columns=["exam_year", "input_key"])
            ),
        }
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return counts


def report_inputs(
    con: duckdb.DuckDBPyConnection,
    schools: pd.DataFrame,
    results: pd.DataFrame,
    flags: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The marts the year-on-year and support tables read, plus ЕГЭ minimums (comparability)
    and the task-level ВПР results when that mart exists."""
    inputs = {
        "dim_schools": schools,
        "fct_school_procedure_results": results,
        "fct_school_flags": flags,
        "ege_min_scores": con.execute("SELECT * FROM ref.ege_min_scores").df(),
    }
    # The ФИОКО lists beside shnor's own objectivity markers (rpt_objectivity_comparison).
    for name, table in (
        ("int_school_objectivity", "intermediate.int_school_objectivity"),
        ("int_vpr_objectivity_markers", "intermediate.int_vpr_objectivity_markers"),
        ("stg_objectivity__fioco_list", "staging.stg_objectivity__fioco_list"),
    ):
        if warehouse.table_exists(con, table):
            inputs[name] = con.execute(f"SELECT * FROM {table}").df()
    has_tasks = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'fct_school_task_results'"
    ).fetchall()[0][0]
    if has_tasks:
        inputs["fct_school_task_results"] = con.execute(
            "SELECT * FROM marts.fct_school_task_results"
        ).df()
    return inputs


def context_for_years(
    components: pd.DataFrame,
    scores: pd.DataFrame,
    preset: Preset,
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Context index and ШНСУ per school × year of the scores; a year without a passport (or
    questionnaire) uses the school's nearest one, earlier first (recorded in context_year);
    `sources` (school_id, exam_year, context_source) says which documents gave it."""
    components = components.astype({"exam_year": "int64"})
    index = context_index(components, preset["context.index_method"])
    index = index.astype(
        {"school_id": scores["school_id"].dtype, "exam_year": "int64", "context_index": "float64"}
    )
    if sources is not None:
        sources = sources.astype({"school_id": index["school_id"].dtype, "exam_year": "int64"})
        index = index.merge(sources, on=["school_id", "exam_year"], how="left")
    index["is_shnsu"] = index.groupby("exam_year")["context_index"].transform(
        lambda s: shnsu_mask(s, preset["context.shnsu_share"])
    )
    index = index.rename(columns={"exam_year": "context_year"}).sort_values("context_year")
    wanted = scores[["school_id", "exam_year"]].astype({"exam_year": "int64"})
    wanted = wanted.sort_values("exam_year")
    matched = pd.merge_asof(
        wanted,
        index,
        left_on="exam_year",
        right_on="context_year",
        by="school_id",
        direction="nearest",
    )
    # A school with no passport in any year has no index; say so rather than leave it blank.
    matched["is_context_imputed"] = (
        matched["is_context_imputed"].astype("boolean").fillna(True).astype(bool)
    )
    matched["is_shnsu"] = matched["is_shnsu"].astype("boolean").fillna(False).astype(bool)
    return matched.sort_values(["exam_year", "school_id"], ignore_index=True)
