-- The ВПР participant rows of the files being checked ($files), typed for the suite
-- expectations/raw_vpr_participants.json, with where the same participant appeared earlier in
-- the same file. A participant or a class and subject that two files both give is settled at
-- build time, whatever the files' names or order (int_participant_file_procedures, issue 18).
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
),
candidates AS (
    SELECT
        v._source_file,
        v._sheet,
        v._row,
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
    LEFT JOIN school_of_codes('raw.vpr_participants') AS k ON k.school_code = v.school_code
    WHERE v._source_file IN (SELECT source_file FROM checked_files)
),
participants AS (
    -- the keys of a repeat (macro participant_repeats)
    SELECT _source_file, _sheet, _row, exam_year, school_id, grade, subject_key, participant_key
    FROM candidates
),
-- Each distinct spelling of a scored cell typed once and joined back (a missing cell types
-- as missing): a region's year has a million rows and a few dozen spellings, and typing every
-- row (the regular expressions of is_absent_mark and clean_text) cost more than the rest of
-- this check.
checked_rows AS (
    SELECT v.mark, v.primary_score, v.journal_mark
    FROM raw.vpr_participants AS v
    WHERE v._source_file IN (SELECT source_file FROM checked_files)
),
marks AS (
    SELECT
        cell,
        CASE WHEN is_absent_mark(cell) THEN NULL ELSE parse_number(cell) END AS mark,
        CASE WHEN NOT is_absent_mark(cell) AND parse_number(cell) IS NULL THEN cell END
            AS mark_text
    FROM (SELECT DISTINCT mark AS cell FROM checked_rows WHERE mark IS NOT NULL)
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
journal_marks AS (
    SELECT
        cell,
        parse_number(cell) AS journal_mark,
        CASE WHEN clean_text(cell) IS NOT NULL AND parse_number(cell) IS NULL
             THEN cell END AS journal_mark_text
    FROM (SELECT DISTINCT journal_mark AS cell FROM checked_rows WHERE journal_mark IS NOT NULL)
)
SELECT
    v._source_file,
    v._sheet,
    v._row,
    m.mark,
    m.mark_text,
    p.primary_score,
    p.primary_score_text,
    j.journal_mark,
    j.journal_mark_text,
    CASE WHEN d.first_row IS NOT NULL
         THEN v._source_file || coalesce(', лист «' || d.first_sheet || '»', '') || ', строка '
             || d.first_row END AS duplicate_of
FROM raw.vpr_participants AS v
LEFT JOIN marks AS m ON m.cell = v.mark
LEFT JOIN primary_scores AS p ON p.cell = v.primary_score
LEFT JOIN journal_marks AS j ON j.cell = v.journal_mark
-- the same participant earlier in the same file (in two files: settled at build time)
LEFT JOIN participant_repeats('participants') AS d
    ON d._source_file = v._source_file AND d._sheet IS NOT DISTINCT FROM v._sheet
    AND d._row = v._row
WHERE v._source_file IN (SELECT source_file FROM checked_files)
