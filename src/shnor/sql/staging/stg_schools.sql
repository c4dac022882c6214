-- Registry of schools, cleaned. Grain: one row per school_id (the latest loaded file wins).
SELECT
    clean_text(school_code) AS school_id,
    clean_text(school_name) AS school_name,
    clean_text(municipality_name) AS municipality_name,
    clean_text(municipality_code) AS municipality_code,
    -- Urban first: «поселок городского типа», «городское поселение» contain «сел» too.
    CASE
        WHEN regexp_matches(lower(settlement_type), '(город|пгт|urban|^г\.?$)') THEN 'urban'
        WHEN regexp_matches(
            lower(settlement_type),
            '(^|[^а-яё])(село|сельск|деревн|пос[её]л|станиц|хутор|аул|rural|с\.?$|д\.?$|п\.?$)'
        ) THEN 'rural'
    END AS settlement_type,
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
    _row
FROM raw.schools
WHERE clean_text(school_code) IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY clean_text(school_code) ORDER BY _loaded_at DESC, _source_file DESC, _row DESC
) = 1
