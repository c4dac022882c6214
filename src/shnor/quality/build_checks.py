"""Problems the build finds in the data it was given: school-procedures that files give
differently, results it cannot use, summaries and passports that disagree; each written to
ops.problems in Russian with what to do (rules in reference/rules.csv)."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import duckdb

from shnor.methods.context_index import COMPONENT_NAMES
from shnor.problems import Problem, forget_problems, record_problems
from shnor.russian import counted

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
    "questionnaire_conflict",
    "context_scale",
    "questionnaire_answer_unmapped",
    "fioco_list_unknown_school",
    "municipality_label",
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


class _ContextFiles(NamedTuple):
    """One kind of context file a school-year can be given by twice: its rule, its per-file
    staging model with the hash of what a file gives, and the words of its problem."""

    rule: str
    model: str
    hash_column: str
    what: str  # «социальный паспорт»
    gives: str  # «значения»
    it: str  # «паспорт» (this school's … is not counted)
    without_it: str  # «без него»
    column: str  # the school's column in the file


CONTEXT_FILES = (
    _ContextFiles("passport_conflict", "staging.stg_context__passport_files", "rows_hash",
                  "социальный паспорт", "значения", "паспорт", "без него", "Код ОО"),
    _ContextFiles("questionnaire_conflict", "staging.stg_context__questionnaire_files",
                  "answers_hash", "анкета ФИС ОКО", "ответы", "анкета", "без неё", "Логин"),
)  # fmt: skip


def context_file_conflicts(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One blocking problem per file and school-year whose social passport or ФИС ОКО
    questionnaire files give it differently, naming the other files: none counts for it until
    an analyst names one in reference/authoritative_files.csv (the files' other schools still
    count)."""
    problems = []
    for kind in CONTEXT_FILES:
        # the model and hash column come from CONTEXT_FILES above, never from input
        rows = con.execute(
            f"""SELECT r._source_file, r.first_sheet, r.first_row, r.school_id, r.school_name,
                       r.exam_year,
                       string_agg(DISTINCT o._source_file, '», «' ORDER BY o._source_file)
                FROM {kind.model} AS r
                JOIN {kind.model} AS o
                  ON o.school_id = r.school_id AND o.exam_year IS NOT DISTINCT FROM r.exam_year
                 AND o._source_file <> r._source_file
                 AND o.{kind.hash_column} <> r.{kind.hash_column}
                WHERE r.is_conflict
                GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
        problems += [
            Problem(
                source,
                kind.rule,
                "blocking",
                f"{kind.what} школы {school_id}"
                + (f" «{school}»" if school else "")
                + f" за {year} год: файл даёт одни {kind.gives}, а файл «{others}» — другие; "
                f"какой верен, неизвестно: {kind.it} этой школы за год не учитывается ни из "
                f"одного файла (индекс условий строится {kind.without_it}; остальные школы "
                "файлов учтены)",
                RESOLVE_CONFLICT,
                sheet=sheet,
                row=row,
                column=kind.column,
                value=others,
            )
            for source, sheet, row, school_id, school, year, others in rows
        ]
    return problems + passport_rows_in_conflict(con)


def passport_rows_in_conflict(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """One blocking problem per file and school-year whose social passport the file gives in
    rows with different values: which is right is unknown, so it counts from no row (never an
    average of them); the file's other schools count."""
    rows = con.execute(
        """SELECT _source_file, first_sheet, first_row, school_id, school_name, exam_year,
                  distinct_rows, rows_given
           FROM staging.stg_context__passport_files
           WHERE distinct_rows > 1 ORDER BY ALL"""
    ).fetchall()
    return [
        Problem(
            source,
            "passport_conflict",
            "blocking",
            f"социальный паспорт школы {school_id}"
            + (f" «{school}»" if school else "")
            + f" за {year} год: в файле {counted(count, 'разная строка')} (строки {given}); "
            "какая верна, неизвестно: паспорт этой "
            "школы за год не учитывается (индекс условий строится без него; остальные школы "
            "файла учтены)",
            "оставьте в файле одну верную строку школы за год",
            sheet=sheet,
            row=row,
            column="Код ОО",
            value=school_id,
        )
        for source, sheet, row, school_id, school, year, count, given in rows
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
                    f"ещё {counted(count - MAX_CONFLICTS_LISTED, 'результат')} школ "
                    "(класс, предмет) "
                    "расходятся с другими файлами и не учитываются ни из одного (показаны первые)",
                    RESOLVE_CONFLICT,
                    column="Код ОО",
                )
            )
    return problems


def record_unusable_results(con: duckdb.DuckDBPyConnection) -> None:
    """ops.problems warnings, per file, for participant rows the build could not use (ЕГЭ
    subjects and years with no minimum score, rows with no school code or no grade) and for
    schools the registry does not know (when there is a registry; docs/data-contract.md)."""
    forget_problems(con, BUILD_RULES)
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
    problems += context_file_conflicts(con)
    problems += questionnaire_problems(con) + fioco_list_problems(con)
    problems += municipality_label_problems(con)
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


# Schools named in a municipality_label warning; the rest are counted.
MAX_SCHOOLS_NAMED = 5


def municipality_label_problems(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """A warning per participant file and municipality cell that is the region's name or a
    grouping label («Городские школы», «Группа 3»: the 2020–2021 ВПР export's `регион`) given
    for schools the registry does not know: no such label is a municipality, so theirs is
    unknown until the analyst adds them to the registry (marts.dim_schools)."""
    rows = con.execute(
        """SELECT r._source_file, r.exam = 'vpr', r.municipality_name,
                  is_region_name(r.municipality_name), min(r._sheet), min(r._row),
                  list(DISTINCT r.school_id ORDER BY r.school_id)
           FROM (
               SELECT _source_file, _sheet, _row, school_id, municipality_name, 'vpr' AS exam
               FROM staging.stg_vpr__participants
               UNION ALL
               SELECT _source_file, _sheet, _row, school_id, municipality_name, exam
               FROM staging.stg_exam__participants
           ) AS r
           SEMI JOIN (
               SELECT school_id FROM marts.dim_schools
               WHERE NOT is_in_registry AND municipality_name IS NULL
           ) AS d ON d.school_id = r.school_id
           WHERE r.municipality_name IS NOT NULL
           GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    problems = []
    for source, is_vpr, label, is_region, sheet, row, schools in rows:
        named = ", ".join(schools[:MAX_SCHOOLS_NAMED])
        if len(schools) > MAX_SCHOOLS_NAMED:
            named += f" и ещё {counted(len(schools) - MAX_SCHOOLS_NAMED, 'школа')}"
        problems.append(
            Problem(
                source,
                "municipality_label",
                "warning",
                f"«{label}» — {'название региона' if is_region else 'группа школ'}, а не "
                f"муниципалитет; в реестре нет школ с этой отметкой: {len(schools)} ({named}): "
                "муниципалитет этих школ неизвестен, в отчётах они без муниципалитета",
                "добавьте эти школы в реестр (raw/schools/) с их муниципалитетом и запустите "
                "расчёт снова",
                sheet=sheet,
                row=row,
                column="регион" if is_vpr else "Муниципалитет",
                value=label,
            )
        )
    return problems


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
            f"{COMPONENT_NAMES.get(component, component)}: {words[scale]}"
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
