-- Every subject name the raw tables write: what the subject map maps (stages.ingest.map_subjects).
SELECT DISTINCT subject AS raw_subject FROM raw.vpr_participants WHERE subject IS NOT NULL
UNION SELECT DISTINCT subject FROM raw.exam_participants WHERE subject IS NOT NULL
UNION SELECT DISTINCT subject FROM raw.ege_school_summary WHERE subject IS NOT NULL
UNION SELECT DISTINCT title_subject FROM raw.vpr_mark_stats WHERE title_subject IS NOT NULL
UNION SELECT DISTINCT title_subject FROM raw.vpr_journal_comparison
    WHERE title_subject IS NOT NULL
UNION SELECT DISTINCT subject FROM raw.fioco_objectivity_list WHERE subject IS NOT NULL
