-- Schools the coded result files name: one row per cleaned code, the name most rows give it and
-- the municipality most rows give it (the social passport names none). The cleaning macros run on
-- distinct spellings (thousands), not on every participant row.
WITH cleaned AS (
    SELECT clean_code(school_code) AS school_id, clean_text(school_name) AS school_name,
           clean_text(municipality_name) AS municipality_name, n
    FROM (
        SELECT school_code, school_name, municipality_name, count(*) AS n
        FROM raw.vpr_participants GROUP BY ALL
        UNION ALL SELECT school_code, school_name, municipality_name, count(*) AS n
        FROM raw.exam_participants GROUP BY ALL
        UNION ALL SELECT school_code, school_name, NULL AS municipality_name, count(*) AS n
        FROM raw.context GROUP BY ALL
        UNION ALL SELECT school_code, school_name, municipality_name, count(*) AS n
        FROM raw.vpr_mark_stats GROUP BY ALL
        UNION ALL SELECT school_code, school_name, municipality_name, count(*) AS n
        FROM raw.vpr_journal_comparison GROUP BY ALL
        UNION ALL SELECT school_code, school_name, municipality_name, count(*) AS n
        FROM raw.context_questionnaire GROUP BY ALL
        UNION ALL SELECT school_code, school_name, municipality_name, count(*) AS n
        FROM raw.fioco_objectivity_list GROUP BY ALL
    )
    WHERE clean_code(school_code) IS NOT NULL AND clean_text(school_name) IS NOT NULL
),
names AS (SELECT school_id, school_name, sum(n) AS n FROM cleaned GROUP BY ALL),
municipalities AS (
    SELECT school_id, municipality_name, sum(n) AS n FROM cleaned
    WHERE municipality_name IS NOT NULL GROUP BY ALL
)
SELECT school_id, arg_max(names.school_name, names.n) AS school_name,
       any_value(m.municipality_name) AS municipality_name
FROM names
LEFT JOIN (SELECT school_id, arg_max(municipality_name, n) AS municipality_name
           FROM municipalities GROUP BY school_id) AS m USING (school_id)
GROUP BY school_id
