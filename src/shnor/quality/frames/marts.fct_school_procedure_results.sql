-- marts.fct_school_procedure_results for expectations/marts.fct_school_procedure_results.json,
-- with two warnings spelled out: a mean of 0 with participants, and more participants in one
-- procedure than pupils in the school (passport for the year, else the registry).
SELECT
    r.*,
    CASE WHEN r.mean_score = 0 AND r.participant_count > 0
         THEN concat_ws(' / ', r.school_id, r.exam_year, r.exam, r.grade, r.subject) END
        AS zero_mean_with_participants,
    CASE WHEN r.participant_count > coalesce(c.student_count, s.student_count)
         THEN concat_ws(' / ', r.school_id, r.exam_year, r.exam, r.grade, r.subject,
                        'участников ' || r.participant_count,
                        'обучающихся ' || coalesce(c.student_count, s.student_count)) END
        AS above_enrolment
FROM marts.fct_school_procedure_results AS r
LEFT JOIN staging.stg_context__schools AS c USING (school_id, exam_year)
LEFT JOIN marts.dim_schools AS s USING (school_id)
