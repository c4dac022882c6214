-- incremental: school_id
-- Students at risk of failing («группа профилактики учебной неуспешности», docs/methodology.md):
-- a «2» in at least $prevention_min_failed_subjects ВПР subjects, or a «2» in a subject whose
-- journal mark is at most $prevention_journal_mark_at_most. Students are followed across
-- subjects by their participant code within school, year and grade.
-- Grain: school_id × exam_year × grade × participant_id (present students with a code).
WITH subject_bits AS (
    -- each ВПР subject of the data one bit (a closed list of well under 127 subjects), so that
    -- one grouping by student counts distinct subjects: a repeated row of one subject sets the
    -- same bit, still one subject
    SELECT subject, 1::HUGEINT << (row_number() OVER (ORDER BY subject) - 1)::HUGEINT AS bit
    FROM (SELECT DISTINCT subject FROM staging.stg_vpr__participants)
),

subject_sets AS (
    SELECT
        school_id,
        exam_year,
        grade,
        participant_id,
        any_value(class_label) AS class_label,
        bit_or(bit) AS sat,
        coalesce(bit_or(bit) FILTER (WHERE mark = 2), 0) AS failed,
        coalesce(
            bit_or(bit) FILTER (WHERE mark = 2 AND journal_mark <= $prevention_journal_mark_at_most),
            0
        ) AS failed_with_low_journal
    FROM staging.stg_vpr__participants
    JOIN subject_bits USING (subject)
    SEMI JOIN (
        SELECT _source_file, procedure_key
        FROM intermediate.int_participant_file_procedures
        WHERE is_counted
    ) AS counted USING (_source_file, procedure_key)
    WHERE NOT is_absent AND mark IS NOT NULL AND participant_id IS NOT NULL
        AND school_id IS NOT NULL AND exam_year IS NOT NULL AND grade IS NOT NULL
    GROUP BY school_id, exam_year, grade, participant_id
)

SELECT
    school_id,
    exam_year,
    grade,
    participant_id,
    class_label,
    bit_count(sat)::BIGINT AS subject_count,
    bit_count(failed)::BIGINT AS failed_subject_count,
    bit_count(failed_with_low_journal)::BIGINT AS failed_with_low_journal_count,
    bit_count(failed) >= $prevention_min_failed_subjects OR failed_with_low_journal <> 0
        AS is_at_risk
FROM subject_sets
