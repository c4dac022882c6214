-- The social-passport rows of the files being checked ($files), one row per school row and
-- share column (long form), typed for expectations/raw_context.json; with the pupil count and a
-- stated year that is no year (year_text: the row counts for its folder's year, with a warning).
-- A row's year is the one it states, else its folder's (macro passport_year): one file may give
-- several years. A school-year two files give is settled at build time, whatever the files'
-- names or order (stg_context__passport_files, passport_conflict; issue 18).
WITH ordered AS (
    SELECT
        c.*,
        CASE WHEN clean_text(c.context_year) IS NOT NULL
                  AND stated_school_year(c.context_year) IS NULL
             THEN c.context_year END AS year_text
    FROM raw.context AS c
    WHERE list_contains($files, c._source_file)
),
shares AS (
    UNPIVOT (
        SELECT _source_file, _sheet, _row, parents_higher_education_share, single_parent_share,
               low_income_share, unemployed_parents_share, on_register_share,
               non_native_russian_share, disability_share, vacancy_share,
               top_category_teacher_share, unconfirmed_competence_share
        FROM ordered WHERE list_contains($files, _source_file)
    )
    ON COLUMNS(* EXCLUDE (_source_file, _sheet, _row))
    INTO NAME component VALUE share_as_read
)
SELECT
    o._source_file,
    o._sheet,
    o._row,
    s.component,
    parse_share(s.share_as_read) AS share,
    CASE WHEN clean_text(s.share_as_read) IS NOT NULL AND parse_share(s.share_as_read) IS NULL
         THEN s.share_as_read END AS share_text,
    parse_number(o.student_count) AS student_count,
    CASE WHEN clean_text(o.student_count) IS NOT NULL AND parse_number(o.student_count) IS NULL
         THEN o.student_count END AS student_count_text,
    -- named once per row, not once per share of it
    CASE WHEN row_number() OVER (PARTITION BY o._source_file, o._sheet, o._row
                                 ORDER BY s.component) = 1
         THEN o.year_text END AS year_text
FROM ordered AS o
LEFT JOIN shares AS s
    ON s._source_file = o._source_file AND s._row = o._row AND s._sheet IS NOT DISTINCT FROM o._sheet
WHERE list_contains($files, o._source_file)
