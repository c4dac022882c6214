-- Every region folder of the national root with the state of its published marts: `published`
-- (the marts of its last run), `stale` (its last run published nothing: the national tables use
-- the version before) or `missing` (nothing published, so no figures), and the reason.
-- Grain: region_code. Filled from the regions' manifests and run records (regions.published).
SELECT
    region_code,
    region_name,
    status,
    reason,
    version,
    run_id,
    published_at,
    preset,
    preset_version,
    first_year,
    last_year,
    data_dir
FROM regions.published
ORDER BY region_code
