-- Every school code the coded raw tables spell, cleaned: what the school code map maps
-- (school_matching.update_school_code_map). One row per cleaned code; a blank code is one NULL
-- row, skipped by the caller (a filter here would be pushed down to every raw row, cleaning each
-- spelling once per row instead of once).
SELECT DISTINCT clean_code(school_code) AS school_code
FROM (
    SELECT DISTINCT school_code FROM raw.vpr_participants
    UNION SELECT DISTINCT school_code FROM raw.exam_participants
    UNION SELECT DISTINCT school_code FROM raw.context
    UNION SELECT DISTINCT school_code FROM raw.vpr_mark_stats
    UNION SELECT DISTINCT school_code FROM raw.vpr_journal_comparison
    UNION SELECT DISTINCT school_code FROM raw.context_questionnaire
    UNION SELECT DISTINCT school_code FROM raw.fioco_objectivity_list
)
ORDER BY school_code
