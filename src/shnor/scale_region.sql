-- The scale generator's statements (shnor.scale_region), one per `-- name:` block. Every value is
-- drawn from a hash of the seed and the row's keys, so a region reads the same whatever the
-- threads and whichever regions are generated with it; no row is made by a Python loop.
-- Parameters: $seed, $region, $schools, $municipalities, $students (mean pupils per grade).

-- name: macros
CREATE OR REPLACE MACRO draw(seed, a, b, c, d, e) AS
    (hash(seed, a, b, c, d, e) % 4294967291) / 4294967291.0;
CREATE OR REPLACE MACRO gauss(seed, a, b, c, d, e) AS
    sqrt(-2 * ln(greatest(draw(seed, a, b, c, d, e), 1e-12)))
        * cos(2 * pi() * draw(seed, a, b, c, d, e + 1000));
CREATE OR REPLACE MACRO clamp(x, lo, hi) AS least(greatest(x, lo), hi);

-- name: schools
-- The region's schools: a code unique in the country, a municipality, pupils per grade (mean
-- $students) and the school's own effect, which the results carry in every year.
CREATE OR REPLACE TEMP TABLE scale_schools AS
SELECT
    s AS school,
    'r' || lpad($region::VARCHAR, 2, '0') || 's' || lpad(s::VARCHAR, 5, '0') AS school_code,
    1 + (s % $municipalities) AS municipality,
    'Муниципальный округ № ' || (1 + (s % $municipalities)) || ' региона ' || $region
        AS municipality_name,
    CASE WHEN draw($seed, $region, s, 0, 0, 1) < 0.4 THEN 'село' ELSE 'город' END
        AS settlement_type,
    (5 + floor(draw($seed, $region, s, 0, 0, 2) * 2 * ($students - 5)))::INTEGER AS pupils,
    0.5 * gauss($seed, $region, s, 0, 0, 3) AS effect
FROM range(1, $schools + 1) AS t(s);

-- name: registry
SELECT
    school_code AS "Код ОО",
    'МБОУ «СОШ № ' || school || '» (регион ' || $region || ')' AS "Полное наименование",
    municipality_name AS "Муниципалитет",
    settlement_type AS "Тип поселения",
    'СОШ' AS "Уровень",
    pupils * 11 AS "Численность обучающихся"
FROM scale_schools
ORDER BY school;

-- name: context
SELECT
    school_code AS "Код ОО",
    round(0.2 + 0.4 * draw($seed, $region, school, $year, 1, 11), 3)
        AS "Доля родителей с высшим образованием",
    round(0.1 + 0.2 * draw($seed, $region, school, $year, 2, 11), 3) AS "Доля неполных семей",
    round(0.05 + 0.3 * draw($seed, $region, school, $year, 3, 11), 3)
        AS "Доля малообеспеченных семей",
    round(0.01 + 0.08 * draw($seed, $region, school, $year, 4, 11), 3)
        AS "Доля семей с безработными родителями",
    round(0.03 * draw($seed, $region, school, $year, 5, 11), 3)
        AS "Доля обучающихся, состоящих на учёте",
    round(0.1 * draw($seed, $region, school, $year, 6, 11), 3)
        AS "Доля обучающихся, для которых русский язык не родной",
    round(0.02 + 0.06 * draw($seed, $region, school, $year, 7, 11), 3) AS "Доля обучающихся с ОВЗ",
    round(0.05 * draw($seed, $region, school, $year, 8, 11), 3) AS "Доля вакантных ставок",
    round(0.1 + 0.4 * draw($seed, $region, school, $year, 9, 11), 3)
        AS "Доля учителей высшей категории",
    round(0.3 * draw($seed, $region, school, $year, 10, 11), 3)
        AS "Доля учителей, не подтвердивших предметные компетенции",
    settlement_type AS "Тип поселения",
    pupils * 11 AS "Численность обучающихся"
FROM scale_schools
ORDER BY school;

-- name: pupils
-- One row per pupil of a grade in $year, with an ability that is the school's effect, the
-- school's drift in that year and the pupil's own part.
CREATE OR REPLACE TEMP TABLE scale_pupils AS
WITH grades AS (
    SELECT s.*, g.grade,
           CASE WHEN g.grade = 11 THEN (s.pupils + 1) // 2 ELSE s.pupils END AS in_grade
    FROM scale_schools AS s
    CROSS JOIN (SELECT unnest([4, 5, 6, 7, 8, 9, 11]) AS grade) AS g
)
SELECT
    school, school_code, municipality, municipality_name, grade,
    unnest(range(1, in_grade + 1)) AS pupil,
    effect + 0.25 * gauss($seed, $region, school, $year, 0, 4) AS school_year_effect
FROM grades;

