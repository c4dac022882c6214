-- The ФИОКО list rows of the files being checked ($files), typed for
-- expectations/raw_fioco_objectivity_list.json: rows without a login, years not read.
SELECT
    _source_file,
    _sheet,
    _row,
    CASE WHEN clean_code(school_code) IS NULL THEN coalesce(school_name, '(пусто)') END
        AS missing_code,
    CASE WHEN clean_text(context_year) IS NOT NULL
              AND regexp_extract(context_year, '(\d{4})', 1) = ''
         THEN context_year END AS year_text
FROM raw.fioco_objectivity_list
WHERE list_contains($files, _source_file)
