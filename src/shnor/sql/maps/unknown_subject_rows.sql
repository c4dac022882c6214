-- The rows whose subject name no alias knows ($names), per raw table, file and name: the first
-- sheet and row and how many rows (the `unknown_subject` warnings of stages.ingest.map_subjects).
WITH named AS (
    SELECT 'vpr_participants' AS raw_table, _source_file, subject AS raw_subject, _sheet, _row
    FROM raw.vpr_participants
    UNION ALL SELECT 'exam_participants', _source_file, subject, _sheet, _row
    FROM raw.exam_participants
    UNION ALL SELECT 'ege_school_summary', _source_file, subject, _sheet, _row
    FROM raw.ege_school_summary
    UNION ALL SELECT 'vpr_mark_stats', _source_file, title_subject, _sheet, _row
    FROM raw.vpr_mark_stats
    UNION ALL SELECT 'vpr_journal_comparison', _source_file, title_subject, _sheet, _row
    FROM raw.vpr_journal_comparison
    UNION ALL SELECT 'fioco_objectivity_list', _source_file, subject, _sheet, _row
    FROM raw.fioco_objectivity_list
)
SELECT raw_table, _source_file, raw_subject, arg_min(_sheet, _row) AS sheet, min(_row) AS "row",
       count(*) AS row_count
FROM named
WHERE list_contains($names, raw_subject)
GROUP BY ALL
ORDER BY ALL
