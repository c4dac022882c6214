-- The social passport (docs/data-contract.md) of each school-year as each file gives it (issue 18),
-- and whether the file counts for it. Files giving the same rows count once. Where files give a
-- school-year different rows, only the file an analyst named in reference/authoritative_files.csv
-- (a reviewed row: reviewed_by filled; scope by year, and by municipality as the registry
-- places the school, when given) counts; with none named, none does (is_conflict, reported as
-- passport_conflict): the outcome never depends on the files' names or the order they arrived
-- in. A file giving one school-year in rows with different values (distinct_rows > 1; its rows
-- in rows_given) counts for it in no case. stg_context__components and stg_context__schools
-- keep the counted files' rows only. A row's year is the one it states (`Год`, «2023/2024» →
-- 2024), else its folder's (macro passport_year): one file may give several years; rows giving a
-- school-year alike count once whatever spelling of the year they use.
-- Grain: school_id × exam_year × _source_file.
WITH file_rows AS (
    SELECT
        coalesce(codes.school_id, clean_code(c.school_code)) AS school_id,
        passport_year(c.context_year, c._source_file) AS exam_year,
        c._source_file,
        any_value(clean_text(c.school_name)) AS school_name,
        count(*) AS row_count,
        -- rows of the school-year that differ within the file (a conflict: never averaged)
        count(DISTINCT
            [c.parents_higher_education_share, c.single_parent_share, c.low_income_share,
             c.unemployed_parents_share, c.on_register_share, c.non_native_russian_share,
             c.disability_share, c.vacancy_share, c.top_category_teacher_share,
             c.unconfirmed_competence_share, c.student_count, c.settlement_type]::VARCHAR)
            AS distinct_rows,
        string_agg(c._row::VARCHAR, ', ' ORDER BY c._sheet, c._row) AS rows_given,
        arg_min(c._sheet, c._row) AS first_sheet,
        min(c._row) AS first_row,
        md5(string_agg(
            [c.parents_higher_education_share, c.single_parent_share, c.low_income_share,
             c.unemployed_parents_share, c.on_register_share, c.non_native_russian_share,
             c.disability_share, c.vacancy_share, c.top_category_teacher_share,
             c.unconfirmed_competence_share, c.student_count, c.settlement_type]::VARCHAR,
            chr(10) ORDER BY
            [c.parents_higher_education_share, c.single_parent_share, c.low_income_share,
             c.unemployed_parents_share, c.on_register_share, c.non_native_russian_share,
             c.disability_share, c.vacancy_share, c.top_category_teacher_share,
             c.unconfirmed_competence_share, c.student_count, c.settlement_type]::VARCHAR
        )) AS rows_hash
    FROM raw.context AS c
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(c.school_code)
    WHERE clean_code(c.school_code) IS NOT NULL
    GROUP BY ALL
),

files AS (
    -- the municipality as the registry places the school (for the scope of a reviewed row)
    SELECT
        f.* RENAME (rows_hash AS content_hash),
        NULL AS unit_key,
        false AS in_doubt,
        s.municipality_name
    FROM file_rows AS f
    LEFT JOIN staging.stg_schools AS s USING (school_id)
)

-- (macro authoritative_file_judged: which file counts); a file giving a school-year twice with
-- different values counts for it in no case (is_conflict: which of its rows is right is unknown;
-- reported as passport_conflict naming the rows), never an average of the rows
SELECT * EXCLUDE (municipality_name) REPLACE (
    is_conflict OR distinct_rows > 1 AS is_conflict,
    is_counted AND distinct_rows = 1 AS is_counted) RENAME (content_hash AS rows_hash)
FROM authoritative_file_judged('files')
