-- incremental: school_id
-- Mock exams («репетиционные экзамены», raw/mock/) per school and subject, for early warning
-- only (never for ШНОР). Grade from the class (9 or 11), else 11 when a test score is given or
-- the subject is ЕГЭ base maths.
-- Fail as in the real exam: mark «2» (grade 9, ЕГЭ base maths), else the ЕГЭ minimum.
-- Grain: school_id × exam_year × grade × subject.
WITH mocks AS (
    SELECT
        m.*,
        coalesce(
            m.class_grade,
            CASE WHEN m.test_score IS NOT NULL OR m.subject = 'math_base' THEN 11 ELSE 9 END
        ) AS grade,
        minimums.min_test_score
    FROM staging.stg_exam__participants AS m
    -- the files' school-procedures that count (issue 18: conflicting files count for none)
    SEMI JOIN intermediate.int_participant_file_procedures AS c
        ON c._source_file = m._source_file AND c.procedure_key = m.procedure_key
        AND c.is_counted
    LEFT JOIN ref.ege_min_scores AS minimums
        ON minimums.exam_year = m.exam_year AND minimums.subject = m.subject
    WHERE m.exam = 'mock' AND m.school_id IS NOT NULL AND m.exam_year IS NOT NULL
),

scored AS (
    SELECT
        *,
        CASE
            WHEN grade = 9 OR subject = 'math_base' OR test_score IS NULL THEN mark = 2
            ELSE test_score < min_test_score
        END AS is_fail
    FROM mocks
    -- one result per participant and subject: the first sitting
    QUALIFY participant_id IS NULL OR row_number() OVER (
        PARTITION BY school_id, exam_year, grade, subject, participant_id
        ORDER BY exam_date NULLS LAST, _source_file, _row
    ) = 1
)

SELECT
    school_id,
    exam_year,
    grade,
    subject,
    count(*) FILTER (WHERE is_fail IS NOT NULL) AS participant_count,
    count(*) FILTER (WHERE is_fail) AS fail_count,
    count(*) FILTER (WHERE is_fail IS NULL) AS not_counted_count
FROM scored
GROUP BY ALL
ORDER BY ALL
