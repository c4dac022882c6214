-- Scalar helpers shared by the models; created on every connection before models run.

-- A number as written in Russian exports: spaces as thousands separators, decimal comma.
CREATE OR REPLACE MACRO parse_number(value) AS
    try_cast(replace(replace(replace(trim(value), chr(160), ''), ' ', ''), ',', '.') AS DOUBLE);

-- A share as written: a number with or without a % sign (whether it is a percent or a fraction
-- is decided per component and year in staging).
CREATE OR REPLACE MACRO parse_share(value) AS parse_number(replace(value, '%', ''));

-- The integer in a cell such as '4', '4.0', ' 4 '; NULL when it is not a whole number.
CREATE OR REPLACE MACRO parse_integer(value) AS
    CASE WHEN parse_number(value) = floor(parse_number(value))
         THEN CAST(parse_number(value) AS INTEGER) END;

-- Text as one spelling: zero-width characters dropped, runs of spaces (the no-break space of
-- Excel exports too, which RE2's \s does not match) made one space; empty text is missing.
-- The replacing runs only where something is to replace (a cheap test first): this macro
-- runs on every text cell of every participant row.
CREATE OR REPLACE MACRO clean_text(value) AS nullif(trim(
    CASE WHEN regexp_matches(value, '[\s\x{00A0}\x{202F}]{2,}|[\t\n\r\f\x{00A0}\x{202F}\x{200B}-\x{200D}\x{2060}\x{FEFF}]')
         THEN regexp_replace(
             translate(value, chr(8203) || chr(8204) || chr(8205) || chr(8288) || chr(65279), ''),
             '[\s\x{00A0}\x{202F}]+', ' ', 'g')
         ELSE value END), '');

-- A participant's code as one spelling: clean_text, with a cheaper test first for the usual code
-- of printable ASCII without spaces (already one spelling); a code is in every participant row.
CREATE OR REPLACE MACRO clean_id(value) AS
    CASE WHEN regexp_full_match(value, '[!-~]+') THEN value ELSE clean_text(value) END;

-- A count cell as text, NULL where it is blank or a dash («-», «–», «—»): regional summary
-- workbooks write a dash for «nobody», which is 0, not junk.
CREATE OR REPLACE MACRO count_text(value) AS
    CASE WHEN clean_text(value) IN ('-', '–', '—') THEN NULL ELSE clean_text(value) END;

-- A school code as one spelling: cleaned as text, a number saved as «540160.0» read as «540160».
CREATE OR REPLACE MACRO clean_code(value) AS
    CASE WHEN regexp_matches(clean_text(value), '^\d+\.0+$')
         THEN regexp_replace(clean_text(value), '\.0+$', '')
         ELSE clean_text(value) END;

-- A day as written: ISO, «04.06.2024», «04.06.24», «04/06/2024» (a time after it, «20.06.2024
-- 10:00», left out), a date cell (ISO, with a time or not), or an Excel day number (45447 = 04.06.2024: a date cell that lost its format, or a
-- sheet saved as CSV) within 2000–2099.
CREATE OR REPLACE MACRO parse_date(value) AS coalesce(
    try_strptime(clean_text(value),
                 ['%Y-%m-%d', '%d.%m.%y', '%d.%m.%Y', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S',
                  '%d.%m.%Y %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%y %H:%M',
                  '%d/%m/%Y %H:%M'])::DATE,
    try_cast(clean_text(value) AS DATE),
    CASE WHEN parse_integer(value) BETWEEN 36526 AND 73050
         THEN DATE '1899-12-30' + parse_integer(value) END);

-- The period of an ОГЭ/ЕГЭ sitting as written («основной», «осн.», «основной период»,
-- «резервный день», «досрочный», «доп. (сентябрьские сроки)») → main / reserve / early /
-- additional; empty is the main period; anything else 'other' (reported, never counted).
-- Additional first, reserve before main: «дополнительный (резервный день)» is additional,
-- «резервный день основного периода» a reserve day.
CREATE OR REPLACE MACRO exam_stage(value) AS
    CASE
        WHEN clean_text(value) IS NULL THEN 'main'
        WHEN regexp_matches(lower(value), '(^|[^а-яё])(доп|сентябр)') THEN 'additional'
        WHEN regexp_matches(lower(value), '(^|[^а-яё])рез') THEN 'reserve'
        WHEN regexp_matches(lower(value), '(^|[^а-яё])досроч') THEN 'early'
        WHEN regexp_matches(lower(value), '(^|[^а-яё])осн') THEN 'main'
        ELSE 'other'
    END;

-- A class as one spelling: «4 а», «4-А», «4A» (Latin) → «4А».
CREATE OR REPLACE MACRO clean_class(value) AS
    nullif(translate(upper(regexp_replace(value, '[\s\-]+', '', 'g')), 'ABCEHKMOPTXY',
                     'АВСЕНКМОРТХУ'), '');

-- The assessment year from the file's place under raw/ (vpr/2025/file.csv → 2025).
CREATE OR REPLACE MACRO folder_year(source_file) AS
    try_cast(regexp_extract(source_file, '^[^/]+/(\d{4})/', 1) AS INTEGER);

-- The calendar year a social-passport row states (docs/data-contract.md §5), named as shnor names
-- every year — by its spring and summer assessments: «2024», «2024 год» → 2024; a school year
-- «2023/2024», «2023-2024 уч. год», «2023/24» → 2024 (its ВПР are in spring 2024, its ОГЭ and
-- ЕГЭ in summer 2024). NULL for an empty cell and for one that states no year this way («н/д»,
-- «2022/2024»): passport_year then takes the folder's.
CREATE OR REPLACE MACRO stated_school_year(value) AS
    CASE
        WHEN regexp_full_match(clean_text(value), '\D*20\d\d\D*')
            THEN try_cast(regexp_extract(value, '(20\d\d)', 1) AS INTEGER)
        WHEN regexp_full_match(clean_text(value), '\D*20\d\d\s*[/\-–—]\s*(20)?\d\d\D*')
            AND try_cast(right(regexp_extract(value, '20\d\d\s*[/\-–—]\s*((20)?\d\d)', 1), 2)
                         AS INTEGER)
                = (try_cast(regexp_extract(value, '(20\d\d)', 1) AS INTEGER) + 1) % 100
            THEN try_cast(regexp_extract(value, '(20\d\d)', 1) AS INTEGER) + 1
    END;

-- The year a social-passport row counts for: the one it states (stated_school_year), else its
-- folder's.
CREATE OR REPLACE MACRO passport_year(stated, source_file) AS
    coalesce(stated_school_year(stated), folder_year(source_file));

-- The kind of data from the file's place under raw/ (vpr/2025/file.csv → 'vpr').
CREATE OR REPLACE MACRO folder_name(source_file) AS regexp_extract(source_file, '^([^/]+)/', 1);

-- Wilson score interval bounds for k successes in n trials at normal quantile z.
-- Clamped to [0, 1]: at k = 0 or k = n rounding would leave them a hair outside.
CREATE OR REPLACE MACRO wilson_lower(k, n, z) AS
    CASE WHEN n > 0 THEN greatest(0.0, least(1.0,
        (k / n + z * z / (2 * n) - z * sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)))
        / (1 + z * z / n))) END;
