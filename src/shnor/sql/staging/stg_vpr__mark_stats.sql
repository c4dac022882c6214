-- ВПР «Статистика по отметкам» (docs/data-contract.md), typed: mark shares in percent turned into
-- counts (participants × percent / 100, rounded). Subject, grade and year from the title lines
-- (year else the folder's). row_kind tells schools from the aggregates among them — the whole
-- sample («Вся выборка»), the region, a municipality — which are never schools (macro
-- summary_row_kind): a school is a row with a code, or one that names a school by name only,
-- whose school is the name map's by its municipality — its own cell, else the municipality row
-- heading it (macro summary_rows_placed) — and name (registry, alias, else the name's own
-- identity and the review table: docs/data-contract.md §1). Grain: one row per raw row.
WITH typed AS (
    SELECT
        coalesce(codes.school_id, clean_code(m.school_code), names.school_id) AS school_id,
        clean_text(m.school_name) AS school_name,
        m.placed_municipality AS municipality_name,
        coalesce(try_cast(m.title_year AS INTEGER), folder_year(m._source_file)) AS exam_year,
        try_cast(m.title_grade AS INTEGER) AS grade,
        coalesce(subjects.subject, 'unknown') AS subject,
        clean_text(m.title_subject) AS subject_name,
        parse_integer(m.participant_count) AS participant_count,
        parse_share(m.mark_2_percent) AS mark_2_percent,
        parse_share(m.mark_3_percent) AS mark_3_percent,
        parse_share(m.mark_4_percent) AS mark_4_percent,
        parse_share(m.mark_5_percent) AS mark_5_percent,
        m.row_kind,
        m._source_file,
        m._sheet,
        m._row
    FROM summary_rows_placed('raw.vpr_mark_stats') AS m
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = m.title_subject
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(m.school_code)
    LEFT JOIN staging.stg_school_name_map AS names
        ON clean_code(m.school_code) IS NULL
        AND names.municipality_name IS NOT DISTINCT FROM m.placed_municipality
        AND names.school_name = clean_text(m.school_name)
    -- a subject no alias knows is left out (reported per file by map_subjects)
    WHERE subjects.is_known IS DISTINCT FROM false
)

SELECT
    *,
    round(participant_count * mark_2_percent / 100)::INTEGER AS mark_2_count,
    round(participant_count * mark_3_percent / 100)::INTEGER AS mark_3_count,
    round(participant_count * mark_4_percent / 100)::INTEGER AS mark_4_count,
    round(participant_count * mark_5_percent / 100)::INTEGER AS mark_5_count
FROM typed
