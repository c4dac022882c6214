-- The ФИОКО lists of schools with signs of non-objective ВПР results (raw/objectivity/<year>/):
-- the year from the row where it reads as a year, else the folder's; grade and subject where the
-- list gives them (NULL: the whole school is listed). Rows without a login are left out here and
-- reported by the raw check. Grain: one row per raw list row with a school code.
SELECT
    coalesce(codes.school_id, clean_code(l.school_code)) AS school_id,
    coalesce(
        try_cast(nullif(regexp_extract(l.context_year, '(\d{4})', 1), '') AS INTEGER),
        folder_year(l._source_file)
    ) AS exam_year,
    try_cast(regexp_extract(l.class_label, '(\d{1,2})', 1) AS INTEGER) AS grade,
    subjects.subject,
    clean_text(l.subject) AS subject_name,
    l._source_file,
    l._row
FROM raw.fioco_objectivity_list AS l
LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(l.school_code)
LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = l.subject
WHERE clean_code(l.school_code) IS NOT NULL
    -- a subject no alias knows is left out (reported per file by map_subjects), never read as
    -- «the whole school»
    AND subjects.is_known IS DISTINCT FROM false
ORDER BY exam_year, school_id, grade, subject
