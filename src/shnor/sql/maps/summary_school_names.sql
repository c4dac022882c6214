-- The school names that files without a code give: the ЕГЭ summary workbooks, and the school
-- rows of ВПР summaries that name a school only by name, in the municipality of their row or of
-- the municipality row heading them (macro summary_rows_placed). One row per municipality × name
-- as cleaned, with the years and files that give it.
WITH named AS (
    SELECT municipality_name, school_name,
           coalesce(sheet_year, folder_year(_source_file)::VARCHAR) AS year, _source_file
    FROM ege_summary_rows('raw.ege_school_summary')
    UNION ALL
    SELECT placed_municipality, school_name,
           coalesce(try_cast(title_year AS INTEGER), folder_year(_source_file))::VARCHAR,
           _source_file
    FROM summary_rows_placed('raw.vpr_mark_stats')
    WHERE clean_code(school_code) IS NULL AND row_kind = 'school'
    UNION ALL
    SELECT placed_municipality, school_name,
           coalesce(try_cast(title_year AS INTEGER), folder_year(_source_file))::VARCHAR,
           _source_file
    FROM summary_rows_placed('raw.vpr_journal_comparison')
    WHERE clean_code(school_code) IS NULL AND row_kind = 'school'
)

SELECT clean_text(municipality_name) AS municipality_name,
       clean_text(school_name) AS school_name,
       string_agg(DISTINCT year, ',' ORDER BY year) AS years,
       string_agg(DISTINCT _source_file, ',' ORDER BY _source_file) AS source_files
FROM named
WHERE clean_text(school_name) IS NOT NULL
GROUP BY ALL
ORDER BY ALL
