-- incremental: _source_file
-- ВПР participant results, typed. Grain: one row per raw row of raw.vpr_participants
-- (absentees and unusable marks kept and labelled, never dropped). Rows of the ФИС ОКО exports
-- (mark_source = 'scale': no mark column, docs/data-contract.md §2 a′) take the mark of their
-- primary score by ФИОКО's scale of the year, grade, subject and form (ref.vpr_scales); with no
-- scale, or a score outside it, they have no mark (scale_status says why), never a guessed one.
WITH
-- The cells of few spellings (places, classes, subjects, marks) typed once per distinct
-- spelling, then joined to the rows: the cleaning macros' regular expressions on every cell of
-- a million rows cost more than the rest of the model.
places AS (
    SELECT
        municipality_name AS raw_municipality,
        region_name AS raw_region,
        school_name AS raw_school,
        -- the 2020–2021 export's `регион` is in practice a municipality or grouping label
        coalesce(clean_text(municipality_name), clean_text(region_name)) AS municipality_name,
        clean_text(school_name) AS school_name
    FROM (SELECT DISTINCT municipality_name, region_name, school_name FROM raw.vpr_participants)
),
classes AS (
    SELECT
        grade AS raw_grade,
        class_label AS raw_class,
        coalesce(
            parse_integer(grade),
            try_cast(regexp_extract(class_label, '(\d{1,2})', 1) AS INTEGER)
        ) AS typed_grade,
        -- «НЕТ» (class not given) is an unknown class; a bare letter or number of an export
        -- is a class of the file's grade («А» in grade 5 → «5А», «1» → «5-1»)
        CASE
            WHEN upper(clean_text(class_label)) IN ('НЕТ', 'HET', '-') THEN NULL
            WHEN parse_integer(grade) IS NOT NULL
                AND NOT regexp_matches(clean_text(class_label), '^\d')
                THEN parse_integer(grade) || clean_class(class_label)
            WHEN parse_integer(grade) IS NOT NULL
                AND parse_integer(class_label) IS NOT NULL
                AND parse_integer(class_label) <> parse_integer(grade)
                THEN parse_integer(grade) || '-' || parse_integer(class_label)
            ELSE clean_class(class_label)
        END AS typed_class
    FROM (SELECT DISTINCT grade, class_label FROM raw.vpr_participants)
),
works AS (
    SELECT
        subject AS raw_subject,
        work_form AS raw_form,
        clean_text(subject) AS subject_name,
        coalesce(lower(clean_text(work_form)), '') AS typed_form
    FROM (SELECT DISTINCT subject, work_form FROM raw.vpr_participants)
),
marks AS (
    SELECT
        mark_source AS raw_source,
        variant AS raw_variant,
        primary_score AS raw_score,
        mark AS raw_mark,
        journal_mark AS raw_journal,
        clean_text(variant) AS typed_variant,
        parse_number(primary_score) AS typed_score,
        coalesce(mark_source = 'scale', false) AS is_export,
        CASE WHEN parse_integer(mark) BETWEEN 2 AND 5 THEN parse_integer(mark) END AS given_mark,
        -- an export marks an absentee in the variant (a blank variant: only without a score)
        CASE
            WHEN mark_source = 'scale' THEN is_absent_mark(variant)
                AND (clean_text(variant) IS NOT NULL OR parse_number(primary_score) IS NULL)
            ELSE is_absent_mark(mark)
        END AS is_absent,
        CASE WHEN parse_integer(journal_mark) BETWEEN 1 AND 5
            THEN parse_integer(journal_mark) END AS typed_journal
    FROM (
        SELECT DISTINCT mark_source, variant, primary_score, mark, journal_mark
        FROM raw.vpr_participants
    )
),
typed AS (
    SELECT
        school_of.school_id,
        p.municipality_name,
        p.school_name,
        folder_year(v._source_file) AS exam_year,
        c.typed_grade AS grade,
        c.typed_class AS class_label,
        coalesce(subjects.subject, 'unknown') AS subject,
        w.subject_name,
        w.typed_form AS work_form,
        clean_id(v.participant_id) AS participant_id,
        m.typed_variant AS variant,
        m.typed_score AS primary_score,
        m.is_export,
        m.given_mark,
        m.is_absent,
        m.typed_journal AS journal_mark,
        v._source_file,
        v._sheet,
        v._row
    FROM raw.vpr_participants AS v
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = v.subject
    LEFT JOIN school_of_codes('raw.vpr_participants') AS school_of
        ON school_of.school_code = v.school_code
    JOIN places AS p
        ON p.raw_municipality IS NOT DISTINCT FROM v.municipality_name
        AND p.raw_region IS NOT DISTINCT FROM v.region_name
        AND p.raw_school IS NOT DISTINCT FROM v.school_name
    JOIN classes AS c
        ON c.raw_grade IS NOT DISTINCT FROM v.grade
        AND c.raw_class IS NOT DISTINCT FROM v.class_label
    JOIN works AS w
        ON w.raw_subject IS NOT DISTINCT FROM v.subject
        AND w.raw_form IS NOT DISTINCT FROM v.work_form
    JOIN marks AS m
        ON m.raw_source IS NOT DISTINCT FROM v.mark_source
        AND m.raw_variant IS NOT DISTINCT FROM v.variant
        AND m.raw_score IS NOT DISTINCT FROM v.primary_score
        AND m.raw_mark IS NOT DISTINCT FROM v.mark
        AND m.raw_journal IS NOT DISTINCT FROM v.journal_mark
    -- a subject no alias knows is left out (reported per file by map_subjects)
    WHERE subjects.is_known IS DISTINCT FROM false
)

SELECT
    t.school_id,
    t.municipality_name,
    t.school_name,
    t.exam_year,
    t.grade,
    t.class_label,
    t.subject,
    t.subject_name,
    t.work_form,
    t.participant_id,
    t.variant,
    t.primary_score,
    CASE
        WHEN NOT t.is_export THEN t.given_mark
        WHEN s.max_score IS NULL OR t.primary_score IS NULL OR t.primary_score < 0 OR t.primary_score > s.max_score
            THEN NULL
        WHEN t.primary_score >= s.min_score_5 THEN 5
        WHEN t.primary_score >= s.min_score_4 THEN 4
        WHEN t.primary_score >= s.min_score_3 THEN 3
        ELSE 2
    END AS mark,
    CASE
        WHEN NOT t.is_export OR t.is_absent THEN NULL
        WHEN s.max_score IS NULL THEN 'no_scale'
        WHEN t.primary_score IS NULL THEN 'no_score'
        WHEN t.primary_score < 0 OR t.primary_score > s.max_score THEN 'score_outside_scale'
        ELSE 'scale'
    END AS scale_status,
    t.is_absent,
    t.journal_mark,
    -- the school-procedure a file gives (school × year × grade × class × subject × form): two
    -- files giving one with different rows conflict (int_participant_file_procedures)
    concat_ws('|', 'vpr', coalesce(t.exam_year::VARCHAR, ''), coalesce(t.school_id, ''),
              coalesce(t.grade::VARCHAR, ''), coalesce(t.class_label, ''), t.subject,
              t.work_form) AS procedure_key,
    t._source_file,
    t._sheet,
    t._row
FROM typed AS t
LEFT JOIN ref.vpr_scales AS s
    ON t.is_export AND s.exam_year = t.exam_year AND s.grade = t.grade
    AND s.subject = t.subject AND coalesce(lower(trim(s.form)), '') = t.work_form
