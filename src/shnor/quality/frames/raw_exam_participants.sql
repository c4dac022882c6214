-- The ОГЭ/ЕГЭ/mock participant rows of the files being checked ($files), typed for the suite
-- expectations/raw_exam_participants.json, with the facts that need other rows: where the
-- same participant's exam appeared earlier in the same file, the year of the exam date and what
-- the file's content looks like (ОГЭ marks or ЕГЭ scores). A participant or a procedure that two
-- files both give is settled at build time, whatever the files' names or order
-- (int_participant_file_procedures, issue 18).
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
candidates AS (
    SELECT
        e._source_file,
        e._sheet,
        e._row,
        folder_name(e._source_file) AS exam,
        folder_year(e._source_file) AS exam_year,
        -- Keys in a cheap spelling (no regular expressions over every row); the school as
        -- staging will see it.
        k.school_id,
        lower(trim(e.subject)) AS subject_key,
        nullif(trim(e.participant_id), '') AS participant_key,
        lower(coalesce(trim(e.stage), '')) AS stage_key,
        coalesce(trim(e.exam_date), '') AS date_key
    FROM raw.exam_participants AS e
    LEFT JOIN school_of_codes('raw.exam_participants') AS k ON k.school_code = e.school_code
    WHERE e._source_file IN (SELECT source_file FROM checked_files)
),
file_content AS (
    -- ОГЭ gives marks; ЕГЭ gives test scores (a mark only for base maths). One verdict per
    -- file, on its first row.
    SELECT
        e._source_file,
        min(e._row) AS first_row,
        arg_min(e._sheet, e._row) AS first_sheet,
        CASE
            WHEN folder_name(e._source_file) = 'oge' AND count(parse_number(e.mark)) = 0
                 AND count(parse_number(e.test_score)) > 0 THEN 'ege'
            WHEN folder_name(e._source_file) = 'ege' AND count(parse_number(e.test_score)) = 0
                 AND count(parse_number(e.mark)) FILTER (WHERE lower(e.subject) NOT LIKE '%баз%') > 0
                THEN 'oge'
            ELSE folder_name(e._source_file)
        END AS content_exam
    FROM raw.exam_participants AS e
    WHERE e._source_file IN (SELECT source_file FROM checked_files)
      AND folder_name(e._source_file) IN ('oge', 'ege')
    GROUP BY e._source_file
),
typed AS (
    SELECT
        e.*,
        parse_date(e.exam_date) AS exam_day
    FROM raw.exam_participants AS e
    WHERE e._source_file IN (SELECT source_file FROM checked_files)
)
SELECT
    e._source_file,
    e._sheet,
    e._row,
    folder_name(e._source_file) AS exam,
    folder_year(e._source_file) AS exam_year,
    CASE WHEN is_absent_mark(e.mark) THEN NULL ELSE parse_number(e.mark) END AS mark,
    CASE WHEN NOT is_absent_mark(e.mark) AND parse_number(e.mark) IS NULL THEN e.mark END
        AS mark_text,
    parse_number(e.test_score) AS test_score,
    CASE WHEN NOT is_absent_mark(e.test_score) AND parse_number(e.test_score) IS NULL
         THEN e.test_score END AS test_score_text,
    parse_number(e.primary_score) AS primary_score,
    CASE WHEN NOT is_absent_mark(e.primary_score) AND parse_number(e.primary_score) IS NULL
          AND lower(clean_text(e.primary_score)) NOT IN ('x', 'х', '-')
         THEN e.primary_score END AS primary_score_text,
    CASE WHEN clean_text(e.exam_date) IS NOT NULL AND e.exam_day IS NULL
         THEN e.exam_date END AS exam_date_text,
    -- a mock exam's file (mock/) is all one «period»: its «репетиционный» is not a stage to check
    CASE WHEN exam_stage(e.stage) = 'other' AND folder_name(e._source_file) <> 'mock'
         THEN e.stage END AS stage_text,
    year(e.exam_day) AS exam_date_year,
    c.content_exam,
    CASE WHEN d.first_row IS NOT NULL
         THEN e._source_file || coalesce(', лист «' || d.first_sheet || '»', '') || ', строка '
             || d.first_row END AS duplicate_of
FROM typed AS e
-- the same participant earlier in the same file (in two files: settled at build time)
LEFT JOIN participant_repeats('candidates') AS d
    ON d._source_file = e._source_file AND d._sheet IS NOT DISTINCT FROM e._sheet
    AND d._row = e._row
LEFT JOIN file_content AS c
    ON c._source_file = e._source_file AND c.first_row = e._row
    AND c.first_sheet IS NOT DISTINCT FROM e._sheet