CREATE OR REPLACE MACRO wilson_upper(k, n, z) AS
    CASE WHEN n > 0 THEN greatest(0.0, least(1.0,
        (k / n + z * z / (2 * n) + z * sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)))
        / (1 + z * z / n))) END;

-- Settlement type as «город»/«село» and their many spellings → urban / rural. Urban first:
-- «поселок городского типа», «городское поселение» contain «сел» too.
CREATE OR REPLACE MACRO settlement_kind(value) AS
    CASE
        WHEN regexp_matches(lower(value), '(город|пгт|urban|^г\.?$)') THEN 'urban'
        WHEN regexp_matches(
            lower(value),
            '(^|[^а-яё])(село|сельск|деревн|пос[её]л|станиц|хутор|аул|rural|с\.?$|д\.?$|п\.?$)'
        ) THEN 'rural'
    END;

-- A mark cell that records an absence (empty, «отсутствовал», «отс.», «неявка», «не явился»,
-- «н», «н/я», «н.я.»), not a mark.
CREATE OR REPLACE MACRO is_absent_mark(value) AS
    clean_text(value) IS NULL
    OR regexp_matches(lower(clean_text(value)),
        '^(отсутств|отс\.?$|не ?яв|неявк|н\.?$|н ?[/.] ?я\.?$|абс)');

