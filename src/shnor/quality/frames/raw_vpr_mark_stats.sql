-- The ВПР «Статистика по отметкам» rows of the files being checked ($files), typed for the
-- suite expectations/raw_vpr_mark_stats.json: the participant count and the four mark shares
-- as numbers (text kept where they are not), and the earlier row of the same file giving the
-- same school's grade and subject again (repeats_row when its numbers differ, same_as_row when
-- they do not; another file giving it is settled at build time, whatever the files' names or
-- order: int_vpr_summary_file_rows). Aggregate rows (no school code: the whole sample, region,
-- municipalities) are checked for their values, never as repeats (macro summary_repeats);
-- a school named only by name is a repeat under its name and municipality. The
-- percent sum is checked on reading (percent_sum). Several rows taken for the region's on one
-- sheet are named (region_rows, macro summary_region_rows).
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
named_rows AS (
    SELECT
        m._source_file,
        m._sheet,
        m._row,
        coalesce(try_cast(m.title_year AS INTEGER), folder_year(m._source_file)) AS exam_year,
        -- a school named only by name is its name within its municipality (its own cell, else
        -- the municipality row heading it: macro summary_rows_placed)
        coalesce(k.school_id, CASE WHEN m.row_kind = 'school' THEN 'name|'
            || coalesce(lower(m.placed_municipality), '') || '|'
            || lower(clean_text(m.school_name)) END) AS school_id,
        trim(m.title_grade) AS grade_key,
        lower(clean_text(m.title_subject)) AS subject_key,
        -- the row's numbers, to tell a repeated row from a contradicting one
        [parse_number(m.participant_count), parse_share(m.mark_2_percent), parse_share(m.mark_3_percent), parse_share(m.mark_4_percent), parse_share(m.mark_5_percent)] AS numbers
    FROM summary_rows_placed('raw.vpr_mark_stats') AS m
    LEFT JOIN school_of_codes('raw.vpr_mark_stats') AS k ON k.school_code = m.school_code
    WHERE m._source_file IN (SELECT source_file FROM checked_files)
),
candidates AS (
    SELECT * FROM named_rows WHERE school_id IS NOT NULL
)
SELECT
    m._source_file,
    m._sheet,
    m._row,
    parse_number(m.participant_count) AS participant_count,
    CASE WHEN clean_text(m.participant_count) IS NOT NULL
          AND parse_integer(m.participant_count) IS NULL
         THEN m.participant_count END AS participant_count_text,
    parse_share(m.mark_2_percent) AS mark_2_percent,
    parse_share(m.mark_3_percent) AS mark_3_percent,
    parse_share(m.mark_4_percent) AS mark_4_percent,
    parse_share(m.mark_5_percent) AS mark_5_percent,
    -- the first share of the row that is not a number (with its column)
    coalesce(
        CASE WHEN clean_text(m.mark_2_percent) IS NOT NULL
              AND parse_share(m.mark_2_percent) IS NULL
             THEN '«2»: ' || m.mark_2_percent END,
        CASE WHEN clean_text(m.mark_3_percent) IS NOT NULL
              AND parse_share(m.mark_3_percent) IS NULL
             THEN '«3»: ' || m.mark_3_percent END,
        CASE WHEN clean_text(m.mark_4_percent) IS NOT NULL
              AND parse_share(m.mark_4_percent) IS NULL
             THEN '«4»: ' || m.mark_4_percent END,
        CASE WHEN clean_text(m.mark_5_percent) IS NOT NULL
              AND parse_share(m.mark_5_percent) IS NULL
             THEN '«5»: ' || m.mark_5_percent END
    ) AS percent_text,
    r.repeats_row,
    r.same_as_row,
    g.region_rows
FROM raw.vpr_mark_stats AS m
LEFT JOIN summary_repeats('candidates', $files::VARCHAR[]) AS r
    ON r._source_file = m._source_file AND r._sheet IS NOT DISTINCT FROM m._sheet
    AND r._row = m._row
LEFT JOIN summary_region_rows('raw.vpr_mark_stats', $files::VARCHAR[]) AS g
    ON g._source_file = m._source_file AND g._sheet IS NOT DISTINCT FROM m._sheet
    AND g._row = m._row
WHERE m._source_file IN (SELECT source_file FROM checked_files)
