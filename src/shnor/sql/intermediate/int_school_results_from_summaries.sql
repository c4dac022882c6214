-- School summaries as procedure results: the ЕГЭ summary workbook (exam 'ege', grade 11) and
-- ВПР «Статистика по отметкам» school rows (fail = mark «2», high = the preset's high marks,
-- mean = mean mark). Rows whose participants or fails are unreadable are left out (reported).
-- A school given on several rows for its profiles (Профиль) is their sum (mean weighted by
-- participants; unknown if any part is); a school-year-procedure given twice in one file for
-- the same profile keeps its first row (sheet, row order; reported). Given by two files: as
-- int_ege_summary_file_rows and int_vpr_summary_file_rows settle it (once where they agree;
-- where they disagree, the file an analyst named authoritative, else none), whatever the files'
-- names or order.
-- Grain: school_id × exam_year × exam × grade × subject.
WITH ege_profiles AS (
    SELECT * FROM intermediate.int_ege_summary_file_rows WHERE is_counted
),

summaries AS (
    SELECT
        school_id, exam_year, 'ege' AS exam, 11 AS grade, subject,
        sum(participant_count) AS participant_count,
        sum(fail_count) AS fail_count,
        CASE WHEN count(high_count) = count(*) THEN sum(high_count) END AS high_count,
        CASE WHEN count(mean_score) = count(*)
            THEN sum(mean_score * participant_count) / sum(participant_count) END AS mean_score,
        'ege_summary' AS source,
        min(_source_file) AS _source_file,
        min(_sheet) AS _sheet,
        min(_row) AS _row
    FROM ege_profiles
    GROUP BY school_id, exam_year, subject
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
    FROM staging.stg_vpr__mark_stats AS m
    SEMI JOIN intermediate.int_vpr_summary_file_rows AS c
        ON c.summary = 'mark_stats' AND c.is_counted AND c._source_file = m._source_file
        AND c._sheet IS NOT DISTINCT FROM m._sheet AND c._row = m._row
    WHERE row_kind = 'school' AND participant_count > 0 AND mark_2_count IS NOT NULL
        AND grade IS NOT NULL AND exam_year IS NOT NULL
)

SELECT *
FROM summaries
QUALIFY row_number() OVER (
    PARTITION BY school_id, exam_year, exam, grade, subject ORDER BY _source_file, _sheet, _row
) = 1