-- A municipality's name by its end: «Россошанский муниципальный район», «Коношский район»,
-- «Кировский р-н», «Сосновский МР», «… округ», «… улус», «ЗАТО Северск» — unless a school's
-- abbreviation or word stands in it as a whole word («МБОУ СОШ № 1 … район»).
CREATE OR REPLACE MACRO is_municipality_name(value) AS
    coalesce(regexp_matches(lower(value),
        '((район|округ|улус|р-н|(^|[^а-яё])мр)\.?\s*$|(^|[^а-яё])зато([^а-яё]|$))')
        AND NOT regexp_matches(lower(value),
            '(№|(^|[^а-яё])(сош|оош|нош|[а-яё]{0,3}оу|школа|лицей|гимназия)([^а-яё]|$))'),
        false);

-- A name that names a school (школа, СОШ, лицей, гимназия, интернат, МБОУ, ЧОУ, АНО,
-- «учреждение», «центр образования», «комплекс», a «№»), not a place or a group of participants.
-- The abbreviations (СОШ, ООШ, НОШ, АНО, …ОУ) only as whole words: «Россошь», «Коношский» are
-- places; a municipality by its end (is_municipality_name) is never a school.
CREATE OR REPLACE MACRO is_school_name(value) AS
    coalesce(regexp_matches(lower(value),
        '(школ|лице[йяю]|гимнази|интернат|кадетск|учрежден|образовательн|'
        || 'центр образован|комплекс|№|'
        || '(^|[^а-яё])(сош|оош|нош|ано|[а-яё]{0,3}оу)([^а-яё]|$))'), false)
    AND NOT is_municipality_name(value);

-- A name as the words Python's headers.normalized_cyrillic gives (kept equal by a test): the
-- invisible characters dropped, Latin look-alike letters made Cyrillic in a word of Russian text
-- («г. Бийcк» with a Latin c), lower case, ё→е, punctuation and spaces only between words.
CREATE OR REPLACE MACRO cyrillic_words(value) AS list_transform(
    regexp_extract_all(regexp_replace(coalesce(value, ''),
        '[\x{00AD}\x{180E}\x{200B}-\x{200F}\x{2060}-\x{2064}\x{FEFF}]', '', 'g'),
        '[0-9A-Za-zА-Яа-яЁё]+'),
    lambda word: replace(lower(
        CASE WHEN regexp_matches(value, '[а-яёА-ЯЁ]')
                  AND regexp_full_match(word, '[0-9а-яёА-ЯЁaceopxykABCEHKMOPTXY]+')
             THEN translate(word, 'aceopxykABCEHKMOPTXY', 'асеорхукАВСЕНКМОРТХУ')
             ELSE word END), 'ё', 'е'));

-- A region's name as a whole name, or its total: «Алтайский край», «Воронежская обл.»,
-- «Еврейская автономная область», «Кемеровская область — Кузбасс», «Республика Саха (Якутия)»,
-- «Удмуртская Республика», «Ханты-Мансийский автономный округ — Югра», «Чукотский АО», the
-- federal cities («г. Москва», «город Санкт-Петербург», «Севастополь»); «Итого по краю»,
-- «Среднее по региону», «Всего по Алтайскому краю». A municipality that names its region
-- («Абинский район Краснодарского края») or a label of the region's schools («Областные ОО»,
-- «Республиканские ОО») is none. The one rule of SQL and of the ЕГЭ summary reader (Python
-- asks this macro: ingest/sql_rules.py).
CREATE OR REPLACE MACRO is_region_name(value) AS regexp_matches(
    array_to_string(cyrillic_words(value), ' '),
    '^([а-я]+ край|[а-я]+ (автономная )?(область|обл)( [а-я]+)?|республика( [а-я]+){1,3}'
    || '|[а-я]+( [а-я]+)? республика( [а-я]+)?|[а-я]+( [а-я]+)? (автономный округ|ао)( [а-я]+)?'
    || '|((г|город)( федерального значения)? )?(москва|санкт петербург|севастополь)( г)?)$'
    || '|(^| )по (региону|субъекту|краю|области|республике)( |$)'
    || '|(^| )по ([а-я]+ )*(краю|области|республике|автономному округу|москве|санкт петербургу'
    || '|севастополю)$|^(регион|субъект)( рф| российской федерации)?$');

