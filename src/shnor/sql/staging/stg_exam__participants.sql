-- incremental: _source_file
-- ОГЭ, ЕГЭ and mock exam participant results, typed. Grain: one row per raw row of
-- raw.exam_participants (every attempt kept; which one counts is decided downstream).
WITH typed AS (
    SELECT
        school_of.school_id,
        folder_name(e._source_file) AS exam,
        folder_year(e._source_file) AS exam_year,
        clean_text(e.municipality_name) AS municipality_name,
        clean_text(e.municipality_code) AS municipality_code,
        clean_text(e.school_name) AS school_name,
        clean_class(e.class_label) AS class_label,
        try_cast(regexp_extract(e.class_label, '(\d{1,2})', 1) AS INTEGER) AS class_grade,
        coalesce(subjects.subject, 'unknown') AS subject,
        clean_text(e.subject) AS subject_name,
        clean_text(e.participant_id) AS participant_id,
        parse_number(e.primary_score) AS primary_score,
        parse_number(e.test_score) AS test_score,
        CASE WHEN parse_integer(e.mark) BETWEEN 2 AND 5 THEN parse_integer(e.mark) END AS mark,
        CASE
            WHEN lower(e.stage) LIKE '%дополн%' OR lower(e.stage) LIKE '%сентябр%' THEN 'additional'
            WHEN lower(e.stage) LIKE '%резерв%' THEN 'reserve'
            WHEN lower(e.stage) LIKE '%досроч%' THEN 'early'
            WHEN clean_text(e.stage) IS NULL OR lower(e.stage) LIKE '%основн%' THEN 'main'
            ELSE 'other'
        END AS stage,
        coalesce(
            try_strptime(clean_text(e.exam_date), ['%Y-%m-%d', '%d.%m.%Y', '%Y-%m-%d %H:%M:%S'])::DATE,
            try_cast(clean_text(e.exam_date) AS DATE)
        ) AS exam_date,
        e._source_file,
        e._sheet,
        e._row
    FROM raw.exam_participants AS e
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = e.subject
    LEFT JOIN school_of_codes('raw.exam_participants') AS school_of ON school_of.school_code = e.school_code
    -- a subject no alias knows is left out (reported per file by map_subjects)
    WHERE subjects.is_known IS DISTINCT FROM false
)

SELECT
    *,
    -- the school-procedure a file gives (school × year × exam × class × subject × stage × day):
    -- two files giving one with different rows conflict (int_participant_file_procedures)
    concat_ws('|', exam, coalesce(exam_year::VARCHAR, ''), coalesce(school_id, ''),
              coalesce(class_label, ''), subject, stage, coalesce(exam_date::VARCHAR, ''))
        AS procedure_key
FROM typed
