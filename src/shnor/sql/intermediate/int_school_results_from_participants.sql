-- incremental: school_id
-- Participant results counted per school and procedure (docs/methodology.md): counts use only
-- counted results (main period, first attempt, present); the rest are counted separately.
-- Grain: school_id × exam_year × exam × grade × subject.
SELECT
    school_id,
    exam_year,
    exam,
    grade,
    subject,
    count(*) FILTER (WHERE is_counted) AS participant_count,
    count(*) FILTER (WHERE is_counted AND is_fail) AS fail_count,
    count(*) FILTER (WHERE is_counted AND is_high) AS high_count,
    avg(score) FILTER (WHERE is_counted) AS mean_score,
    count(*) FILTER (WHERE is_absent) AS absent_count,
    count(*) FILTER (WHERE NOT is_counted AND NOT is_absent) AS not_counted_count,
    count(DISTINCT class_label) AS class_count
FROM intermediate.int_participant_results_counted
WHERE school_id IS NOT NULL AND exam_year IS NOT NULL AND grade IS NOT NULL
GROUP BY ALL
