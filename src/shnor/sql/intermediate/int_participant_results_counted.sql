-- incremental: school_id
-- Every ВПР/ОГЭ/ЕГЭ participant result with the decision whether it counts for the flags
-- (docs/methodology.md): present, a usable result, main period (early, main or reserve days), and
-- the participant's first attempt at that subject that year. Fail and high per exam rules.
-- Grain: one row per staged participant result, keyed by file, sheet and row (a workbook may
-- give one subject on several sheets, one per class; mock exams excluded: never ШНОР).
WITH counted_procedures AS (
    -- the files' school-procedures that count (issue 18: conflicting files count for none)
    SELECT _source_file, procedure_key
    FROM intermediate.int_participant_file_procedures
    WHERE is_counted
),

vpr AS (
    SELECT
        school_id, exam_year, 'vpr' AS exam, grade, subject, class_label, participant_id,
        _source_file, _sheet, _row,
        NOT is_absent AND mark IS NOT NULL AS is_counted,
        is_absent,
        mark AS score,
        mark = 2 AS is_fail,
        list_contains($high_marks, mark) AS is_high,
        -- an export's row with no scale for its work (or a score outside it) has no mark: not
        -- counted, neither as a participant nor as a fail (scale_status, stg_vpr__participants)
        CASE
            WHEN is_absent THEN 'absent'
            WHEN mark IS NULL AND scale_status IN ('no_scale', 'score_outside_scale')
                THEN scale_status
            WHEN mark IS NULL THEN 'invalid_mark'
        END AS not_counted_reason
    FROM staging.stg_vpr__participants
    SEMI JOIN counted_procedures USING (_source_file, procedure_key)
),

exams AS (
    SELECT
        e.*,
        CASE WHEN e.exam = 'oge' THEN 9 WHEN e.exam = 'ege' THEN 11 END AS grade,
        e.stage IN ('early', 'main', 'reserve') AS is_main_period,
        minimums.min_test_score
    FROM staging.stg_exam__participants AS e
    SEMI JOIN counted_procedures USING (_source_file, procedure_key)
    LEFT JOIN ref.ege_min_scores AS minimums
        ON e.exam = 'ege' AND minimums.exam_year = e.exam_year AND minimums.subject = e.subject
    WHERE e.exam IN ('oge', 'ege')
),

-- Participant ids may be numbered within each school, so the school is part of the key. A
-- participant sitting a subject more than once in the main period is rare: the attempts are
-- ranked only where the key (a 64-bit hash, compared on the key itself below) repeats.
attempts AS (
    SELECT
        *,
        participant_id IS NOT NULL AND is_main_period AS is_ranked,
        hash(exam, exam_year, school_id, subject, participant_id) AS attempt_key
    FROM exams
),

repeated_attempts AS (
    SELECT attempt_key FROM attempts WHERE is_ranked GROUP BY attempt_key HAVING count(*) > 1
),

exams_ranked AS (
    SELECT *, 1 AS attempt_number
    FROM attempts
    ANTI JOIN repeated_attempts USING (attempt_key)
    UNION ALL BY NAME
    SELECT
        *,
        -- Stage before date: a dated reserve-day row never outranks an undated main-day row.
        -- An absentee's row («н/я») never outranks the attempt the participant did sit.
        CASE WHEN NOT is_ranked THEN 1 ELSE row_number() OVER (
            PARTITION BY exam, exam_year, school_id, subject, participant_id, is_ranked
            ORDER BY
                is_absent,
                CASE stage WHEN 'early' THEN 0 WHEN 'main' THEN 1 ELSE 2 END,
                exam_date NULLS LAST, _source_file, _sheet NULLS FIRST, _row
        ) END AS attempt_number
    FROM attempts
    SEMI JOIN repeated_attempts USING (attempt_key)
),

exams_marked AS (
    SELECT
        *,
        -- the mark for ОГЭ and ЕГЭ base maths (and any ЕГЭ row given by a mark alone), the test
        -- score for other ЕГЭ subjects
        exam = 'oge' OR subject = 'math_base' OR (test_score IS NULL AND mark IS NOT NULL)
            AS is_mark_scale
    FROM exams_ranked
),

exams_scored AS (
    SELECT
        school_id, exam_year, exam, grade, subject, NULL AS class_label, participant_id,
        _source_file, _sheet, _row, is_absent,
        CASE WHEN is_mark_scale THEN mark ELSE test_score END AS score,
        CASE
            WHEN is_mark_scale THEN mark = 2
            ELSE test_score < min_test_score
        END AS is_fail,
        CASE
            WHEN is_mark_scale THEN list_contains($high_marks, mark)
            ELSE test_score >= $ege_high_score
        END AS is_high,
        CASE
            WHEN NOT is_main_period THEN 'not_main_period'
            WHEN attempt_number > 1 THEN 'repeat_attempt'
            WHEN is_absent THEN 'absent'
            WHEN is_mark_scale AND mark IS NULL THEN 'invalid_mark'
            WHEN NOT is_mark_scale AND (test_score IS NULL OR test_score NOT BETWEEN 0 AND 100)
                THEN 'invalid_score'
            WHEN NOT is_mark_scale AND min_test_score IS NULL THEN 'unknown_minimum'
        END AS not_counted_reason
    FROM exams_marked
)

SELECT
    school_id, exam_year, exam, grade, subject, class_label, participant_id, _source_file, _sheet,
    _row, is_counted, is_absent, score, coalesce(is_fail, false) AS is_fail,
    coalesce(is_high, false) AS is_high, not_counted_reason
FROM vpr
UNION ALL BY NAME
SELECT
    school_id, exam_year, exam, grade, subject, class_label, participant_id, _source_file, _sheet,
    _row, not_counted_reason IS NULL AS is_counted,
    is_absent AND not_counted_reason = 'absent' AS is_absent, score,
    coalesce(is_fail, false) AS is_fail, coalesce(is_high, false) AS is_high, not_counted_reason
FROM exams_scored
