-- ВПР points per task (columns `1`, `2`, `4.1` … of the participant files), typed. Grain: one
-- row per participant row × task with a value; `x`/`х` = the task does not apply (no points).
-- Points that are not a number or negative are unknown (reported by the raw check
-- raw_vpr_task_points, value_unknown / task_points_negative).
SELECT
    _source_file,
    _sheet,
    _row,
    task,
    CASE WHEN parse_number(points) >= 0 THEN parse_number(points) END AS points,
    -- the task's maximum as its header gives it («1 (5б)»), where it does
    CASE WHEN parse_number(max_points) > 0 THEN parse_number(max_points) END AS max_points,
    lower(trim(points)) IN ('x', 'х') AS is_not_applicable
FROM raw.vpr_task_points
