-- School summaries as procedure results: the ЕГЭ summary workbook (exam 'ege', grade 11) and
-- ВПР «Статистика по отметкам» school rows (fail = mark «2», high = the preset's high marks,
-- mean = mean mark). Rows whose participants or fails are unreadable are left out (reported).
-- A school-year-procedure given twice keeps its first row (file, sheet, row order).
-- Grain: school_id × exam_year × exam × grade × subject.
WITH summaries AS (
    SELECT
        school_id, exam_year, 'ege' AS exam, 11 AS grade, subject, participant_count,
        fail_count, high_count, mean_score, 'ege_summary' AS source, _source_file, _sheet, _row
    FROM staging.stg_ege__school_summary
    WHERE subject IS NOT NULL AND participant_count > 0 AND fail_count IS NOT NULL
        AND school_id IS NOT NULL
    UNION ALL
    SELECT
        school_id, exam_year, 'vpr' AS exam, grade, subject, participant_count,
        mark_2_count AS fail_count,
        CASE WHEN list_contains($high_marks, 3) THEN mark_3_count ELSE 0 END
        + CASE WHEN list_contains($high_marks, 4) THEN mark_4_count ELSE 0 END
        + CASE WHEN list_contains($high_marks, 5) THEN mark_5_count ELSE 0 END AS high_count,
        (2 * mark_2_percent + 3 * mark_3_percent + 4 * mark_4_percent + 5 * mark_5_percent)
        / nullif(mark_2_percent + mark_3_percent + mark_4_percent + mark_5_percent, 0)
            AS mean_score,
        'vpr_mark_stats' AS source, _source_file, _sheet, _row
    FROM staging.stg_vpr__mark_stats
    WHERE row_kind = 'school' AND participant_count > 0 AND mark_2_count IS NOT NULL
        AND grade IS NOT NULL AND exam_year IS NOT NULL
)

SELECT *
FROM summaries
QUALIFY row_number() OVER (
    PARTITION BY school_id, exam_year, exam, grade, subject ORDER BY _source_file, _sheet, _row
) = 1
