-- The region's confirmed aliases of reference/school_aliases.csv, cleaned like result codes:
-- the rows whose name column holds a code as a file writes it («220001») confirm that code as
-- the school of school_code (school_matching.confirmed_codes keeps those). One row per alias.
SELECT clean_code(school_name) AS file_code, clean_code(school_code) AS school_code
FROM ref.school_aliases
WHERE clean_code(school_name) IS NOT NULL AND clean_code(school_code) IS NOT NULL
