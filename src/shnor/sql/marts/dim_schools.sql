-- Schools: the registry, plus schools that appear only in result files or summaries (named
-- only: their school_id is made from the name); is_in_registry = false for those, with the
-- name and municipality as the files give them (the most frequent spelling). The registry's
-- municipality comes first; of the files', only a cell that names one (is_municipality_label):
-- the region's name or a grouping label («Городские школы», «Группа 3»: the 2020–2021 ВПР
-- export's `регион`) never is, and a school with no other is left without (municipality_label).
-- Settlement type from the social passport where the registry has none.
-- Grain: one row per school_id.
WITH seen_in_results AS (
    SELECT school_id, school_name, municipality_name FROM staging.stg_vpr__participants
    UNION ALL
    SELECT school_id, school_name, municipality_name FROM staging.stg_exam__participants
    UNION ALL
    SELECT school_id, school_name, municipality_name FROM staging.stg_ege__school_summary
    UNION ALL
    SELECT school_id, school_name, municipality_name FROM staging.stg_vpr__mark_stats
    WHERE row_kind = 'school'
    UNION ALL
    SELECT school_id, school_name, municipality_name FROM staging.stg_vpr__journal_comparison
    WHERE row_kind = 'school'
),

passport_settlement AS (
    SELECT school_id, arg_max(settlement_type, exam_year) AS settlement_type
    FROM staging.stg_context__schools
    WHERE settlement_type IS NOT NULL
    GROUP BY school_id
),

-- each spelling judged once, not once per participant row
places AS (
    SELECT municipality_name, is_municipality_label(municipality_name) AS is_municipality
    FROM (SELECT DISTINCT municipality_name FROM seen_in_results)
),

named_in_results AS (
    SELECT
        s.school_id,
        mode(s.school_name) AS school_name,
        mode(s.municipality_name) FILTER (WHERE p.is_municipality) AS municipality_name
    FROM seen_in_results AS s
    LEFT JOIN places AS p ON p.municipality_name = s.municipality_name
    WHERE s.school_id IS NOT NULL
    GROUP BY s.school_id
)

SELECT
    coalesce(r.school_id, n.school_id) AS school_id,
    coalesce(r.school_name, n.school_name) AS school_name,
    coalesce(r.municipality_name, n.municipality_name) AS municipality_name,
    coalesce(r.settlement_type, p.settlement_type) AS settlement_type,
    r.school_level,
    r.student_count,
    r.latitude,
    r.longitude,
    r.school_id IS NOT NULL AS is_in_registry
FROM staging.stg_schools AS r
FULL OUTER JOIN named_in_results AS n ON n.school_id = r.school_id
LEFT JOIN passport_settlement AS p ON p.school_id = coalesce(r.school_id, n.school_id)
ORDER BY school_id
