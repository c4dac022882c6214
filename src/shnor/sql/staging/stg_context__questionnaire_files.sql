-- The ФИС ОКО questionnaire (docs/data-contract.md) of each school-year as each file gives it,
-- and whether the file counts for it — the passport's rule (stg_context__passport_files, issue
-- 18): files giving the same answers count once; where files give a school-year different
-- answers, only the file an analyst named in reference/authoritative_files.csv (a reviewed row:
-- reviewed_by filled; scope by year, and by municipality as the registry places the school, when
-- given) counts; with none named, none does (is_conflict, reported as questionnaire_conflict):
-- the outcome never depends on the files' names or the order they arrived in.
-- stg_context__questionnaire_answers, stg_context__questionnaire_components and
-- stg_context__schools keep the counted files' rows only.
-- Grain: school_id × exam_year × _source_file.
WITH answered AS (
    SELECT
        coalesce(codes.school_id, clean_code(q.school_code)) AS school_id,
        folder_year(q._source_file) AS exam_year,
        q._source_file,
        q._sheet,
        q._row,
        q.school_name,
        -- what a questionnaire row gives: its answers and counts, as read
        [q.settlement_place, q.settlement_type, q.settlement_population,
         q.regional_centre_transport, q.is_special_school, q.is_evening_school,
         q.is_boarding_school, q.internet_access, q.parent_involvement, q.student_count,
         q.teacher_count, q.top_category_teacher_count, q.young_teacher_count,
         q.pension_age_teacher_count, q.computer_count,
         q.pupils_grade_1, q.pupils_grade_2, q.pupils_grade_3, q.pupils_grade_4,
         q.pupils_grade_5, q.pupils_grade_6, q.pupils_grade_7, q.pupils_grade_8,
         q.pupils_grade_9, q.pupils_grade_10, q.pupils_grade_11,
         q.class_count_grade_1, q.class_count_grade_2, q.class_count_grade_3,
         q.class_count_grade_4, q.class_count_grade_5, q.class_count_grade_6,
         q.class_count_grade_7, q.class_count_grade_8, q.class_count_grade_9,
         q.class_count_grade_10, q.class_count_grade_11, q.context_year]::VARCHAR AS answers
    FROM raw.context_questionnaire AS q
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(q.school_code)
    WHERE clean_code(q.school_code) IS NOT NULL
),

file_rows AS (
    SELECT
        school_id,
        exam_year,
        _source_file,
        any_value(clean_text(school_name)) AS school_name,
        count(*) AS row_count,
        arg_min(_sheet, _row) AS first_sheet,
        min(_row) AS first_row,
        md5(string_agg(answers, chr(10) ORDER BY answers)) AS answers_hash
    FROM answered
    GROUP BY ALL
),

files AS (
    -- the municipality as the registry places the school (for the scope of a reviewed row)
    SELECT
        f.* RENAME (answers_hash AS content_hash),
        NULL AS unit_key,
        false AS in_doubt,
        s.municipality_name
    FROM file_rows AS f
    LEFT JOIN staging.stg_schools AS s USING (school_id)
)

-- (macro authoritative_file_judged: which file counts)
SELECT * EXCLUDE (municipality_name) RENAME (content_hash AS answers_hash)
FROM authoritative_file_judged('files')
