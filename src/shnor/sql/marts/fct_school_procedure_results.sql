-- Results per school and procedure, from participant files and from school summaries (ЕГЭ
-- summary workbook, ВПР «Статистика по отметкам»). Where both give the same school-year-
-- procedure, the participant numbers win (a disagreement is reported, see
-- int_summary_participant_disagreements). `source` says which. Fail share with a Wilson
-- interval (docs/methodology.md). Grain: school_id × exam_year × exam × grade × subject.
WITH combined AS (
    SELECT *, 'participants' AS source
    FROM intermediate.int_school_results_from_participants
    UNION ALL BY NAME
    SELECT
        s.school_id, s.exam_year, s.exam, s.grade, s.subject, s.participant_count,
        s.fail_count, s.high_count, s.mean_score, 0 AS absent_count, 0 AS not_counted_count,
        NULL::BIGINT AS class_count, s.source
    FROM intermediate.int_school_results_from_summaries AS s
    ANTI JOIN intermediate.int_school_results_from_participants AS p
        USING (school_id, exam_year, exam, grade, subject)
)

SELECT
    school_id,
    exam_year,
    exam,
    grade,
    subject,
    -- counts as BIGINT whatever the sums of the sources made of them (HUGEINT, DOUBLE)
    participant_count::BIGINT AS participant_count,
    fail_count::BIGINT AS fail_count,
    high_count::BIGINT AS high_count,
    mean_score,
    absent_count::BIGINT AS absent_count,
    not_counted_count::BIGINT AS not_counted_count,
    class_count,
    CASE WHEN participant_count > 0 THEN fail_count / participant_count END AS fail_share,
    wilson_lower(fail_count, participant_count, $z) AS fail_share_lower,
    wilson_upper(fail_count, participant_count, $z) AS fail_share_upper,
    CASE
        WHEN participant_count < $small_sample_size THEN 'малая выборка'
        WHEN participant_count < $limited_sample_size THEN 'ограниченная выборка'
    END AS sample_size_label,
    source
FROM combined
ORDER BY school_id, exam_year, exam, grade, subject
