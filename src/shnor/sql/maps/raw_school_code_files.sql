-- The files that spell each of the given cleaned school codes ($codes), for the warnings about
-- codes matched to the registry (school_identity.identity_problems): one row per file and code.
SELECT DISTINCT _source_file AS source_file, clean_code(school_code) AS school_code
FROM (
    SELECT DISTINCT _source_file, school_code FROM raw.vpr_participants
    UNION SELECT DISTINCT _source_file, school_code FROM raw.exam_participants
    UNION SELECT DISTINCT _source_file, school_code FROM raw.context
    UNION SELECT DISTINCT _source_file, school_code FROM raw.vpr_mark_stats
    UNION SELECT DISTINCT _source_file, school_code FROM raw.vpr_journal_comparison
    UNION SELECT DISTINCT _source_file, school_code FROM raw.context_questionnaire
    UNION SELECT DISTINCT _source_file, school_code FROM raw.fioco_objectivity_list
)
WHERE list_contains($codes::VARCHAR[], clean_code(school_code))
ORDER BY source_file, school_code
