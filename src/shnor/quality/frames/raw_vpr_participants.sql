-- The ВПР participant rows of the files being checked ($files), typed for the suite
-- expectations/raw_vpr_participants.json, with where the same participant appeared before:
-- earlier in the same file, or in another file under another class (earlier = loaded by an
-- earlier run, then path order). A class and subject two files both give is settled at build
-- time, whatever the files' names or order (int_participant_file_procedures, issue 18). Repeats
-- are found by grouping (hash aggregates, no sort of every row), then joined back.
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
candidates AS (
    SELECT
        v._source_file,
        v._row,
        CASE WHEN f.status = 'loaded' THEN 0 ELSE 1 END AS file_rank,
        folder_year(v._source_file) AS exam_year,
        -- Keys in a cheap spelling (no regular expressions over every row); the school as
        -- staging will see it.
        k.school_id,
        -- a ФИС ОКО export names its grade and form of the work in the file name (v.grade,
        -- v.work_form; its class may be a bare letter or «НЕТ»): both are part of the keys
        lower(trim(v.subject)) || coalesce(' | ' || v.work_form, '') AS subject_key,
        nullif(trim(v.participant_id), '') AS participant_key,
        coalesce(v.grade || ':', '')
            || upper(replace(replace(v.class_label, ' ', ''), '-', '')) AS class_key,
        coalesce(v.grade, rtrim(class_key,
            'АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯABCDEFGHIJKLMNOPQRSTUVWXYZ')) AS grade
    FROM raw.vpr_participants AS v
    JOIN raw._files AS f ON f.source_file = v._source_file
    LEFT JOIN school_of_codes('raw.vpr_participants') AS k ON k.school_code = v.school_code
    WHERE f.status = 'loaded' OR f.source_file IN (SELECT source_file FROM checked_files)
),
repeated_participants AS (
    SELECT exam_year, school_id, grade, subject_key, participant_key
    FROM candidates
    WHERE participant_key IS NOT NULL
    GROUP BY ALL
    HAVING count(*) > 1
),
repeated_rows AS (
    SELECT c.*
    FROM candidates AS c
    SEMI JOIN repeated_participants AS p
        USING (exam_year, school_id, grade, subject_key, participant_key)
),
duplicates AS (
    -- the same participant earlier in the same file, or in another file under another class
    -- (the same class in two files is one school-procedure given twice: settled at build time)
    SELECT r._source_file, r._row,
           arg_min(o._source_file || ', строка ' || o._row,
                   o.file_rank || o._source_file || lpad(o._row::VARCHAR, 10, '0'))
               AS duplicate_of
    FROM repeated_rows AS r
    JOIN repeated_rows AS o
        ON o.exam_year IS NOT DISTINCT FROM r.exam_year
        AND o.school_id IS NOT DISTINCT FROM r.school_id
        AND o.grade IS NOT DISTINCT FROM r.grade
        AND o.subject_key IS NOT DISTINCT FROM r.subject_key
        AND o.participant_key IS NOT DISTINCT FROM r.participant_key
    WHERE (o._source_file = r._source_file AND o._row < r._row)
       OR (o._source_file <> r._source_file AND o.class_key IS DISTINCT FROM r.class_key
           AND (o.file_rank < r.file_rank
                OR (o.file_rank = r.file_rank AND o._source_file < r._source_file)))
    GROUP BY r._source_file, r._row
)
SELECT
    v._source_file,
    v._sheet,
    v._row,
    CASE WHEN is_absent_mark(v.mark) THEN NULL ELSE parse_number(v.mark) END AS mark,
    CASE WHEN NOT is_absent_mark(v.mark) AND parse_number(v.mark) IS NULL THEN v.mark END
        AS mark_text,
    parse_number(v.primary_score) AS primary_score,
    CASE WHEN NOT is_absent_mark(v.primary_score) AND parse_number(v.primary_score) IS NULL
          AND lower(clean_text(v.primary_score)) NOT IN ('x', 'х', '-')
         THEN v.primary_score END AS primary_score_text,
    parse_number(v.journal_mark) AS journal_mark,
    CASE WHEN clean_text(v.journal_mark) IS NOT NULL AND parse_number(v.journal_mark) IS NULL
         THEN v.journal_mark END AS journal_mark_text,
    d.duplicate_of
FROM raw.vpr_participants AS v
LEFT JOIN duplicates AS d ON d._source_file = v._source_file AND d._row = v._row
WHERE v._source_file IN (SELECT source_file FROM checked_files)
