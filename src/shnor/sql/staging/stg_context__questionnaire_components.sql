-- Context components from the ФИС ОКО questionnaire (docs/methodology.md), in the long form of the
-- passport's: categories mapped by reference/questionnaire_answers.csv (the largest value when
-- several questions give one component: special, evening or boarding school) and the teachers'
-- shares from the counts (top category, of pension age; only where 0 ≤ count ≤ teachers).
-- Only the file that counts for a school-year gives its components
-- (stg_context__questionnaire_files: of files giving it different answers, none unless an
-- analyst named one). Grain: one row per school_id × exam_year × component.
WITH categories AS (
    SELECT school_id, exam_year, component, max(value) AS share
    FROM staging.stg_context__questionnaire_answers
    WHERE component IS NOT NULL AND school_id IS NOT NULL
    GROUP BY ALL
),

teachers AS (
    SELECT
        coalesce(codes.school_id, clean_code(q.school_code)) AS school_id,
        folder_year(q._source_file) AS exam_year,
        parse_number(q.teacher_count) AS teacher_count,
        parse_number(q.top_category_teacher_count) AS top_category_count,
        parse_number(q.pension_age_teacher_count) AS pension_age_count
    FROM raw.context_questionnaire AS q
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(q.school_code)
    WHERE clean_code(q.school_code) IS NOT NULL AND parse_number(q.teacher_count) > 0
        -- the file that counts for the school-year (stg_context__questionnaire_files, issue 18)
        AND EXISTS (
            SELECT 1 FROM staging.stg_context__questionnaire_files AS f
            WHERE f.is_counted AND f._source_file = q._source_file
                AND f.school_id = coalesce(codes.school_id, clean_code(q.school_code))
                AND f.exam_year IS NOT DISTINCT FROM folder_year(q._source_file)
        )
),

shares AS (
    UNPIVOT (
        SELECT
            school_id,
            exam_year,
            avg(top_category_count / teacher_count)
                FILTER (WHERE top_category_count BETWEEN 0 AND teacher_count)
                AS top_category_teacher_share,
            avg(pension_age_count / teacher_count)
                FILTER (WHERE pension_age_count BETWEEN 0 AND teacher_count)
                AS pension_age_teacher_share
        FROM teachers
        GROUP BY ALL
    )
    ON top_category_teacher_share, pension_age_teacher_share
    INTO NAME component VALUE share
)

SELECT school_id, exam_year, component, share FROM categories
UNION ALL
SELECT school_id, exam_year, component, share FROM shares WHERE share IS NOT NULL
ORDER BY school_id, exam_year, component
