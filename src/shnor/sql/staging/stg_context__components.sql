-- Social-passport components in long form, as fractions. Grain: one row per raw context row ×
-- component with a value. A component is read as percent in a year when any of that year's
-- files has a value with a % sign or above 1, else as a fraction (docs/data-contract.md): decided per
-- component × year over all files, so a municipality whose percentages are all ≤ 1 is not read
-- as fractions. `scale` says which; `file_scale` what the file alone would have suggested.
-- Only the file that counts for a school-year gives its components (stg_context__passport_files);
-- a row's year is the one it states, else its folder's (macro passport_year).
WITH long AS (
    UNPIVOT raw.context
    ON parents_higher_education_share, single_parent_share, low_income_share,
        unemployed_parents_share, on_register_share, non_native_russian_share, disability_share,
        vacancy_share, top_category_teacher_share, unconfirmed_competence_share
    INTO NAME component VALUE raw_value
),

parsed AS (
    SELECT
        coalesce(codes.school_id, clean_code(long.school_code)) AS school_id,
        passport_year(context_year, _source_file) AS exam_year,
        component,
        parse_share(raw_value) AS value,
        raw_value,
        _source_file,
        _row
    FROM long
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(long.school_code)
    WHERE clean_text(raw_value) IS NOT NULL
)

SELECT
    school_id,
    exam_year,
    component,
    CASE WHEN is_percent THEN value / 100 ELSE value END AS share,
    CASE WHEN is_percent THEN 'percent' ELSE 'fraction' END AS scale,
    CASE WHEN is_file_percent THEN 'percent' ELSE 'fraction' END AS file_scale,
    raw_value,
    _source_file,
    _row
FROM (
    SELECT
        *,
        max(value) OVER year_column > 1 OR bool_or(contains(raw_value, '%')) OVER year_column
            AS is_percent,
        max(value) OVER file_column > 1 OR bool_or(contains(raw_value, '%')) OVER file_column
            AS is_file_percent
    FROM parsed
    WINDOW
        year_column AS (PARTITION BY exam_year, component),
        file_column AS (PARTITION BY _source_file, component)
) AS p
-- a school-year that files give differently counts from the file an analyst named, else none
-- (stg_context__passport_files, issue 18), whatever the files' names or order
WHERE school_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM staging.stg_context__passport_files AS f
    WHERE f.is_counted AND f._source_file = p._source_file AND f.school_id = p.school_id
        AND f.exam_year IS NOT DISTINCT FROM p.exam_year
)
