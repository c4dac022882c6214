-- ЕГЭ summary rows as each file gives them (docs/data-contract.md; issue 18): a file's first row
-- of a school's subject and profile in a year (a repeat within a file is reported), and whether
-- it counts. Files that agree count once. Where files disagree, only the file an analyst named
-- in reference/authoritative_files.csv (a reviewed row: reviewed_by filled; scope by year and
-- municipality when given) counts; with none named, none does (is_conflict, reported): the
-- outcome never depends on the files' names or the order they arrived in.
-- Grain: school_id × exam_year × subject × profile × _source_file.
WITH file_rows AS (
    SELECT
        s.*,
        md5(concat_ws('|', s.participant_count, s.fail_count, s.high_count,
                      round(s.mean_score, 6))) AS figures_hash,
        EXISTS (
            SELECT 1 FROM ref.authoritative_files AS a
            WHERE a.source_file = s._source_file
              AND nullif(trim(a.reviewed_by), '') IS NOT NULL
              AND (try_cast(a.exam_year AS INTEGER) IS NULL
                   OR try_cast(a.exam_year AS INTEGER) = s.exam_year)
              AND (nullif(trim(a.municipality_name), '') IS NULL
                   OR clean_text(a.municipality_name) = s.municipality_name)
        ) AS is_authoritative
    FROM staging.stg_ege__school_summary AS s
    WHERE s.subject IS NOT NULL AND s.participant_count > 0 AND s.fail_count IS NOT NULL
        AND s.school_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY s.school_id, s.exam_year, s.subject, coalesce(s.profile, ''), s._source_file
        ORDER BY s._sheet, s._row
    ) = 1
),

judged AS (
    SELECT
        *,
        bool_or(is_authoritative) OVER procedure AS has_authoritative,
        min(figures_hash) OVER procedure <> max(figures_hash) OVER procedure AS files_differ,
        min(figures_hash) FILTER (WHERE is_authoritative) OVER procedure
            <> max(figures_hash) FILTER (WHERE is_authoritative) OVER procedure
            AS authoritative_differ,
        row_number() OVER (
            PARTITION BY school_id, exam_year, subject, coalesce(profile, ''), is_authoritative
            ORDER BY _source_file, _sheet, _row
        ) AS file_order
    FROM file_rows
    WINDOW procedure AS (PARTITION BY school_id, exam_year, subject, coalesce(profile, ''))
)

SELECT
    * EXCLUDE (file_order, has_authoritative, authoritative_differ),
    CASE WHEN has_authoritative THEN coalesce(authoritative_differ, false)
         ELSE files_differ END AS is_conflict,
    CASE WHEN has_authoritative
         THEN is_authoritative AND NOT coalesce(authoritative_differ, false) AND file_order = 1
         ELSE NOT files_differ AND file_order = 1 END AS is_counted
FROM judged
