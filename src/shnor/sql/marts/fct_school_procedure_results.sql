-- incremental: school_id
-- Results per school and procedure. Grain: school_id × exam_year × exam × grade × subject.
-- Counts use only counted results (main period, first attempt, present); the rest are
-- counted separately so nothing disappears. Fail share with a Wilson interval (METHODOLOGY §1).
WITH grouped AS (
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
)

SELECT
    *,
    CASE WHEN participant_count > 0 THEN fail_count / participant_count END AS fail_share,
    wilson_lower(fail_count, participant_count, $z) AS fail_share_lower,
    wilson_upper(fail_count, participant_count, $z) AS fail_share_upper,
    CASE
        WHEN participant_count < $small_sample_size THEN 'малая выборка'
        WHEN participant_count < $limited_sample_size THEN 'ограниченная выборка'
    END AS sample_size_label,
    'participants' AS source
FROM grouped
ORDER BY school_id, exam_year, exam, grade, subject
