-- Registry of schools, cleaned. Grain: one row per school_id. Registry files may be partial
-- updates (a few columns for a few schools): each field takes the latest non-empty value, the
-- latest file (by load time, then name, then row) winning.
WITH typed AS (
    SELECT
        clean_code(school_code) AS school_id,
        clean_text(school_name) AS school_name,
        -- a ФИС ОКО login list (`логин`, `имя`, `регион`) gives a grouping label instead
        coalesce(clean_text(municipality_name), clean_text(region_name)) AS municipality_name,
        clean_text(municipality_code) AS municipality_code,
        settlement_kind(settlement_type) AS settlement_type,
        CASE
            WHEN upper(school_level) LIKE '%НОШ%' OR lower(school_level) LIKE 'начальн%' THEN 'primary'
            WHEN upper(school_level) LIKE '%ООШ%' OR lower(school_level) LIKE 'основн%' THEN 'basic'
            WHEN upper(school_level) SIMILAR TO '.*(СОШ|ЛИЦЕЙ|ГИМНАЗИЯ|ЦО).*'
                OR lower(school_level) LIKE 'средн%' THEN 'secondary'
        END AS school_level,
        parse_integer(student_count) AS student_count,
        parse_number(latitude) AS latitude,
        parse_number(longitude) AS longitude,
        _source_file,
        _row,
        _loaded_at
    FROM raw.schools
    WHERE clean_code(school_code) IS NOT NULL
)

SELECT DISTINCT ON (school_id)
    school_id,
    last_value(school_name IGNORE NULLS) OVER latest AS school_name,
    last_value(municipality_name IGNORE NULLS) OVER latest AS municipality_name,
    last_value(municipality_code IGNORE NULLS) OVER latest AS municipality_code,
    last_value(settlement_type IGNORE NULLS) OVER latest AS settlement_type,
    last_value(school_level IGNORE NULLS) OVER latest AS school_level,
    last_value(student_count IGNORE NULLS) OVER latest AS student_count,
    last_value(latitude IGNORE NULLS) OVER latest AS latitude,
    last_value(longitude IGNORE NULLS) OVER latest AS longitude,
    last_value(_source_file) OVER latest AS _source_file,
    last_value(_row) OVER latest AS _row
FROM typed
WINDOW latest AS (
    PARTITION BY school_id ORDER BY _loaded_at, _source_file, _row
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
)
ORDER BY school_id
