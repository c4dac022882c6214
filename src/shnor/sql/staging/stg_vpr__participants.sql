-- incremental: _source_file
-- ВПР participant results, typed. Grain: one row per raw row of raw.vpr_participants
-- (absentees and unusable marks kept and labelled, never dropped).
SELECT
    school_of.school_id,
    clean_text(v.municipality_name) AS municipality_name,
    clean_text(v.school_name) AS school_name,
    folder_year(v._source_file) AS exam_year,
    try_cast(regexp_extract(v.class_label, '(\d{1,2})', 1) AS INTEGER) AS grade,
    clean_class(v.class_label) AS class_label,
    coalesce(subjects.subject, 'unknown') AS subject,
    clean_text(v.subject) AS subject_name,
    clean_text(v.participant_id) AS participant_id,
    clean_text(v.variant) AS variant,
    parse_number(v.primary_score) AS primary_score,
    CASE WHEN parse_integer(v.mark) BETWEEN 2 AND 5 THEN parse_integer(v.mark) END AS mark,
    clean_text(v.mark) IS NULL
        OR lower(clean_text(v.mark)) SIMILAR TO '(отсутств|не явил|неявка|н$|абс).*' AS is_absent,
    CASE WHEN parse_integer(v.journal_mark) BETWEEN 1 AND 5
        THEN parse_integer(v.journal_mark) END AS journal_mark,
    v._source_file,
    v._sheet,
    v._row
FROM raw.vpr_participants AS v
LEFT JOIN ref.subject_map AS subjects ON subjects.raw_subject = v.subject
LEFT JOIN school_of_codes('raw.vpr_participants') AS school_of ON school_of.school_code = v.school_code
-- a subject no alias knows is left out (reported per file by map_subjects)
WHERE subjects.is_known IS DISTINCT FROM false
