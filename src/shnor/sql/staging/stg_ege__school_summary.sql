-- ЕГЭ school summary workbook rows (docs/data-contract.md), typed. Grain: one row per raw row
-- (school × subject of one sheet; subject NULL for a school with graduates but no figures).
-- A blank or dashed count is 0; a count that is not a whole number is NULL (named in
-- unreadable_columns and reported); so are 80–99 and 100 counts that are negative or exceed
-- the participants together, and a mean outside 0–100 (junk in columns no flag uses must not
-- stop the build: docs/data-contract.md); the mean of a subject nobody sat is NULL. The year is the
-- sheet's own, else the folder's; when a year arrives both from a file in that year's folder
-- and from a sheet of a workbook in another folder, the file in the year's folder wins.
-- The school is the one the name map gives (alias, registry or the name's own identity).
WITH typed AS (
    SELECT
        names.school_id,
        names.match_rule,
        clean_text(s.municipality_name) AS municipality_name,
        clean_text(s.school_name) AS school_name,
        coalesce(try_cast(s.sheet_year AS INTEGER), folder_year(s._source_file)) AS exam_year,
        folder_year(s._source_file) AS folder_year,
        CASE WHEN s.subject IS NOT NULL THEN coalesce(subjects.subject, 'unknown') END AS subject,
        clean_text(s.subject) AS subject_name,
        clean_text(s.profile) AS profile,
        parse_integer(s.graduate_count) AS graduate_count,
        coalesce(parse_integer(s.participant_count), CASE WHEN count_text(s.participant_count)
            IS NULL THEN 0 END) AS participant_count,
        coalesce(parse_integer(s.fail_count), CASE WHEN count_text(s.fail_count)
            IS NULL THEN 0 END) AS fail_count,
        coalesce(parse_integer(s.high_80_99_count), CASE WHEN clean_text(s.high_80_99_count)
            IS NULL THEN 0 END) AS high_80_99_count,
        coalesce(parse_integer(s.hundred_count), CASE WHEN clean_text(s.hundred_count)
            IS NULL THEN 0 END) AS hundred_count,
        parse_number(s.mean_score) AS mean_score,
        list_filter(
            [
                CASE WHEN count_text(s.participant_count) IS NOT NULL
                    AND parse_integer(s.participant_count) IS NULL THEN 'participant_count' END,
                CASE WHEN count_text(s.fail_count) IS NOT NULL
                    AND parse_integer(s.fail_count) IS NULL THEN 'fail_count' END,
                CASE WHEN clean_text(s.high_80_99_count) IS NOT NULL
                    AND parse_integer(s.high_80_99_count) IS NULL THEN 'high_80_99_count' END,
                CASE WHEN clean_text(s.hundred_count) IS NOT NULL
                    AND parse_integer(s.hundred_count) IS NULL THEN 'hundred_count' END,
                CASE WHEN clean_text(s.mean_score) IS NOT NULL
                    AND parse_number(s.mean_score) IS NULL THEN 'mean_score' END
            ],
            lambda c: c IS NOT NULL
        ) AS unreadable_columns,
        s._source_file,
        s._sheet,
        s._row
    FROM ege_summary_rows('raw.ege_school_summary') AS s
    LEFT JOIN staging.stg_school_name_map AS names
        ON names.municipality_name IS NOT DISTINCT FROM clean_text(s.municipality_name)
        AND names.school_name = clean_text(s.school_name)
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = s.subject
    -- a subject no alias knows is left out (reported per file by map_subjects)
    WHERE subjects.is_known IS DISTINCT FROM false
),

checked AS (
    SELECT
        * REPLACE (
            CASE WHEN NOT high_out_of_range THEN high_80_99_count END AS high_80_99_count,
            CASE WHEN NOT high_out_of_range THEN hundred_count END AS hundred_count,
            CASE WHEN NOT mean_out_of_range THEN mean_score END AS mean_score,
            list_concat(
                unreadable_columns,
                list_filter(
                    [
                        CASE WHEN high_out_of_range THEN 'high_80_99_count' END,
                        CASE WHEN high_out_of_range THEN 'hundred_count' END,
                        CASE WHEN mean_out_of_range THEN 'mean_score' END
                    ],
                    lambda c: c IS NOT NULL
                )
            ) AS unreadable_columns
        )
    FROM (
        SELECT
            *,
            coalesce(high_80_99_count < 0 OR hundred_count < 0
                     OR high_80_99_count + hundred_count > participant_count, false)
                AS high_out_of_range,
            coalesce(NOT mean_score BETWEEN 0 AND 100, false) AS mean_out_of_range
        FROM typed
    )
)

SELECT
    * EXCLUDE (mean_score, high_out_of_range, mean_out_of_range),
    -- 80–100 points, as for participant results (score ≥ ege_high_score = 80)
    high_80_99_count + hundred_count AS high_count,
    CASE WHEN participant_count > 0 THEN mean_score END AS mean_score
FROM checked
-- (a workbook lying in ege/ without a year folder has no folder year: its sheets' years count)
QUALIFY coalesce(folder_year = exam_year, false)
    OR NOT bool_or(coalesce(folder_year = exam_year, false)) OVER (PARTITION BY exam_year)
