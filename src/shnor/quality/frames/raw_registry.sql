-- The registry rows of the files being checked ($files), typed for
-- expectations/raw_registry.json. Several registry files may name the same school (the latest
-- wins), so there is no repeat check here.
SELECT
    _source_file,
    _sheet,
    _row,
    clean_code(school_code) AS school_id,
    parse_number(student_count) AS student_count,
    CASE WHEN clean_text(student_count) IS NOT NULL AND parse_number(student_count) IS NULL
         THEN student_count END AS student_count_text,
    CASE WHEN clean_text(latitude) IS NOT NULL AND parse_number(latitude) IS NULL
         THEN latitude END AS latitude_text,
    CASE WHEN clean_text(longitude) IS NOT NULL AND parse_number(longitude) IS NULL
         THEN longitude END AS longitude_text
FROM raw.schools
WHERE list_contains($files, _source_file)
