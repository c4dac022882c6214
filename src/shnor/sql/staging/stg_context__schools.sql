-- Facts about each school from the social passport (METHODOLOGY §5): pupils (for size and the
-- enrolment trend) and settlement type (used where the registry lacks it).
-- Grain: school_id × exam_year (the largest pupil figure when files repeat a school).
SELECT
    coalesce(codes.school_id, clean_code(c.school_code)) AS school_id,
    folder_year(_source_file) AS exam_year,
    max(parse_integer(student_count)) FILTER (WHERE parse_integer(student_count) > 0)
        AS student_count,
    max(settlement_kind(settlement_type)) AS settlement_type
FROM raw.context AS c
LEFT JOIN ref.school_code_map AS codes ON codes.raw_code = clean_code(c.school_code)
WHERE clean_code(c.school_code) IS NOT NULL
GROUP BY ALL
