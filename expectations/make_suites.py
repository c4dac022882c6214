"""Write the Great Expectations suites of this folder (one JSON per raw layout and per
published mart). Edit here and run `python expectations/make_suites.py`; a test checks that
the JSON files are what this script writes, and that every layout and mart has its suite.

Each expectation's `meta` says how a failure reads for the analyst: `rule` (English name),
`description_ru`, `action_ru`, `column_ru`; GX `severity` critical = blocking (the file is
quarantined, or for marts nothing is published), warning = loaded and reported.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ABSENT = "пусто или «отсутствовал» — это неявка, не ошибка"


def expect(
    kind: str, severity: str, rule: str, description: str, action: str, column_ru: str, **kwargs
) -> dict:
    return {
        "type": kind,
        "kwargs": kwargs,
        "severity": "critical" if severity == "blocking" else "warning",
        "meta": {
            "rule": rule,
            "description_ru": description,
            "action_ru": action,
            "column_ru": column_ru,
        },
    }


def not_null(
    column: str, severity: str, rule: str, description: str, action: str, column_ru: str
) -> dict:
    return expect(
        "expect_column_values_to_be_null",
        severity,
        rule,
        description,
        action,
        column_ru,
        column=column,
    )


FIX_AND_RERUN = "исправьте значение в файле (или выгрузите файл заново) и запустите расчёт снова"


def participant_common(exam_label: str) -> list[dict]:
    """Checks ВПР and ОГЭ/ЕГЭ participant rows share."""
    return [
        expect(
            "expect_column_values_to_be_in_set",
            "blocking",
            "mark_out_of_range",
            f"отметка {exam_label} вне шкалы 2–5 ({ABSENT})",
            FIX_AND_RERUN,
            "Отметка",
            column="mark",
            value_set=[2, 3, 4, 5],
        ),
        not_null(
            "mark_text",
            "blocking",
            "mark_not_numeric",
            f"отметка {exam_label} не число ({ABSENT})",
            FIX_AND_RERUN,
            "Отметка",
        ),
        expect(
            "expect_column_values_to_be_between",
            "blocking",
            "primary_score_negative",
            "первичный балл отрицательный",
            FIX_AND_RERUN,
            "Первичный балл",
            column="primary_score",
            min_value=0,
        ),
        not_null(
            "primary_score_text",
            "blocking",
            "primary_score_not_numeric",
            "первичный балл не число",
            FIX_AND_RERUN,
            "Первичный балл",
        ),
        not_null(
            "duplicate_of",
            "blocking",
            "duplicate_participant_row",
            "участник с тем же кодом, предметом и школой уже есть выше в этом файле (значение "
            "— где он впервые встретился): результат был бы учтён дважды",
            "удалите повторяющиеся строки или лишний файл",
            "Код участника",
        ),
        # a class and subject given by two files is settled at build time, the same whatever
        # the files' names or order (int_participant_file_procedures, participant_conflict;
        # issue 18)
    ]


def suites() -> dict[str, dict]:
    """Suite name → suite (JSON-able)."""
    found = {}
    found["raw_vpr_participants"] = [
        *participant_common("ВПР"),
        expect(
            "expect_column_values_to_be_between",
            "warning",
            "journal_mark_out_of_range",
            "отметка по журналу вне шкалы 1–5: значение не учитывается",
            "проверьте отметку по журналу",
            "Отметка по журналу",
            column="journal_mark",
            min_value=1,
            max_value=5,
        ),
        not_null(
            "journal_mark_text",
            "warning",
            "value_unknown",
            "отметка по журналу не число: значение не учитывается (файл загружен)",
            "если отметка нужна, исправьте её в файле",
            "Отметка по журналу",
        ),
    ]
    found["raw_exam_participants"] = [
        *participant_common("ОГЭ/ЕГЭ"),
        expect(
            "expect_column_values_to_be_between",
            "blocking",
            "test_score_out_of_range",
            "тестовый балл ЕГЭ вне 0–100",
            FIX_AND_RERUN,
            "Балл",
            column="test_score",
            min_value=0,
            max_value=100,
        ),
        not_null(
            "test_score_text",
            "blocking",
            "test_score_not_numeric",
            "тестовый балл не число",
            FIX_AND_RERUN,
            "Балл",
        ),
        expect(
            "expect_column_pair_values_to_be_equal",
            "blocking",
            "year_mismatch",
            "год в дате экзамена не совпадает с папкой года",
            "переложите файл в папку своего года или исправьте дату",
            "Дата экзамена",
            column_A="exam_date_year",
            column_B="exam_year",
            ignore_row_if="either_value_is_missing",
        ),
        expect(
            "expect_column_pair_values_to_be_equal",
            "blocking",
            "exam_content_mismatch",
            "содержимое не соответствует папке: в ОГЭ — отметки, в ЕГЭ — тестовые баллы "
            "(значение — на что похож файл)",
            "переложите файл в папку oge/ или ege/ по его содержимому",
            "Балл / Оценка",
            column_A="content_exam",
            column_B="exam",
            ignore_row_if="either_value_is_missing",
        ),
        not_null(
            "exam_date_text",
            "warning",
            "value_unknown",
            "дата экзамена не распознана: считается неизвестной (файл загружен)",
            "запишите дату как ДД.ММ.ГГГГ",
            "Дата экзамена",
        ),
        not_null(
            "stage_text",
            "warning",
            "value_unknown",
            "этап экзамена не распознан: результат сохранён, но не учитывается (не основной "
            "период) (файл загружен)",
            "запишите этап: основной, резервный, досрочный или дополнительный",
            "Этап",
        ),
    ]
    found["raw_context"] = [
        expect(
            "expect_column_values_to_be_between",
            "blocking",
            "share_out_of_range",
            "доля вне 0–100 % (или 0–1)",
            FIX_AND_RERUN,
            "Доля (социальный паспорт)",
            column="share",
            min_value=0,
            max_value=100,
        ),
        not_null(
            "share_text",
            "warning",
            "value_unknown",
            "доля не число: считается неизвестной, индекс строится по остальным (файл загружен)",
            "если доля известна, исправьте её в файле",
            "Доля (социальный паспорт)",
        ),
        expect(
            "expect_column_values_to_be_between",
            "blocking",
            "count_out_of_range",
            "численность обучающихся отрицательная",
            FIX_AND_RERUN,
            "Численность обучающихся",
            column="student_count",
            min_value=0,
        ),
        not_null(
            "student_count_text",
            "blocking",
            "count_not_numeric",
            "численность обучающихся не число",
            FIX_AND_RERUN,
            "Численность обучающихся",
        ),
        # a row's year is the one it states (passport_year: «2023/2024» is 2024), else its
        # folder's; one file may give several years. A cell stating no year is named, the row
        # counted for the folder's year.
        not_null(
            "year_text",
            "warning",
            "passport_year_unknown",
            "год строки паспорта не распознан: строка учтена за год папки (файл загружен)",
            "впишите год строки («2024») или учебный год («2023/2024» — это 2024 год) и "
            "запустите расчёт снова",
            "Год",
        ),
        # a school-year given by two files is settled at build time, the same whatever the
        # files' names or order (stg_context__passport_files, passport_conflict; issue 18)
    ]
    found["raw_context_questionnaire"] = [
        expect(
            "expect_column_values_to_be_between",
            "warning",
            "count_out_of_range",
            "число в анкете ФИС ОКО отрицательное: считается неизвестным",
            "исправьте значение в файле, если оно нужно для индекса условий",
            "Количество (анкета ФИС ОКО)",
            column="count_value",
            min_value=0,
        ),
        not_null(
            "count_text",
            "warning",
            "value_unknown",
            "число в анкете ФИС ОКО не распознано: считается неизвестным (файл загружен)",
            "если число известно, исправьте его в файле",
            "Количество (анкета ФИС ОКО)",
        ),
        # a school given again by another file: settled at build time (questionnaire_conflict)
    ]
    found["raw_fioco_objectivity_list"] = [
        not_null(
            "missing_code",
            "warning",
            "list_row_without_login",
            "строка списка ФИОКО без логина ОО: не сопоставлена со школой",
            "впишите логин ОО в строку и запустите расчёт снова",
            "Логин",
        ),
        not_null(
            "year_text",
            "warning",
            "value_unknown",
            "год в списке ФИОКО не распознан: взят год папки",
            "запишите год четырьмя цифрами",
            "Год",
        ),
    ]
    found["raw_registry"] = [
        expect(
            "expect_column_values_to_be_between",
            "warning",
            "count_out_of_range",
            "численность обучающихся отрицательная: считается неизвестной",
            "исправьте численность в реестре",
            "Численность обучающихся",
            column="student_count",
            min_value=0,
        ),
        not_null(
            "student_count_text",
            "warning",
            "value_unknown",
            "численность обучающихся не число: считается неизвестной (файл загружен)",
            "исправьте численность в реестре",
            "Численность обучающихся",
        ),
        not_null(
            "latitude_text",
            "warning",
            "value_unknown",
            "широта не число: считается неизвестной",
            "исправьте координаты",
            "Широта",
        ),
        not_null(
            "longitude_text",
            "warning",
            "value_unknown",
            "долгота не число: считается неизвестной",
            "исправьте координаты",
            "Долгота",
        ),
    ]
    found["raw_vpr_mark_stats"] = [
        *summary_counts("ВПР", ["participant_count"]),
        *[
            percent_in_range(column, f"доля отметки «{mark}»", f"«{mark}» (%)")
            for mark, column in ((m, f"mark_{m}_percent") for m in (2, 3, 4, 5))
        ],
        percent_not_numeric("доля отметки", "«2»–«5» (%)"),
        # another file giving the school is settled at build time (int_vpr_summary_file_rows,
        # summary_conflict; issue 18)
        *repeated_in_file("ВПР по тому же классу и предмету", "ОО"),
        SEVERAL_REGIONS,
    ]
    found["raw_vpr_journal_comparison"] = [
        *summary_counts("ВПР", ["participant_count"]),
        percent_in_range("lowered_percent", "доля понизивших отметку", "Понизили (%)"),
        percent_in_range("confirmed_percent", "доля подтвердивших отметку", "Подтвердили (%)"),
        percent_in_range("raised_percent", "доля повысивших отметку", "Повысили (%)"),
        percent_not_numeric("доля участников", "Понизили / Подтвердили / Повысили (%)"),
        # another file giving the school is settled at build time (int_vpr_summary_file_rows,
        # summary_conflict; issue 18)
        *repeated_in_file("ВПР (сравнение с журналом) по тому же классу и предмету", "ОО"),
        SEVERAL_REGIONS,
    ]
    found["raw_vpr_task_points"] = [
        expect(
            "expect_column_values_to_be_between",
            "warning",
            "task_points_negative",
            "баллы за задание отрицательные: значение не учитывается (файл загружен)",
            "если результаты по заданиям нужны, исправьте баллы в файле",
            "Баллы за задание",
            column="points",
            min_value=0,
        ),
        not_null(
            "points_text",
            "warning",
            "value_unknown",
            "баллы за задание не число (x/х — задание не выполнялось — не ошибка): значение не "
            "учитывается (файл загружен)",
            "если результаты по заданиям нужны, исправьте баллы в файле",
            "Баллы за задание",
        ),
    ]
    found["raw_ege_school_summary"] = [
        *summary_counts("ЕГЭ", ["participant_count", "fail_count"]),
        expect(
            "expect_column_pair_values_a_to_be_greater_than_b",
            "blocking",
            "counts_contradict",
            "не преодолевших минимальный порог больше, чем участников (значение — участники "
            "/ не преодолевшие)",
            FIX_AND_RERUN,
            "не преодолен min порог ≤ приняло участие",
            column_A="participant_count",
            column_B="fail_count",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        # a school given by two files is settled at build time, the same whatever the files'
        # names or order (int_school_results_from_summaries, summary_conflict; issue 18)
    ]
    return found | mart_suites()


SUMMARY_COUNTS = {
    "participant_count": ("участников", "Кол-во участников / приняло участие"),
    "fail_count": ("не преодолевших минимальный порог", "не преодолен min порог"),
}


def summary_counts(exam_label: str, columns: list[str]) -> list[dict]:
    """Counts of a school summary (a blank cell is 0 or no data): not negative, whole numbers."""
    checks = []
    for column in columns:
        what, column_ru = SUMMARY_COUNTS[column]
        checks += [
            expect(
                "expect_column_values_to_be_between",
                "blocking",
                "count_out_of_range",
                f"число {what} в сводной таблице {exam_label} отрицательное",
                FIX_AND_RERUN,
                column_ru,
                column=column,
                min_value=0,
            ),
            not_null(
                f"{column}_text",
                "blocking",
                "count_not_numeric",
                f"число {what} в сводной таблице {exam_label} не целое число",
                FIX_AND_RERUN,
                column_ru,
            ),
        ]
    return checks


def percent_in_range(column: str, what: str, column_ru: str) -> dict:
    return expect(
        "expect_column_values_to_be_between",
        "blocking",
        "share_out_of_range",
        f"{what} вне 0–100 %",
        FIX_AND_RERUN,
        column_ru,
        column=column,
        min_value=0,
        max_value=100,
    )


def percent_not_numeric(what: str, column_ru: str) -> dict:
    return not_null(
        "percent_text",
        "blocking",
        "share_not_numeric",
        f"{what} не число (значение — столбец и ячейка): из долей считаются численности",
        FIX_AND_RERUN,
        column_ru,
    )


SEVERAL_REGIONS = not_null(
    "region_rows",
    "warning",
    "summary_several_regions",
    "на листе несколько строк без кода, которые не названы ни школой, ни муниципалитетом "
    "(значение — эти строки): все они приняты за итог региона, школы под ними не отнесены к "
    "муниципалитету",
    "если строка — муниципалитет (город), впишите его в столбец муниципалитета или начните "
    "название с «г.»; если школа — заполните её код ОО; затем запустите расчёт снова",
    "ОО",
)


def repeated_in_file(what: str, column_ru: str) -> list[dict]:
    """A school given twice in one file: blocking when the numbers differ (which is right is
    unknown), a warning when they are the same (counted once)."""
    return [
        not_null(
            "repeats_row",
            "blocking",
            "repeated_procedure",
            f"результаты этой школы {what} уже даны в этом файле выше с другими числами "
            "(значение — та строка): противоречие",
            "оставьте в файле одну верную строку этой школы и запустите расчёт снова",
            column_ru,
        ),
        not_null(
            "same_as_row",
            "warning",
            "repeated_school_row",
            f"результаты этой школы {what} уже даны в этом файле выше с теми же числами "
            "(значение — та строка): учтены один раз",
            "удалите повторяющуюся строку",
            column_ru,
        ),
    ]


REBUILD = (
    "это ошибка расчёта, а не данных: ничего не опубликовано, прежние витрины "
    "оставлены; сообщите разработчикам"
)


def key_checks(table: str, key: list[str], required: list[str] | None = None) -> list[dict]:
    """The key unique; its columns (or `required` ones, where a key column may be empty)
    never empty."""
    unique = (
        {"kind": "expect_column_values_to_be_unique", "column": key[0]}
        if len(key) == 1
        else {"kind": "expect_compound_columns_to_be_unique", "column_list": key}
    )
    checks = [
        expect(
            severity="blocking",
            rule="key_not_unique",
            description=f"ключ {', '.join(key)} в {table} повторяется",
            action=REBUILD,
            column_ru=", ".join(key),
            **unique,
        ),
    ]
    checks += [
        expect(
            "expect_column_values_to_not_be_null",
            "blocking",
            "key_missing",
            f"пустое значение ключа {column} в {table}",
            REBUILD,
            column,
            column=column,
        )
        for column in (key if required is None else required)
    ]
    return checks


def between(
    table: str, column: str, low: float | None, high: float | None, severity: str = "blocking"
) -> dict:
    kwargs = (
        {"column": column}
        | ({"min_value": low} if low is not None else {})
        | ({"max_value": high} if high is not None else {})
    )
    return expect(
        "expect_column_values_to_be_between",
        severity,
        "value_out_of_range",
        f"{column} в {table} вне [{low}, {high}]",
        REBUILD,
        column,
        **kwargs,
    )


def at_most(table: str, smaller: str, larger: str) -> dict:
    return expect(
        "expect_column_pair_values_a_to_be_greater_than_b",
        "blocking",
        "counts_contradict",
        f"{smaller} больше {larger} в {table}",
        REBUILD,
        f"{smaller} ≤ {larger}",
        column_A=larger,
        column_B=smaller,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def in_set(table: str, column: str, values: list) -> dict:
    return expect(
        "expect_column_values_to_be_in_set",
        "blocking",
        "value_not_accepted",
        f"{column} в {table} вне {values}",
        REBUILD,
        column,
        column=column,
        value_set=values,
    )


def mart_suites() -> dict[str, dict]:
    exams = ["vpr", "oge", "ege"]
    procedure = ["school_id", "exam_year", "exam", "grade", "subject"]
    school_year = ["school_id", "exam_year"]
    by_subject = ["school_id", "exam_year", "grade", "subject"]
    results = "marts.fct_school_procedure_results"
    flags = "marts.fct_school_flags"
    return {
        "marts.dim_schools": [
            *key_checks("marts.dim_schools", ["school_id"]),
            in_set("marts.dim_schools", "settlement_type", ["urban", "rural"]),
        ],
        results: [
            *key_checks(results, procedure),
            in_set(results, "exam", exams),
            between(results, "grade", 1, 11),
            between(results, "participant_count", 0, None),
            at_most(results, "fail_count", "participant_count"),
            at_most(results, "high_count", "participant_count"),
            between(results, "mean_score", 0, 100),
            between(results, "fail_share", 0, 1),
            not_null(
                "zero_mean_with_participants",
                "warning",
                "suspicious_zero_mean",
                "средний результат 0 при участниках > 0 (значение — школа, год, экзамен, "
                "класс, предмет): проверьте исходный файл",
                "проверьте исходный файл этой школы: возможно, баллы не выгрузились",
                "средний балл",
            ),
            not_null(
                "above_enrolment",
                "warning",
                "participants_above_enrolment",
                "участников в процедуре больше, чем обучающихся в школе (значение — школа, "
                "год, экзамен, класс, предмет и численность)",
                "проверьте численность в реестре/паспорте и код школы в файле результатов",
                "число участников",
            ),
        ],
        flags: [
            *key_checks(flags, school_year),
            between(flags, "low_probability", 0, 1),
            between(flags, "stable_low_probability", 0, 1),
            between(flags, "next_low_probability", 0, 1),
            expect(
                "expect_column_values_to_not_be_null",
                "blocking",
                "value_missing",
                f"пустой preset в {flags}",
                REBUILD,
                "preset",
                column="preset",
            ),
            expect(
                "expect_column_values_to_not_be_null",
                "blocking",
                "value_missing",
                f"пустые reasons в {flags}",
                REBUILD,
                "reasons",
                column="reasons",
            ),
        ],
        "marts.fct_school_mock_results": [
            *key_checks("marts.fct_school_mock_results", by_subject),
            at_most("marts.fct_school_mock_results", "fail_count", "participant_count"),
        ],
        "marts.fct_class_support_signals": [
            *key_checks("marts.fct_class_support_signals", [*by_subject, "class_label"]),
            at_most("marts.fct_class_support_signals", "fail_count", "participant_count"),
            between("marts.fct_class_support_signals", "fail_share", 0, 1),
        ],
        "marts.fct_school_early_warning": [
            *key_checks("marts.fct_school_early_warning", by_subject),
            between("marts.fct_school_early_warning", "predicted_fail_share", 0, 1),
        ],
        "marts.fct_school_context_drivers": key_checks(
            "marts.fct_school_context_drivers", school_year
        ),
        **new_mart_suites(),
        "reports.rpt_school_list": [
            *key_checks("reports.rpt_school_list", school_year),
            expect(
                "expect_column_values_to_not_be_null",
                "blocking",
                "value_missing",
                "пустой статус в reports.rpt_school_list",
                REBUILD,
                "status",
                column="status",
            ),
        ],
    }


def shares(table: str, columns: list[str]) -> list[dict]:
    return [between(table, column, 0, 1) for column in columns]


def counts(table: str, columns: list[str]) -> list[dict]:
    return [between(table, column, 0, None) for column in columns]


def with_intervals(table: str, prefix: str = "") -> list[dict]:
    """Both years' fail shares with their Wilson intervals, the change and its test."""
    years = [
        f"{prefix}{p}fail_share{s}" for p in ("", "previous_") for s in ("", "_lower", "_upper")
    ]
    return [
        *counts(table, [f"{prefix}{p}{c}" for p in ("", "previous_")
                        for c in ("participant_count", "fail_count")]),
        at_most(table, f"{prefix}fail_count", f"{prefix}participant_count"),
        at_most(table, f"{prefix}previous_fail_count", f"{prefix}previous_participant_count"),
        *shares(table, [*years, f"{prefix}change_p_value"]),
        *[between(table, f"{prefix}change{s}", -1, 1) for s in ("", "_lower", "_upper")],
    ]  # fmt: skip


