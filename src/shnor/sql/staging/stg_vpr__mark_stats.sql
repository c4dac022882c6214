-- ВПР «Статистика по отметкам» (docs/data-contract.md), typed: mark shares in percent turned into
-- counts (participants × percent / 100, rounded). Subject, grade and year from the title lines
-- (year else the folder's). Rows without a school code are aggregates — the whole sample
-- («Вся выборка»), the region, a municipality — told apart by row_kind and never schools.
-- Grain: one row per raw row.
WITH typed AS (
    SELECT
        coalesce(codes.school_id, clean_code(m.school_code)) AS school_id,
        clean_text(m.school_name) AS school_name,
        clean_text(m.municipality_name) AS municipality_name,
        coalesce(try_cast(m.title_year AS INTEGER), folder_year(m._source_file)) AS exam_year,
        try_cast(m.title_grade AS INTEGER) AS grade,
        coalesce(subjects.subject, 'unknown') AS subject,
        clean_text(m.title_subject) AS subject_name,
        parse_integer(m.participant_count) AS participant_count,
        parse_share(m.mark_2_percent) AS mark_2_percent,
        parse_share(m.mark_3_percent) AS mark_3_percent,
        parse_share(m.mark_4_percent) AS mark_4_percent,
        parse_share(m.mark_5_percent) AS mark_5_percent,
        CASE
            WHEN clean_code(m.school_code) IS NOT NULL
                AND NOT regexp_matches(lower(coalesce(m.school_name, '')), 'вся выборка')
                THEN 'school'
            WHEN regexp_matches(lower(coalesce(m.school_name, m.municipality_name, '')),
                '(вся выборка|росси)') THEN 'sample'
            WHEN clean_text(m.municipality_name) IS NOT NULL
                AND clean_text(m.school_name) IS NULL THEN 'municipality'
            WHEN regexp_matches(lower(coalesce(m.school_name, '')),
                '(район|округ|^г\.|город)') THEN 'municipality'
            ELSE 'region'
        END AS row_kind,
        m._source_file,
        m._sheet,
        m._row
    FROM raw.vpr_mark_stats AS m
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = m.title_subject
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(m.school_code)
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
