-- incremental: exam_year
-- Evidence for the ВПР objectivity markers of docs/methodology.md, one row per
-- school_id × exam_year × grade × subject: marks against journal marks (M1; from the §2c
-- summary where participant rows carry none, see journal_source), primary scores at
-- the lower «3» boundary against the region (M2), fail share and mean (M3, M4), absentees (M5).
-- A procedure known only from the ФИС ОКО summaries (a region that sends no participant files)
-- has its counts and mean mark from «Статистика по отметкам» (§2b) and its journal counts from
-- §2c: M1, M3 and M4 are judged there too; M2 and M5 need participant rows.
-- The boundary is read from the region's own data: the lowest primary score from which at
-- least $boundary_pass_rate of the region's results ($boundary_min_results or more) are «3» or
-- better. A spike is judged
-- locally: results at the boundary among those one point either side of it, against the
-- region's share of that window at the boundary — robust to the school's overall level.
WITH counted_procedures AS (
    -- the files' school-procedures that count (issue 18: conflicting files count for none)
    SELECT _source_file, procedure_key
    FROM intermediate.int_participant_file_procedures
    WHERE is_counted
),

results AS (
    SELECT school_id, exam_year, grade, subject, primary_score, mark, journal_mark, is_absent
    FROM staging.stg_vpr__participants
    SEMI JOIN counted_procedures USING (_source_file, procedure_key)
    WHERE school_id IS NOT NULL AND exam_year IS NOT NULL AND grade IS NOT NULL
),

score_pass_rates AS (
    SELECT
        exam_year, grade, subject, primary_score,
        avg(CASE WHEN mark >= 3 THEN 1.0 ELSE 0.0 END) AS pass_rate,
        count(*) AS result_count
    FROM results
    WHERE mark IS NOT NULL AND primary_score IS NOT NULL
    GROUP BY ALL
),

boundaries AS (
    SELECT exam_year, grade, subject, min(primary_score) AS boundary_score
    FROM score_pass_rates
    WHERE pass_rate >= $boundary_pass_rate AND result_count >= $boundary_min_results
    GROUP BY ALL
),

scored AS (
    SELECT r.*, b.boundary_score
    FROM results AS r
    LEFT JOIN boundaries AS b USING (exam_year, grade, subject)
),

per_school AS (
    SELECT
        school_id, exam_year, grade, subject,
        any_value(boundary_score) AS boundary_score,
        count(*) AS listed_count,
        count(*) FILTER (WHERE is_absent) AS absent_count,
        count(*) FILTER (WHERE mark IS NOT NULL AND NOT is_absent) AS participant_count,
        count(*) FILTER (WHERE mark = 2 AND NOT is_absent) AS fail_count,
        avg(mark) FILTER (WHERE NOT is_absent) AS mean_mark,
        count(*) FILTER (WHERE mark IS NOT NULL AND journal_mark IS NOT NULL) AS journal_pair_count,
        avg(mark - journal_mark) FILTER (WHERE mark IS NOT NULL AND journal_mark IS NOT NULL)
            AS mean_mark_minus_journal,
        count(*) FILTER (WHERE mark > journal_mark) AS raised_count,
        count(*) FILTER (WHERE mark < journal_mark) AS lowered_count,
        count(*) FILTER (WHERE mark IS NOT NULL AND primary_score IS NOT NULL) AS scored_count,
        count(*) FILTER (WHERE mark IS NOT NULL AND primary_score = boundary_score)
            AS at_boundary_count,
        count(*) FILTER (
            WHERE mark IS NOT NULL AND primary_score BETWEEN boundary_score - 1 AND boundary_score + 1
        ) AS near_boundary_count
    FROM scored
    GROUP BY ALL
),

-- Procedures with no participant rows: the school's «Статистика по отметкам» (§2b) as the fact
-- table takes it (counts and the mean mark from the mark shares).
summary_only AS (
    SELECT
        school_id, exam_year, grade, subject, participant_count, fail_count,
        mean_score AS mean_mark,
        0 AS journal_pair_count, 0 AS raised_count, 0 AS lowered_count,
        0 AS scored_count, 0 AS at_boundary_count, 0 AS near_boundary_count
    FROM intermediate.int_school_results_from_summaries AS s
    WHERE exam = 'vpr'
        AND NOT EXISTS (
            SELECT 1 FROM per_school AS p
            WHERE p.school_id = s.school_id AND p.exam_year = s.exam_year
                AND p.grade = s.grade AND p.subject = s.subject
        )
),

procedures AS (
    SELECT * FROM per_school
    UNION ALL BY NAME
    SELECT * FROM summary_only
),

-- ФИС ОКО «Сравнение отметок с отметками по журналу» (§2c) gives M1 its counts where the
-- participant files carry no journal marks (the mean gap stays unknown there).
journal_summaries AS (
    SELECT
        school_id, exam_year, grade, subject,
        lowered_count + confirmed_count + raised_count AS journal_pair_count,
        raised_count, lowered_count
    FROM staging.stg_vpr__journal_comparison AS j
    -- given by two files: as int_vpr_summary_file_rows settles it, whatever names or order
    SEMI JOIN intermediate.int_vpr_summary_file_rows AS c
        ON c.summary = 'journal_comparison' AND c.is_counted AND c._source_file = j._source_file
        AND c._sheet IS NOT DISTINCT FROM j._sheet AND c._row = j._row
    WHERE row_kind = 'school' AND school_id IS NOT NULL AND grade IS NOT NULL
        AND raised_count IS NOT NULL AND lowered_count IS NOT NULL AND confirmed_count IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY school_id, exam_year, grade, subject ORDER BY _source_file, _sheet, _row
    ) = 1
),

per_school_with_journal AS (
    SELECT
        p.* REPLACE (
            CASE WHEN p.journal_pair_count = 0 AND j.school_id IS NOT NULL
                THEN j.journal_pair_count ELSE p.journal_pair_count END AS journal_pair_count,
            CASE WHEN p.journal_pair_count = 0 AND j.school_id IS NOT NULL
                THEN j.raised_count ELSE p.raised_count END AS raised_count,
            CASE WHEN p.journal_pair_count = 0 AND j.school_id IS NOT NULL
                THEN j.lowered_count ELSE p.lowered_count END AS lowered_count
        ),
        CASE
            WHEN p.journal_pair_count > 0 THEN 'participants'
            WHEN j.school_id IS NOT NULL THEN 'journal_comparison'
        END AS journal_source
    FROM procedures AS p
    LEFT JOIN journal_summaries AS j USING (school_id, exam_year, grade, subject)
),

regional AS (
    SELECT
        exam_year, grade, subject,
        sum(raised_count) / nullif(sum(journal_pair_count), 0) AS regional_raised_share,
        sum(raised_count + lowered_count) / nullif(sum(journal_pair_count), 0)
            AS regional_changed_share,
        sum(at_boundary_count) / nullif(sum(scored_count), 0) AS regional_at_boundary_share,
        sum(at_boundary_count) / nullif(sum(near_boundary_count), 0)
            AS regional_boundary_window_share
    FROM per_school_with_journal
    GROUP BY ALL
)

SELECT
    p.*,
    r.regional_raised_share,
    r.regional_changed_share,
    r.regional_at_boundary_share,
    r.regional_boundary_window_share
FROM per_school_with_journal AS p
LEFT JOIN regional AS r USING (exam_year, grade, subject)
ORDER BY school_id, exam_year, grade, subject
