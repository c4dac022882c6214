-- incremental: exam_year
-- ВПР results per class, next to the rest of the school and the region (docs/methodology.md, support
-- for teachers). Grain: school_id × exam_year × grade × subject × class_label.
WITH counted_procedures AS (
    -- the files' school-procedures that count (issue 18: conflicting files count for none)
    SELECT _source_file, procedure_key
    FROM intermediate.int_participant_file_procedures
    WHERE is_counted
),

classes AS (
    SELECT
        school_id, exam_year, grade, subject, class_label,
        count(*) AS participant_count,
        count(*) FILTER (WHERE mark = 2) AS fail_count
    FROM staging.stg_vpr__participants
    SEMI JOIN counted_procedures USING (_source_file, procedure_key)
    WHERE NOT is_absent AND mark IS NOT NULL AND class_label IS NOT NULL
        AND school_id IS NOT NULL AND exam_year IS NOT NULL AND grade IS NOT NULL
    GROUP BY ALL
)

SELECT
    *,
    sum(participant_count) OVER school_procedure - participant_count
        AS other_classes_participant_count,
    sum(fail_count) OVER school_procedure - fail_count AS other_classes_fail_count,
    sum(participant_count) OVER region_procedure AS region_participant_count,
    sum(fail_count) OVER region_procedure AS region_fail_count
FROM classes
WINDOW
    school_procedure AS (PARTITION BY school_id, exam_year, grade, subject),
    region_procedure AS (PARTITION BY exam_year, grade, subject)
ORDER BY school_id, exam_year, grade, subject, class_label
