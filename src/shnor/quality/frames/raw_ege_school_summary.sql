-- The ЕГЭ school summary rows (school × subject of a sheet) of the files being checked
-- ($files), typed for the suite expectations/raw_ege_school_summary.json: the participant and
-- below-threshold counts as numbers (a blank count is 0; text kept where it is not a whole
-- number), and the file that already holds the same school's subject and profile for the year.
-- There are no school codes: a school is its municipality and name as written. A sheet of
-- another year than its folder's yields to the file of that year's folder (staging), so rows of
-- the year's own folder and rows from other folders are compared only among themselves. Junk in
-- the 100-scorers or the mean is reported by the build (summary_unreadable_value), not here.
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
candidates AS (
    SELECT
        s._source_file,
        s._sheet,
        s._row,
        CASE WHEN f.status = 'loaded' THEN 0 ELSE 1 END AS file_rank,
        coalesce(try_cast(s.sheet_year AS INTEGER), folder_year(s._source_file)) AS exam_year,
        coalesce(try_cast(s.sheet_year AS INTEGER), folder_year(s._source_file))
            IS NOT DISTINCT FROM folder_year(s._source_file) AS is_own_folder,
        coalesce(lower(clean_text(s.municipality_name)), '') AS municipality_key,
        lower(clean_text(s.school_name)) AS school_key,
        lower(clean_text(s.subject)) AS subject_key,
        coalesce(lower(clean_text(s.profile)), '') AS profile_key
    FROM raw.ege_school_summary AS s
    JOIN raw._files AS f ON f.source_file = s._source_file
    WHERE (f.status = 'loaded' OR f.source_file IN (SELECT source_file FROM checked_files))
      AND clean_text(s.subject) IS NOT NULL AND clean_text(s.school_name) IS NOT NULL
),
procedure_files AS (
    SELECT exam_year, is_own_folder, municipality_key, school_key, subject_key, profile_key,
           _source_file, min(file_rank) AS file_rank, arg_min(_sheet, _row) AS first_sheet,
           min(_row) AS first_row
    FROM candidates
    GROUP BY ALL
),
repeats AS (
    -- one line per school row of the later file (its subjects share the row)
    SELECT _source_file, first_sheet, first_row, min(repeats_file) AS repeats_file
    FROM (
        SELECT _source_file, first_sheet, first_row,
               first_value(_source_file) OVER (
                   PARTITION BY exam_year, is_own_folder, municipality_key, school_key,
                                subject_key, profile_key
                   ORDER BY file_rank, _source_file) AS repeats_file
        FROM procedure_files
        QUALIFY repeats_file <> _source_file
    )
    GROUP BY ALL
)
SELECT
    s._source_file,
    s._sheet,
    s._row,
    coalesce(parse_number(s.participant_count),
             CASE WHEN clean_text(s.participant_count) IS NULL THEN 0 END) AS participant_count,
    CASE WHEN clean_text(s.participant_count) IS NOT NULL
          AND parse_integer(s.participant_count) IS NULL
         THEN concat_ws(': ', s.subject, s.participant_count) END AS participant_count_text,
    coalesce(parse_number(s.fail_count),
             CASE WHEN clean_text(s.fail_count) IS NULL THEN 0 END) AS fail_count,
    CASE WHEN clean_text(s.fail_count) IS NOT NULL AND parse_integer(s.fail_count) IS NULL
         THEN concat_ws(': ', s.subject, s.fail_count) END AS fail_count_text,
    -- named once per school row, on its first subject
    CASE WHEN row_number() OVER (PARTITION BY s._source_file, s._sheet, s._row) = 1
         THEN r.repeats_file END AS repeats_file
FROM raw.ege_school_summary AS s
LEFT JOIN repeats AS r
    ON r._source_file = s._source_file AND r.first_sheet IS NOT DISTINCT FROM s._sheet
    AND r.first_row = s._row
WHERE s._source_file IN (SELECT source_file FROM checked_files)
