-- The registry as the school maps see it: one row per cleaned code, its latest name and
-- municipality (a login list's region where no municipality is given).
SELECT clean_code(school_code) AS school_id,
       arg_max(clean_text(school_name), _loaded_at) AS school_name,
       arg_max(coalesce(clean_text(municipality_name), clean_text(region_name)),
               _loaded_at) AS municipality_name
FROM raw.schools
WHERE clean_code(school_code) IS NOT NULL
GROUP BY 1
