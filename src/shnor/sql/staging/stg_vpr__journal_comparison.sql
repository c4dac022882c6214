-- ВПР «Сравнение отметок с отметками по журналу» (docs/data-contract.md), typed: shares of
-- participants whose ВПР mark was below (понизили), equal to (подтвердили) or above
-- (повысили) their journal mark, and counts where the participants are given. row_kind tells
-- schools (a code, or a school's name alone: matched by the name map in its municipality, its
-- own cell or the municipality row heading it) from the aggregates among them (macros
-- summary_row_kind, summary_rows_identified). Grain: one row per raw row.
WITH typed AS (
    SELECT
        school_id,
        clean_text(school_name) AS school_name,
        placed_municipality AS municipality_name,
        exam_year,
        grade,
        subject,
        parse_integer(participant_count) AS participant_count,
        parse_share(lowered_percent) AS lowered_percent,
        parse_share(confirmed_percent) AS confirmed_percent,
        parse_share(raised_percent) AS raised_percent,
        row_kind,
        _source_file,
        _sheet,
        _row
    -- a subject no alias knows is left out (reported per file by map_subjects)
    FROM summary_rows_identified('raw.vpr_journal_comparison')
)

SELECT
    *,
    round(participant_count * lowered_percent / 100)::INTEGER AS lowered_count,
    round(participant_count * confirmed_percent / 100)::INTEGER AS confirmed_count,
    round(participant_count * raised_percent / 100)::INTEGER AS raised_count
FROM typed