-- name: vpr
-- ВПР (contract layout vpr_participants), grade $grade: Russian, maths and a third subject. The
-- mark comes from a score of 0–20 that is not written: a primary score would be compared with
-- the official scale of its subject and grade, which this generator does not follow.
SELECT
    p.municipality_name AS "Муниципалитет",
    p.school_code AS "Код ОО",
    p.grade || substr('АБВГДЕЖИКЛМН', 1 + (p.pupil - 1) // 25, 1) AS "Класс",
    p.school_code || '-' || $year || '-' || p.grade || '-' || lpad(p.pupil::VARCHAR, 4, '0')
        AS "Код участника",
    sub.subject AS "Предмет",
    1 + (p.pupil % 2) AS "Вариант",
    CASE WHEN score < 6 THEN 2 WHEN score < 11 THEN 3 WHEN score < 16 THEN 4 ELSE 5 END
        AS "Отметка",
    clamp(CASE WHEN score < 6 THEN 2 WHEN score < 11 THEN 3 WHEN score < 16 THEN 4 ELSE 5 END
          + (draw($seed, $region, p.school, p.pupil, sub.k, 7) < 0.3)::INTEGER, 2, 5)
        AS "Отметка по журналу"
FROM scale_pupils AS p
CROSS JOIN (
    SELECT unnest(['Русский язык', 'Математика',
                   CASE $grade WHEN 4 THEN 'Окружающий мир' WHEN 5 THEN 'История'
                               WHEN 6 THEN 'Биология' WHEN 7 THEN 'География'
                               ELSE 'Обществознание' END]) AS subject,
           unnest([1, 2, 3]) AS k
) AS sub
CROSS JOIN LATERAL (
    SELECT clamp(round(11 + 4.5 * (p.school_year_effect
        + 0.9 * gauss($seed, $region, p.school, $year * 100 + p.grade, p.pupil, 5)
        + 0.4 * gauss($seed, $region, p.school, $year * 100 + p.grade, p.pupil * 10 + sub.k, 6))),
        0, 20)::INTEGER AS score
) AS s
WHERE p.grade = $grade
ORDER BY p.school, p.pupil, sub.k;

-- name: oge
-- ОГЭ (contract layout exam_participants): Russian, maths and two of four electives.
SELECT
    p.school_code AS "Код ОУ",
    lpad(p.municipality::VARCHAR, 2, '0') AS "Код МСУ",
    p.school_code || '-' || $year || '-9-' || lpad(p.pupil::VARCHAR, 4, '0') AS "Код участника",
    sub.subject AS "Предмет",
    clamp(round(18 + 6 * ability), 0, 33)::INTEGER AS "Первичный балл",
    CASE WHEN ability < -1.0 THEN 2 WHEN ability < 0 THEN 3 WHEN ability < 1 THEN 4 ELSE 5 END
        AS "Оценка",
    'основной' AS "Этап",
    strftime(make_date($year, 5, 20 + sub.k), '%Y-%m-%d') AS "Дата экзамена"
FROM scale_pupils AS p
CROSS JOIN LATERAL (
    SELECT floor(draw($seed, $region, p.school, $year, p.pupil, 8) * 4)::INTEGER AS first,
           floor(draw($seed, $region, p.school, $year, p.pupil, 9) * 3)::INTEGER AS step
) AS choice
CROSS JOIN LATERAL (
    SELECT unnest(['Русский язык', 'Математика',
                   ['Обществознание', 'География', 'Биология', 'Информатика'][1 + choice.first],
                   ['Обществознание', 'География', 'Биология', 'Информатика']
                       [1 + (choice.first + 1 + choice.step) % 4]]) AS subject,
           unnest([1, 2, 3 + choice.first, 3 + (choice.first + 1 + choice.step) % 4]) AS k
) AS sub
CROSS JOIN LATERAL (
    SELECT p.school_year_effect + 0.9 * gauss($seed, $region, p.school, $year * 100 + 9, p.pupil, 5)
           + 0.4 * gauss($seed, $region, p.school, $year * 100 + 9, p.pupil * 10 + sub.k, 6)
        AS ability
) AS a
WHERE p.grade = 9
ORDER BY p.school, p.pupil, sub.k;

-- name: ege
-- ЕГЭ (contract layout exam_participants): Russian, profile maths and one elective.
SELECT
    p.school_code AS "Код ОУ",
    p.municipality_name AS "Муниципалитет",
    p.school_code || '-' || $year || '-11-' || lpad(p.pupil::VARCHAR, 4, '0') AS "Код участника",
    sub.subject AS "Предмет",
    clamp(round(20 + 8 * ability), 0, 50)::INTEGER AS "Первичный балл",
    clamp(round(62 + 16 * ability), 0, 100)::INTEGER AS "Балл",
    'основной' AS "Этап",
    strftime(make_date($year, 6, 1 + sub.k), '%Y-%m-%d') AS "Дата экзамена"
FROM scale_pupils AS p
CROSS JOIN LATERAL (
    SELECT unnest(['Русский язык', 'Математика (профильная)',
                   ['Обществознание', 'Физика', 'Биология', 'История']
                       [1 + floor(draw($seed, $region, p.school, $year, p.pupil, 10) * 4)::INTEGER]])
               AS subject,
           unnest([1, 2, 3]) AS k
) AS sub
CROSS JOIN LATERAL (
    SELECT p.school_year_effect + 0.9 * gauss($seed, $region, p.school, $year * 100 + 11, p.pupil, 5)
           + 0.4 * gauss($seed, $region, p.school, $year * 100 + 11, p.pupil * 10 + sub.k, 6)
        AS ability
) AS a
WHERE p.grade = 11
ORDER BY p.school, p.pupil, sub.k;
