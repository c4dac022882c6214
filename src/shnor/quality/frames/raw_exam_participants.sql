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
-- Each distinct spelling of a checked cell typed once and joined back (a missing cell types as
-- missing): a region's year has hundreds of thousands of rows and a few hundred spellings, and
-- typing every row (the regular expressions of is_absent_mark, clean_text and parse_date) cost
-- more than the rest of this check.
checked_rows AS (
    SELECT e.mark, e.test_score, e.primary_score, e.exam_date, e.stage
    FROM raw.exam_participants AS e
    WHERE e._source_file IN (SELECT source_file FROM checked_files)
),
marks AS (
    SELECT
        cell,
        CASE WHEN is_absent_mark(cell) THEN NULL ELSE parse_number(cell) END AS mark,
        CASE WHEN NOT is_absent_mark(cell) AND parse_number(cell) IS NULL THEN cell END
            AS mark_text
    FROM (SELECT DISTINCT mark AS cell FROM checked_rows WHERE mark IS NOT NULL)
),
test_scores AS (
    SELECT
        cell,
        parse_number(cell) AS test_score,
        CASE WHEN NOT is_absent_mark(cell) AND parse_number(cell) IS NULL THEN cell END
            AS test_score_text
    FROM (SELECT DISTINCT test_score AS cell FROM checked_rows WHERE test_score IS NOT NULL)
),
primary_scores AS (
    SELECT
        cell,
        parse_number(cell) AS primary_score,
        CASE WHEN NOT is_absent_mark(cell) AND parse_number(cell) IS NULL
              AND lower(clean_text(cell)) NOT IN ('x', 'х', '-')
             THEN cell END AS primary_score_text
    FROM (SELECT DISTINCT primary_score AS cell FROM checked_rows WHERE primary_score IS NOT NULL)
),
exam_dates AS (
    SELECT
        cell,
        CASE WHEN clean_text(cell) IS NOT NULL AND parse_date(cell) IS NULL THEN cell END
            AS exam_date_text,
        year(parse_date(cell)) AS exam_date_year
    FROM (SELECT DISTINCT exam_date AS cell FROM checked_rows WHERE exam_date IS NOT NULL)
),
stages AS (
    SELECT cell, exam_stage(cell) = 'other' AS is_other
    FROM (SELECT DISTINCT stage AS cell FROM checked_rows WHERE stage IS NOT NULL)
)
SELECT
    e._source_file,
    e._sheet,
    e._row,
    folder_name(e._source_file) AS exam,
    folder_year(e._source_file) AS exam_year,
    m.mark,
    m.mark_text,
    t.test_score,
    t.test_score_text,
    p.primary_score,
    p.primary_score_text,
    d.exam_date_text,
    -- a mock exam's file (mock/) is all one «period»: its «репетиционный» is not a stage to check
    CASE WHEN s.is_other AND folder_name(e._source_file) <> 'mock' THEN e.stage END AS stage_text,
    d.exam_date_year,
    c.content_exam,
    CASE WHEN r.first_row IS NOT NULL
         THEN e._source_file || coalesce(', лист «' || r.first_sheet || '»', '') || ', строка '
             || r.first_row END AS duplicate_of
FROM raw.exam_participants AS e
LEFT JOIN marks AS m ON m.cell = e.mark
LEFT JOIN test_scores AS t ON t.cell = e.test_score
LEFT JOIN primary_scores AS p ON p.cell = e.primary_score
LEFT JOIN exam_dates AS d ON d.cell = e.exam_date
LEFT JOIN stages AS s ON s.cell = e.stage
-- the same participant earlier in the same file (in two files: settled at build time)
LEFT JOIN participant_repeats('candidates') AS r
    ON r._source_file = e._source_file AND r._sheet IS NOT DISTINCT FROM e._sheet
    AND r._row = e._row
LEFT JOIN file_content AS c
    ON c._source_file = e._source_file AND c.first_row = e._row
    AND c.first_sheet IS NOT DISTINCT FROM e._sheet
WHERE e._source_file IN (SELECT source_file FROM checked_files)
