-- The school names the ЕГЭ summary workbooks give (they carry no code): one row per
-- municipality × name as cleaned, with the years and files that give it.
SELECT clean_text(municipality_name) AS municipality_name,
       clean_text(school_name) AS school_name,
       string_agg(DISTINCT coalesce(sheet_year, folder_year(_source_file)::VARCHAR),
                  ',' ORDER BY coalesce(sheet_year, folder_year(_source_file)::VARCHAR)
       ) AS years,
       string_agg(DISTINCT _source_file, ',' ORDER BY _source_file) AS source_files
FROM raw.ege_school_summary
WHERE clean_text(school_name) IS NOT NULL
GROUP BY ALL
ORDER BY ALL
