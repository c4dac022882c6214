-- The ВПР «Сравнение отметок с отметками по журналу» rows of the files being checked
-- ($files), typed for the suite expectations/raw_vpr_journal_comparison.json: the
-- participant count (optional) and the three shares (lowered, confirmed, raised) as numbers
-- (text kept where they are not), and the earlier row of the same file giving the same school's
-- grade and subject again (repeats_row when its numbers differ, same_as_row when they do not;
-- another file giving it is settled at build time, whatever the files' names or order:
-- int_vpr_summary_file_rows). Aggregate rows (macro summary_row_kind) are checked for their
-- values, never as repeats (macro summary_repeats); a school named only by name is a repeat
-- under its name and municipality. Several rows taken for the region's on one sheet are named
-- (region_rows, macro summary_region_rows).
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
named_rows AS (
    SELECT
        j._source_file,
        j._sheet,
        j._row,
        coalesce(try_cast(j.title_year AS INTEGER), folder_year(j._source_file)) AS exam_year,
        -- a school named only by name is its name within its municipality (its own cell, else
        -- the municipality row heading it: macro summary_rows_placed)
        coalesce(k.school_id, CASE WHEN j.row_kind = 'school' THEN 'name|'
            || coalesce(lower(j.placed_municipality), '') || '|'
            || lower(clean_text(j.school_name)) END) AS school_id,
        trim(j.title_grade) AS grade_key,
        lower(clean_text(j.title_subject)) AS subject_key,
        -- the row's numbers, to tell a repeated row from a contradicting one
        [parse_number(j.participant_count), parse_share(j.lowered_percent), parse_share(j.confirmed_percent), parse_share(j.raised_percent)] AS numbers
    FROM summary_rows_placed('raw.vpr_journal_comparison') AS j
    LEFT JOIN school_of_codes('raw.vpr_journal_comparison') AS k ON k.school_code = j.school_code
    WHERE j._source_file IN (SELECT source_file FROM checked_files)
),
candidates AS (
    SELECT * FROM named_rows WHERE school_id IS NOT NULL
)
SELECT
    j._source_file,
    j._sheet,
    j._row,
    parse_number(j.participant_count) AS participant_count,
    CASE WHEN clean_text(j.participant_count) IS NOT NULL
          AND parse_integer(j.participant_count) IS NULL
         THEN j.participant_count END AS participant_count_text,
    parse_share(j.lowered_percent) AS lowered_percent,
    parse_share(j.confirmed_percent) AS confirmed_percent,
    parse_share(j.raised_percent) AS raised_percent,
    -- the first share of the row that is not a number (with its column)
    coalesce(
        CASE WHEN clean_text(j.lowered_percent) IS NOT NULL
              AND parse_share(j.lowered_percent) IS NULL
             THEN 'понизили: ' || j.lowered_percent END,
        CASE WHEN clean_text(j.confirmed_percent) IS NOT NULL
              AND parse_share(j.confirmed_percent) IS NULL
             THEN 'подтвердили: ' || j.confirmed_percent END,
        CASE WHEN clean_text(j.raised_percent) IS NOT NULL
              AND parse_share(j.raised_percent) IS NULL
             THEN 'повысили: ' || j.raised_percent END
    ) AS percent_text,
    r.repeats_row,
    r.same_as_row,
    g.region_rows
FROM raw.vpr_journal_comparison AS j
LEFT JOIN summary_repeats('candidates', $files::VARCHAR[]) AS r
    ON r._source_file = j._source_file AND r._sheet IS NOT DISTINCT FROM j._sheet
    AND r._row = j._row
LEFT JOIN summary_region_rows('raw.vpr_journal_comparison', $files::VARCHAR[]) AS g
    ON g._source_file = j._source_file AND g._sheet IS NOT DISTINCT FROM j._sheet
    AND g._row = j._row
WHERE j._source_file IN (SELECT source_file FROM checked_files)
