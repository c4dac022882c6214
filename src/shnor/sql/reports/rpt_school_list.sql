-- The annual list for readers: every rated-or-not school × year with its status in Russian,
-- municipality and the evidence. Grain: school_id × exam_year. Column names stay English;
-- the workbook renderer gives them Russian headers.
SELECT
    f.exam_year,
    d.municipality_name,
    f.school_id,
    d.school_name,
    CASE d.settlement_type WHEN 'urban' THEN 'город' WHEN 'rural' THEN 'село' END AS settlement_type,
    CASE d.school_level WHEN 'primary' THEN 'НОШ' WHEN 'basic' THEN 'ООШ' WHEN 'secondary' THEN 'СОШ'
    END AS school_level,
    CASE
        WHEN NOT f.is_rated THEN 'не оценивается'
        -- «ШНОР» is the programme's list (is_on_shnor_list); the text after it says why.
        WHEN f.is_stable_low AND f.is_stable_low_confirmed
            THEN 'ШНОР: низкие результаты два года подряд, статистически подтверждено'
        WHEN f.is_stable_low THEN 'ШНОР: низкие результаты два года подряд'
        WHEN f.is_on_shnor_list THEN 'ШНОР: до выполнения условий выхода'
        WHEN f.is_risk_group THEN 'группа риска'
        WHEN f.is_stable_high THEN 'стабильно высокие результаты'
        WHEN f.is_resilient THEN 'резильентная школа'
        ELSE 'без особых отметок'
    END AS status,
    f.is_rated,
    f.not_rated_reason,
    f.is_stable_low,
    f.is_stable_low_confirmed,
    f.is_on_shnor_list,
    f.is_shnor_exit,
    f.is_prevention_group,
    f.is_risk_group,
    f.risk_group_priority,
    f.is_low_result,
    f.is_recurrent_low,
    f.is_absolute_risk,
    f.is_shnsu,
    f.is_resilient,
    f.is_stable_high,
    f.has_objectivity_concern,
    -- The ШНОР × ШНСУ cross-tab of docs/methodology.md.
    CASE
        WHEN NOT f.is_rated THEN NULL
        WHEN f.is_on_shnor_list AND f.is_shnsu THEN 'ШНОР в сложных условиях: приоритетная поддержка'
        WHEN f.is_on_shnor_list THEN 'ШНОР в обычных условиях: управленческие меры'
        -- a ШНСУ school off the list is where resilient schools are looked for; the label
        -- says which it turned out to be (never «кандидат» beside a risk-group status)
        WHEN f.is_shnsu AND f.is_resilient THEN 'сложные условия, не ШНОР: резильентная'
        WHEN f.is_shnsu THEN 'сложные условия, не ШНОР'
        ELSE 'обычные условия, не ШНОР'
    END AS quadrant,
    f.counted_participant_count,
    f.composite_score,
    f.composite_lower,
    f.composite_upper,
    f.composite_percentile,
    f.low_probability,
    f.stable_low_probability,
    f.next_low_probability,
    f.context_index,
    f.reason_text,
    f.reasons,
    f.preset
FROM marts.fct_school_flags AS f
LEFT JOIN marts.dim_schools AS d USING (school_id)
ORDER BY f.exam_year, d.municipality_name, d.school_name, f.school_id
