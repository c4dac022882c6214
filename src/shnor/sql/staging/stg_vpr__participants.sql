-- incremental: _source_file
-- ВПР participant results, typed. Grain: one row per raw row of raw.vpr_participants
-- (absentees and unusable marks kept and labelled, never dropped). Rows of the ФИС ОКО exports
-- (mark_source = 'scale': no mark column, docs/data-contract.md §2 a′) take the mark of their
-- primary score by ФИОКО's scale of the year, grade, subject and form (ref.vpr_scales); with no
-- scale, or a score outside it, they have no mark (scale_status says why), never a guessed one.
WITH typed AS (
    SELECT
        school_of.school_id,
        -- the 2020–2021 export's `регион` is in practice a municipality or grouping label
        coalesce(clean_text(v.municipality_name), clean_text(v.region_name)) AS municipality_name,
        clean_text(v.school_name) AS school_name,
        folder_year(v._source_file) AS exam_year,
        coalesce(
            parse_integer(v.grade),
            try_cast(regexp_extract(v.class_label, '(\d{1,2})', 1) AS INTEGER)
        ) AS grade,
        -- «НЕТ» (class not given) is an unknown class; a bare letter or number of an export
        -- is a class of the file's grade («А» in grade 5 → «5А», «1» → «5-1»)
        CASE
            WHEN upper(clean_text(v.class_label)) IN ('НЕТ', 'HET', '-') THEN NULL
            WHEN parse_integer(v.grade) IS NOT NULL
                AND NOT regexp_matches(clean_text(v.class_label), '^\d')
                THEN parse_integer(v.grade) || clean_class(v.class_label)
            WHEN parse_integer(v.grade) IS NOT NULL
                AND parse_integer(v.class_label) IS NOT NULL
                AND parse_integer(v.class_label) <> parse_integer(v.grade)
                THEN parse_integer(v.grade) || '-' || parse_integer(v.class_label)
            ELSE clean_class(v.class_label)
        END AS class_label,
        coalesce(subjects.subject, 'unknown') AS subject,
        clean_text(v.subject) AS subject_name,
        coalesce(lower(clean_text(v.work_form)), '') AS work_form,
        clean_text(v.participant_id) AS participant_id,
        clean_text(v.variant) AS variant,
        parse_number(v.primary_score) AS primary_score,
        coalesce(v.mark_source = 'scale', false) AS is_export,
        CASE WHEN parse_integer(v.mark) BETWEEN 2 AND 5 THEN parse_integer(v.mark) END AS given_mark,
        -- an export marks an absentee in the variant (a blank variant: only without a score)
        CASE
            WHEN v.mark_source = 'scale' THEN is_absent_mark(v.variant)
                AND (clean_text(v.variant) IS NOT NULL OR parse_number(v.primary_score) IS NULL)
            ELSE is_absent_mark(v.mark)
        END AS is_absent,
        CASE WHEN parse_integer(v.journal_mark) BETWEEN 1 AND 5
            THEN parse_integer(v.journal_mark) END AS journal_mark,
        v._source_file,
        v._sheet,
        v._row
    FROM raw.vpr_participants AS v
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = v.subject
    LEFT JOIN school_of_codes('raw.vpr_participants') AS school_of
        ON school_of.school_code = v.school_code
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
