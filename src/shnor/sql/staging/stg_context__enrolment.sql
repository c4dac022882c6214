-- Pupils per school and year as the social passport gives them (for the enrolment trend of
-- METHODOLOGY §5). Grain: school_id × exam_year (the largest figure when files repeat a school).
SELECT
    clean_text(school_code) AS school_id,
    folder_year(_source_file) AS exam_year,
    max(parse_integer(student_count)) AS student_count
FROM raw.context
WHERE clean_text(school_code) IS NOT NULL AND parse_integer(student_count) > 0
GROUP BY ALL
