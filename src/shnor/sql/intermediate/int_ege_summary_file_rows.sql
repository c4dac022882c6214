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
                      round(s.mean_score, 6))) AS content_hash,
        {'subject': s.subject, 'profile': coalesce(s.profile, '')} AS unit_key,
        false AS in_doubt
    FROM staging.stg_ege__school_summary AS s
    WHERE s.subject IS NOT NULL AND s.participant_count > 0 AND s.fail_count IS NOT NULL
        AND s.school_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY s.school_id, s.exam_year, s.subject, coalesce(s.profile, ''), s._source_file
        ORDER BY s._sheet, s._row
    ) = 1
)

-- (macro authoritative_file_judged: which file counts)
SELECT * RENAME (content_hash AS figures_hash)
FROM authoritative_file_judged('file_rows')