def new_mart_suites() -> dict[str, list[dict]]:
    """The task results, the school-name review table and the report tables (rpt_*)."""
    tasks = "marts.fct_school_task_results"
    review = "marts.review_school_matches"
    procedures = "reports.rpt_year_over_year"
    schools = "reports.rpt_school_year_over_year"
    municipalities = "reports.rpt_municipality_summary"
    pairs = "reports.rpt_partner_pairs"
    advice = "reports.rpt_recommendations"
    lists = "reports.rpt_objectivity_comparison"
    municipality_counts = [
        "school_count", "rated_count", "shnor_count", "shnsu_count", "risk_group_count",
        "resilient_count", "student_count", "entered_count", "stayed_count", "exited_count",
        "not_rated_count", "previous_shnor_rated_count", "positive_dynamics_count",
    ]  # fmt: skip
    return {
        tasks: [
            *key_checks(tasks, ["school_id", "exam_year", "grade", "subject", "task"]),
            between(tasks, "grade", 1, 11),
            between(tasks, "result_count", 1, None),
            *counts(tasks, ["mean_points", "max_points_observed"]),
            at_most(tasks, "mean_points", "max_points_observed"),
        ],
        review: [
            # one row per name as written (municipality, name) and candidate; a name without
            # candidates has one row with none
            *key_checks(
                review,
                ["municipality_name", "school_name", "candidate_rank"],
                required=["school_name", "match_status", "school_id"],
            ),
            in_set(review, "match_status", ["ambiguous", "unmatched", "name_only"]),
            between(review, "candidate_rank", 1, None),
            between(review, "similarity", 0, 1),
        ],
        procedures: [
            *key_checks(procedures, ["school_id", "exam_year", "exam", "grade", "subject"]),
            in_set(procedures, "exam", ["vpr", "oge", "ege"]),
            *with_intervals(procedures),
            *[
                between(procedures, c, 0, 100)
                for c in ("fail_share_percentile", "previous_fail_share_percentile")
            ],
            between(procedures, "percentile_change", -100, 100),
        ],
        schools: [
            *key_checks(schools, ["school_id", "exam_year"]),
            *with_intervals(schools),
            between(schools, "expected_share", 0, 1),
            counts(schools, ["near_miss_count"])[0],
            in_set(schools, "transition", ["вошли", "остались", "вышли", "не оценивается"]),
        ],
        municipalities: [
            *key_checks(municipalities, ["municipality_name", "exam_year"]),
            *counts(municipalities, municipality_counts),
            at_most(municipalities, "rated_count", "school_count"),
            at_most(municipalities, "shnor_count", "rated_count"),
            at_most(municipalities, "positive_dynamics_count", "previous_shnor_rated_count"),
            *shares(
                municipalities,
                [
                    "shnor_share",
                    "shnsu_share",
                    "risk_group_share",
                    "resilient_share",
                    "shnor_student_share",
                    "positive_dynamics_share",
                ],
            ),
        ],
        pairs: [
            # each ШНОР of a year once, with its tutor or the reason it has none
            *key_checks(pairs, ["exam_year", "school_id"]),
            counts(pairs, ["distance"])[0],
            expect(
                "expect_column_values_to_not_be_null",
                "blocking",
                "value_missing",
                f"пустое объяснение пары (reason_text) в {pairs}",
                REBUILD,
                "reason_text",
                column="reason_text",
            ),
        ],
        lists: [
            # each school of a year with a ФИОКО list once, on at least one of the two lists
            *key_checks(lists, ["exam_year", "school_id"]),
            in_set(lists, "agreement", ["both", "fioco_only", "shnor_only"]),
            counts(lists, ["common_procedure_count"])[0],
        ],
        advice: [
            # at most five recommendations per school and year (docs/methodology.md, §8)
            *key_checks(advice, ["exam_year", "school_id", "rank"]),
            in_set(advice, "kind", ["процедура"]),
            in_set(advice, "school_group", ["ШНОР", "группа риска"]),
            between(advice, "rank", 1, 5),
            counts(advice, ["result_count"])[0],
            *shares(
                advice,
                ["value", "value_lower", "value_upper", "regional_value", "shrunk_fail_share"],
            ),
            between(advice, "shrunk_shortfall", 0, 1),
        ],
    }


def main() -> None:
    for name, expectations in suites().items():
        suite = {"name": name, "expectations": expectations, "meta": {}, "notes": None}
        text = json.dumps(suite, ensure_ascii=False, indent=2) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