-- A row that totals or averages others by its words: «Итого», «Всего», «В целом», «Среднее по
-- региону», «Итого по региону», «Регион». Never a school nor a municipality; the one rule of
-- SQL and of the ЕГЭ summary reader (ingest/sql_rules.py).
CREATE OR REPLACE MACRO is_total_label(value) AS regexp_matches(
    array_to_string(cyrillic_words(value), ' '),
    '^(итог|всего|в целом|среднее( |$)|по региону|по област|по краю|по республик|по субъекту'
    || '|регион( |$))');

-- A label that groups schools rather than placing them, as the 2020–2021 ВПР export's `регион`
-- often holds (docs/data-contract.md §2 a′): «Городские школы», «Сельские ОО», «Группа 3»,
-- «Кластер 2», «Прочие», a bare number. Never a municipality.
CREATE OR REPLACE MACRO is_grouping_label(value) AS
    coalesce(regexp_matches(lower(clean_text(value)),
        '((^|[^а-яё])(групп|кластер|школ|прочи)|(^|[^а-яё])(оо|оу|все|вне)([^а-яё]|$)|'
        || '^[0-9\s.,№-]+$)'), false);

-- Whether a municipality cell names a municipality: not empty, not the region's name
-- (is_region_name), not a grouping label (is_grouping_label), not a total's words
-- (is_total_label). dim_schools takes no other as a
-- school's municipality.
CREATE OR REPLACE MACRO is_municipality_label(value) AS
    clean_text(value) IS NOT NULL AND NOT is_region_name(value) AND NOT is_grouping_label(value)
    AND NOT is_total_label(value);

-- The matching key of a municipality, as school_names.municipality_key makes it in Python (kept
-- equal by a test): its cyrillic_words without the words that say what kind of territory it
-- is — «г. Барнаул», «городской округ город Барнаул» → «барнаул».
CREATE OR REPLACE MACRO municipality_key(value) AS array_to_string(list_filter(
    cyrillic_words(value),
    lambda word: NOT regexp_full_match(word,
        '(муниципальн.*|район.*|р|н|округ.*|городск.*|город.*|г|го|мо|мр|ао|образовани.*|'
        || 'поселени.*|сельск.*|рн)')), ' ');

-- Whether a bare town's name («Барнаул», «Бийск»: no school's, district's or region's words) that
-- heads rows of a summary is their municipality, not the region's own row: where the registry
-- (raw.schools) knows it as a municipality (by municipality_key), or the sheet has the region's
-- own row (sheet_has_region_row) — a region's name (is_region_name), a total's words («Итого»,
-- «Среднее по региону»: is_total_label) or a grouping label («Областные ОО») never is. The one
-- rule of the ВПР summaries (summary_rows_placed) and the ЕГЭ summary workbook (ege_summary_rows);
-- `registry_places` is registry_places('raw.schools').place_keys.
CREATE OR REPLACE MACRO town_is_municipality(name, sheet_has_region_row, registry_places) AS
    NOT is_region_name(name) AND NOT is_total_label(name) AND NOT is_grouping_label(name)
    AND municipality_key(clean_text(name)) <> '' AND (
        coalesce(sheet_has_region_row, false)
        OR list_contains(registry_places, municipality_key(clean_text(name))));

