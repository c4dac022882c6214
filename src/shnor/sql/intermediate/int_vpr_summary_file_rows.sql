-- ВПР summary school rows as each file gives them (docs/data-contract.md «Статистика по отметкам»,
-- §2c «Сравнение отметок с отметками по журналу»; issue 18): a file's first row of a school's
-- grade and subject in a year (a repeat within a file is checked on loading), and whether it
-- counts. Files that agree count once. Where files disagree, only the file an analyst named in
-- reference/authoritative_files.csv (a reviewed row: reviewed_by filled; scope by year and
-- municipality when given) counts; with none named, none does (is_conflict, reported as
-- summary_conflict): the outcome never depends on the files' names or the order they arrived in.
-- Grain: summary × school_id × exam_year × grade × subject × _source_file.
WITH file_rows AS (
    SELECT
        'mark_stats' AS summary, school_id, exam_year, grade, subject, subject_name,
        school_name, municipality_name, participant_count, _source_file, _sheet, _row,
        md5([participant_count, mark_2_percent, mark_3_percent, mark_4_percent,
             mark_5_percent]::VARCHAR) AS figures_hash
    FROM staging.stg_vpr__mark_stats
    WHERE row_kind = 'school' AND school_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY school_id, exam_year, grade, subject, _source_file ORDER BY _sheet, _row
    ) = 1
    UNION ALL
    SELECT
        'journal_comparison' AS summary, school_id, exam_year, grade, subject,
        subject AS subject_name, school_name, municipality_name, participant_count,
        _source_file, _sheet, _row,
        md5([participant_count, lowered_percent, confirmed_percent,
             raised_percent]::VARCHAR) AS figures_hash
    FROM staging.stg_vpr__journal_comparison
    WHERE row_kind = 'school' AND school_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY school_id, exam_year, grade, subject, _source_file ORDER BY _sheet, _row
    ) = 1
),

judged AS (
    SELECT
        *,
        EXISTS (
            SELECT 1 FROM ref.authoritative_files AS a
            WHERE a.source_file = f._source_file
              AND nullif(trim(a.reviewed_by), '') IS NOT NULL
              AND (try_cast(a.exam_year AS INTEGER) IS NULL
                   OR try_cast(a.exam_year AS INTEGER) = f.exam_year)
              AND (nullif(trim(a.municipality_name), '') IS NULL
                   OR clean_text(a.municipality_name) = f.municipality_name)
        ) AS is_authoritative
    FROM file_rows AS f
),

compared AS (
    SELECT
        *,
        bool_or(is_authoritative) OVER procedure AS has_authoritative,
        min(figures_hash) OVER procedure <> max(figures_hash) OVER procedure AS files_differ,
        min(figures_hash) FILTER (WHERE is_authoritative) OVER procedure
            <> max(figures_hash) FILTER (WHERE is_authoritative) OVER procedure
            AS authoritative_differ,
        row_number() OVER (
            PARTITION BY summary, school_id, exam_year, grade, subject, is_authoritative
            ORDER BY _source_file
        ) AS file_order
    FROM judged
    WINDOW procedure AS (PARTITION BY summary, school_id, exam_year, grade, subject)
)

SELECT
    * EXCLUDE (file_order, has_authoritative, authoritative_differ),
    CASE WHEN has_authoritative THEN coalesce(authoritative_differ, false)
         ELSE files_differ END AS is_conflict,
    CASE WHEN has_authoritative
         THEN is_authoritative AND NOT coalesce(authoritative_differ, false) AND file_order = 1
         ELSE NOT files_differ AND file_order = 1 END AS is_counted
FROM compared
