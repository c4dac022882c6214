-- School-year-procedures given both by participant results and by a school summary whose
-- participants or fails differ: the participant numbers are used, the difference reported.
-- Grain: school_id × exam_year × exam × grade × subject.
SELECT
    p.school_id,
    p.exam_year,
    p.exam,
    p.grade,
    p.subject,
    p.participant_count,
    s.participant_count AS summary_participant_count,
    p.fail_count,
    s.fail_count AS summary_fail_count,
    s.source AS summary_source,
    s._source_file,
    s._sheet,
    s._row
FROM intermediate.int_school_results_from_participants AS p
JOIN intermediate.int_school_results_from_summaries AS s USING (school_id, exam_year, exam, grade, subject)
WHERE p.participant_count <> s.participant_count OR p.fail_count <> s.fail_count
ORDER BY ALL
