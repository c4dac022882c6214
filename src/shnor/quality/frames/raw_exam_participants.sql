-- The ОГЭ/ЕГЭ/mock participant rows of the files being checked ($files), typed for the suite
-- expectations/raw_exam_participants.json, with the facts that need other rows: where the
-- same participant's exam first appeared, which file already holds the same procedure, the
-- year of the exam date and what the file's content looks like (ОГЭ marks or ЕГЭ scores).
-- Earlier = loaded by an earlier run, then path order; repeats found by grouping.
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
candidates AS (
    SELECT
        e._source_file,
        e._row,
        CASE WHEN f.status = 'loaded' THEN 0 ELSE 1 END AS file_rank,
        folder_name(e._source_file) AS exam,
        folder_year(e._source_file) AS exam_year,
        -- Keys in a cheap spelling (no regular expressions over every row); the school as
        -- staging will see it.
        k.school_id,
        lower(trim(e.subject)) AS subject_key,
        nullif(trim(e.participant_id), '') AS participant_key,
        coalesce(upper(replace(replace(e.class_label, ' ', ''), '-', '')), '') AS class_key,
        lower(coalesce(trim(e.stage), '')) AS stage_key,
        coalesce(trim(e.exam_date), '') AS date_key
    FROM raw.exam_participants AS e
    JOIN raw._files AS f ON f.source_file = e._source_file
    LEFT JOIN school_of_codes('raw.exam_participants') AS k ON k.school_code = e.school_code
    WHERE f.status = 'loaded' OR f.source_file IN (SELECT source_file FROM checked_files)
),
repeated_participants AS (
    SELECT exam, exam_year, school_id, subject_key, participant_key, stage_key, date_key
    FROM candidates
    WHERE participant_key IS NOT NULL
    GROUP BY ALL
    HAVING count(*) > 1
),
duplicates AS (
    SELECT _source_file, _row, first_seen AS duplicate_of
    FROM (
        SELECT c._source_file, c._row, first_value(c._source_file || ', строка ' || c._row) OVER (
            PARTITION BY c.exam, c.exam_year, c.school_id, c.subject_key, c.participant_key,
                         c.stage_key, c.date_key
            ORDER BY c.file_rank, c._source_file, c._row) AS first_seen
        FROM candidates AS c
        SEMI JOIN repeated_participants AS p
            USING (exam, exam_year, school_id, subject_key, participant_key, stage_key, date_key)
    )
    WHERE first_seen <> _source_file || ', строка ' || _row
),
procedure_files AS (
    SELECT exam, exam_year, school_id, class_key, subject_key, stage_key, date_key, _source_file,
           min(file_rank) AS file_rank, min(_row) AS first_row
    FROM candidates
    GROUP BY ALL
),
repeats AS (
    SELECT _source_file, first_row,
           first_value(_source_file) OVER (
               PARTITION BY exam, exam_year, school_id, class_key, subject_key, stage_key, date_key
               ORDER BY file_rank, _source_file) AS repeats_file
    FROM procedure_files
    QUALIFY repeats_file <> _source_file
),
file_content AS (
    -- ОГЭ gives marks; ЕГЭ gives test scores (a mark only for base maths). One verdict per
    -- file, on its first row.
    SELECT
        e._source_file,
        min(e._row) AS first_row,
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
        coalesce(
            try_strptime(clean_text(e.exam_date), ['%Y-%m-%d', '%d.%m.%Y', '%Y-%m-%d %H:%M:%S'])::DATE,
            try_cast(clean_text(e.exam_date) AS DATE)
        ) AS exam_day
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
    year(e.exam_day) AS exam_date_year,
    c.content_exam,
    d.duplicate_of,
    r.repeats_file
FROM typed AS e
LEFT JOIN duplicates AS d ON d._source_file = e._source_file AND d._row = e._row
LEFT JOIN repeats AS r ON r._source_file = e._source_file AND r.first_row = e._row
LEFT JOIN file_content AS c ON c._source_file = e._source_file AND c.first_row = e._row