-- The municipalities a registry (raw.schools) knows, by municipality_key: one row, one list.
CREATE OR REPLACE MACRO registry_places(registry) AS TABLE
    SELECT coalesce(list(DISTINCT municipality_key(coalesce(clean_text(municipality_name),
                                                            clean_text(region_name)))),
                    []) AS place_keys
    FROM query_table(registry);

-- The rows of the ЕГЭ summary workbooks (raw_table: raw.ege_school_summary) with their municipality: the
-- one the reader gave (a municipality cell, heading or subtotal), else the bare town's name
-- heading them where town_is_municipality says it is one (else none: the school is matched by
-- name alone and, unmatched, goes to the review table). One row per raw row.
CREATE OR REPLACE MACRO ege_summary_rows(raw_table) AS TABLE
    SELECT s.* REPLACE (
        coalesce(clean_text(s.municipality_name),
                 CASE WHEN town_is_municipality(s.town_heading, s.sheet_has_region_row = 'true',
                                                r.place_keys)
                      THEN clean_text(s.town_heading) END) AS municipality_name)
    FROM query_table(raw_table) AS s, registry_places('raw.schools') AS r;

-- What a row of a ВПР summary («Статистика по отметкам», «Сравнение отметок с отметками по
-- журналу») is: 'school', or an aggregate among the schools — 'sample' (the whole sample,
-- Russia), 'region', 'municipality'. A row with a school code is a school; without one, a
-- region's name (is_region_name: «… автономный округ», «г. Москва», though they end in «округ»
-- or start with «г.») is the region; a name that names a school is a school matched by name
-- (docs/data-contract.md §1); a municipality alone, or a district's or town's name, is a
-- municipality; any other name is the region.
CREATE OR REPLACE MACRO summary_row_kind(school_code, school_name, municipality_name) AS
    CASE
        WHEN clean_code(school_code) IS NOT NULL
            AND NOT regexp_matches(lower(coalesce(school_name, '')), 'вся выборка') THEN 'school'
        WHEN regexp_matches(lower(coalesce(school_name, municipality_name, '')), 'вся выборка')
            THEN 'sample'
        WHEN is_region_name(coalesce(clean_text(school_name), municipality_name))
            AND NOT is_school_name(coalesce(clean_text(school_name), municipality_name))
            THEN 'region'
        WHEN clean_text(school_name) IS NULL AND clean_text(municipality_name) IS NOT NULL
            THEN 'municipality'
        WHEN is_municipality_name(school_name) THEN 'municipality'
        WHEN is_school_name(school_name) THEN 'school'
        WHEN regexp_matches(lower(coalesce(school_name, '')), 'росси') THEN 'sample'
        WHEN regexp_matches(lower(coalesce(school_name, '')),
            '(район|округ|^г\.|город|муниципал|улус|р-н)') THEN 'municipality'
        ELSE 'region'
    END;

