-- The ФИС ОКО questionnaire rows of the files being checked ($files), one row per school row
-- and count column (long form), typed for expectations/raw_context_questionnaire.json. A school
-- given again by another file is not checked here but settled at build time, the same whatever
-- the files' names or order (stg_context__questionnaire_files, questionnaire_conflict; issue 18).
WITH checked AS (
    SELECT * FROM raw.context_questionnaire WHERE list_contains($files, _source_file)
),

counted AS (
    UNPIVOT (
        SELECT _source_file, _sheet, _row, COLUMNS('(_count|pupils_grade_\d+)$')
        FROM checked
    )
    ON COLUMNS(* EXCLUDE (_source_file, _sheet, _row))
    INTO NAME question VALUE count_as_read
)

SELECT
    r._source_file,
    r._sheet,
    r._row,
    c.question,
    parse_number(c.count_as_read) AS count_value,
    CASE WHEN clean_text(c.count_as_read) IS NOT NULL AND parse_number(c.count_as_read) IS NULL
         THEN c.count_as_read END AS count_text
FROM checked AS r
LEFT JOIN counted AS c
    ON c._source_file = r._source_file AND c._row = r._row AND c._sheet IS NOT DISTINCT FROM r._sheet
