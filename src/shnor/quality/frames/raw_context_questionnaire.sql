-- The ФИС ОКО questionnaire rows of the files being checked ($files), one row per school row
-- and count column (long form), typed for expectations/raw_context_questionnaire.json; with the
-- file already holding the same school's questionnaire for the year.
WITH candidates AS (
    SELECT
        q.*,
        folder_year(q._source_file) AS folder_year,
        CASE WHEN f.status = 'loaded' THEN 0 ELSE 1 END AS file_rank,
        clean_code(q.school_code) AS school_id
    FROM raw.context_questionnaire AS q
    JOIN raw._files AS f ON f.source_file = q._source_file
    WHERE f.status = 'loaded' OR list_contains($files, q._source_file)
),

ordered AS (
    SELECT
        *,
        first_value(_source_file) OVER (
            PARTITION BY folder_year, school_id ORDER BY file_rank, _source_file, _row
        ) AS owner,
        row_number() OVER (PARTITION BY folder_year, school_id, _source_file ORDER BY _row)
            AS school_row
    FROM candidates
),

counted AS (
    UNPIVOT (
        SELECT _source_file, _sheet, _row, COLUMNS('(_count|pupils_grade_\d+)$')
        FROM ordered WHERE list_contains($files, _source_file)
    )
    ON COLUMNS(* EXCLUDE (_source_file, _sheet, _row))
    INTO NAME question VALUE count_as_read
)

SELECT
    o._source_file,
    o._sheet,
    o._row,
    c.question,
    parse_number(c.count_as_read) AS count_value,
    CASE WHEN clean_text(c.count_as_read) IS NOT NULL AND parse_number(c.count_as_read) IS NULL
         THEN c.count_as_read END AS count_text,
    CASE WHEN o.school_id IS NOT NULL AND o.school_row = 1 AND o.owner <> o._source_file
         THEN o.owner END AS repeats_file
FROM ordered AS o
LEFT JOIN counted AS c
    ON c._source_file = o._source_file AND c._row = o._row AND c._sheet IS NOT DISTINCT FROM o._sheet
WHERE list_contains($files, o._source_file)
