-- The ВПР «Сравнение отметок с отметками по журналу» rows of the files being checked
-- ($files), typed for the suite expectations/raw_vpr_journal_comparison.json: the
-- participant count (optional) and the three shares (lowered, confirmed, raised) as numbers
-- (text kept where they are not), and the file that already holds the same school's grade and
-- subject for the year, and the earlier row of the same file giving that school again
-- (repeats_row when its numbers differ, same_as_row when they do not). Aggregate rows (no
-- school code) are checked for their values, never as repeats. Earlier = loaded by an earlier run, then path order.
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
candidates AS (
    SELECT
        j._source_file,
        j._sheet,
        j._row,
        CASE WHEN f.status = 'loaded' THEN 0 ELSE 1 END AS file_rank,
        coalesce(try_cast(j.title_year AS INTEGER), folder_year(j._source_file)) AS exam_year,
        k.school_id,
        trim(j.title_grade) AS grade_key,
        lower(clean_text(j.title_subject)) AS subject_key,
        -- the row's numbers, to tell a repeated row from a contradicting one
        [parse_number(j.participant_count), parse_share(j.lowered_percent), parse_share(j.confirmed_percent), parse_share(j.raised_percent)] AS numbers
    FROM raw.vpr_journal_comparison AS j
    JOIN raw._files AS f ON f.source_file = j._source_file
    JOIN school_of_codes('raw.vpr_journal_comparison') AS k ON k.school_code = j.school_code
    WHERE (f.status = 'loaded' OR f.source_file IN (SELECT source_file FROM checked_files))
      AND k.school_id IS NOT NULL
),
procedure_files AS (
    SELECT exam_year, school_id, grade_key, subject_key, _source_file,
           min(file_rank) AS file_rank, arg_min(_sheet, _row) AS first_sheet,
           min(_row) AS first_row
    FROM candidates
    GROUP BY ALL
),
in_file_repeats AS (
    -- A school given again in the same file (same year, grade and subject): where it was
    -- first given there, and whether the numbers differ from that row.
    SELECT _source_file, _sheet, _row, first_seen, numbers IS DISTINCT FROM first_numbers AS differs
    FROM (
        SELECT c._source_file, c._sheet, c._row, c.numbers,
               first_value(coalesce(c._sheet || ', ', '') || 'строка ' || c._row) OVER w
                   AS first_seen,
               first_value(c.numbers) OVER w AS first_numbers,
               row_number() OVER w AS nth
        FROM candidates AS c
        SEMI JOIN (
            SELECT _source_file, exam_year, school_id, grade_key, subject_key
            FROM candidates
            WHERE _source_file IN (SELECT source_file FROM checked_files)
            GROUP BY ALL
            HAVING count(*) > 1
        ) AS twice USING (_source_file, exam_year, school_id, grade_key, subject_key)
        WINDOW w AS (
            PARTITION BY c._source_file, c.exam_year, c.school_id, c.grade_key, c.subject_key
            ORDER BY c._sheet, c._row)
    )
    WHERE nth > 1
),
repeats AS (
    SELECT _source_file, first_sheet, first_row,
           first_value(_source_file) OVER (
               PARTITION BY exam_year, school_id, grade_key, subject_key
               ORDER BY file_rank, _source_file) AS repeats_file
    FROM procedure_files
    QUALIFY repeats_file <> _source_file
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
    r.repeats_file,
    CASE WHEN i.differs THEN i.first_seen END AS repeats_row,
    CASE WHEN NOT i.differs THEN i.first_seen END AS same_as_row
FROM raw.vpr_journal_comparison AS j
LEFT JOIN repeats AS r
    ON r._source_file = j._source_file AND r.first_sheet IS NOT DISTINCT FROM j._sheet
    AND r.first_row = j._row
LEFT JOIN in_file_repeats AS i
    ON i._source_file = j._source_file AND i._sheet IS NOT DISTINCT FROM j._sheet
    AND i._row = j._row
WHERE j._source_file IN (SELECT source_file FROM checked_files)
