-- The ЕГЭ school summary rows (school × subject of a sheet) of the files being checked
-- ($files), typed for the suite expectations/raw_ege_school_summary.json: the participant and
-- below-threshold counts as numbers (a blank or dashed count is 0; text kept where it is not a whole
-- number). A school given by two files is settled at build time, whatever the files' names or
-- order (int_school_results_from_summaries). Junk in the 100-scorers or the mean is reported by
-- the build (summary_unreadable_value), not here.
SELECT
    s._source_file,
    s._sheet,
    s._row,
    coalesce(parse_number(s.participant_count),
             CASE WHEN count_text(s.participant_count) IS NULL THEN 0 END) AS participant_count,
    CASE WHEN count_text(s.participant_count) IS NOT NULL
          AND parse_integer(s.participant_count) IS NULL
         THEN concat_ws(': ', s.subject, s.participant_count) END AS participant_count_text,
    coalesce(parse_number(s.fail_count),
             CASE WHEN count_text(s.fail_count) IS NULL THEN 0 END) AS fail_count,
    CASE WHEN count_text(s.fail_count) IS NOT NULL AND parse_integer(s.fail_count) IS NULL
         THEN concat_ws(': ', s.subject, s.fail_count) END AS fail_count_text
FROM raw.ege_school_summary AS s
WHERE list_contains($files::VARCHAR[], s._source_file)
