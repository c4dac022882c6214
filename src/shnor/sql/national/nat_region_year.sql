-- Region × year: each region's own figures (the «Регион в целом» row of its published
-- rpt_municipality_summary, what its workbooks show) and, per year, all regions together
-- (`is_country`, counts summed). Shares are recomputed from the counts by the regional rules:
-- of rated schools (ШНОР, risk group, resilient), of all schools (ШНСУ), of students (in ШНОР),
-- of last year's ШНОР rated this year (positive dynamics).
-- Grain: region_code × exam_year (region_code NULL on the country rows).
WITH regional AS (
    SELECT
        p.region_code,
        p.region_name,
        FALSE AS is_country,
        1 AS region_count,
        s.exam_year,
        s.school_count,
        s.rated_count,
        s.shnor_count,
        s.student_count,
        -- the region's share times its students: a whole number of students (to rounding)
        CAST(round(coalesce(s.shnor_student_share, 0) * s.student_count) AS BIGINT)
            AS shnor_student_count,
        s.risk_group_count,
        s.shnsu_count,
        s.resilient_count,
        s.entered_count,
        s.stayed_count,
        s.exited_count,
        s.previous_shnor_rated_count,
        s.positive_dynamics_count
    FROM regions.municipality_summary AS s
    JOIN regions.published AS p USING (region_code)
    WHERE s.is_region
),

country AS (
    SELECT
        NULL AS region_code,
        'Все регионы' AS region_name,
        TRUE AS is_country,
        count(*) AS region_count,
        exam_year,
        sum(school_count) AS school_count,
        sum(rated_count) AS rated_count,
        sum(shnor_count) AS shnor_count,
        sum(student_count) AS student_count,
        sum(shnor_student_count) AS shnor_student_count,
        sum(risk_group_count) AS risk_group_count,
        sum(shnsu_count) AS shnsu_count,
        sum(resilient_count) AS resilient_count,
        sum(entered_count) AS entered_count,
        sum(stayed_count) AS stayed_count,
        sum(exited_count) AS exited_count,
        sum(previous_shnor_rated_count) AS previous_shnor_rated_count,
        sum(positive_dynamics_count) AS positive_dynamics_count
    FROM regional
    GROUP BY exam_year
),

counted AS (
    SELECT * FROM regional
    UNION ALL BY NAME
    SELECT * FROM country
)

SELECT
    region_code,
    region_name,
    is_country,
    region_count,
    CAST(exam_year AS INTEGER) AS exam_year,
    CAST(school_count AS BIGINT) AS school_count,
    CAST(rated_count AS BIGINT) AS rated_count,
    CAST(shnor_count AS BIGINT) AS shnor_count,
    shnor_count / nullif(rated_count, 0) AS shnor_share,
    CAST(student_count AS BIGINT) AS student_count,
    CAST(shnor_student_count AS BIGINT) AS shnor_student_count,
    shnor_student_count / nullif(student_count, 0) AS shnor_student_share,
    CAST(previous_shnor_rated_count AS BIGINT) AS previous_shnor_rated_count,
    CAST(positive_dynamics_count AS BIGINT) AS positive_dynamics_count,
    positive_dynamics_count / nullif(previous_shnor_rated_count, 0) AS positive_dynamics_share,
    CAST(risk_group_count AS BIGINT) AS risk_group_count,
    risk_group_count / nullif(rated_count, 0) AS risk_group_share,
    CAST(shnsu_count AS BIGINT) AS shnsu_count,
    shnsu_count / nullif(school_count, 0) AS shnsu_share,
    CAST(resilient_count AS BIGINT) AS resilient_count,
    resilient_count / nullif(rated_count, 0) AS resilient_share,
    CAST(entered_count AS BIGINT) AS entered_count,
    CAST(stayed_count AS BIGINT) AS stayed_count,
    CAST(exited_count AS BIGINT) AS exited_count
FROM counted
ORDER BY exam_year, is_country, region_code
