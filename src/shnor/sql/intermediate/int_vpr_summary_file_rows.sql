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
             mark_5_percent]::VARCHAR) AS content_hash,
        {'summary': 'mark_stats', 'grade': grade, 'subject': subject} AS unit_key,
        false AS in_doubt
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
             raised_percent]::VARCHAR) AS content_hash,
        {'summary': 'journal_comparison', 'grade': grade, 'subject': subject} AS unit_key,
        false AS in_doubt
    FROM staging.stg_vpr__journal_comparison
    WHERE row_kind = 'school' AND school_id IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY school_id, exam_year, grade, subject, _source_file ORDER BY _sheet, _row
    ) = 1
)

-- (macro authoritative_file_judged: which file counts)
SELECT * RENAME (content_hash AS figures_hash)
FROM authoritative_file_judged('file_rows')
