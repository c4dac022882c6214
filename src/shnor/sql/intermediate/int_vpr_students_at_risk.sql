-- incremental: school_id
-- Students at risk of failing («группа профилактики учебной неуспешности», docs/methodology.md):
-- a «2» in at least $prevention_min_failed_subjects ВПР subjects, or a «2» in a subject whose
-- journal mark is at most $prevention_journal_mark_at_most. Students are followed across
-- subjects by their participant code within school, year and grade.
-- Grain: school_id × exam_year × grade × participant_id (present students with a code).
WITH subjects AS (
    -- one row per student and subject: a repeated row of one subject is still one subject
    SELECT
        school_id,
        exam_year,
        grade,
        participant_id,
        any_value(class_label) AS class_label,
        bool_or(mark = 2) AS failed,
        bool_or(mark = 2 AND journal_mark <= $prevention_journal_mark_at_most)
            AS failed_with_low_journal
    FROM staging.stg_vpr__participants
    SEMI JOIN (
        SELECT _source_file, procedure_key
        FROM intermediate.int_participant_file_procedures
        WHERE is_counted
    ) AS counted USING (_source_file, procedure_key)
    WHERE NOT is_absent AND mark IS NOT NULL AND participant_id IS NOT NULL
        AND school_id IS NOT NULL AND exam_year IS NOT NULL AND grade IS NOT NULL
    GROUP BY school_id, exam_year, grade, participant_id, subject
)
SELECT
    school_id,
    exam_year,
    grade,
    participant_id,
    any_value(class_label) AS class_label,
    count(*) AS subject_count,
    count(*) FILTER (WHERE failed) AS failed_subject_count,
    count(*) FILTER (WHERE failed_with_low_journal) AS failed_with_low_journal_count,
    count(*) FILTER (WHERE failed) >= $prevention_min_failed_subjects
        OR count(*) FILTER (WHERE failed_with_low_journal) > 0
        AS is_at_risk
FROM subjects
GROUP BY ALL