-- The rows of a ВПР summary (raw.vpr_mark_stats, raw.vpr_journal_comparison) with what each
-- is (row_kind: macro summary_row_kind) and the municipality it is in (placed_municipality, for
-- matching a school named only by name: docs/data-contract.md §1). A row's own municipality
-- cell first. A summary without one gives each municipality as a row next to its schools: the
-- schools take the municipality row above them (the row of the region or the whole sample ends
-- a municipality; a school above the first municipality row, such as a regional school right
-- under the region's row, is in none) — or, only on a sheet that clearly gives subtotals below
-- their schools (its first such school comes before its first municipality row, and its last
-- one is followed by a municipality row, not by the region's or nothing), the subtotal row
-- below them. A bare town's name («Барнаул»), which summary_row_kind cannot tell from the
-- region's, is a municipality where town_is_municipality says so (the registry knows it, or the
-- sheet has a row with a region's name); otherwise it stays the region's (several such rows are
-- reported: summary_region_rows). Aggregate rows keep
-- their own cell. One row per raw row.
CREATE OR REPLACE MACRO summary_rows_placed(raw_table) AS TABLE
    WITH named AS (
        SELECT *, summary_row_kind(school_code, school_name, municipality_name) AS named_kind,
               clean_text(municipality_name) AS own_municipality
        FROM query_table(raw_table)
    ),
    kinds AS (
        SELECT n.* EXCLUDE (named_kind),
            CASE WHEN named_kind = 'region' AND town_is_municipality(school_name,
                    bool_or(named_kind = 'region' AND is_region_name(school_name))
                        OVER (PARTITION BY _source_file, _sheet),
                    r.place_keys)
                 THEN 'municipality' ELSE named_kind END AS row_kind
        FROM named AS n, registry_places('raw.schools') AS r
    ),
    marked AS (
        SELECT *,
            -- a municipality row's name ('' where the region or the sample ends one)
            CASE WHEN row_kind = 'municipality'
                     THEN coalesce(own_municipality, clean_text(school_name))
                 WHEN row_kind <> 'school' THEN '' END AS place_mark,
            row_kind = 'school' AND own_municipality IS NULL AS is_unplaced
        FROM kinds
    ),
    around AS (
        SELECT *,
            last_value(place_mark IGNORE NULLS) OVER (sheet ORDER BY _row
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS place_above,
            first_value(place_mark IGNORE NULLS) OVER (sheet ORDER BY _row
                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS place_below
        FROM marked
        WINDOW sheet AS (PARTITION BY _source_file, _sheet)
    ),
    layout AS (
        SELECT *,
            coalesce(
                min(_row) FILTER (WHERE row_kind = 'municipality') OVER sheet
                    > min(_row) FILTER (WHERE is_unplaced) OVER sheet
                AND arg_max(coalesce(place_below, ''), _row) FILTER (WHERE is_unplaced)
                    OVER sheet <> '',
                false) AS places_below
        FROM around
        WINDOW sheet AS (PARTITION BY _source_file, _sheet)
    )
    SELECT * EXCLUDE (own_municipality, place_mark, is_unplaced, place_above, place_below,
                      places_below),
        CASE WHEN NOT is_unplaced THEN own_municipality
             WHEN places_below THEN nullif(place_below, '')
             ELSE nullif(place_above, '') END AS placed_municipality
    FROM layout;

-- The rows of a ВПР summary (raw.vpr_mark_stats, raw.vpr_journal_comparison) as
-- summary_rows_placed gives them, with their school, subject, year and grade: school_id is the
-- code's school (staging.stg_school_code_map: leading zeros, logins, the region's confirmed
-- codes), else the code as cleaned, else — for a row naming a school only by name — the name
-- map's school in the row's placed municipality (staging.stg_school_name_map:
-- docs/data-contract.md §1); subject by the subject map, 'unknown' where none; year from the
-- title lines, else the folder's. A subject no alias knows is left out (reported per file by
-- map_subjects). One row per raw row otherwise.
CREATE OR REPLACE MACRO summary_rows_identified(raw_table) AS TABLE
    SELECT
        p.*,
        coalesce(codes.school_id, clean_code(p.school_code), names.school_id) AS school_id,
        coalesce(subjects.subject, 'unknown') AS subject,
        coalesce(try_cast(p.title_year AS INTEGER), folder_year(p._source_file)) AS exam_year,
        try_cast(p.title_grade AS INTEGER) AS grade
    FROM summary_rows_placed(raw_table) AS p
    LEFT JOIN staging.stg_subject_map AS subjects ON subjects.raw_subject = p.title_subject
    LEFT JOIN staging.stg_school_code_map AS codes ON codes.raw_code = clean_code(p.school_code)
    LEFT JOIN staging.stg_school_name_map AS names
        ON clean_code(p.school_code) IS NULL
        AND names.municipality_name IS NOT DISTINCT FROM p.placed_municipality
        AND names.school_name = clean_text(p.school_name)
    WHERE subjects.is_known IS DISTINCT FROM false;

-- The rows of a ВПР summary's sheet taken for the region's (row_kind 'region': no code, not a
-- school's, municipality's or the sample's name; a total's words — «Итого», «Среднее по
-- региону», is_total_label — aside) where a sheet has more than one: a bare town («Красноярск»)
-- or another unknown name is among them, and is not silently the region. One row per such row
-- of the files being checked; region_rows names them all («строка 3 «…», …»).
CREATE OR REPLACE MACRO summary_region_rows(raw_table, files) AS TABLE
    WITH regions AS (
        SELECT _source_file, _sheet, _row, clean_text(school_name) AS name
        FROM summary_rows_placed(raw_table)
        WHERE row_kind = 'region' AND list_contains(files, _source_file)
            AND NOT is_total_label(school_name)
    )
    SELECT r._source_file, r._sheet, r._row, s.region_rows
    FROM regions AS r
    JOIN (
        SELECT _source_file, _sheet,
               string_agg('строка ' || _row || ' «' || coalesce(name, '') || '»', ', '
                          ORDER BY _row) AS region_rows
        FROM regions
        GROUP BY ALL
        HAVING count(*) > 1
    ) AS s ON s._source_file = r._source_file AND s._sheet IS NOT DISTINCT FROM r._sheet;

-- The school each spelling of a code in a raw table is: cleaned, then
-- staging.stg_school_code_map (leading zeros restored by the registry;
-- school_matching.school_code_map), worked out once per distinct spelling, not per row. Staging and the raw checks both use it, so a repeat is found
-- under the school staging will count it for.
CREATE OR REPLACE MACRO school_of_codes(raw_table) AS TABLE
    SELECT spelled.school_code,
           coalesce(codes.school_id, clean_code(spelled.school_code)) AS school_id
    FROM (SELECT DISTINCT school_code FROM query_table(raw_table)) AS spelled
    LEFT JOIN staging.stg_school_code_map AS codes
        ON codes.raw_code = clean_code(spelled.school_code);

-- Participant rows given again in the same file, for the raw checks. `candidates` names a
-- relation of rows: _source_file, _sheet, _row, then the columns that make a participant's work
-- one (participant_key among them; rows without it are never repeats; NULLs are equal). One row
-- per repeat: first_sheet, first_row — the file's earliest row of the same participant (by sheet
-- name, then row: a workbook may give a subject on a sheet per class, whose row numbers
-- overlap). Rows are grouped by one hash of their file and key (no sort or self-join of every
-- row; one number to group on, not the file name beside it); only rows whose hash is repeated
-- are compared on the file and key themselves. A participant in two files is settled at build
-- time (int_participant_file_procedures, issue 18).
CREATE OR REPLACE MACRO participant_repeats(candidates) AS TABLE
    WITH keyed AS (
        SELECT *, hash(*COLUMNS(* EXCLUDE (_sheet, _row))) AS _repeat_hash
        FROM query_table(candidates)
        WHERE participant_key IS NOT NULL
    ),
    maybe_repeated AS (
        SELECT _source_file, _sheet, _row,
               row(*COLUMNS(* EXCLUDE (_source_file, _sheet, _row, _repeat_hash))) AS repeat_key
        FROM keyed
        SEMI JOIN (
            SELECT _repeat_hash FROM keyed GROUP BY ALL HAVING count(*) > 1
        ) USING (_repeat_hash)
    ),
    ordered AS (
        SELECT _source_file, _sheet, _row,
               row_number() OVER w AS nth,
               first_value(_sheet) OVER w AS first_sheet,
               first_value(_row) OVER w AS first_row
        FROM maybe_repeated
        WINDOW w AS (PARTITION BY _source_file, repeat_key ORDER BY _sheet NULLS FIRST, _row)
    )
    SELECT _source_file, _sheet, _row, first_sheet, first_row
    FROM ordered
    WHERE nth > 1;

-- ВПР school summary rows (§2b, §2c) that give a school's year, grade and subject again in the
-- same file, for the raw checks. `candidates` names a relation of rows with a school
-- (_source_file, _sheet, _row, exam_year, school_id, grade_key, subject_key; numbers: the row's
-- values as a list); `files` are the files being checked. One row per repeat in those files:
-- repeats_row / same_as_row — the earlier row of the same file, whose numbers differ / are the
-- same. Another file giving it is settled at build time, whatever the files' names or order
-- (int_vpr_summary_file_rows, summary_conflict; issue 18).
CREATE OR REPLACE MACRO summary_repeats(candidates, files) AS TABLE
    WITH rows AS (SELECT * FROM query_table(candidates))
    SELECT _source_file, _sheet, _row,
           CASE WHEN differs THEN first_seen END AS repeats_row,
           CASE WHEN NOT differs THEN first_seen END AS same_as_row
    FROM (
        SELECT _source_file, _sheet, _row, numbers IS DISTINCT FROM first_numbers AS differs,
               first_seen, nth
        FROM (
            SELECT _source_file, _sheet, _row, numbers,
                   first_value(coalesce(_sheet || ', ', '') || 'строка ' || _row) OVER w
                       AS first_seen,
                   first_value(numbers) OVER w AS first_numbers,
                   row_number() OVER w AS nth
            FROM rows
            WHERE list_contains(files, _source_file)
            WINDOW w AS (PARTITION BY _source_file, exam_year, school_id, grade_key, subject_key
                         ORDER BY _sheet, _row)
        )
    )
    WHERE nth > 1;

-- Which file counts for each thing several files give (issue 18). `file_rows` names a relation
-- of one row per file and thing: school_id, exam_year, unit_key (what else tells the thing apart
-- within a school's year; a constant where nothing does), _source_file, municipality_name (where
-- the thing is, for the scope of a reviewed row), content_hash (what the file gives for it) and
-- in_doubt (the file's rows are in doubt unless it is authoritative). Files that agree count
-- once. Where files disagree, only the file an analyst named in reference/authoritative_files.csv
-- (a reviewed row: reviewed_by filled; scope by year and municipality when given) counts; with
-- none named, none does (is_conflict): the outcome never depends on the files' names or the
-- order they arrived in. Rows without a school are not settled here: they count (reported as
-- unusable downstream). The windows are partitioned by school and year first, so that an update
-- of some schools' years reaches the scans of `file_rows`.
CREATE OR REPLACE MACRO authoritative_file_judged(file_rows) AS TABLE
    WITH judged AS (
        SELECT
            f.*,
            EXISTS (
                SELECT 1 FROM ref.authoritative_files AS a
                WHERE a.source_file = f._source_file
                  AND nullif(trim(a.reviewed_by), '') IS NOT NULL
                  AND (try_cast(a.exam_year AS INTEGER) IS NULL
                       OR try_cast(a.exam_year AS INTEGER) = f.exam_year)
                  AND (nullif(trim(a.municipality_name), '') IS NULL
                       OR clean_text(a.municipality_name) = f.municipality_name)
            ) AS is_authoritative
        FROM query_table(file_rows) AS f
    ),

    compared AS (
        SELECT
            *,
            bool_or(is_authoritative) OVER thing AS has_authoritative,
            min(content_hash) OVER thing <> max(content_hash) OVER thing AS files_differ,
            min(content_hash) FILTER (WHERE is_authoritative) OVER thing
                <> max(content_hash) FILTER (WHERE is_authoritative) OVER thing
                AS authoritative_differ,
            -- the first file (one row per file and thing): a window minimum, no sort
            _source_file = min(_source_file) OVER (
                PARTITION BY school_id, exam_year, unit_key, is_authoritative
            ) AS is_first_file
        FROM judged
        WINDOW thing AS (PARTITION BY school_id, exam_year, unit_key)
    )

    SELECT
        * EXCLUDE (unit_key, in_doubt, is_first_file, has_authoritative, authoritative_differ),
        school_id IS NOT NULL AND (
            CASE WHEN has_authoritative THEN coalesce(authoritative_differ, false)
                 ELSE files_differ END
            OR (in_doubt AND NOT is_authoritative)
        ) AS is_conflict,
        CASE
            WHEN school_id IS NULL THEN true
            WHEN in_doubt AND NOT is_authoritative THEN false
            WHEN has_authoritative
                THEN is_authoritative AND NOT coalesce(authoritative_differ, false)
                    AND is_first_file
            ELSE NOT files_differ AND is_first_file
        END AS is_counted
    FROM compared;
