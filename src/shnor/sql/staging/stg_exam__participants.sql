-- incremental: _source_file
-- ОГЭ, ЕГЭ and mock exam participant results, typed. Grain: one row per raw row of
-- raw.exam_participants (every attempt kept; which one counts is decided downstream).
WITH
-- The cells of few spellings (places, classes, subjects, days, scores) typed once per distinct
-- spelling, then joined to the rows (as in stg_vpr__participants).
places AS (
    SELECT
        municipality_name AS raw_municipality,
        municipality_code AS raw_municipality_code,
        school_name AS raw_school,
        clean_text(municipality_name) AS municipality_name,
        clean_text(municipality_code) AS municipality_code,
        clean_text(school_name) AS school_name
    FROM (
        SELECT DISTINCT municipality_name, municipality_code, school_name
        FROM raw.exam_participants
    )
),
classes AS (
    SELECT
        class_label AS raw_class,
        clean_class(class_label) AS typed_class,
        try_cast(regexp_extract(class_label, '(\d{1,2})', 1) AS INTEGER) AS class_grade
    FROM (SELECT DISTINCT class_label FROM raw.exam_participants)
),
sittings AS (
    SELECT
        subject AS raw_subject,
        stage AS raw_stage,
        exam_date AS raw_date,
        clean_text(subject) AS subject_name,
        exam_stage(stage) AS typed_stage,
        parse_date(exam_date) AS typed_date
    FROM (SELECT DISTINCT subject, stage, exam_date FROM raw.exam_participants)
),
scores AS (
    SELECT
        primary_score AS raw_primary,
        test_score AS raw_test,
        mark AS raw_mark,
        parse_number(primary_score) AS typed_primary,
        parse_number(test_score) AS typed_test,
        CASE WHEN parse_integer(mark) BETWEEN 2 AND 5 THEN parse_integer(mark) END AS typed_mark,
        -- an absence written out («н/я», «отсутствовал», «неявка»; an empty cell is not one)
        coalesce(clean_text(mark) IS NOT NULL AND is_absent_mark(mark), false)
            OR coalesce(clean_text(test_score) IS NOT NULL AND is_absent_mark(test_score), false)
            AS typed_absent
    FROM (SELECT DISTINCT primary_score, test_score, mark FROM raw.exam_participants)
),
typed AS (
    SELECT
        school_of.school_id,
        folder_name(e._source_file) AS exam,
        folder_year(e._source_file) AS exam_year,
        p.municipality_name,
        p.municipality_code,
        p.school_name,
        c.typed_class AS class_label,
        c.class_grade,
        coalesce(subjects.subject, 'unknown') AS subject,
        s.subject_name,
        clean_id(e.participant_id) AS participant_id,
        n.typed_primary AS primary_score,
        n.typed_test AS test_score,
        n.typed_mark AS mark,
        n.typed_absent AS is_absent,
        s.typed_stage AS stage,
        s.typed_date AS exam_date,
        e._source_file,
        e._sheet,
        e._row
    FROM raw.exam_participants AS e
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = e.subject
    LEFT JOIN school_of_codes('raw.exam_participants') AS school_of ON school_of.school_code = e.school_code
    JOIN places AS p
        ON p.raw_municipality IS NOT DISTINCT FROM e.municipality_name
        AND p.raw_municipality_code IS NOT DISTINCT FROM e.municipality_code
        AND p.raw_school IS NOT DISTINCT FROM e.school_name
    JOIN classes AS c ON c.raw_class IS NOT DISTINCT FROM e.class_label
    JOIN sittings AS s
        ON s.raw_subject IS NOT DISTINCT FROM e.subject
        AND s.raw_stage IS NOT DISTINCT FROM e.stage
        AND s.raw_date IS NOT DISTINCT FROM e.exam_date
    JOIN scores AS n
        ON n.raw_primary IS NOT DISTINCT FROM e.primary_score
        AND n.raw_test IS NOT DISTINCT FROM e.test_score
        AND n.raw_mark IS NOT DISTINCT FROM e.mark
    -- a subject no alias knows is left out (reported per file by map_subjects)
    WHERE subjects.is_known IS DISTINCT FROM false
)

SELECT
    *,
    -- the school-procedure a file gives (school × year × exam × class × subject × stage × day):
    -- two files giving one with different rows conflict (int_participant_file_procedures)
    concat_ws('|', exam, coalesce(exam_year::VARCHAR, ''), coalesce(school_id, ''),
              coalesce(class_label, ''), subject, stage, coalesce(exam_date::VARCHAR, ''))
        AS procedure_key
FROM typed
