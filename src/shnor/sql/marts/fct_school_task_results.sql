-- ВПР results per task (for task-level recommendations): points of participants who sat the
-- work with a usable mark; tasks marked not applicable and non-numbers are not results.
-- max_points: the task's maximum where the file's header gives it («1 (5б)»), else NULL.
-- Grain: school_id × exam_year × grade × subject × task (task as headed in the file: '1', '4.1').
SELECT
    p.school_id,
    p.exam_year,
    p.grade,
    p.subject,
    t.task,
    count(t.points) AS result_count,
    avg(t.points) AS mean_points,
    max(t.points) AS max_points_observed,
    max(t.max_points) AS max_points
FROM staging.stg_vpr__task_points AS t
JOIN staging.stg_vpr__participants AS p
    ON p._source_file = t._source_file AND p._sheet IS NOT DISTINCT FROM t._sheet
    AND p._row = t._row
-- the files' school-procedures that count (issue 18: conflicting files count for none)
SEMI JOIN intermediate.int_participant_file_procedures AS c
    ON c._source_file = p._source_file AND c.procedure_key = p.procedure_key AND c.is_counted
WHERE NOT p.is_absent AND p.mark IS NOT NULL AND p.school_id IS NOT NULL
    AND p.grade IS NOT NULL AND p.exam_year IS NOT NULL AND NOT t.is_not_applicable
    AND t.points IS NOT NULL
GROUP BY ALL
ORDER BY school_id, exam_year, grade, subject, task
