-- The ВПР participant rows of the files being checked ($files), typed for the suite
-- expectations/raw_vpr_participants.json, with the facts that need other files: where the
-- same participant first appeared, and which file already holds the same class and subject.
-- Earlier = loaded by an earlier run, then path order. Repeats are found by grouping (hash
-- aggregates, no sort of every row), then joined back to the rows they concern.
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
duplicates AS (
    SELECT _source_file, _row, first_seen AS duplicate_of
    FROM (
        SELECT c._source_file, c._row, first_value(c._source_file || ', строка ' || c._row) OVER (
            PARTITION BY c.exam_year, c.school_id, c.grade, c.subject_key, c.participant_key
            ORDER BY c.file_rank, c._source_file, c._row) AS first_seen
        FROM candidates AS c
        SEMI JOIN repeated_participants AS p
            USING (exam_year, school_id, grade, subject_key, participant_key)
    )
    WHERE first_seen <> _source_file || ', строка ' || _row
),
procedure_files AS (
    SELECT exam_year, school_id, class_key, subject_key, _source_file, min(file_rank) AS file_rank,
           min(_row) AS first_row
    FROM candidates
    GROUP BY ALL
),
repeats AS (
    SELECT _source_file, first_row,
           first_value(_source_file) OVER (
               PARTITION BY exam_year, school_id, class_key, subject_key
               ORDER BY file_rank, _source_file) AS repeats_file
    FROM procedure_files
    QUALIFY repeats_file <> _source_file
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
    d.duplicate_of,
    r.repeats_file
FROM raw.vpr_participants AS v
LEFT JOIN duplicates AS d ON d._source_file = v._source_file AND d._row = v._row
LEFT JOIN repeats AS r ON r._source_file = v._source_file AND r.first_row = v._row
WHERE v._source_file IN (SELECT source_file FROM checked_files)
