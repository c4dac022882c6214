-- ВПР «Статистика по отметкам» (docs/data-contract.md), typed: mark shares in percent turned into
-- counts (participants × percent / 100, rounded). Subject, grade and year from the title lines
-- (year else the folder's). row_kind tells schools from the aggregates among them — the whole
-- sample («Вся выборка»), the region, a municipality — which are never schools (macro
-- summary_row_kind): a school is a row with a code, or one that names a school by name only,
-- whose school is the name map's by its municipality — its own cell, else the municipality row
-- heading it — and name (registry, alias, else the name's own identity and the review table:
-- docs/data-contract.md §1; macro summary_rows_identified). Grain: one row per raw row.
WITH typed AS (
    SELECT
        school_id,
        clean_text(school_name) AS school_name,
        placed_municipality AS municipality_name,
        exam_year,
        grade,
        subject,
        clean_text(title_subject) AS subject_name,
        parse_integer(participant_count) AS participant_count,
        parse_share(mark_2_percent) AS mark_2_percent,
        parse_share(mark_3_percent) AS mark_3_percent,
        parse_share(mark_4_percent) AS mark_4_percent,
        parse_share(mark_5_percent) AS mark_5_percent,
        row_kind,
        _source_file,
        _sheet,
        _row
    -- a subject no alias knows is left out (reported per file by map_subjects)
    FROM summary_rows_identified('raw.vpr_mark_stats')
)

SELECT
    *,
    round(participant_count * mark_2_percent / 100)::INTEGER AS mark_2_count,
    round(participant_count * mark_3_percent / 100)::INTEGER AS mark_3_count,
    round(participant_count * mark_4_percent / 100)::INTEGER AS mark_4_count,
    round(participant_count * mark_5_percent / 100)::INTEGER AS mark_5_count
FROM typed
