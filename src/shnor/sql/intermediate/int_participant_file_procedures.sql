-- incremental: school_id
-- The school-procedures each participant file gives (ВПР: school × year × grade × class ×
-- subject × form; ОГЭ/ЕГЭ/mock: school × year × exam × class × subject × stage × day; issue 18)
-- and whether the file's rows of it count. Files giving a procedure with the same rows (and, for
-- ВПР, the same task points) count once. Where files give it with different rows, or two files
-- give the same participant (school, year, grade or stage and day, subject, code) under other
-- classes (crossed_files), only the file an analyst named in reference/authoritative_files.csv
-- (a reviewed row: reviewed_by filled; scope by year and municipality when given) counts; with
-- none named, none does (is_conflict, reported as participant_conflict): the outcome never
-- depends on the files' names or the order they arrived in. Rows without a school are not
-- settled here (reported as unusable downstream).
-- Each row depends only on its school's rows of its year, so it is updated per school.
-- Grain: procedure_key × _source_file.
WITH file_procedures AS (
    SELECT
        procedure_key, _source_file, school_id, exam_year, 'vpr' AS exam, grade, class_label,
        subject, any_value(subject_name) AS subject_name, any_value(school_name) AS school_name,
        any_value(municipality_name) AS municipality_name,
        count(*) AS row_count, min(_row) AS first_row, arg_min(_sheet, _row) AS first_sheet,
        -- the rows as a multiset, whatever their order: how many, and the sum of their hashes
        count(*) || ':' || sum(hash(
            {'id': participant_id, 'variant': variant, 'score': primary_score, 'mark': mark,
             'absent': is_absent, 'journal': journal_mark})::HUGEINT) AS rows_hash
    FROM staging.stg_vpr__participants
    GROUP BY procedure_key, _source_file, school_id, exam_year, grade, class_label, subject
    UNION ALL
    SELECT
        procedure_key, _source_file, school_id, exam_year, exam, class_grade AS grade,
        class_label, subject, any_value(subject_name) AS subject_name,
        any_value(school_name) AS school_name, any_value(municipality_name) AS municipality_name,
        count(*) AS row_count, min(_row) AS first_row, arg_min(_sheet, _row) AS first_sheet,
        count(*) || ':' || sum(hash(
            {'id': participant_id, 'primary': primary_score, 'test': test_score,
             'mark': mark})::HUGEINT) AS rows_hash
    FROM staging.stg_exam__participants
    GROUP BY procedure_key, _source_file, school_id, exam_year, exam, class_grade, class_label,
        subject
),

-- ВПР procedures several files give with the same rows: their task points (raw, as written)
-- tell them apart too, so that the task results never depend on which file counts. Only such
-- files' task cells are read.
same_rows AS (
    SELECT procedure_key, rows_hash
    FROM file_procedures
    WHERE exam = 'vpr'
    GROUP BY ALL
    HAVING count(*) > 1
),

task_rows AS (
    SELECT
        t._source_file, t._sheet, t._row,
        string_agg(t.task || '=' || coalesce(trim(t.points), ''), ';' ORDER BY t.task) AS tasks
    FROM raw.vpr_task_points AS t
    WHERE t._source_file IN (
        SELECT f._source_file
        FROM file_procedures AS f
        SEMI JOIN same_rows USING (procedure_key, rows_hash)
    )
    GROUP BY ALL
),

task_hashes AS (
    SELECT
        v.procedure_key, v._source_file,
        sum(hash({'id': v.participant_id, 'mark': v.mark, 'tasks': t.tasks})::HUGEINT)::VARCHAR
            AS tasks_hash
    FROM staging.stg_vpr__participants AS v
    SEMI JOIN same_rows AS s ON s.procedure_key = v.procedure_key
    LEFT JOIN task_rows AS t
        ON t._source_file = v._source_file AND t._sheet IS NOT DISTINCT FROM v._sheet
        AND t._row = v._row
    GROUP BY ALL
),

with_tasks AS (
    SELECT
        f.* REPLACE (coalesce(f.rows_hash || ':' || h.tasks_hash, f.rows_hash) AS rows_hash)
    FROM file_procedures AS f
    LEFT JOIN task_hashes AS h USING (procedure_key, _source_file)
),

-- the same participant in two files under other procedures (another class): both files'
-- procedures holding them are in doubt
persons AS (
    SELECT
        -- (a 64-bit hash of the participant's key: cheap, and no collision at this scale)
        hash('vpr', exam_year, school_id, grade, subject, work_form, participant_id)
            AS person_key,
        procedure_key, _source_file
    FROM staging.stg_vpr__participants
    WHERE participant_id IS NOT NULL AND school_id IS NOT NULL
    UNION ALL
    SELECT
        hash(exam, exam_year, school_id, subject, stage, exam_date, participant_id)
            AS person_key,
        procedure_key, _source_file
    FROM staging.stg_exam__participants
    WHERE participant_id IS NOT NULL AND school_id IS NOT NULL
),

shared_persons AS (
    SELECT person_key
    FROM persons
    -- a participant given more than once (rare) first, by a count only
    SEMI JOIN (SELECT person_key FROM persons GROUP BY person_key HAVING count(*) > 1)
        USING (person_key)
    GROUP BY person_key
    HAVING min(_source_file) <> max(_source_file) AND min(procedure_key) <> max(procedure_key)
),

crossed AS (
    SELECT
        a.procedure_key, a._source_file,
        string_agg(DISTINCT b._source_file, '», «' ORDER BY b._source_file) AS crossed_files
    FROM (SELECT * FROM persons SEMI JOIN shared_persons USING (person_key)) AS a
    JOIN persons AS b
        ON b.person_key = a.person_key AND b._source_file <> a._source_file
        AND b.procedure_key <> a.procedure_key
    GROUP BY ALL
),

files AS (
    SELECT
        f.* RENAME (rows_hash AS content_hash),
        f.procedure_key AS unit_key,
        c.crossed_files,
        c.crossed_files IS NOT NULL AS in_doubt
    FROM with_tasks AS f
    LEFT JOIN crossed AS c USING (procedure_key, _source_file)
)

-- (macro authoritative_file_judged: which file counts; its windows are partitioned by school and
-- year too, so that an update of some schools' years reaches the scans above)
SELECT * RENAME (content_hash AS rows_hash)
FROM authoritative_file_judged('files')
