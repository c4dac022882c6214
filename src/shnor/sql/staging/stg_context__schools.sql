-- Facts about each school from the social passport and the ФИС ОКО questionnaire (docs/methodology.md
-- §5): pupils (for size and the enrolment trend) and settlement type (used where the registry
-- lacks it). The passport wins where both give a fact for a school-year; the questionnaire's
-- pupils are its total, else the sum of its pupils by grade; its settlement type is its
-- settlement answer as reference/questionnaire_answers.csv maps it (rural_settlement).
-- Grain: school_id × exam_year (the largest pupil figure when a file repeats a school; of two
-- files giving a school-year different passports, the one stg_context__passport_files counts;
-- likewise questionnaires, stg_context__questionnaire_files). A passport row's year is the one it
-- states, else its folder's (macro passport_year).
WITH passport AS (
    SELECT
        coalesce(codes.school_id, clean_code(c.school_code)) AS school_id,
        passport_year(c.context_year, c._source_file) AS exam_year,
        max(parse_integer(student_count)) FILTER (WHERE parse_integer(student_count) > 0)
            AS student_count,
        max(settlement_kind(settlement_type)) AS settlement_type
    FROM raw.context AS c
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(c.school_code)
    WHERE clean_code(c.school_code) IS NOT NULL
        -- the file that counts for the school-year (stg_context__passport_files, issue 18)
        AND EXISTS (
            SELECT 1 FROM staging.stg_context__passport_files AS f
            WHERE f.is_counted AND f._source_file = c._source_file
                AND f.school_id = coalesce(codes.school_id, clean_code(c.school_code))
                AND f.exam_year
                    IS NOT DISTINCT FROM passport_year(c.context_year, c._source_file)
        )
    GROUP BY ALL
),

questionnaire_pupils AS (
    SELECT
        coalesce(codes.school_id, clean_code(q.school_code)) AS school_id,
        folder_year(_source_file) AS exam_year,
        coalesce(
            parse_integer(student_count),
            list_sum(list_filter(
                [parse_integer(pupils_grade_1), parse_integer(pupils_grade_2),
                 parse_integer(pupils_grade_3), parse_integer(pupils_grade_4),
                 parse_integer(pupils_grade_5), parse_integer(pupils_grade_6),
                 parse_integer(pupils_grade_7), parse_integer(pupils_grade_8),
                 parse_integer(pupils_grade_9), parse_integer(pupils_grade_10),
                 parse_integer(pupils_grade_11)],
                lambda n: n >= 0
            ))
        ) AS student_count
    FROM raw.context_questionnaire AS q
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(q.school_code)
    WHERE clean_code(q.school_code) IS NOT NULL
        -- the file that counts for the school-year (stg_context__questionnaire_files, issue 18)
        AND EXISTS (
            SELECT 1 FROM staging.stg_context__questionnaire_files AS f
            WHERE f.is_counted AND f._source_file = q._source_file
                AND f.school_id = coalesce(codes.school_id, clean_code(q.school_code))
                AND f.exam_year IS NOT DISTINCT FROM folder_year(q._source_file)
        )
),

questionnaire AS (
    SELECT
        coalesce(p.school_id, s.school_id) AS school_id,
        coalesce(p.exam_year, s.exam_year) AS exam_year,
        p.student_count,
        s.settlement_type
    FROM (
        SELECT school_id, exam_year, max(student_count) FILTER (WHERE student_count > 0)
            AS student_count
        FROM questionnaire_pupils GROUP BY ALL
    ) AS p
    FULL OUTER JOIN (
        SELECT
            school_id,
            exam_year,
            CASE max(value) WHEN 1 THEN 'rural' WHEN 0 THEN 'urban' END AS settlement_type
        FROM staging.stg_context__questionnaire_answers
        WHERE component = 'rural_settlement' AND school_id IS NOT NULL
        GROUP BY ALL
    ) AS s ON s.school_id = p.school_id AND s.exam_year = p.exam_year
)

SELECT
    coalesce(p.school_id, q.school_id) AS school_id,
    coalesce(p.exam_year, q.exam_year) AS exam_year,
    coalesce(p.student_count, q.student_count) AS student_count,
    coalesce(p.settlement_type, q.settlement_type) AS settlement_type
FROM passport AS p
FULL OUTER JOIN questionnaire AS q ON q.school_id = p.school_id AND q.exam_year = p.exam_year
