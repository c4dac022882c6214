-- ВПР «Сравнение отметок с отметками по журналу» (docs/data-contract.md), typed: shares of
-- participants whose ВПР mark was below (понизили), equal to (подтвердили) or above
-- (повысили) their journal mark, and counts where the participants are given. row_kind tells
-- schools (a code, or a school's name alone: matched by the name map in its municipality, its
-- own cell or the municipality row heading it) from the aggregates among them (macros
-- summary_row_kind, summary_rows_placed). Grain: one row per raw row.
WITH typed AS (
    SELECT
        coalesce(codes.school_id, clean_code(j.school_code), names.school_id) AS school_id,
        clean_text(j.school_name) AS school_name,
        j.placed_municipality AS municipality_name,
        coalesce(try_cast(j.title_year AS INTEGER), folder_year(j._source_file)) AS exam_year,
        try_cast(j.title_grade AS INTEGER) AS grade,
        coalesce(subjects.subject, 'unknown') AS subject,
        parse_integer(j.participant_count) AS participant_count,
        parse_share(j.lowered_percent) AS lowered_percent,
        parse_share(j.confirmed_percent) AS confirmed_percent,
        parse_share(j.raised_percent) AS raised_percent,
        j.row_kind,
        j._source_file,
        j._sheet,
        j._row
    FROM summary_rows_placed('raw.vpr_journal_comparison') AS j
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = j.title_subject
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(j.school_code)
    LEFT JOIN staging.stg_school_name_map AS names
        ON clean_code(j.school_code) IS NULL
        AND names.municipality_name IS NOT DISTINCT FROM j.placed_municipality
        AND names.school_name = clean_text(j.school_name)
    -- a subject no alias knows is left out (reported per file by map_subjects)
    WHERE subjects.is_known IS DISTINCT FROM false
)

SELECT
    *,
    round(participant_count * lowered_percent / 100)::INTEGER AS lowered_count,
    round(participant_count * confirmed_percent / 100)::INTEGER AS confirmed_count,
    round(participant_count * raised_percent / 100)::INTEGER AS raised_count
FROM typed
