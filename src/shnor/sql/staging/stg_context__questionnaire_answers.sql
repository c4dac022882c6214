-- Categorical answers of the ФИС ОКО context questionnaire («1. Да, …», «3. 5–10 тыс. чел»)
-- with the context component reference/questionnaire_answers.csv maps each to (docs/methodology.md).
-- Grain: one row per raw questionnaire row × question with an answer. `component` and `value`
-- are NULL when no pattern of a question the table knows matches (reported as a warning); when
-- several match, the longest (most specific) pattern wins. Only the file that counts for a
-- school-year gives its answers (stg_context__questionnaire_files, issue 18).
WITH answers AS (
    UNPIVOT (
        SELECT
            _source_file,
            _row,
            school_code,
            coalesce(settlement_place, settlement_type) AS settlement_place,
            settlement_population,
            regional_centre_transport,
            is_special_school,
            is_evening_school,
            is_boarding_school,
            internet_access,
            parent_involvement
        FROM raw.context_questionnaire
    )
    ON settlement_place, settlement_population, regional_centre_transport, is_special_school,
        is_evening_school, is_boarding_school, internet_access, parent_involvement
    INTO NAME question VALUE answer
),

cleaned AS (
    SELECT
        coalesce(codes.school_id, clean_code(a.school_code)) AS school_id,
        folder_year(a._source_file) AS exam_year,
        a.question,
        clean_text(a.answer) AS answer,
        trim(regexp_replace(replace(lower(a.answer), 'ё', 'е'), '[^0-9a-zа-я]+', ' ', 'g'))
            AS answer_text,
        a._source_file,
        a._row
    FROM answers AS a
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(a.school_code)
    WHERE clean_text(a.answer) IS NOT NULL
),

counted AS (
    -- a school-year that files give differently counts from the file an analyst named, else
    -- none, whatever the files' names or order; rows without a school are kept (as before)
    SELECT c.*
    FROM cleaned AS c
    WHERE c.school_id IS NULL OR EXISTS (
        SELECT 1 FROM staging.stg_context__questionnaire_files AS f
        WHERE f.is_counted AND f._source_file = c._source_file AND f.school_id = c.school_id
            AND f.exam_year IS NOT DISTINCT FROM c.exam_year
    )
),

matched AS (
    SELECT
        c.*,
        m.component,
        CAST(m.value AS DOUBLE) AS value,
        row_number() OVER (
            PARTITION BY c._source_file, c._row, c.question
            ORDER BY length(m.answer_pattern) DESC, m.answer_pattern
        ) AS pattern_rank
    FROM counted AS c
    LEFT JOIN ref.questionnaire_answers AS m
        ON m.question = c.question AND regexp_matches(c.answer_text, m.answer_pattern)
)

SELECT
    school_id,
    exam_year,
    question,
    answer,
    component,
    value,
    question IN (SELECT question FROM ref.questionnaire_answers) AS is_mapped_question,
    _source_file,
    _row
FROM matched
WHERE pattern_rank = 1
