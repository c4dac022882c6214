-- The regions in the national year ($year, the latest year of any region): each region folder
-- (with or without figures for the year: `note` says why not), then all regions together;
-- beside the year's figures, last year's ШНОР and the change of the ШНОР share.
-- Grain: region_code (NULL on the country row).
WITH rows AS (
    SELECT
        p.region_code,
        p.region_name,
        FALSE AS is_country,
        p.status,
        CASE
            WHEN p.status = 'missing' THEN p.reason
            WHEN y.region_code IS NULL THEN 'нет данных за ' || $year || ' год'
            WHEN p.status = 'stale' THEN 'прежняя версия: ' || p.reason
        END AS note
    FROM regions.published AS p
    LEFT JOIN national.nat_region_year AS y
        ON y.region_code = p.region_code AND y.exam_year = $year AND NOT y.is_country
    UNION ALL
    SELECT NULL, 'Все регионы', TRUE, NULL, NULL
)

SELECT
    r.region_code,
    r.region_name,
    r.is_country,
    CAST($year AS INTEGER) AS exam_year,
    y.region_count,
    y.school_count,
    y.rated_count,
    y.shnor_count,
    y.shnor_share,
    previous.shnor_count AS previous_shnor_count,
    previous.shnor_share AS previous_shnor_share,
    y.shnor_share - previous.shnor_share AS shnor_share_change,
    y.student_count,
    y.shnor_student_count,
    y.shnor_student_share,
    y.previous_shnor_rated_count,
    y.positive_dynamics_count,
    y.positive_dynamics_share,
    y.risk_group_count,
    y.risk_group_share,
    y.shnsu_count,
    y.shnsu_share,
    y.resilient_count,
    y.resilient_share,
    r.status,
    r.note
FROM rows AS r
LEFT JOIN national.nat_region_year AS y
    ON y.exam_year = $year
    AND y.is_country = r.is_country
    AND (r.is_country OR y.region_code = r.region_code)
LEFT JOIN national.nat_region_year AS previous
    ON previous.exam_year = $year - 1
    AND previous.is_country = r.is_country
    AND (r.is_country OR previous.region_code = r.region_code)
ORDER BY r.is_country, r.region_code
